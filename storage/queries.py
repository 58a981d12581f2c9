"""Reading: counts for the CLI, call details and runs for the app (the queue: ``storage.review_queue``)."""

from __future__ import annotations

import json
from dataclasses import dataclass

import duckdb
import pandas as pd

from storage.current_verdicts import CALLS_WITH_CURRENT_SCORE
from storage.db import one_row


@dataclass(frozen=True)
class Stats:
    calls: int
    processed: int
    quarantined: int
    failed: int
    criteria_results: int
    reviews: int

    def to_json(self) -> dict:
        return self.__dict__.copy()


def stats(con: duckdb.DuckDBPyConnection) -> Stats:
    row = one_row(con.execute(
        """
        SELECT
            (SELECT count(*) FROM calls),
            (SELECT count(*) FROM calls WHERE status = 'processed'),
            (SELECT count(*) FROM calls WHERE status = 'quarantined'),
            (SELECT count(*) FROM calls WHERE status = 'failed'),
            (SELECT count(*) FROM criteria_results),
            (SELECT count(*) FROM reviews)
        """
    ))
    return Stats(*[int(v) for v in row])


def problem_calls(con: duckdb.DuckDBPyConnection, limit: int = 100) -> pd.DataFrame:
    return con.execute(
        "SELECT call_id, file_name, source_path, status, error, processed_at FROM calls "
        "WHERE status NOT IN ('processed', 'purged') ORDER BY processed_at DESC LIMIT ?",
        [limit],
    ).df()


def call_detail(con: duckdb.DuckDBPyConnection, call_id: str) -> dict | None:
    df = con.execute(
        f"""
        SELECT c.*, s.score, s.flags
        {CALLS_WITH_CURRENT_SCORE}
        WHERE c.call_id = ?
        """,
        [call_id],
    ).df()
    return None if df.empty else df.iloc[0].to_dict()


def call_segments(con: duckdb.DuckDBPyConnection, call_id: str) -> pd.DataFrame:
    return con.execute(
        "SELECT idx, speaker, channel, start_s, end_s, text, asr_confidence, speaker_confidence, sentiment "
        "FROM segments WHERE call_id = ? ORDER BY idx",
        [call_id],
    ).df()


def call_criteria(con: duckdb.DuckDBPyConnection, call_id: str) -> pd.DataFrame:
    """The current scorecard's verdicts, each with its latest reviewer verdict (if any)."""
    return con.execute(
        """
        WITH latest AS (
            SELECT criterion_id, verdict, comment, reviewer, created_at,
                   row_number() OVER (PARTITION BY criterion_id ORDER BY created_at DESC) AS n
            FROM reviews
            WHERE call_id = ? AND criterion_id IS NOT NULL AND action IN ('confirm', 'override')
        )
        SELECT r.criterion_id, r.result, r.method, r.confidence, r.weight, r.critical, r.reason,
               r.evidence_text, r.evidence_start, r.evidence_end,
               l.verdict AS review_verdict, l.comment AS review_comment, l.reviewer, l.created_at AS reviewed_at
        FROM criteria_results r
        JOIN calls c ON c.call_id = r.call_id
             AND c.scorecard_name = r.scorecard_name AND c.scorecard_version = r.scorecard_version
        LEFT JOIN latest l ON l.criterion_id = r.criterion_id AND l.n = 1
        WHERE r.call_id = ?
        ORDER BY r.criterion_id
        """,
        [call_id, call_id],
    ).df()


def call_reviews(con: duckdb.DuckDBPyConnection, call_id: str) -> pd.DataFrame:
    return con.execute(
        "SELECT criterion_id, action, verdict, comment, reviewer, created_at FROM reviews "
        "WHERE call_id = ? ORDER BY created_at",
        [call_id],
    ).df()


def recent_runs(con: duckdb.DuckDBPyConnection, limit: int = 20) -> pd.DataFrame:
    return con.execute("SELECT * FROM runs ORDER BY started_at DESC LIMIT ?", [limit]).df()


def call_pii_spans(con: duckdb.DuckDBPyConnection, call_id: str) -> pd.DataFrame:
    """Where personal data was masked in the call: the player mutes these moments."""
    return con.execute(
        "SELECT idx, kind, segment_idx, start_s, end_s FROM pii_spans WHERE call_id = ? ORDER BY start_s", [call_id]
    ).df()


def call_analytics(con: duckdb.DuckDBPyConnection, call_id: str) -> dict | None:
    """The call's conversation metrics and sentiment summary (JSON objects), if measured."""
    row = con.execute("SELECT metrics, sentiment FROM call_analytics WHERE call_id = ?", [call_id]).fetchone()
    if row is None:
        return None
    return {"metrics": json.loads(row[0]) if row[0] else None, "sentiment": json.loads(row[1]) if row[1] else None}


def call_detections(con: duckdb.DuckDBPyConnection, call_id: str) -> pd.DataFrame:
    """Escalations heard in the call, under its current scorecard."""
    return con.execute(
        """
        SELECT d.kind, d.category, d.method, d.confidence, d.evidence_text, d.evidence_start, d.evidence_end
        FROM detections d JOIN calls c ON c.call_id = d.call_id
             AND c.scorecard_name = d.scorecard_name AND c.scorecard_version = d.scorecard_version
        WHERE d.call_id = ? ORDER BY d.evidence_start
        """,
        [call_id],
    ).df()


def run_problems(con: duckdb.DuckDBPyConnection, run_id: str) -> pd.DataFrame:
    """The recordings a run quarantined or failed, and the inbox entries it could not read, with their reasons."""
    return con.execute(
        "SELECT file_name, status, error, source_path, processed_at FROM calls "
        "WHERE run_id = ? AND status NOT IN ('processed', 'purged') "
        "UNION ALL SELECT regexp_extract(path, '[^/]*$'), 'unreadable', reason, path, seen_at "
        "FROM unreadable_entries WHERE run_id = ? ORDER BY file_name",
        [run_id, run_id],
    ).df()
