"""Writing calls: analyses, quarantined and failed recordings, runs, reviews.

Every write for one call happens in one transaction and replaces that call's
previous rows, so a rerun never duplicates a call and a crash never leaves
half of one. Reviews are append-only and never touched by reprocessing.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import duckdb

from pipeline.records import CallAnalysis
from storage.db import now

CallStatus = Literal["processed", "quarantined", "failed"]
PIPELINE_VERSION = "1"


@dataclass(frozen=True)
class SourceFile:
    path: str
    sha256: str
    call_id: str
    size: int

    @property
    def name(self) -> str:
        return Path(self.path).name


def _upsert_call(con: duckdb.DuckDBPyConnection, source: SourceFile, status: CallStatus, error: str | None, run_id: str | None, **fields) -> None:
    ts = now()
    row = con.execute("SELECT attempts FROM calls WHERE call_id = ?", [source.call_id]).fetchone()
    attempts = (row[0] if row else 0) + 1
    values = dict(
        content_sha256=source.sha256,
        source_path=source.path,
        file_name=source.name,
        file_size=source.size,
        status=status,
        error=error,
        attempts=attempts,
        processed_at=ts,
        run_id=run_id,
        **fields,
    )
    if row is None:
        cols = ["call_id", "first_seen_at", *values]
        con.execute(
            f"INSERT INTO calls ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})",
            [source.call_id, ts, *values.values()],
        )
    else:
        assignments = ", ".join(f"{c} = ?" for c in values)
        con.execute(f"UPDATE calls SET {assignments} WHERE call_id = ?", [*values.values(), source.call_id])


def save_analysis(con: duckdb.DuckDBPyConnection, source: SourceFile, analysis: CallAnalysis, run_id: str | None = None) -> None:
    ts = now()
    con.execute("BEGIN TRANSACTION")
    try:
        _upsert_call(
            con,
            source,
            "processed",
            None,
            run_id,
            duration_s=analysis.duration_s,
            channels=analysis.channels,
            sample_rate=analysis.sample_rate,
            language=analysis.language,
            asr_model=analysis.transcript.asr_model,
            speaker_method=analysis.transcript.speaker_method,
            asr_confidence=analysis.transcript.asr_confidence,
            scorecard_name=analysis.scorecard_name,
            scorecard_version=analysis.scorecard_version,
            pipeline_version=PIPELINE_VERSION,
        )
        con.execute("DELETE FROM segments WHERE call_id = ?", [source.call_id])
        if analysis.segments:
            con.executemany(
                "INSERT INTO segments VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    [source.call_id, i, s.speaker, s.channel, s.start, s.end, s.text, s.asr_confidence, s.speaker_confidence]
                    for i, s in enumerate(analysis.segments)
                ],
            )
        key = [source.call_id, analysis.scorecard_name, analysis.scorecard_version]
        con.execute(
            "DELETE FROM criteria_results WHERE call_id = ? AND scorecard_name = ? AND scorecard_version = ?", key
        )
        con.executemany(
            "INSERT INTO criteria_results VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                [
                    *key,
                    c.id,
                    c.result,
                    c.method,
                    c.confidence,
                    c.weight,
                    c.critical,
                    c.reason or None,
                    c.evidence.text if c.evidence else None,
                    c.evidence.start if c.evidence else None,
                    c.evidence.end if c.evidence else None,
                    c.evidence.speaker if c.evidence else None,
                    ts,
                ]
                for c in analysis.criteria
            ],
        )
        con.execute("DELETE FROM scores WHERE call_id = ? AND scorecard_name = ? AND scorecard_version = ?", key)
        con.execute("INSERT INTO scores VALUES (?, ?, ?, ?, ?, ?)", [*key, analysis.score.value, list(analysis.score.flags), ts])
        con.execute("COMMIT")
    except Exception:
        con.execute("ROLLBACK")
        raise


def save_problem(con: duckdb.DuckDBPyConnection, source: SourceFile, status: CallStatus, reason: str, run_id: str | None = None) -> None:
    """Record a quarantined (bad input) or failed (internal error) recording; earlier results stay."""
    con.execute("BEGIN TRANSACTION")
    try:
        _upsert_call(con, source, status, reason, run_id)
        con.execute("COMMIT")
    except Exception:
        con.execute("ROLLBACK")
        raise


def call_statuses(con: duckdb.DuckDBPyConnection, call_ids: list[str]) -> dict[str, str]:
    if not call_ids:
        return {}
    rows = con.execute("SELECT call_id, status FROM calls WHERE call_id IN (SELECT unnest(?))", [call_ids]).fetchall()
    return dict(rows)


def start_run(con: duckdb.DuckDBPyConnection, flow: str, inbox: str | None) -> str:
    run_id = uuid.uuid4().hex[:12]
    con.execute(
        "INSERT INTO runs (run_id, flow, inbox, started_at, status) VALUES (?, ?, ?, ?, 'running')", [run_id, flow, inbox, now()]
    )
    return run_id


def finish_run(con: duckdb.DuckDBPyConnection, run_id: str, status: str, **counts: float) -> None:
    allowed = {"discovered", "new_calls", "processed", "quarantined", "failed", "skipped", "audio_s", "wall_s"}
    unknown = set(counts) - allowed
    if unknown:
        raise ValueError(f"unknown run counters: {sorted(unknown)}")
    assignments = ", ".join(f"{k} = ?" for k in counts)
    sep = ", " if counts else ""
    con.execute(
        f"UPDATE runs SET status = ?, finished_at = ?{sep}{assignments} WHERE run_id = ?",
        [status, now(), *counts.values(), run_id],
    )


def add_review(
    con: duckdb.DuckDBPyConnection,
    call_id: str,
    reviewer: str,
    action: Literal["confirm", "override", "comment", "reviewed"],
    criterion_id: str | None = None,
    verdict: str | None = None,
    comment: str | None = None,
) -> str:
    if action in ("confirm", "override") and verdict not in ("pass", "fail", "na"):
        raise ValueError("confirm/override needs a verdict: pass, fail or na")
    if con.execute("SELECT 1 FROM calls WHERE call_id = ?", [call_id]).fetchone() is None:
        raise KeyError(f"no call {call_id}")
    review_id = uuid.uuid4().hex
    con.execute(
        "INSERT INTO reviews VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        [review_id, call_id, criterion_id, action, verdict, comment, reviewer, now()],
    )
    return review_id
