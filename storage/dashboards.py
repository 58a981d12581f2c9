"""The operator dashboard: score trend, pass rate per criterion against the team, the calls.

Rates count current verdicts (``storage.current_verdicts``): a reviewer's override changes them.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

import duckdb
import pandas as pd

from storage.current_verdicts import CALLS_WITH_CURRENT_SCORE, CURRENT_VERDICTS

Bucket = Literal["day", "week", "month"]


def operators(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Every operator with their team and number of processed calls, busiest first."""
    return con.execute(
        """
        SELECT operator_id, any_value(team) AS team, count(*) AS calls
        FROM calls WHERE status = 'processed' AND operator_id IS NOT NULL
        GROUP BY operator_id ORDER BY calls DESC, operator_id
        """
    ).df()


def score_trend(con: duckdb.DuckDBPyConnection, operator: str, since: datetime, until: datetime,
                bucket: Bucket = "week") -> pd.DataFrame:
    """Per period: the operator's mean score and calls, and the mean score of their team."""
    return con.execute(
        f"""
        WITH scored AS (
            SELECT c.operator_id, c.team, date_trunc('{bucket}', coalesce(c.started_at, c.processed_at)) AS period,
                   s.score
            FROM calls c
            JOIN scores s ON s.call_id = c.call_id AND s.scorecard_name = c.scorecard_name
                 AND s.scorecard_version = c.scorecard_version
            WHERE c.status = 'processed' AND s.score IS NOT NULL
              AND coalesce(c.started_at, c.processed_at) >= ? AND coalesce(c.started_at, c.processed_at) < ?
        ),
        own AS (
            SELECT period, avg(score) AS score, count(*) AS calls, any_value(team) AS team
            FROM scored WHERE operator_id = ? GROUP BY period
        )
        SELECT own.period, own.score, own.calls,
               (SELECT avg(t.score) FROM scored t WHERE t.period = own.period
                 AND t.team IS NOT DISTINCT FROM own.team) AS team_score
        FROM own ORDER BY own.period
        """,
        [since, until, operator],
    ).df()


def criteria_vs_team(con: duckdb.DuckDBPyConnection, operator: str, since: datetime, until: datetime) -> pd.DataFrame:
    """Per criterion: the operator's pass rate and judged calls, and their team's pass rate."""
    return con.execute(
        f"""
        WITH v AS ({CURRENT_VERDICTS}),
        judged AS (SELECT * FROM v WHERE verdict IN ('pass', 'fail')),
        me AS (SELECT any_value(team) AS team FROM judged WHERE operator_id = ?)
        SELECT criterion_id,
               count(*) FILTER (operator_id = ? AND verdict = 'pass')
                   / nullif(count(*) FILTER (operator_id = ?), 0) AS pass_rate,
               count(*) FILTER (operator_id = ?) AS calls,
               count(*) FILTER (verdict = 'pass') / count(*) AS team_pass_rate,
               count(*) AS team_calls
        FROM judged WHERE team = (SELECT team FROM me)
        GROUP BY criterion_id
        HAVING count(*) FILTER (operator_id = ?) > 0
        ORDER BY pass_rate - team_pass_rate, criterion_id
        """,
        [since, until, operator, operator, operator, operator, operator],
    ).df()


def operator_calls(con: duckdb.DuckDBPyConnection, operator: str, since: datetime, until: datetime,
                   limit: int = 100, offset: int = 0) -> pd.DataFrame:
    """The operator's processed calls of the period, newest first, a page at a time."""
    return con.execute(
        f"""
        SELECT c.call_id, c.file_name, coalesce(c.started_at, c.processed_at) AS call_at, c.duration_s, c.language,
               s.score, coalesce(s.flags, []) AS flags
        {CALLS_WITH_CURRENT_SCORE}
        WHERE c.status = 'processed' AND c.operator_id = ?
          AND coalesce(c.started_at, c.processed_at) >= ? AND coalesce(c.started_at, c.processed_at) < ?
        ORDER BY call_at DESC, c.call_id
        LIMIT ? OFFSET ?
        """,
        [operator, since, until, limit, offset],
    ).df()
