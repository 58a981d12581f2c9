"""One call as the review pages show it, and the nightly run's last outcome: typed records built from
the stored rows (SQL NULLs, which pandas turns into NaN/NaT, become None).

Each function reads on its own short connection (usecases.shared_database); the app caches them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import cast

import duckdb
import pandas as pd

from storage import calls, phrase_hits, queries
from usecases.shared_database import connection


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
    purge_reason: str | None = None  # a tombstone's: retention | erasure

    @property
    def audio_exists(self) -> bool:
        return Path(self.source_path).is_file()


@dataclass(frozen=True)
class SegmentView:
    idx: int
    speaker: str  # as the reviewers last set it (a role flip swaps operator and customer; set_speaker one line)
    start: float
    end: float
    text: str
    asr_confidence: float | None
    sentiment: float | None = None


@dataclass(frozen=True)
class Evidence:
    text: str
    start: float | None
    end: float | None


@dataclass(frozen=True)
class PhraseHitView:
    """One forbidden phrase (or escalation) heard: its category, the words and where they were said."""

    criterion_id: str  # no_forbidden_phrases | escalation
    category: str
    phrase: str  # the scorecard's phrase it matched
    text: str | None  # the words said (None once retention deleted the transcript)
    start: float
    end: float
    segment_idx: int | None  # the transcript segment holding it
    char_start: int | None  # where the words sit in that segment's text
    char_end: int | None
    method: str


@dataclass(frozen=True)
class ReviewerVerdict:
    verdict: str
    comment: str | None
    reviewer: str
    created_at: datetime
    pending: bool = False  # journalled, not yet in the database


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
    # Every phrase behind the verdict (forbidden phrases), in time order; empty for other criteria.
    hits: tuple[PhraseHitView, ...] = ()


@dataclass(frozen=True)
class LastRun:
    started_at: datetime
    finished_at: datetime | None
    status: str
    processed: int
    quarantined: int
    failed: int


def _value(v):
    """None for SQL NULLs that pandas turned into NaN/NaT/NA/None."""
    if v is None or v is pd.NA:
        return None
    if isinstance(v, float) and math.isnan(v):
        return None
    if v is pd.NaT:
        return None
    return v


def _timestamp(v) -> datetime | None:
    v = _value(v)
    return v.to_pydatetime() if isinstance(v, pd.Timestamp) else v


def last_run(db: str) -> LastRun | None:
    with connection(db, read_only=True) as con:
        runs = queries.recent_runs(con, limit=1)
    if runs.empty:
        return None
    row = runs.iloc[0]
    return LastRun(
        started_at=cast(datetime, _timestamp(row["started_at"])),  # NOT NULL: a run row is written at its start
        finished_at=_timestamp(row["finished_at"]),
        status=str(row["status"]),
        processed=int(_value(row["processed"]) or 0),
        quarantined=int(_value(row["quarantined"]) or 0),
        failed=int(_value(row["failed"]) or 0),
    )


def call(db: str, call_id: str) -> CallView | None:
    with connection(db, read_only=True) as con:
        return call_on(con, call_id)


def call_on(con: duckdb.DuckDBPyConnection, call_id: str) -> CallView | None:
    """``call`` on a connection the caller holds (the REST API reads a call's parts on one)."""
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
        purge_reason=_value(row.get("purge_reason")),
    )


def segments(db: str, call_id: str) -> list[SegmentView]:
    with connection(db, read_only=True) as con:
        df = queries.call_segments(con, call_id)
        roles = calls.speaker_roles(con, call_id)  # whole-call flips and utterances set one by one
    return [
        SegmentView(
            idx=int(r.idx),
            speaker=roles.speaker(int(r.idx), r.speaker),
            start=float(r.start_s),
            end=float(r.end_s),
            text=r.text,
            asr_confidence=_value(r.asr_confidence),
            sentiment=_value(r.sentiment),
        )
        for r in df.itertuples(index=False)
    ]


def phrase_hits_of(db: str, call_id: str) -> list[PhraseHitView]:
    """Every forbidden phrase and escalation heard in the call (current scorecard), in time order."""
    with connection(db, read_only=True) as con:
        stored = phrase_hits.call_hits(con, call_id)
    return [_hit_view(h) for h in stored]


def _hit_view(h: phrase_hits.StoredHit) -> PhraseHitView:
    return PhraseHitView(h.criterion_id, h.category, h.phrase, h.text, h.start, h.end, h.segment_idx, h.char_start,
                         h.char_end, h.method)


def criteria(db: str, call_id: str) -> list[CriterionView]:
    with connection(db, read_only=True) as con:
        return criteria_on(con, call_id)


def criteria_on(con: duckdb.DuckDBPyConnection, call_id: str) -> list[CriterionView]:
    """``criteria`` on a connection the caller holds."""
    df = queries.call_criteria(con, call_id)
    stored_hits = phrase_hits.call_hits(con, call_id)
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
                else ReviewerVerdict(review_verdict, _value(r.review_comment), r.reviewer,
                                     cast(datetime, _timestamp(r.reviewed_at))),  # a review has its time
                hits=tuple(_hit_view(h) for h in stored_hits if h.criterion_id == r.criterion_id),
            )
        )
    return out
