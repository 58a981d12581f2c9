"""Predicted satisfaction in DuckDB: which calls need a prediction, their inputs, the stored
predictions, and the reads the app draws.

A processed call needs a (new) prediction when it has none, when its prediction was made by
another model version, or when something it was made from changed after it: the call was
processed again, rescored (its current scorecard's ``scores.scored_at``), its outcome was
recomputed (``call_insights.computed_at``), or a reviewer flipped its roles. A call whose
transcript retention deleted keeps the prediction it has (its customer turns are gone); one
that never had a prediction gets one from the stored call-level sentiment (start and end of
the customer, the worst moment unknown).

Inputs: the customer's stored per-segment sentiment (``segments.sentiment``; after a role
flip, the segments labelled operator), the outcome (``call_insights``; none yet: unknown),
the distinct escalation categories under the call's current scorecard (``detections``), and
dead air, hold time, overtalk and handle time from ``call_analytics``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Sequence

import duckdb
import pandas as pd

from pipeline.insights.satisfaction import (
    OUTCOMES,
    CustomerTurn,
    SatisfactionInputs,
    SatisfactionPrediction,
    SentimentTrajectory,
    customer_trajectory,
    factors_from_json,
    turns_from_texts,
)
from storage.db import now

_IDS = "call_id IN (SELECT unnest(?::VARCHAR[]))"


def stale_calls(con: duckdb.DuckDBPyConnection, model_version: str, limit: int | None = None) -> list[str]:
    """Processed calls whose prediction is missing or older than what it was made from (module doc)."""
    rows = con.execute(
        f"""
        WITH flips AS (
            SELECT call_id, max(created_at) AS flipped_at FROM reviews WHERE action = 'flip_roles' GROUP BY call_id
        )
        SELECT c.call_id
        FROM calls c
        LEFT JOIN call_satisfaction s ON s.call_id = c.call_id
        LEFT JOIN call_insights i ON i.call_id = c.call_id
        LEFT JOIN scores sc ON sc.call_id = c.call_id AND sc.scorecard_name = c.scorecard_name
             AND sc.scorecard_version = c.scorecard_version
        LEFT JOIN flips f ON f.call_id = c.call_id
        WHERE c.status = 'processed' AND (
              s.call_id IS NULL
           OR (c.transcript_deleted_at IS NULL AND (
                  s.model_version <> ?
               OR i.computed_at > s.computed_at
               OR c.processed_at > s.computed_at
               OR sc.scored_at > s.computed_at
               OR f.flipped_at > s.computed_at)))
        ORDER BY c.call_id
        {"" if limit is None else f"LIMIT {int(limit)}"}
        """,
        [model_version],
    ).fetchall()
    return [r[0] for r in rows]


def _customer_turns(con: duckdb.DuckDBPyConnection, call_ids: list[str]) -> dict[str, list[CustomerTurn]]:
    rows = con.execute(
        f"""
        WITH flipped AS (SELECT call_id FROM reviews WHERE action = 'flip_roles' AND {_IDS}
                         GROUP BY call_id HAVING count(*) % 2 = 1)
        SELECT g.call_id, g.start_s, g.text, g.sentiment
        FROM segments g LEFT JOIN flipped f ON f.call_id = g.call_id
        WHERE g.{_IDS} AND g.sentiment IS NOT NULL
          AND g.speaker = CASE WHEN f.call_id IS NULL THEN 'customer' ELSE 'operator' END
        ORDER BY g.call_id, g.start_s
        """,
        [call_ids, call_ids],
    ).fetchall()
    out: dict[str, list[tuple[float, str, float]]] = {}
    for call_id, start_s, text, sentiment in rows:
        out.setdefault(call_id, []).append((float(start_s), text, float(sentiment)))
    return {call_id: list(turns_from_texts(items)) for call_id, items in out.items()}


def _escalations(con: duckdb.DuckDBPyConnection, call_ids: list[str]) -> dict[str, tuple[str, ...]]:
    rows = con.execute(
        f"""
        SELECT d.call_id, list(DISTINCT d.category ORDER BY d.category)
        FROM detections d JOIN calls c ON c.call_id = d.call_id
             AND c.scorecard_name = d.scorecard_name AND c.scorecard_version = d.scorecard_version
        WHERE d.kind = 'escalation' AND d.{_IDS}
        GROUP BY d.call_id
        """,
        [call_ids],
    ).fetchall()
    return {call_id: tuple(categories) for call_id, categories in rows}


def _num(value) -> float | None:
    return None if value is None else float(value)


def satisfaction_inputs(con: duckdb.DuckDBPyConnection, call_ids: Sequence[str]) -> list[SatisfactionInputs]:
    """The inputs of these calls' predictions (calls without stored analytics get unknown metrics)."""
    ids = list(call_ids)
    if not ids:
        return []
    turns = _customer_turns(con, ids)
    escalations = _escalations(con, ids)
    rows = con.execute(
        f"""
        SELECT c.call_id, i.outcome, a.dead_air_s, TRY_CAST(a.metrics->>'hold_s' AS DOUBLE), a.overtalk_s,
               a.handle_time_s, TRY_CAST(a.sentiment->>'customer_start' AS DOUBLE),
               TRY_CAST(a.sentiment->>'customer_end' AS DOUBLE), c.transcript_deleted_at IS NOT NULL
        FROM calls c LEFT JOIN call_insights i ON i.call_id = c.call_id
             LEFT JOIN call_analytics a ON a.call_id = c.call_id
        WHERE c.{_IDS}
        ORDER BY c.call_id
        """,
        [ids],
    ).fetchall()
    out = []
    for call_id, outcome, dead_air, hold, overtalk, handle, start, end, transcript_gone in rows:
        trajectory = customer_trajectory(turns.get(call_id, []))
        if trajectory is None and transcript_gone and start is not None and end is not None:
            trajectory = SentimentTrajectory(start=start, end=end, low=None, turns=None)
        out.append(SatisfactionInputs(
            # An outcome this model has no weight for (a newer taxonomy) counts as unknown rather than failing the step.
            call_id=call_id, trajectory=trajectory, outcome=outcome if outcome in OUTCOMES else None,
            escalations=escalations.get(call_id, ()),
            dead_air_s=_num(dead_air), hold_s=_num(hold), overtalk_s=_num(overtalk), handle_time_s=_num(handle),
        ))
    return out


def store_predictions(con: duckdb.DuckDBPyConnection, predictions: Sequence[SatisfactionPrediction],
                      computed_at: datetime | None = None) -> int:
    """Insert or replace these predictions, in one transaction."""
    if not predictions:
        return 0
    stamp = computed_at or now()
    con.execute("BEGIN TRANSACTION")
    try:
        # One statement over parallel lists (unnest zips them): executemany costs milliseconds per row.
        con.execute(
            """
            INSERT INTO call_satisfaction (call_id, model_version, predicted, factors, computed_at)
            SELECT unnest(?::VARCHAR[]), unnest(?::VARCHAR[]), unnest(?::DOUBLE[]), unnest(?::VARCHAR[])::JSON, ?
            ON CONFLICT (call_id) DO UPDATE SET model_version = excluded.model_version, predicted = excluded.predicted,
                factors = excluded.factors, computed_at = excluded.computed_at
            """,
            [[p.call_id for p in predictions], [p.model_version for p in predictions],
             [p.predicted for p in predictions], [json.dumps(p.factors_json()) for p in predictions], stamp],
        )
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    return len(predictions)


# ---- reads for the app and the command line -------------------------------------------------


@dataclass(frozen=True)
class StoredPrediction:
    call_id: str
    predicted: float
    model_version: str
    factors: tuple  # pipeline.insights.satisfaction.Factor, in stored order
    computed_at: datetime
    surveyed: int | None  # an imported CSAT, if any


def call_prediction(con: duckdb.DuckDBPyConnection, call_id: str) -> StoredPrediction | None:
    row = con.execute(
        "SELECT s.predicted, s.model_version, s.factors, s.computed_at, q.score FROM call_satisfaction s "
        "LEFT JOIN csat q ON q.call_id = s.call_id WHERE s.call_id = ?",
        [call_id],
    ).fetchone()
    if row is None:
        return None
    return StoredPrediction(call_id, float(row[0]), row[1], factors_from_json(json.loads(row[2])), row[3],
                            None if row[4] is None else int(row[4]))


def period_where(since: datetime | None, until: datetime | None, teams: tuple[str, ...]) -> tuple[str, list[object]]:
    """SQL condition and parameters on ``calls c``: processed, call time in [since, until), in these teams."""
    clauses: list[str] = ["c.status = 'processed'"]
    params: list[object] = []
    if since is not None:
        clauses.append("c.started_at >= ?")
        params.append(since)
    if until is not None:
        clauses.append("c.started_at < ?")
        params.append(until)
    if teams:
        clauses.append("c.team IN (SELECT unnest(?::VARCHAR[]))")
        params.append(list(teams))
    return " AND ".join(clauses), params


def distribution(con: duckdb.DuckDBPyConnection, since: datetime | None = None, until: datetime | None = None,
                 teams: tuple[str, ...] = ()) -> pd.DataFrame:
    """Calls per team and rounded predicted grade (1..5): team, grade, calls, team_mean (the team's mean prediction)."""
    where, params = period_where(since, until, teams)
    return con.execute(
        f"""
        WITH graded AS (
            SELECT coalesce(c.team, '(no team)') AS team, s.predicted,
                   CAST(least(5, greatest(1, floor(s.predicted + 0.5))) AS INTEGER) AS grade
            FROM calls c JOIN call_satisfaction s ON s.call_id = c.call_id
            WHERE {where})
        SELECT g.team, g.grade, count(*) AS calls, any_value(t.team_mean) AS team_mean
        FROM graded g JOIN (SELECT team, avg(predicted) AS team_mean FROM graded GROUP BY team) t ON t.team = g.team
        GROUP BY g.team, g.grade ORDER BY g.team, g.grade
        """,
        params,
    ).df()


def weekly_mean(con: duckdb.DuckDBPyConnection, since: datetime | None = None, until: datetime | None = None,
                teams: tuple[str, ...] = ()) -> pd.DataFrame:
    """Mean predicted satisfaction per team and week (of the call time): team, week, calls, mean_predicted."""
    where, params = period_where(since, until, teams)
    return con.execute(
        f"""
        SELECT coalesce(c.team, '(no team)') AS team, date_trunc('week', c.started_at) AS week,
               count(*) AS calls, avg(s.predicted) AS mean_predicted
        FROM calls c JOIN call_satisfaction s ON s.call_id = c.call_id
        WHERE {where} AND c.started_at IS NOT NULL
        GROUP BY ALL ORDER BY week, team
        """,
        params,
    ).df()


def lowest_calls(con: duckdb.DuckDBPyConnection, since: datetime | None = None, until: datetime | None = None,
                 teams: tuple[str, ...] = (), limit: int = 20) -> pd.DataFrame:
    """The calls with the lowest predictions: call_id, file_name, operator_id, team, started_at, predicted,
    factors (JSON text), csat."""
    where, params = period_where(since, until, teams)
    return con.execute(
        f"""
        SELECT c.call_id, c.file_name, c.operator_id, c.team, c.started_at, s.predicted, s.factors, q.score AS csat
        FROM calls c JOIN call_satisfaction s ON s.call_id = c.call_id LEFT JOIN csat q ON q.call_id = c.call_id
        WHERE {where}
        ORDER BY s.predicted, c.started_at DESC NULLS LAST, c.call_id
        LIMIT ?
        """,
        [*params, int(limit)],
    ).df()
