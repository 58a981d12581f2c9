"""Call insights in DuckDB (``call_insights``, migration 008): which calls need computing, storing
a call's reason and outcome, and the reads behind the *Call reasons* page.

A row is stale when its ``insights_version`` (taxonomy digest + method) differs from the current
one, when the call was processed again after it, or when a reviewer flipped the call's roles
after it. A call whose transcript retention deleted is never recomputed: its reason and outcome
stay as they were (the quotes and the vector went with the transcript).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import duckdb
import numpy as np
import pandas as pd

from pipeline.insights.call_insights import CallInsights
from pipeline.insights.reason_discovery import Statement
from storage.call_period import CALL_AT, period_clauses
from storage.db import now


@dataclass(frozen=True)
class StoredInsight:
    call_id: str
    reason_id: str | None
    reason_score: float | None
    reason_method: str | None
    problem_statement: str | None
    problem_start: float | None
    problem_end: float | None
    outcome: str
    outcome_confidence: float | None
    outcome_method: str | None
    outcome_evidence_text: str | None
    outcome_evidence_start: float | None
    outcome_evidence_end: float | None
    insights_version: str
    computed_at: datetime


def stale_call_ids(con: duckdb.DuckDBPyConnection, version: str, call_ids: list[str] | None = None) -> list[str]:
    """Processed calls with a transcript whose insights are missing or stale, in order."""
    sql = """
        SELECT c.call_id FROM calls c LEFT JOIN call_insights i USING (call_id)
        WHERE c.status = 'processed' AND c.transcript_deleted_at IS NULL
          AND (i.call_id IS NULL OR i.insights_version <> ? OR i.computed_at < c.processed_at
               OR EXISTS (SELECT 1 FROM reviews r WHERE r.call_id = c.call_id AND r.action = 'flip_roles'
                          AND r.created_at > i.computed_at))
    """
    args: list = [version]
    if call_ids is not None:
        sql += " AND c.call_id IN (SELECT unnest(?::VARCHAR[]))"
        args.append(call_ids)
    return [r[0] for r in con.execute(sql + " ORDER BY c.call_id", args).fetchall()]


def save_insights(con: duckdb.DuckDBPyConnection, call_id: str, version: str, insights: CallInsights) -> None:
    """Replace the call's row, in one transaction."""
    s, o = insights.statement, insights.outcome
    embedding = None if insights.embedding is None else [float(x) for x in insights.embedding]
    con.execute("BEGIN TRANSACTION")
    try:
        con.execute("DELETE FROM call_insights WHERE call_id = ?", [call_id])
        con.execute(
            "INSERT INTO call_insights (call_id, insights_version, problem_statement, problem_start, problem_end,"
            " problem_embedding, reason_id, reason_score, reason_method, outcome, outcome_confidence, outcome_method,"
            " outcome_evidence_text, outcome_evidence_start, outcome_evidence_end, computed_at)"
            " VALUES (?, ?, ?, ?, ?, ?::FLOAT[512], ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [call_id, version, s.text if s else None, s.start if s else None, s.end if s else None, embedding,
             insights.reason_id, insights.reason_score, insights.reason_method, o.outcome, o.confidence, o.method,
             o.evidence.text if o.evidence else None, o.evidence.start if o.evidence else None,
             o.evidence.end if o.evidence else None, now()],
        )
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise


def call_insight(con: duckdb.DuckDBPyConnection, call_id: str) -> StoredInsight | None:
    row = con.execute(
        "SELECT call_id, reason_id, reason_score, reason_method, problem_statement, problem_start, problem_end,"
        " outcome, outcome_confidence, outcome_method, outcome_evidence_text, outcome_evidence_start,"
        " outcome_evidence_end, insights_version, computed_at FROM call_insights WHERE call_id = ?",
        [call_id],
    ).fetchone()
    return StoredInsight(*row) if row else None


def _period(since: datetime | None, until: datetime | None, teams: tuple[str, ...]) -> tuple[str, list]:
    period, args = period_clauses(since, until)
    sql = " AND ".join(["c.status = 'processed'", *period])
    if teams:
        sql += " AND c.team IN (SELECT unnest(?::VARCHAR[]))"
        args.append(list(teams))
    return sql, args


def reason_outcomes(con: duckdb.DuckDBPyConnection, since: datetime | None = None, until: datetime | None = None,
                    teams: tuple[str, ...] = ()) -> pd.DataFrame:
    """Calls per reason (NULL: none matched) and outcome in the period: reason_id, outcome, calls."""
    where, args = _period(since, until, teams)
    return con.execute(
        f"SELECT i.reason_id, i.outcome, count(*) AS calls FROM call_insights i JOIN calls c USING (call_id)"
        f" WHERE {where} GROUP BY ALL ORDER BY calls DESC, i.reason_id, i.outcome",
        args,
    ).df()


def unmatched_statements(con: duckdb.DuckDBPyConnection, since: datetime | None = None, until: datetime | None = None,
                         teams: tuple[str, ...] = (), limit: int = 5000) -> list[Statement]:
    """Problem statements (with vectors) of the period's calls that matched no taxonomy reason, latest first."""
    where, args = _period(since, until, teams)
    rows = con.execute(
        f"SELECT i.call_id, i.problem_statement, coalesce(c.language, ''), i.problem_embedding"
        f" FROM call_insights i JOIN calls c USING (call_id)"
        f" WHERE {where} AND i.reason_id IS NULL AND i.problem_embedding IS NOT NULL"
        f" ORDER BY {CALL_AT} DESC, i.call_id LIMIT ?",
        [*args, limit],
    ).fetchall()
    return [
        Statement(cid, text, language, np.asarray(vector, dtype=np.float32)) for cid, text, language, vector in rows
    ]


def statement_moments(con: duckdb.DuckDBPyConnection, call_ids: list[str]) -> pd.DataFrame:
    """call_id, file_name, problem_statement, problem_start of these calls (for links into the call page)."""
    return con.execute(
        "SELECT i.call_id, c.file_name, i.problem_statement, i.problem_start, c.operator_id, c.team"
        " FROM call_insights i JOIN calls c USING (call_id) WHERE i.call_id IN (SELECT unnest(?::VARCHAR[]))",
        [call_ids],
    ).df()
