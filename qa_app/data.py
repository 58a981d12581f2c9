"""The app's access to the database: cached reads and short writes, all through ``storage``.

Every read opens a short-lived read-only connection, so the nightly flow can
take the write lock between page loads; results are cached for a short while
and the cache is cleared after every write. A write that cannot get the lock in
``WRITE_WAIT_S`` (the flow is loading) goes to the journal (``storage.pending``)
and is applied by the next writer, so a reviewer's verdict is never lost; the
pages show journalled reviews as saved. Pages call these functions and only draw
what they return.
"""

from __future__ import annotations

import math
import os
import threading
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Iterator, Literal

import duckdb
import pandas as pd
import streamlit as st

from pipeline.stats.group_comparison import GroupComparison
from qa_app import ui
from reporting.cells import csv_cell
from reporting.files import StoredReport, list_reports
from reporting.model import ReportPeriod
from storage import calibration, calls, coaching, dashboards, insights, pending, queries, retention, review_queue, scrub, training
from storage import comparison as group_comparison
from storage import csat as surveys
from storage import satisfaction
from storage import search as transcript_search
from pipeline.insights.csat_agreement import CsatAgreement
from pipeline.insights.csat_agreement import agreement as agreement_of_pairs  # data.agreement is the reviewers'
from pipeline.insights.reason_discovery import DiscoveredReason, discover_reasons
from pipeline.insights.taxonomy import Taxonomy, TaxonomyError, load_taxonomy
from storage.db import PROCESS_LOCK, connect, now
from storage.insights import StoredInsight
from storage.review_queue import FilterOptions, QueueFilter, Sort
from storage.search import IndexStatus, SearchFilter, SearchResults, SearchUnavailable

DB_ENV = "CALLQA_DB"
PAGE_SIZE = 100
CACHE_TTL_S = 30
# How long a page waits for the nightly flow to release the database.
LOCK_WAIT_S = 10.0
# How long a save waits before journalling the write instead.
WRITE_WAIT_S = 3.0
VERDICTS: tuple[str, ...] = ("pass", "fail", "na")

# One connection at a time in this process: DuckDB refuses a read-only and a
# read-write connection to the same file at once within one process, and the
# app serves several browser sessions from threads. Shared with the login (qa_app.auth).
_CONNECTION_LOCK = PROCESS_LOCK


class DatabaseUnavailable(RuntimeError):
    """The database is not configured, missing, unreadable or busy; the message says which."""


class DatabaseBusy(DatabaseUnavailable):
    """Another process (the nightly flow) holds the database's write lock."""


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
    speaker: str  # as the reviewers last set it (a role flip swaps operator and customer)
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
def _connection(db: str, read_only: bool, wait_s: float = LOCK_WAIT_S) -> Iterator[duckdb.DuckDBPyConnection]:
    with _CONNECTION_LOCK:
        try:
            with connect(db, read_only=read_only, timeout_s=wait_s) as con:
                yield con
        except FileNotFoundError as err:
            raise DatabaseUnavailable(str(err)) from err
        except duckdb.Error as err:
            text = " ".join(str(err).split())
            if "lock" in text.lower():
                raise DatabaseBusy(
                    f"Database {db} is busy (the nightly run is writing to it); reload the page in a moment."
                ) from err
            raise DatabaseUnavailable(f"Cannot read database {db}: {text}") from err


# ---- following erasures ----------------------------------------------------------------------

# The database's generation as this process last saw it: erasure and retention rewrite the file
# (storage.scrub) and change it, and then every cached read (transcripts, comments, search results)
# and muted recording may hold what was just deleted.
_SEEN: dict[str, str | None] = {}
_SEEN_LOCK = threading.Lock()


def follow_database(db: str) -> bool:
    """Drop every cache if the database was rewritten since this process last looked (a small file read, no
    lock: call on every rerun). Returns whether the caches were dropped."""
    now_gen = scrub.generation(db)
    with _SEEN_LOCK:
        changed = db in _SEEN and _SEEN[db] != now_gen
        _SEEN[db] = now_gen
    if changed:
        clear_cache()
    return changed


# ---- reads (cached) --------------------------------------------------------------------------


@st.cache_data(ttl=CACHE_TTL_S, show_spinner=False)
def queue(db: str, filt: QueueFilter, limit: int = PAGE_SIZE, offset: int = 0, sort: Sort = "priority") -> pd.DataFrame:
    """One page of the review queue (see ``storage.review_queue``)."""
    with _connection(db, read_only=True) as con:
        return review_queue.review_queue(con, filt, limit=limit, offset=offset, sort=sort)


@st.cache_data(ttl=CACHE_TTL_S, show_spinner=False)
def queue_size(db: str, filt: QueueFilter) -> int:
    with _connection(db, read_only=True) as con:
        return review_queue.queue_size(con, filt)


@st.cache_data(ttl=CACHE_TTL_S, show_spinner=False)
def filter_options(db: str) -> FilterOptions:
    with _connection(db, read_only=True) as con:
        return review_queue.filter_options(con)


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
        purge_reason=_value(row.get("purge_reason")),
    )


@st.cache_data(ttl=CACHE_TTL_S, show_spinner=False)
def segments(db: str, call_id: str) -> list[SegmentView]:
    with _connection(db, read_only=True) as con:
        df = queries.call_segments(con, call_id)
        flipped = calls.roles_flipped(con, call_id)
    return [
        SegmentView(
            idx=int(r.idx),
            speaker=calls.flipped_role(r.speaker) if flipped else r.speaker,
            start=float(r.start_s),
            end=float(r.end_s),
            text=r.text,
            asr_confidence=_value(r.asr_confidence),
            sentiment=_value(r.sentiment),
        )
        for r in df.itertuples(index=False)
    ]


@st.cache_data(ttl=CACHE_TTL_S, show_spinner=False)
def roles_flipped(db: str, call_id: str) -> bool:
    with _connection(db, read_only=True) as con:
        return calls.roles_flipped(con, call_id)


@st.cache_data(ttl=CACHE_TTL_S, show_spinner=False)
def pii_spans(db: str, call_id: str) -> list[tuple[str, float, float]]:
    """(kind, start, end) of every masked moment."""
    with _connection(db, read_only=True) as con:
        df = queries.call_pii_spans(con, call_id)
    return [(r.kind, float(r.start_s), float(r.end_s)) for r in df.itertuples(index=False)]


@st.cache_data(ttl=CACHE_TTL_S, show_spinner=False)
def analytics(db: str, call_id: str) -> dict | None:
    with _connection(db, read_only=True) as con:
        return queries.call_analytics(con, call_id)


@st.cache_data(ttl=CACHE_TTL_S, show_spinner=False)
def detections(db: str, call_id: str) -> pd.DataFrame:
    with _connection(db, read_only=True) as con:
        return queries.call_detections(con, call_id)


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


def criteria_with_pending(db: str, call_id: str) -> list[CriterionView]:
    """The verdicts, with reviews still waiting in the journal shown as the latest."""
    out = []
    waiting = {}
    for row in pending.pending_rows(db, "reviews"):
        if row["call_id"] == call_id and row["criterion_id"] and row["action"] in ("confirm", "override"):
            waiting[row["criterion_id"]] = row
    for c in criteria(db, call_id):
        row = waiting.get(c.id)
        if row is not None and (c.review is None or row["created_at"] >= c.review.created_at):
            c = CriterionView(**{**c.__dict__, "review": ReviewerVerdict(
                row["verdict"], row["comment"], row["reviewer"], row["created_at"], pending=True)})
        out.append(c)
    return out


@st.cache_data(ttl=CACHE_TTL_S, show_spinner=False)
def reviews(db: str, call_id: str) -> pd.DataFrame:
    """Every review of the call, oldest first (the audit trail)."""
    with _connection(db, read_only=True) as con:
        return queries.call_reviews(con, call_id)


# ---- transcript search (storage.search) -------------------------------------------------------


@st.cache_data(ttl=CACHE_TTL_S, show_spinner=False)
def search_index_status(db: str) -> IndexStatus | None:
    """The search index's last build (None: never built); calls stored since are not searchable yet."""
    with _connection(db, read_only=True) as con:
        return transcript_search.index_status(con)


@st.cache_data(ttl=CACHE_TTL_S, show_spinner=False)
def search(db: str, text: str, filt: SearchFilter, limit: int = 50, offset: int = 0) -> SearchResults:
    """Utterances matching ``text`` (words and "phrases"), best first; raises ``SearchUnavailable``."""
    with _connection(db, read_only=True) as con:
        return transcript_search.search(con, text, filt, limit=limit, offset=offset)


@st.cache_data(ttl=CACHE_TTL_S, show_spinner=False)
def match_spans(db: str, text: str, query: str) -> tuple[tuple[int, int], ...]:
    """Where a search query matches in one utterance's text (empty when search is unavailable)."""
    try:
        with _connection(db, read_only=True) as con:
            return transcript_search.match_spans(con, text, query)
    except SearchUnavailable:
        return ()


# ---- writes ----------------------------------------------------------------------------------


@st.cache_data(ttl=CACHE_TTL_S, show_spinner=False)
def taxonomy() -> Taxonomy | None:
    """The call reason taxonomy the nightly flow uses (configuration's ``reasons_taxonomy``); None if unreadable."""
    from usecases.settings import load_settings

    try:
        return load_taxonomy(load_settings().judging.reasons_taxonomy)
    except (TaxonomyError, ValueError, OSError):
        return None


def reason_label(reason_id: str | None) -> str:
    if reason_id is None:
        return "no taxonomy reason"
    known = taxonomy()
    return known.label(reason_id) if known else reason_id


@st.cache_data(ttl=CACHE_TTL_S, show_spinner=False)
def call_insight(db: str, call_id: str) -> StoredInsight | None:
    with _connection(db, read_only=True) as con:
        return insights.call_insight(con, call_id)


@st.cache_data(ttl=CACHE_TTL_S, show_spinner=False)
def reason_outcomes(db: str, since: datetime, until: datetime, teams: tuple[str, ...] = ()) -> pd.DataFrame:
    with _connection(db, read_only=True) as con:
        return insights.reason_outcomes(con, since, until, teams)


@st.cache_data(ttl=CACHE_TTL_S, show_spinner=False)
def discovered_reasons(db: str, since: datetime, until: datetime, teams: tuple[str, ...] = (),
                       min_size: int = 3) -> list[DiscoveredReason]:
    """Clusters of the period's problem statements that matched no taxonomy reason (computed here, on demand)."""
    with _connection(db, read_only=True) as con:
        statements = insights.unmatched_statements(con, since, until, teams)
    return discover_reasons(statements, min_size=min_size)


@st.cache_data(ttl=CACHE_TTL_S, show_spinner=False)
def statement_moments(db: str, call_ids: tuple[str, ...]) -> pd.DataFrame:
    with _connection(db, read_only=True) as con:
        return insights.statement_moments(con, list(call_ids))


def clear_cache() -> None:
    st.cache_data.clear()


def review_action(auto_result: str, verdict: str) -> Literal["confirm", "override"]:
    """A reviewer who agrees with the automatic verdict confirms it; otherwise they override it."""
    return "confirm" if verdict == auto_result else "override"


@dataclass(frozen=True)
class Saved:
    row_id: str
    stored: bool  # False: journalled while the nightly flow held the database; stored by the next writer


def _write(db: str, table: str, row: dict, insert) -> Saved:
    row_id = next(iter(row.values()))
    try:
        with _connection(db, read_only=False, wait_s=WRITE_WAIT_S) as con:
            insert(con, row)
        stored = True
    except DatabaseBusy:
        pending.record(db, table, row)
        stored = False
    clear_cache()
    return Saved(row_id, stored)


def save_verdict(db: str, call_id: str, criterion_id: str, auto_result: str, verdict: str, reviewer: str,
                 comment: str | None = None, role: str | None = None) -> Saved:
    """Store a reviewer's verdict on one criterion."""
    if verdict not in VERDICTS:
        raise ValueError(f"verdict must be one of {', '.join(VERDICTS)}, not {verdict!r}")
    row = calls.review_row(call_id, reviewer, review_action(auto_result, verdict), criterion_id, verdict, comment, role)
    return _write(db, "reviews", row, calls.insert_review)


def mark_reviewed(db: str, call_id: str, reviewer: str, comment: str | None = None, role: str | None = None) -> Saved:
    return _write(db, "reviews", calls.review_row(call_id, reviewer, "reviewed", comment=comment, reviewer_role=role),
                  calls.insert_review)


def flip_roles(db: str, call_id: str, reviewer: str, comment: str | None = None, role: str | None = None) -> Saved:
    """Swap operator and customer for this call (verdicts are re-judged by `callqa rescore --flipped`)."""
    return _write(db, "reviews", calls.review_row(call_id, reviewer, "flip_roles", comment=comment, reviewer_role=role),
                  calls.insert_review)


def assign_topic(db: str, operator_id: str, criterion_id: str, assigned_by: str, note: str | None = None) -> Saved:
    import uuid

    row = dict(assignment_id=uuid.uuid4().hex, operator_id=operator_id, criterion_id=criterion_id,
               assigned_by=assigned_by, assigned_at=now(), note=(note or "").strip() or None)

    def insert(con, r):
        training.assign_topic(con, r["operator_id"], r["criterion_id"], r["assigned_by"], r["note"], r["assignment_id"])

    return _write(db, "coaching_assignments", row, insert)


# ---- dashboards ------------------------------------------------------------------------------


@st.cache_data(ttl=CACHE_TTL_S, show_spinner=False)
def operators(db: str) -> pd.DataFrame:
    with _connection(db, read_only=True) as con:
        return dashboards.operators(con)


@st.cache_data(ttl=CACHE_TTL_S, show_spinner=False)
def score_trend(db: str, operator: str, since: datetime, until: datetime, bucket: str = "week") -> pd.DataFrame:
    with _connection(db, read_only=True) as con:
        return dashboards.score_trend(con, operator, since, until, bucket)


@st.cache_data(ttl=CACHE_TTL_S, show_spinner=False)
def criteria_vs_team(db: str, operator: str, since: datetime, until: datetime) -> pd.DataFrame:
    with _connection(db, read_only=True) as con:
        return dashboards.criteria_vs_team(con, operator, since, until)


@st.cache_data(ttl=CACHE_TTL_S, show_spinner=False)
def operator_calls(db: str, operator: str, since: datetime, until: datetime, limit: int = PAGE_SIZE,
                   offset: int = 0) -> pd.DataFrame:
    with _connection(db, read_only=True) as con:
        return dashboards.operator_calls(con, operator, since, until, limit, offset)


@st.cache_data(ttl=CACHE_TTL_S, show_spinner=False)
def failure_heatmap(db: str, since: datetime, until: datetime, teams: tuple[str, ...] = ()) -> pd.DataFrame:
    with _connection(db, read_only=True) as con:
        return training.failure_heatmap(con, since, until, teams)


@st.cache_data(ttl=CACHE_TTL_S, show_spinner=False)
def coaching_topics(db: str, since: datetime, until: datetime, operator: str | None = None,
                    limit: int = 20) -> list[coaching.CoachingTopic]:
    with _connection(db, read_only=True) as con:
        return coaching.coaching_topics(con, since, until, operator=operator, limit=limit)


@st.cache_data(ttl=CACHE_TTL_S, show_spinner=False)
def assignments(db: str, operator: str | None = None) -> list[training.Assignment]:
    with _connection(db, read_only=True) as con:
        stored = training.assignments(con, operator)
    waiting = [training.Assignment(**r) for r in pending.pending_rows(db, "coaching_assignments")
               if operator is None or r["operator_id"] == operator]
    return waiting + stored


@st.cache_data(ttl=CACHE_TTL_S, show_spinner=False)
def before_after(db: str) -> pd.DataFrame:
    with _connection(db, read_only=True) as con:
        return training.before_after(con)


@st.cache_data(ttl=CACHE_TTL_S, show_spinner=False)
def weekly_fail_rate(db: str, operator: str, criterion: str, since: datetime, until: datetime) -> pd.DataFrame:
    with _connection(db, read_only=True) as con:
        return training.weekly_fail_rate(con, operator, criterion, since, until)


@st.cache_data(ttl=CACHE_TTL_S, show_spinner=False)
def agreement(db: str, since: datetime, until: datetime) -> pd.DataFrame:
    with _connection(db, read_only=True) as con:
        return calibration.agreement(con, since, until)


@st.cache_data(ttl=CACHE_TTL_S, show_spinner=False)
def overturned_calls(db: str, since: datetime, until: datetime, criterion: str | None = None) -> pd.DataFrame:
    with _connection(db, read_only=True) as con:
        return calibration.overturned_calls(con, since, until, criterion)


# ---- insights: sites, vendors and teams side by side ------------------------------------------


@st.cache_data(ttl=CACHE_TTL_S, show_spinner=False)
def comparison(db: str, dimension: str, since: datetime, until: datetime) -> GroupComparison:
    with _connection(db, read_only=True) as con:
        return group_comparison.compare(con, dimension, since, until)


@st.cache_data(ttl=CACHE_TTL_S, show_spinner=False)
def runs(db: str, limit: int = 50) -> pd.DataFrame:
    with _connection(db, read_only=True) as con:
        return queries.recent_runs(con, limit=limit)


@st.cache_data(ttl=CACHE_TTL_S, show_spinner=False)
def run_problems(db: str, run_id: str) -> pd.DataFrame:
    with _connection(db, read_only=True) as con:
        return queries.run_problems(con, run_id)


@st.cache_data(ttl=CACHE_TTL_S, show_spinner=False)
def deletions(db: str, limit: int = 200) -> pd.DataFrame:
    """The retention and erasure audit log, newest first."""
    with _connection(db, read_only=True) as con:
        return retention.deletions_log(con, limit=limit)


# ---- predicted satisfaction (issue #7) -------------------------------------------------------


@st.cache_data(ttl=CACHE_TTL_S, show_spinner=False)
def call_satisfaction(db: str, call_id: str) -> satisfaction.StoredPrediction | None:
    with _connection(db, read_only=True) as con:
        return satisfaction.call_prediction(con, call_id)


@st.cache_data(ttl=CACHE_TTL_S, show_spinner=False)
def satisfaction_distribution(db: str, since: datetime, until: datetime, teams: tuple[str, ...] = ()) -> pd.DataFrame:
    with _connection(db, read_only=True) as con:
        return satisfaction.distribution(con, since, until, teams)


@st.cache_data(ttl=CACHE_TTL_S, show_spinner=False)
def satisfaction_weekly(db: str, since: datetime, until: datetime, teams: tuple[str, ...] = ()) -> pd.DataFrame:
    with _connection(db, read_only=True) as con:
        return satisfaction.weekly_mean(con, since, until, teams)


@st.cache_data(ttl=CACHE_TTL_S, show_spinner=False)
def lowest_satisfaction(db: str, since: datetime, until: datetime, teams: tuple[str, ...] = (),
                        limit: int = 20) -> pd.DataFrame:
    with _connection(db, read_only=True) as con:
        return satisfaction.lowest_calls(con, since, until, teams, limit)


@st.cache_data(ttl=CACHE_TTL_S, show_spinner=False)
def csat_agreement(db: str, since: datetime, until: datetime, teams: tuple[str, ...] = ()) -> CsatAgreement:
    """Agreement of predictions with the imported surveys of the period's calls (n = 0: none imported)."""
    with _connection(db, read_only=True) as con:
        pairs = surveys.survey_pairs(con, since, until, teams)
    return agreement_of_pairs([(predicted, surveyed) for _, predicted, surveyed in pairs])


# ---- exports ---------------------------------------------------------------------------------


def _csv(rows: pd.DataFrame) -> str:
    """CSV text whose cells a spreadsheet opens as text: operator ids and comments come from outside and
    could otherwise start a formula (``reporting.cells``)."""
    return rows.map(csv_cell).to_csv(index=False)


def queue_csv(db: str, filt: QueueFilter, sort: Sort = "priority") -> str:
    """The whole filtered queue as CSV (built when the reviewer clicks the download)."""
    with _connection(db, read_only=True) as con:
        total = review_queue.queue_size(con, filt)
        rows = review_queue.review_queue(con, filt, limit=max(total, 1), offset=0, sort=sort)
    rows = rows.drop(columns=["critical", "n_flags"])
    rows["flags"] = [";".join(f) for f in rows["flags"]]
    return _csv(rows)


def verdicts_csv(db: str, call_id: str, mask_language: str | None = None) -> str:
    """The call's verdicts as CSV; with ``mask_language`` the evidence quotes have personal data masked
    (for non-admins, as the call page shows them, also when stored transcripts are not redacted)."""
    def shown(text: str) -> str:
        return text if mask_language is None else ui.masked(text, mask_language)

    rows = [
        {
            "call_id": call_id, "criterion": c.id, "automatic": c.result, "method": c.method,
            "confidence": c.confidence, "critical": c.critical, "reason": c.reason,
            "evidence": shown(c.evidence.text) if c.evidence else None,
            "evidence_start_s": c.evidence.start if c.evidence else None,
            "reviewer_verdict": c.review.verdict if c.review else None,
            "reviewer": c.review.reviewer if c.review else None,
            "review_comment": c.review.comment if c.review else None,
            "current": c.review.verdict if c.review else c.result,
        }
        for c in criteria_with_pending(db, call_id)
    ]
    return _csv(pd.DataFrame(rows))


def coaching_plan_csv(db: str, since: datetime, until: datetime) -> str:
    """Ranked coaching topics of the period with their assignment (if any) and example calls."""
    assigned = {(a.operator_id, a.criterion_id): a for a in reversed(assignments(db))}
    rows = []
    for t in coaching_topics(db, since, until, limit=1000):
        a = assigned.get((t.operator_id, t.criterion_id))
        rows.append({
            "operator": t.operator_id, "team": t.team, "criterion": t.criterion_id, "calls": t.calls,
            "failed": t.failed, "fail_rate": round(t.fail_rate, 3), "team_fail_rate": round(t.team_fail_rate, 3),
            "excess_failures": round(t.excess_failures, 2),
            "example_calls": " ".join(c for c, _ in t.example_calls),
            "assigned_by": a.assigned_by if a else None, "assigned_at": a.assigned_at if a else None,
            "note": a.note if a else None,
        })
    return _csv(pd.DataFrame(rows, columns=["operator", "team", "criterion", "calls", "failed", "fail_rate",
                                            "team_fail_rate", "excess_failures", "example_calls", "assigned_by",
                                            "assigned_at", "note"]))


# ---- periodic reports (usecases.reports) -------------------------------------------------------


def report_settings(db: str):
    """The settings the scheduled reports flow would use for this database (reports folder, groups)."""
    from usecases.settings import load_settings

    return load_settings(db=db)


def stored_reports(db: str) -> list[StoredReport]:
    """The reports in the reports folder, newest period first (a folder listing: not cached)."""
    return list_reports(report_settings(db).reports.dir)


def report_period(db: str, kind: str, end: date) -> ReportPeriod:
    """The last complete ``kind`` period ending on or before ``end``: what "generate now" writes."""
    from usecases.reports import period_to_report

    return period_to_report(report_settings(db), kind, end)


def generate_reports(db: str, kind: str, end: date) -> list:
    """Write the reports of that period now, through the function the scheduled flow calls."""
    from usecases.reports import write_reports

    settings = report_settings(db)
    with _CONNECTION_LOCK:  # write_reports opens its own read-only connection
        try:
            return write_reports(settings, report_period(db, kind, end))
        except duckdb.Error as err:
            text = " ".join(str(err).split())
            if "lock" in text.lower():
                raise DatabaseBusy(f"Database {db} is busy (the nightly run is writing to it); try again in a moment.") from err
            raise DatabaseUnavailable(f"Cannot read database {db}: {text}") from err
