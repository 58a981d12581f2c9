"""Daily aggregates: what dashboards count about calls, kept after the calls' details are gone.

A processed call is counted from its details (``calls``, ``scores``, ``criteria_results``,
``detections``, ``reviews``) while they exist. When its verdicts are deleted (retention or
erasure), ``fold`` first adds it, in the same transaction, to ``daily_aggregates`` and
``daily_criterion_aggregates`` (per day of the call, operator, team, queue, site and scorecard
version), and the call becomes a tombstone (status ``purged``) that the details no longer count.
``daily_call_stats`` and ``daily_criterion_stats`` add the folded counts to the live ones.

What "the aggregates stay correct" means here: for any period and grouping, these two
return exactly the same numbers before and after any retention pass or erasure (calls,
scored calls, score sums, flagged and escalated calls, audio seconds, and per criterion
the pass / fail / unknown / n.a. counts of current verdicts). Score and duration sums are
kept as decimals, so folding calls in parts gives the same sums, not nearly the same.
A call is counted exactly once: live (status processed) or folded (status purged), never
both, since the fold and the status change commit together.

A folded call's numbers are frozen: a review cannot change a verdict that no longer
exists. Erasure folds too: the aggregates hold no personal data (no call, customer or
text; a day, an operator and counts), so an erased customer's calls still count as calls
the operator handled. Only the aggregates' own term (``retention_aggregates_days``,
forever by default) removes folded counts.
"""

from __future__ import annotations

from datetime import date

import duckdb
import pandas as pd

from storage.current_verdicts import CALLS_WITH_CURRENT_SCORE, LATEST_REVIEW
from storage.db import now, one_row

GROUP = ("day", "operator_id", "team", "queue", "site", "scorecard_name", "scorecard_version")
CALL_MEASURES = ("calls", "scored_calls", "score_sum", "flagged", "escalated", "audio_s")
CRITERION_MEASURES = ("passed", "failed", "unknown", "na")

# One row per processed call matching {where}: its group and what is counted about it.
_CALL_FACTS = f"""
    SELECT CAST(coalesce(c.started_at, c.processed_at) AS DATE) AS day,
           coalesce(c.operator_id, '') AS operator_id, coalesce(c.team, '') AS team,
           coalesce(c.queue, '') AS queue, coalesce(c.site, '') AS site,
           coalesce(c.scorecard_name, '') AS scorecard_name,
           coalesce(c.scorecard_version, 0) AS scorecard_version,
           CAST(s.score AS DECIMAL(18, 6)) AS score, coalesce(len(s.flags), 0) > 0 AS flagged,
           EXISTS (SELECT 1 FROM detections d WHERE d.call_id = c.call_id AND d.kind = 'escalation'
                   AND d.scorecard_name = c.scorecard_name AND d.scorecard_version = c.scorecard_version) AS escalated,
           CAST(coalesce(c.duration_s, 0) AS DECIMAL(18, 3)) AS audio_s
    {CALLS_WITH_CURRENT_SCORE}
    WHERE c.status = 'processed' AND {{where}}
"""

_CALL_SUMS = """
    SELECT day, operator_id, team, queue, site, scorecard_name, scorecard_version,
           count(*) AS calls, count(score) AS scored_calls, coalesce(sum(score), 0) AS score_sum,
           count(*) FILTER (flagged) AS flagged, count(*) FILTER (escalated) AS escalated,
           coalesce(sum(audio_s), 0) AS audio_s
    FROM ({facts}) GROUP BY ALL
"""

# One row per (processed call matching {where}, criterion of its current scorecard): the verdict that counts.
_CRITERION_SUMS = f"""
    WITH latest_review AS ({LATEST_REVIEW})
    SELECT CAST(coalesce(c.started_at, c.processed_at) AS DATE) AS day,
           coalesce(c.operator_id, '') AS operator_id, coalesce(c.team, '') AS team,
           coalesce(c.queue, '') AS queue, coalesce(c.site, '') AS site, c.scorecard_name, c.scorecard_version,
           r.criterion_id,
           count(*) FILTER (coalesce(lr.verdict, r.result) = 'pass') AS passed,
           count(*) FILTER (coalesce(lr.verdict, r.result) = 'fail') AS failed,
           count(*) FILTER (coalesce(lr.verdict, r.result) = 'unknown') AS unknown,
           count(*) FILTER (coalesce(lr.verdict, r.result) = 'na') AS na
    FROM calls c
    JOIN criteria_results r ON r.call_id = c.call_id
         AND r.scorecard_name = c.scorecard_name AND r.scorecard_version = c.scorecard_version
    LEFT JOIN latest_review lr ON lr.call_id = c.call_id AND lr.criterion_id = r.criterion_id
    WHERE c.status = 'processed' AND {{where}}
    GROUP BY ALL
"""

_FOLDED = "c.call_id IN (SELECT unnest(?::VARCHAR[]))"
_PERIOD = (
    "CAST(coalesce(c.started_at, c.processed_at) AS DATE) >= ?"
    " AND CAST(coalesce(c.started_at, c.processed_at) AS DATE) < ?"
)


def _upsert(table: str, keys: tuple[str, ...], measures: tuple[str, ...]) -> str:
    cols = ", ".join((*keys, *measures))
    adds = ", ".join(f"{m} = {table}.{m} + EXCLUDED.{m}" for m in measures)
    return (f"INSERT INTO {table} ({cols}, updated_at) SELECT {cols}, ? FROM ({{sums}}) "
            f"ON CONFLICT ({', '.join(keys)}) DO UPDATE SET {adds}, updated_at = EXCLUDED.updated_at")


def fold(con: duckdb.DuckDBPyConnection, call_ids: list[str]) -> int:
    """Add these processed calls to the daily aggregates; the caller deletes their verdicts and marks
    them purged in the same transaction. Returns how many calls were folded (others are not processed)."""
    if not call_ids:
        return 0
    ts = now()
    calls = _CALL_SUMS.format(facts=_CALL_FACTS.format(where=_FOLDED))
    con.execute(_upsert("daily_aggregates", GROUP, CALL_MEASURES).format(sums=calls), [ts, call_ids])
    criteria = _CRITERION_SUMS.format(where=_FOLDED)
    con.execute(_upsert("daily_criterion_aggregates", (*GROUP, "criterion_id"), CRITERION_MEASURES)
                .format(sums=criteria), [ts, call_ids])
    folded = con.execute(f"SELECT count(*) FROM calls c WHERE c.status = 'processed' AND {_FOLDED}", [call_ids])
    return one_row(folded)[0]


def _combined(live: str, table: str, keys: tuple[str, ...], measures: tuple[str, ...]) -> str:
    sums = ", ".join(f"sum({m}) AS {m}" for m in measures)
    cols = ", ".join((*keys, *measures))
    return f"""
        SELECT {', '.join(keys)}, {sums}
        FROM (SELECT {cols} FROM ({live})
              UNION ALL
              SELECT {cols} FROM {table} WHERE day >= ? AND day < ?)
        GROUP BY ALL ORDER BY {', '.join(keys)}
    """


def daily_call_stats(con: duckdb.DuckDBPyConnection, since: date, until: date) -> pd.DataFrame:
    """Per day in [since, until) and group: calls, scored calls, score sum and mean, flagged and
    escalated calls, audio seconds; live calls and folded ones together."""
    live = _CALL_SUMS.format(facts=_CALL_FACTS.format(where=_PERIOD))
    df = con.execute(_combined(live, "daily_aggregates", GROUP, CALL_MEASURES), [since, until, since, until]).df()
    df["mean_score"] = (df["score_sum"].astype(float) / df["scored_calls"].where(df["scored_calls"] > 0)).astype(float)
    return df


def daily_criterion_stats(con: duckdb.DuckDBPyConnection, since: date, until: date) -> pd.DataFrame:
    """Per day in [since, until), group and criterion: passed, failed, unknown and n.a. current verdicts."""
    live = _CRITERION_SUMS.format(where=_PERIOD)
    keys = (*GROUP, "criterion_id")
    df = con.execute(_combined(live, "daily_criterion_aggregates", keys, CRITERION_MEASURES),
                     [since, until, since, until]).df()
    judged = (df["passed"] + df["failed"]).where(lambda n: n > 0)
    df["pass_rate"] = (df["passed"] / judged).astype(float)
    return df


def delete_before(con: duckdb.DuckDBPyConnection, day: date) -> dict[str, int]:
    """Drop folded counts of days before ``day`` (the aggregates' own term); rows deleted per table."""
    out = {}
    for table in ("daily_aggregates", "daily_criterion_aggregates"):
        out[table] = one_row(con.execute(f"SELECT count(*) FROM {table} WHERE day < ?", [day]))[0]
        if out[table]:
            con.execute(f"DELETE FROM {table} WHERE day < ?", [day])
    return out


def count_before(con: duckdb.DuckDBPyConnection, day: date) -> dict[str, int]:
    return {t: one_row(con.execute(f"SELECT count(*) FROM {t} WHERE day < ?", [day]))[0]
            for t in ("daily_aggregates", "daily_criterion_aggregates")}
