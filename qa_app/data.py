"""The app's access to the database: cached reads and short writes, all through ``storage``.

Every read opens a short-lived read-only connection, so the nightly flow can
take the write lock between page loads; results are cached for a short while
and the cache is cleared after every write. Pages call these functions and
only draw what they return.
"""

from __future__ import annotations

import math
import os
import threading
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Iterator, Literal

import duckdb
import pandas as pd
import streamlit as st

from storage import calls, queries
from storage.db import connect

DB_ENV = "CALLQA_DB"
DEFAULT_REVIEWER = "local-admin"
PAGE_SIZE = 100
CACHE_TTL_S = 30
# How long a page waits for the nightly flow to release the database.
LOCK_WAIT_S = 10.0
VERDICTS: tuple[str, ...] = ("pass", "fail", "na")

# One connection at a time in this process: DuckDB refuses a read-only and a
# read-write connection to the same file at once within one process, and the
# app serves several browser sessions from threads.
_CONNECTION_LOCK = threading.Lock()


class DatabaseUnavailable(RuntimeError):
    """The database is not configured, missing, unreadable or busy; the message says which."""


@dataclass(frozen=True)
class CallView:
    call_id: str
    file_name: str
    source_path: str
    status: str
    error: str | None
    duration_s: float | None
    channels: int | None
    language: str | None
    score: float | None
    flags: tuple[str, ...]
    processed_at: datetime | None
    asr_model: str | None
    speaker_method: str | None
    asr_confidence: float | None
    scorecard_name: str | None
    scorecard_version: int | None

    @property
    def audio_exists(self) -> bool:
        return Path(self.source_path).is_file()


@dataclass(frozen=True)
class SegmentView:
    idx: int
    speaker: str
    start: float
    end: float
    text: str
    asr_confidence: float | None


@dataclass(frozen=True)
class Evidence:
    text: str
    start: float | None
    end: float | None


@dataclass(frozen=True)
class ReviewerVerdict:
    verdict: str
    comment: str | None
    reviewer: str
    created_at: datetime


@dataclass(frozen=True)
class CriterionView:
    id: str
    result: str  # the automatic verdict: pass | fail | unknown | na
    method: str
    confidence: float | None
    weight: float | None
    critical: bool
    reason: str | None
    evidence: Evidence | None
    review: ReviewerVerdict | None  # the latest confirm/override, if any


@dataclass(frozen=True)
class LastRun:
    started_at: datetime
    finished_at: datetime | None
    status: str
    processed: int
    quarantined: int
    failed: int


def _value(v):
    """None for SQL NULLs that pandas turned into NaN/NaT/None."""
    if v is None:
        return None
    if isinstance(v, float) and math.isnan(v):
        return None
    if v is pd.NaT:
        return None
    return v


def _timestamp(v) -> datetime | None:
    v = _value(v)
    return v.to_pydatetime() if isinstance(v, pd.Timestamp) else v


def database_path() -> Path:
    """The database named by $CALLQA_DB; raises ``DatabaseUnavailable`` with a message for people."""
    value = os.environ.get(DB_ENV, "").strip()
    if not value:
        raise DatabaseUnavailable(
            f"No database configured: set {DB_ENV} to the DuckDB file, or start the app with `callqa app --db PATH`."
        )
    path = Path(value).expanduser()
    if not path.is_file():
        raise DatabaseUnavailable(
            f"Database {path} does not exist yet: run `callqa run` to process the recordings, then reload this page."
        )
    return path


@contextmanager
def _connection(db: str, read_only: bool) -> Iterator[duckdb.DuckDBPyConnection]:
    with _CONNECTION_LOCK:
        try:
            with connect(db, read_only=read_only, timeout_s=LOCK_WAIT_S) as con:
                yield con
        except FileNotFoundError as err:
            raise DatabaseUnavailable(str(err)) from err
        except duckdb.Error as err:
            text = " ".join(str(err).split())
            if "lock" in text.lower():
                raise DatabaseUnavailable(
                    f"Database {db} is busy (the nightly run is writing to it); reload the page in a moment."
                ) from err
            raise DatabaseUnavailable(f"Cannot read database {db}: {text}") from err


# ---- reads (cached) --------------------------------------------------------------------------


@st.cache_data(ttl=CACHE_TTL_S, show_spinner=False)
def queue(db: str, flagged_only: bool, limit: int = PAGE_SIZE, offset: int = 0) -> pd.DataFrame:
    """One page of the review queue, worst first (see ``storage.queries.review_queue``)."""
    with _connection(db, read_only=True) as con:
        return queries.review_queue(con, flagged_only=flagged_only, limit=limit, offset=offset)


@st.cache_data(ttl=CACHE_TTL_S, show_spinner=False)
def queue_size(db: str, flagged_only: bool) -> int:
    with _connection(db, read_only=True) as con:
        return queries.queue_size(con, flagged_only=flagged_only)


@st.cache_data(ttl=CACHE_TTL_S, show_spinner=False)
def problem_calls(db: str, limit: int = 100) -> pd.DataFrame:
    with _connection(db, read_only=True) as con:
        return queries.problem_calls(con, limit=limit)


@st.cache_data(ttl=CACHE_TTL_S, show_spinner=False)
def last_run(db: str) -> LastRun | None:
    with _connection(db, read_only=True) as con:
        runs = queries.recent_runs(con, limit=1)
    if runs.empty:
        return None
    row = runs.iloc[0]
    return LastRun(
        started_at=_timestamp(row["started_at"]),
        finished_at=_timestamp(row["finished_at"]),
        status=str(row["status"]),
        processed=int(_value(row["processed"]) or 0),
        quarantined=int(_value(row["quarantined"]) or 0),
        failed=int(_value(row["failed"]) or 0),
    )


@st.cache_data(ttl=CACHE_TTL_S, show_spinner=False)
def call(db: str, call_id: str) -> CallView | None:
    with _connection(db, read_only=True) as con:
        row = queries.call_detail(con, call_id)
    if row is None:
        return None
    flags = _value(row.get("flags"))
    return CallView(
        call_id=row["call_id"],
        file_name=row["file_name"],
        source_path=row["source_path"],
        status=row["status"],
        error=_value(row["error"]),
        duration_s=_value(row["duration_s"]),
        channels=None if _value(row["channels"]) is None else int(row["channels"]),
        language=_value(row["language"]),
        score=_value(row["score"]),
        flags=tuple(flags) if flags is not None else (),
        processed_at=_timestamp(row["processed_at"]),
        asr_model=_value(row["asr_model"]),
        speaker_method=_value(row["speaker_method"]),
        asr_confidence=_value(row["asr_confidence"]),
        scorecard_name=_value(row["scorecard_name"]),
        scorecard_version=None if _value(row["scorecard_version"]) is None else int(row["scorecard_version"]),
    )


@st.cache_data(ttl=CACHE_TTL_S, show_spinner=False)
def segments(db: str, call_id: str) -> list[SegmentView]:
    with _connection(db, read_only=True) as con:
        df = queries.call_segments(con, call_id)
    return [
        SegmentView(
            idx=int(r.idx),
            speaker=r.speaker,
            start=float(r.start_s),
            end=float(r.end_s),
            text=r.text,
            asr_confidence=_value(r.asr_confidence),
        )
        for r in df.itertuples(index=False)
    ]


@st.cache_data(ttl=CACHE_TTL_S, show_spinner=False)
def criteria(db: str, call_id: str) -> list[CriterionView]:
    with _connection(db, read_only=True) as con:
        df = queries.call_criteria(con, call_id)
    out = []
    for r in df.itertuples(index=False):
        evidence_text = _value(r.evidence_text)
        review_verdict = _value(r.review_verdict)
        out.append(
            CriterionView(
                id=r.criterion_id,
                result=r.result,
                method=r.method,
                confidence=_value(r.confidence),
                weight=_value(r.weight),
                critical=bool(_value(r.critical) or False),
                reason=_value(r.reason),
                evidence=None
                if evidence_text is None
                else Evidence(evidence_text, _value(r.evidence_start), _value(r.evidence_end)),
                review=None
                if review_verdict is None
                else ReviewerVerdict(review_verdict, _value(r.review_comment), r.reviewer, _timestamp(r.reviewed_at)),
            )
        )
    return out


@st.cache_data(ttl=CACHE_TTL_S, show_spinner=False)
def reviews(db: str, call_id: str) -> pd.DataFrame:
    """Every review of the call, oldest first (the audit trail)."""
    with _connection(db, read_only=True) as con:
        return queries.call_reviews(con, call_id)


# ---- writes ----------------------------------------------------------------------------------


def clear_cache() -> None:
    for fn in (queue, queue_size, problem_calls, last_run, call, segments, criteria, reviews):
        fn.clear()


def review_action(auto_result: str, verdict: str) -> Literal["confirm", "override"]:
    """A reviewer who agrees with the automatic verdict confirms it; otherwise they override it."""
    return "confirm" if verdict == auto_result else "override"


def save_verdict(
    db: str, call_id: str, criterion_id: str, auto_result: str, verdict: str, reviewer: str, comment: str | None = None
) -> str:
    """Store a reviewer's verdict on one criterion; returns the review id."""
    if verdict not in VERDICTS:
        raise ValueError(f"verdict must be one of {', '.join(VERDICTS)}, not {verdict!r}")
    with _connection(db, read_only=False) as con:
        review_id = calls.add_review(
            con,
            call_id,
            reviewer,
            review_action(auto_result, verdict),
            criterion_id=criterion_id,
            verdict=verdict,
            comment=(comment or "").strip() or None,
        )
    clear_cache()
    return review_id


def mark_reviewed(db: str, call_id: str, reviewer: str, comment: str | None = None) -> str:
    with _connection(db, read_only=False) as con:
        review_id = calls.add_review(con, call_id, reviewer, "reviewed", comment=(comment or "").strip() or None)
    clear_cache()
    return review_id


def reviewer_name() -> str:
    return (st.session_state.get("reviewer") or "").strip() or DEFAULT_REVIEWER
