"""Calibration: how well the automatic verdicts agree with the reviewers', per criterion.

Only criteria a reviewer judged (confirm or override, latest per call) count. "Fail" is
the positive class, as the product's job is to find failures: precision is the share of
automatic fails the reviewer upheld, recall the share of the reviewer's fails the
product found.
"""

from __future__ import annotations

from datetime import datetime

import duckdb
import pandas as pd

from storage.current_verdicts import CURRENT_VERDICTS


def agreement(con: duckdb.DuckDBPyConnection, since: datetime, until: datetime) -> pd.DataFrame:
    """Per criterion: reviewed count, agreement rate, fail precision and recall, overturned count."""
    return con.execute(
        f"""
        WITH v AS ({CURRENT_VERDICTS}),
        reviewed AS (SELECT * FROM v WHERE review_verdict IS NOT NULL)
        SELECT criterion_id,
               count(*) AS reviewed,
               count(*) FILTER (auto_result = review_verdict) / count(*) AS agreement,
               count(*) FILTER (auto_result = 'fail' AND review_verdict = 'fail')
                   / nullif(count(*) FILTER (auto_result = 'fail'), 0) AS fail_precision,
               count(*) FILTER (auto_result = 'fail' AND review_verdict = 'fail')
                   / nullif(count(*) FILTER (review_verdict = 'fail'), 0) AS fail_recall,
               count(*) FILTER (auto_result <> review_verdict) AS overturned
        FROM reviewed
        GROUP BY criterion_id
        ORDER BY overturned DESC, agreement, criterion_id
        """,
        [since, until],
    ).df()


def overturned_calls(con: duckdb.DuckDBPyConnection, since: datetime, until: datetime,
                     criterion_id: str | None = None, limit: int = 50) -> pd.DataFrame:
    """The calls whose automatic verdict a reviewer overturned, newest first."""
    return con.execute(
        f"""
        WITH v AS ({CURRENT_VERDICTS})
        SELECT v.call_id, c.file_name, v.operator_id, v.criterion_id, v.auto_result, v.review_verdict, v.call_at
        FROM v JOIN calls c USING (call_id)
        WHERE v.review_verdict IS NOT NULL AND v.auto_result <> v.review_verdict
          AND (? IS NULL OR v.criterion_id = ?)
        ORDER BY v.call_at DESC, v.call_id
        LIMIT ?
        """,
        [since, until, criterion_id, criterion_id, limit],
    ).df()
