"""The audit sample's rows (table ``audit_samples``, migration 022): the calls a period offers to draw from,
the calls already drawn, and which samples a call is in. The draw itself is ``usecases.audit_sampling``."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

import duckdb

from storage.call_period import CALL_AT, period_clauses
from storage.db import one_row


@dataclass(frozen=True)
class Candidate:
    """A processed call of the period, with what the strata group calls by."""

    call_id: str
    operator: str | None
    team: str | None
    queue: str | None
    language: str | None
    channels: str | None  # stereo | mono (None: not known)


@dataclass(frozen=True)
class SampledCall:
    sample_id: str
    call_id: str
    stratum: str
    drawn_at: datetime
    drawn_by: str
    seed: str
    period_since: datetime | None
    period_until: datetime | None


def candidates(con: duckdb.DuckDBPyConnection, since: datetime, until: datetime) -> list[Candidate]:
    """Every processed call that took place in [since, until), flagged or not, in call id order."""
    clauses, params = period_clauses(since, until)
    rows = con.execute(
        f"""
        SELECT c.call_id, c.operator_id, c.team, c.queue, c.language,
               CASE WHEN c.channels IS NULL THEN NULL WHEN c.channels >= 2 THEN 'stereo' ELSE 'mono' END
        FROM calls c
        WHERE c.status = 'processed' AND {' AND '.join(clauses)}
        ORDER BY c.call_id
        """,
        params,
    ).fetchall()
    return [Candidate(*row) for row in rows]


def drawn(con: duckdb.DuckDBPyConnection, sample_id: str) -> list[SampledCall]:
    """The calls already in ``sample_id``, in the order they were drawn."""
    rows = con.execute(
        "SELECT sample_id, call_id, stratum, drawn_at, drawn_by, seed, period_since, period_until"
        " FROM audit_samples WHERE sample_id = ? ORDER BY drawn_at, stratum, call_id",
        [sample_id],
    ).fetchall()
    return [SampledCall(*row) for row in rows]


def add(con: duckdb.DuckDBPyConnection, rows: list[SampledCall]) -> int:
    """Stores ``rows``; a call already in its sample is left as it was. Returns the rows added."""
    if not rows:
        return 0
    before = int(one_row(con.execute("SELECT count(*) FROM audit_samples"))[0])
    con.executemany(
        "INSERT OR IGNORE INTO audit_samples (sample_id, call_id, stratum, drawn_at, drawn_by, seed, period_since,"
        " period_until) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        [[r.sample_id, r.call_id, r.stratum, r.drawn_at, r.drawn_by, r.seed, r.period_since, r.period_until]
         for r in rows],
    )
    return int(one_row(con.execute("SELECT count(*) FROM audit_samples"))[0]) - before


def samples_of_call(con: duckdb.DuckDBPyConnection, call_id: str) -> list[SampledCall]:
    """The audit samples ``call_id`` was drawn in (none: it was not sampled)."""
    rows = con.execute(
        "SELECT sample_id, call_id, stratum, drawn_at, drawn_by, seed, period_since, period_until"
        " FROM audit_samples WHERE call_id = ? ORDER BY drawn_at",
        [call_id],
    ).fetchall()
    return [SampledCall(*row) for row in rows]


def call_days_of_run(con: duckdb.DuckDBPyConnection, run_id: str) -> list[date]:
    """The days (of the calls' own time) of the calls a run processed: the nights it brought in."""
    rows = con.execute(
        f"SELECT DISTINCT CAST({CALL_AT} AS DATE) FROM calls c WHERE c.run_id = ? AND c.status = 'processed'"
        " ORDER BY 1",
        [run_id],
    ).fetchall()
    return [r[0] for r in rows if r[0] is not None]


def latest_call_day(con: duckdb.DuckDBPyConnection) -> date | None:
    """The last day with a processed call (the latest night)."""
    value = one_row(con.execute(f"SELECT max(CAST({CALL_AT} AS DATE)) FROM calls c WHERE c.status = 'processed'"))[0]
    return value
