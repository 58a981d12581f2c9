"""What the REST API reads and writes beyond the app's own queries: submissions waiting in the inbox, a
call's context and insights in one row, pages of calls in a stable order (keyset paging), operators' scores.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import duckdb

from storage.call_period import CALL_AT
from storage.current_verdicts import CALLS_WITH_CURRENT_SCORE
from storage.review_queue import QueueFilter


@dataclass(frozen=True)
class Submission:
    call_id: str
    path: str
    submitted_at: datetime
    token_name: str | None
    operator_id: str | None
    external_id: str | None


def submission_row(s: Submission) -> dict:
    """The row as ``storage.pending`` journals it (columns in table order)."""
    return {"call_id": s.call_id, "path": s.path, "submitted_at": s.submitted_at, "token_name": s.token_name,
            "operator_id": s.operator_id, "external_id": s.external_id}


def insert_submission(con: duckdb.DuckDBPyConnection, row: dict) -> None:
    """The first submission of a content wins: the same bytes again change nothing."""
    con.execute("INSERT INTO api_submissions VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
                [row["call_id"], row["path"], row["submitted_at"], row["token_name"], row["operator_id"],
                 row["external_id"]])


def forget_submissions(con: duckdb.DuckDBPyConnection, call_ids: list[str]) -> None:
    """Submissions erased before they were processed: nothing of them is kept."""
    con.execute("DELETE FROM api_submissions WHERE call_id IN (SELECT unnest(?::VARCHAR[]))", [call_ids])


def submission(con: duckdb.DuckDBPyConnection, call_id: str) -> Submission | None:
    row = con.execute("SELECT * FROM api_submissions WHERE call_id = ?", [call_id]).fetchone()
    return None if row is None else Submission(*row)


@dataclass(frozen=True)
class CallContext:
    """Who handled the call and when, the systems' own id, and the insights of the call."""

    operator_id: str | None
    team: str | None
    queue: str | None
    site: str | None
    vendor: str | None
    direction: str | None
    started_at: datetime | None
    external_id: str | None
    reason_id: str | None
    outcome: str | None
    outcome_confidence: float | None
    predicted_satisfaction: float | None
    csat: int | None


def call_context(con: duckdb.DuckDBPyConnection, call_id: str) -> CallContext | None:
    row = con.execute(
        """
        SELECT c.operator_id, c.team, c.queue, c.site, c.vendor, c.direction, c.started_at, c.external_id,
               i.reason_id, i.outcome, i.outcome_confidence, sat.predicted, cs.score
        FROM calls c
        LEFT JOIN call_insights i ON i.call_id = c.call_id
        LEFT JOIN call_satisfaction sat ON sat.call_id = c.call_id
        LEFT JOIN csat cs ON cs.call_id = c.call_id
        WHERE c.call_id = ?
        """,
        [call_id],
    ).fetchone()
    return None if row is None else CallContext(*row)


@dataclass(frozen=True)
class ListedCall:
    call_id: str
    call_at: datetime
    status: str
    operator_id: str | None
    team: str | None
    queue: str | None
    external_id: str | None
    duration_s: float | None
    score: float | None
    flags: tuple[str, ...]


def calls_page(con: duckdb.DuckDBPyConnection, filt: QueueFilter, after: tuple[datetime, str] | None,
               limit: int) -> list[ListedCall]:
    """Processed calls matching ``filt``, latest first (time, then call id: a stable order), after the
    ``(call_at, call_id)`` of the previous page's last call."""
    where, params = filt.where()
    if after is not None:
        where += f" AND ({CALL_AT} < ? OR ({CALL_AT} = ? AND c.call_id < ?))"
        params += [after[0], after[0], after[1]]
    rows = con.execute(
        f"""
        SELECT c.call_id, {CALL_AT} AS call_at, c.status, c.operator_id, c.team, c.queue, c.external_id,
               c.duration_s, s.score, coalesce(s.flags, [])
        {CALLS_WITH_CURRENT_SCORE}
        WHERE {where}
        ORDER BY call_at DESC, c.call_id DESC
        LIMIT ?
        """,
        [*params, limit],
    ).fetchall()
    return [ListedCall(r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7], r[8], tuple(r[9])) for r in rows]


@dataclass(frozen=True)
class OperatorScore:
    operator_id: str
    team: str | None
    calls: int
    scored_calls: int
    mean_score: float | None
    flagged: int


def operator_scores(con: duckdb.DuckDBPyConnection, since: datetime | None, until: datetime | None,
                    team: str | None, after: str | None, limit: int) -> list[OperatorScore]:
    """Per operator (by id, a stable order): processed calls of the period, mean score, calls with a flag."""
    filt = QueueFilter(since=since, until=until, teams=(team,) if team else (), flagged_only=False)
    where, params = filt.where()
    where += " AND c.operator_id IS NOT NULL"
    if after is not None:
        where += " AND c.operator_id > ?"
        params.append(after)
    rows = con.execute(
        f"""
        SELECT c.operator_id, any_value(c.team), count(*), count(s.score), avg(s.score),
               count(*) FILTER (len(coalesce(s.flags, [])) > 0)
        {CALLS_WITH_CURRENT_SCORE}
        WHERE {where}
        GROUP BY c.operator_id ORDER BY c.operator_id LIMIT ?
        """,
        [*params, limit],
    ).fetchall()
    return [OperatorScore(*r) for r in rows]
