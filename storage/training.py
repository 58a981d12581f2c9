"""Training needs: operators x criteria failure rates against the team, coaching assignments,
and whether an operator improved on a topic after it was coached.

Assignments are append-only like reviews: assigning the same topic again adds a row, and
the before/after comparison uses the first assignment.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

import duckdb
import pandas as pd

from storage.current_verdicts import CURRENT_VERDICTS, RATES_VS_TEAM
from storage.db import now

# How far before and after an assignment the comparison looks.
COMPARE_DAYS = 30


def failure_heatmap(con: duckdb.DuckDBPyConnection, since: datetime, until: datetime,
                    teams: tuple[str, ...] = (), min_calls: int = 1) -> pd.DataFrame:
    """Long format: operator, team, criterion, calls, failed, fail rate, team fail rate, difference."""
    team_filter = f"AND team IN ({', '.join('?' * len(teams))})" if teams else ""
    return con.execute(
        f"""
        WITH v AS ({CURRENT_VERDICTS}),
        judged AS (SELECT * FROM v WHERE verdict IN ('pass', 'fail') {team_filter}),
        {RATES_VS_TEAM}
        SELECT o.operator_id, nullif(o.team, '') AS team, o.criterion_id, o.calls, o.failed,
               o.failed / o.calls AS fail_rate, t.team_fail_rate, o.failed / o.calls - t.team_fail_rate AS difference
        FROM per_op o JOIN per_team t USING (team, criterion_id)
        WHERE o.calls >= ?
        ORDER BY o.operator_id, o.criterion_id
        """,
        [since, until, *teams, min_calls],
    ).df()


@dataclass(frozen=True)
class Assignment:
    assignment_id: str
    operator_id: str
    criterion_id: str
    assigned_by: str
    assigned_at: datetime
    note: str | None


def assign_topic(con: duckdb.DuckDBPyConnection, operator_id: str, criterion_id: str, assigned_by: str,
                 note: str | None = None, assignment_id: str | None = None) -> str:
    """Record that a trainer assigned a coaching topic; an ``assignment_id`` makes a replay idempotent."""
    if not operator_id or not criterion_id:
        raise ValueError("a coaching assignment needs an operator and a criterion")
    assignment_id = assignment_id or uuid.uuid4().hex
    con.execute(
        "INSERT INTO coaching_assignments VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
        [assignment_id, operator_id, criterion_id, assigned_by, now(), (note or "").strip() or None],
    )
    return assignment_id


def assignments(con: duckdb.DuckDBPyConnection, operator_id: str | None = None) -> list[Assignment]:
    rows = con.execute(
        "SELECT assignment_id, operator_id, criterion_id, assigned_by, assigned_at, note FROM coaching_assignments "
        "WHERE ? IS NULL OR operator_id = ? ORDER BY assigned_at DESC, assignment_id",
        [operator_id, operator_id],
    ).fetchall()
    return [Assignment(*r) for r in rows]


def before_after(con: duckdb.DuckDBPyConnection, days: int = COMPARE_DAYS) -> pd.DataFrame:
    """For each coached topic (operator, criterion; first assignment): the failure rate and judged
    calls in the ``days`` before and after it was assigned."""
    return con.execute(
        f"""
        WITH first_assignment AS (
            SELECT operator_id, criterion_id, min(assigned_at) AS assigned_at,
                   arg_min(assigned_by, assigned_at) AS assigned_by
            FROM coaching_assignments GROUP BY ALL
        ),
        v AS ({CURRENT_VERDICTS}),
        judged AS (SELECT * FROM v WHERE verdict IN ('pass', 'fail'))
        SELECT a.operator_id, a.criterion_id, a.assigned_at, a.assigned_by,
               count(j.call_id) FILTER (j.call_at < a.assigned_at) AS calls_before,
               count(j.call_id) FILTER (j.call_at < a.assigned_at AND j.verdict = 'fail')
                   / nullif(count(j.call_id) FILTER (j.call_at < a.assigned_at), 0) AS fail_rate_before,
               count(j.call_id) FILTER (j.call_at >= a.assigned_at) AS calls_after,
               count(j.call_id) FILTER (j.call_at >= a.assigned_at AND j.verdict = 'fail')
                   / nullif(count(j.call_id) FILTER (j.call_at >= a.assigned_at), 0) AS fail_rate_after
        FROM first_assignment a
        LEFT JOIN judged j ON j.operator_id = a.operator_id AND j.criterion_id = a.criterion_id
             AND j.call_at >= a.assigned_at - INTERVAL ({days}) DAY
             AND j.call_at < a.assigned_at + INTERVAL ({days}) DAY
        GROUP BY ALL
        ORDER BY a.assigned_at DESC
        """,
        [datetime(1970, 1, 1), datetime(9999, 1, 1)],
    ).df()


def weekly_fail_rate(con: duckdb.DuckDBPyConnection, operator_id: str, criterion_id: str,
                     since: datetime, until: datetime) -> pd.DataFrame:
    """The operator's weekly failure rate on one criterion: the trend line around a coaching."""
    return con.execute(
        f"""
        WITH v AS ({CURRENT_VERDICTS})
        SELECT date_trunc('week', call_at) AS week, count(*) AS calls,
               count(*) FILTER (verdict = 'fail') / count(*) AS fail_rate
        FROM v WHERE verdict IN ('pass', 'fail') AND operator_id = ? AND criterion_id = ?
        GROUP BY week ORDER BY week
        """,
        [since, until, operator_id, criterion_id],
    ).df()
