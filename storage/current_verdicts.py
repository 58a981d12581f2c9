"""SQL fragments that read the current verdict on each criterion of each call: a reviewer's latest, else
the automatic one (verdicts are written by ``storage.calls``).

Every page that counts passes and failures (operator dashboard, training needs, coaching
topics, calibration) reads verdicts through ``CURRENT_VERDICTS`` so that they agree.
"""

from __future__ import annotations

# A call joined to the score of its current scorecard version (none yet: NULLs).
CALLS_WITH_CURRENT_SCORE = """
    FROM calls c
    LEFT JOIN scores s
      ON s.call_id = c.call_id AND s.scorecard_name = c.scorecard_name AND s.scorecard_version = c.scorecard_version
"""

# Reviews are append-only: the latest confirm/override of a criterion is the one that counts.
LATEST_REVIEW = """
    SELECT call_id, criterion_id, verdict, reviewer, created_at
    FROM reviews
    WHERE action IN ('override', 'confirm') AND criterion_id IS NOT NULL
    QUALIFY row_number() OVER (PARTITION BY call_id, criterion_id ORDER BY created_at DESC, review_id DESC) = 1
"""

# CTEs over a ``judged`` CTE (current verdicts, pass or fail only): per operator and criterion the
# judged calls and failures (``per_op``), and per team the failure rate (``per_team``).
RATES_VS_TEAM = """
    per_op AS (
        SELECT operator_id, team, criterion_id, count(*) AS calls, count(*) FILTER (verdict = 'fail') AS failed
        FROM judged GROUP BY ALL
    ),
    per_team AS (
        SELECT team, criterion_id, count(*) FILTER (verdict = 'fail') / count(*) AS team_fail_rate
        FROM judged GROUP BY ALL
    )
"""

# One row per (call, criterion) of the call's current scorecard, in processed calls with an
# operator: the automatic result, the reviewer's verdict if any, and the verdict that counts.
# Parameters: since, until (on the call's start time, else its processing time).
CURRENT_VERDICTS = f"""
    WITH latest_review AS ({LATEST_REVIEW})
    SELECT c.call_id, c.operator_id, coalesce(c.team, '') AS team, r.criterion_id,
           r.result AS auto_result, lr.verdict AS review_verdict,
           coalesce(lr.verdict, r.result) AS verdict, r.evidence_start, r.evidence_end, r.evidence_text,
           coalesce(c.started_at, c.processed_at) AS call_at
    FROM calls c
    JOIN criteria_results r ON r.call_id = c.call_id
         AND r.scorecard_name = c.scorecard_name AND r.scorecard_version = c.scorecard_version
    LEFT JOIN latest_review lr ON lr.call_id = c.call_id AND lr.criterion_id = r.criterion_id
    WHERE c.status = 'processed' AND c.operator_id IS NOT NULL
      AND coalesce(c.started_at, c.processed_at) >= ? AND coalesce(c.started_at, c.processed_at) < ?
"""
