"""The app's access to the database for the pages: cached reads and short writes, through ``storage`` and
the use cases (usecases.*), which do the work; this module is the Streamlit part.

Every read opens a short-lived read-only connection (usecases.shared_database), so the nightly
flow can take the write lock between page loads; results are cached for a short while and the
cache is cleared after every write. A write that cannot get the lock (the flow is loading) goes
to the journal and is applied by the next writer, so a reviewer's verdict is never lost; the
pages show journalled reviews as saved. Pages call these functions and only draw what they return.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING

import pandas as pd
import streamlit as st

from pipeline.insights.csat_agreement import CsatAgreement
from pipeline.insights.reason_discovery import DiscoveredReason
from pipeline.insights.taxonomy import Taxonomy
from pipeline.stats.group_comparison import GroupComparison
from qa_app import ui
from qa_app.i18n import words
from reporting.files import StoredReport
from reporting.model import PeriodKind, ReportPeriod
from storage import (
    calibration,
    calls,
    coaching,
    dashboards,
    insights,
    queries,
    retention,
    review_queue,
    satisfaction,
    training,
)
from storage import comparison as group_comparison
from storage import search as transcript_search
from storage.cdr import CdrKpis
from storage.comparison import Dimension
from storage.dashboards import Bucket
from storage.insights import StoredInsight
from storage.review_queue import FilterOptions, QueueFilter, Sort
from storage.search import IndexStatus, SearchFilter, SearchResults, SearchUnavailable
from usecases import (
    accuracy_sheet as accuracy_sheets,
)
from usecases import (
    audit_sampling,
    calibration_sessions,
    call_details,
    call_reasons,
    coaching_assignments,
    disputes,
    exports,
    reports_on_demand,
    review,
    shared_database,
)
from usecases import saved_views as saved_views_usecase
from usecases.accuracy_sheet import AccuracySheet
from usecases.call_details import CallView, CriterionView, LastRun, SegmentView
from usecases.satisfaction import survey_agreement_on
from usecases.shared_database import Saved, connection
from usecases.users import User

if TYPE_CHECKING:
    from usecases.settings import (
        Settings,  # imported when needed: it brings the analysis pipeline
    )

# The pages' names (data.X) for what the use cases define.
VERDICTS = review.VERDICTS
review_action = review.review_action
DatabaseUnavailable = shared_database.DatabaseUnavailable
DatabaseBusy = shared_database.DatabaseBusy
database_path = shared_database.database_path

PAGE_SIZE = 100
CACHE_TTL_S = 30



def follow_database(db: str) -> bool:
    """Drop every cache if the database was rewritten since this process last looked (erasure and retention
    rewrite it, and cached reads may hold what they deleted; a small file read, no lock: call on every rerun).
    Returns whether the caches were dropped."""
    changed = shared_database.rewritten_since_last_look(db)
    if changed:
        clear_cache()
    return changed


# ---- reads (cached) --------------------------------------------------------------------------


@st.cache_data(ttl=CACHE_TTL_S, show_spinner=False)
def queue(db: str, filt: QueueFilter, limit: int = PAGE_SIZE, offset: int = 0, sort: Sort = "priority") -> pd.DataFrame:
    """One page of the review queue (see ``storage.review_queue``)."""
    with connection(db, read_only=True) as con:
        return review_queue.review_queue(con, filt, limit=limit, offset=offset, sort=sort)


@st.cache_data(ttl=CACHE_TTL_S, show_spinner=False)
def queue_size(db: str, filt: QueueFilter) -> int:
    with connection(db, read_only=True) as con:
        return review_queue.queue_size(con, filt)


@st.cache_data(ttl=CACHE_TTL_S, show_spinner=False)
def filter_options(db: str) -> FilterOptions:
    with connection(db, read_only=True) as con:
        return review_queue.filter_options(con)


@st.cache_data(ttl=CACHE_TTL_S, show_spinner=False)
def accuracy_sheet(db: str, since: datetime, until: datetime) -> AccuracySheet:
    """The accuracy sheet of the calls of [since, until) (``usecases.accuracy_sheet``)."""
    with connection(db, read_only=True) as con:
        return accuracy_sheets.accuracy_sheet_of(con, since, until)


@st.cache_data(ttl=CACHE_TTL_S, show_spinner=False)
def audit_samples_of_call(db: str, call_id: str) -> list[audit_sampling.SampledCall]:
    """The audit samples the call was drawn in (none: not sampled)."""
    with connection(db, read_only=True) as con:
        return audit_sampling.samples_of_call(con, call_id)


@st.cache_data(ttl=CACHE_TTL_S, show_spinner=False)
def problem_calls(db: str, limit: int = 100) -> pd.DataFrame:
    with connection(db, read_only=True) as con:
        return queries.problem_calls(con, limit=limit)


@st.cache_data(ttl=CACHE_TTL_S, show_spinner=False)
def last_run(db: str) -> LastRun | None:
    return call_details.last_run(db)


@st.cache_data(ttl=CACHE_TTL_S, show_spinner=False)
def call(db: str, call_id: str) -> CallView | None:
    return call_details.call(db, call_id)


@st.cache_data(ttl=CACHE_TTL_S, show_spinner=False)
def segments(db: str, call_id: str) -> list[SegmentView]:
    return call_details.segments(db, call_id)


@st.cache_data(ttl=CACHE_TTL_S, show_spinner=False)
def roles_flipped(db: str, call_id: str) -> bool:
    with connection(db, read_only=True) as con:
        return calls.roles_flipped(con, call_id)


@st.cache_data(ttl=CACHE_TTL_S, show_spinner=False)
def pii_spans(db: str, call_id: str) -> list[tuple[str, float, float]]:
    """(kind, start, end) of every masked moment."""
    with connection(db, read_only=True) as con:
        df = queries.call_pii_spans(con, call_id)
    return [(r.kind, float(r.start_s), float(r.end_s)) for r in df.itertuples(index=False)]


@st.cache_data(ttl=CACHE_TTL_S, show_spinner=False)
def analytics(db: str, call_id: str) -> dict | None:
    with connection(db, read_only=True) as con:
        return queries.call_analytics(con, call_id)


@st.cache_data(ttl=CACHE_TTL_S, show_spinner=False)
def detections(db: str, call_id: str) -> pd.DataFrame:
    with connection(db, read_only=True) as con:
        return queries.call_detections(con, call_id)


@st.cache_data(ttl=CACHE_TTL_S, show_spinner=False)
def criteria(db: str, call_id: str) -> list[CriterionView]:
    return call_details.criteria(db, call_id)


def criteria_with_pending(db: str, call_id: str) -> list[CriterionView]:
    """The verdicts, with reviews still waiting in the journal shown as the latest."""
    return review.with_pending_reviews(db, call_id, criteria(db, call_id))


@st.cache_data(ttl=CACHE_TTL_S, show_spinner=False)
def reviews(db: str, call_id: str) -> pd.DataFrame:
    """Every review of the call, oldest first (the audit trail)."""
    with connection(db, read_only=True) as con:
        return queries.call_reviews(con, call_id)


# ---- transcript search (storage.search) -------------------------------------------------------


@st.cache_data(ttl=CACHE_TTL_S, show_spinner=False)
def search_index_status(db: str) -> IndexStatus | None:
    """The search index's last build (None: never built); calls stored since are not searchable yet."""
    with connection(db, read_only=True) as con:
        return transcript_search.index_status(con)


@st.cache_data(ttl=CACHE_TTL_S, show_spinner=False)
def search(db: str, text: str, filt: SearchFilter, limit: int = 50, offset: int = 0) -> SearchResults:
    """Utterances matching ``text`` (words and "phrases"), best first; raises ``SearchUnavailable``."""
    with connection(db, read_only=True) as con:
        return transcript_search.search(con, text, filt, limit=limit, offset=offset)


@st.cache_data(ttl=CACHE_TTL_S, show_spinner=False)
def match_spans(db: str, text: str, query: str) -> tuple[tuple[int, int], ...]:
    """Where a search query matches in one utterance's text (empty when search is unavailable)."""
    try:
        with connection(db, read_only=True) as con:
            return transcript_search.match_spans(con, text, query)
    except SearchUnavailable:
        return ()


# ---- call reasons (usecases.call_reasons) -------------------------------------------------------


@st.cache_data(ttl=CACHE_TTL_S, show_spinner=False)
def taxonomy() -> Taxonomy | None:
    """The call reason taxonomy the nightly flow uses (configuration's ``reasons_taxonomy``); None if unreadable."""
    return call_reasons.configured_taxonomy()


def reason_label(reason_id: str | None) -> str:
    if reason_id is None:
        return "no taxonomy reason"
    known = taxonomy()
    return known.label(reason_id) if known else reason_id


@st.cache_data(ttl=CACHE_TTL_S, show_spinner=False)
def call_insight(db: str, call_id: str) -> StoredInsight | None:
    with connection(db, read_only=True) as con:
        return insights.call_insight(con, call_id)


@st.cache_data(ttl=CACHE_TTL_S, show_spinner=False)
def reason_outcomes(db: str, since: datetime, until: datetime, teams: tuple[str, ...] = ()) -> pd.DataFrame:
    with connection(db, read_only=True) as con:
        return insights.reason_outcomes(con, since, until, teams)


@st.cache_data(ttl=CACHE_TTL_S, show_spinner=False)
def discovered_reasons(db: str, since: datetime, until: datetime, teams: tuple[str, ...] = (),
                       min_size: int = 3) -> list[DiscoveredReason]:
    """Clusters of the period's problem statements that matched no taxonomy reason (computed here, on demand)."""
    return call_reasons.discovered_reasons(db, since, until, teams, min_size)


@st.cache_data(ttl=CACHE_TTL_S, show_spinner=False)
def statement_moments(db: str, call_ids: tuple[str, ...]) -> pd.DataFrame:
    with connection(db, read_only=True) as con:
        return insights.statement_moments(con, list(call_ids))


def clear_cache() -> None:
    st.cache_data.clear()


# ---- writes (usecases.review, usecases.coaching_assignments); every write clears the caches ---------


def save_verdict(db: str, call_id: str, criterion_id: str, auto_result: str, verdict: str, reviewer: str,
                 comment: str | None = None, role: str | None = None) -> Saved:
    """Store a reviewer's verdict on one criterion."""
    return _cleared(review.save_verdict(db, call_id, criterion_id, auto_result, verdict, reviewer, comment, role))


def mark_reviewed(db: str, call_id: str, reviewer: str, comment: str | None = None, role: str | None = None) -> Saved:
    return _cleared(review.mark_reviewed(db, call_id, reviewer, comment, role))


def flip_roles(db: str, call_id: str, reviewer: str, comment: str | None = None, role: str | None = None) -> Saved:
    """Swap operator and customer for this call, without re-judging (the call page uses flip_roles_and_rejudge)."""
    return _cleared(review.flip_roles(db, call_id, reviewer, comment, role))


def _cleared(saved: Saved) -> Saved:
    """After a write, stored or journalled: every page reads it (or the journal) afresh."""
    clear_cache()
    return saved


# ---- dashboards ------------------------------------------------------------------------------


@st.cache_data(ttl=CACHE_TTL_S, show_spinner=False)
def operators(db: str) -> pd.DataFrame:
    with connection(db, read_only=True) as con:
        return dashboards.operators(con)


@st.cache_data(ttl=CACHE_TTL_S, show_spinner=False)
def score_trend(db: str, operator: str, since: datetime, until: datetime, bucket: Bucket = "week") -> pd.DataFrame:
    with connection(db, read_only=True) as con:
        return dashboards.score_trend(con, operator, since, until, bucket)


@st.cache_data(ttl=CACHE_TTL_S, show_spinner=False)
def criteria_vs_team(db: str, operator: str, since: datetime, until: datetime) -> pd.DataFrame:
    with connection(db, read_only=True) as con:
        return dashboards.criteria_vs_team(con, operator, since, until)


@st.cache_data(ttl=CACHE_TTL_S, show_spinner=False)
def operator_calls(db: str, operator: str, since: datetime, until: datetime, limit: int = PAGE_SIZE,
                   offset: int = 0) -> pd.DataFrame:
    with connection(db, read_only=True) as con:
        return dashboards.operator_calls(con, operator, since, until, limit, offset)


@st.cache_data(ttl=CACHE_TTL_S, show_spinner=False)
def coaching_topics(db: str, since: datetime, until: datetime, operator: str | None = None,
                    limit: int = 20) -> list[coaching.CoachingTopic]:
    rule = coaching_rule(db)
    with connection(db, read_only=True) as con:
        return coaching.coaching_topics(con, since, until, operator=operator, limit=limit, rule=rule)


@st.cache_data(ttl=CACHE_TTL_S, show_spinner=False)
def coaching_rule(db: str) -> coaching.CoachingRule:
    """k misses of the last n judged calls, as configured (settings.coaching)."""
    return coaching_assignments.coaching_rule_for(db)


@st.cache_data(ttl=CACHE_TTL_S, show_spinner=False)
def assignments(db: str, operator: str | None = None) -> list[training.Assignment]:
    return coaching_assignments.assignments(db, operator)


@st.cache_data(ttl=CACHE_TTL_S, show_spinner=False)
def weekly_fail_rate(db: str, operator: str, criterion: str, since: datetime, until: datetime) -> pd.DataFrame:
    with connection(db, read_only=True) as con:
        return training.weekly_fail_rate(con, operator, criterion, since, until)


@st.cache_data(ttl=CACHE_TTL_S, show_spinner=False)
def agreement(db: str, since: datetime, until: datetime) -> pd.DataFrame:
    with connection(db, read_only=True) as con:
        return calibration.agreement(con, since, until)


@st.cache_data(ttl=CACHE_TTL_S, show_spinner=False)
def overturned_calls(db: str, since: datetime, until: datetime, criterion: str | None = None) -> pd.DataFrame:
    with connection(db, read_only=True) as con:
        return calibration.overturned_calls(con, since, until, criterion)


# ---- reviewer calibration sessions (usecases.calibration_sessions) --------------------------------
# Sessions change with every reviewer's answer: read afresh each time (small queries), except the call list.
CalibrationRefused = calibration_sessions.CalibrationRefused
calibration_verdicts = calibration_sessions.VERDICTS  # what a reviewer answers in a session: pass, fail, na
calibration_may_manage = calibration_sessions.may_manage  # close it, follow who answered how much


@st.cache_data(ttl=CACHE_TTL_S, show_spinner=False)
def calibration_candidates(db: str) -> list[calibration_sessions.Candidate]:
    return calibration_sessions.candidates(db)


def calibration_reviewers() -> list[User]:
    from usecases.users import users_path

    return calibration_sessions.reviewers_to_pick(users_path())


def calibration_sessions_for(db: str, user: User) -> list[calibration_sessions.SessionRow]:
    return calibration_sessions.visible_sessions(db, user)


def calibration_session(db: str, session_id: str, user: User) -> calibration_sessions.SessionRow:
    return calibration_sessions.open_session(db, session_id, user)


def calibration_sheet(db: str, session_id: str, user: User) -> calibration_sessions.BlindSheet:
    return calibration_sessions.blind_sheet(db, session_id, user)


def calibration_progress(db: str, session_id: str, user: User) -> list[calibration_sessions.Progress]:
    return calibration_sessions.progress(db, session_id, user)


def calibration_may_read_results(db: str, session: calibration_sessions.SessionRow, user: User) -> bool:
    return calibration_sessions.may_read_results(db, session, user)


def calibration_results(db: str, session_id: str, user: User) -> calibration_sessions.SessionResults:
    return calibration_sessions.results(db, session_id, user)


def create_calibration_session(db: str, name: str, lead: User, call_ids: list[str], reviewers: list[str]) -> str:
    session_id = calibration_sessions.create_session(db, name, lead, call_ids, reviewers)
    clear_cache()
    return session_id


def answer_calibration(db: str, session_id: str, call_id: str, user: User, verdicts: dict[str, str]) -> bool:
    return calibration_sessions.answer(db, session_id, call_id, user, verdicts)


def close_calibration_session(db: str, session_id: str, user: User) -> bool:
    return calibration_sessions.close_session(db, session_id, user)


# ---- insights: sites, vendors and teams side by side ------------------------------------------


@st.cache_data(ttl=CACHE_TTL_S, show_spinner=False)
def comparison(db: str, dimension: Dimension, since: datetime, until: datetime) -> GroupComparison:
    with connection(db, read_only=True) as con:
        return group_comparison.compare(con, dimension, since, until)


@st.cache_data(ttl=CACHE_TTL_S, show_spinner=False)
def cdr_kpis(db: str, dimension: Dimension, since: datetime, until: datetime) -> CdrKpis:
    """Service level, abandonment, speed of answer and handle time from the PBX's records, as settings say."""
    from storage.cdr import compare_cdr
    from usecases.settings import load_settings

    with connection(db, read_only=True) as con:
        return compare_cdr(con, dimension, since, until, load_settings().cdr.rules())


@st.cache_data(ttl=CACHE_TTL_S, show_spinner=False)
def runs(db: str, limit: int = 50) -> pd.DataFrame:
    with connection(db, read_only=True) as con:
        return queries.recent_runs(con, limit=limit)


@st.cache_data(ttl=CACHE_TTL_S, show_spinner=False)
def run_problems(db: str, run_id: str) -> pd.DataFrame:
    with connection(db, read_only=True) as con:
        return queries.run_problems(con, run_id)


@st.cache_data(ttl=CACHE_TTL_S, show_spinner=False)
def deletions(db: str, limit: int = 200) -> pd.DataFrame:
    """The retention and erasure audit log, newest first."""
    with connection(db, read_only=True) as con:
        return retention.deletions_log(con, limit=limit)


# ---- predicted satisfaction (issue #7) -------------------------------------------------------


@st.cache_data(ttl=CACHE_TTL_S, show_spinner=False)
def call_satisfaction(db: str, call_id: str) -> satisfaction.StoredPrediction | None:
    with connection(db, read_only=True) as con:
        return satisfaction.call_prediction(con, call_id)


@st.cache_data(ttl=CACHE_TTL_S, show_spinner=False)
def satisfaction_distribution(db: str, since: datetime, until: datetime, teams: tuple[str, ...] = ()) -> pd.DataFrame:
    with connection(db, read_only=True) as con:
        return satisfaction.distribution(con, since, until, teams)


@st.cache_data(ttl=CACHE_TTL_S, show_spinner=False)
def satisfaction_weekly(db: str, since: datetime, until: datetime, teams: tuple[str, ...] = ()) -> pd.DataFrame:
    with connection(db, read_only=True) as con:
        return satisfaction.weekly_mean(con, since, until, teams)


@st.cache_data(ttl=CACHE_TTL_S, show_spinner=False)
def lowest_satisfaction(db: str, since: datetime, until: datetime, teams: tuple[str, ...] = (),
                        limit: int = 20) -> pd.DataFrame:
    with connection(db, read_only=True) as con:
        return satisfaction.lowest_calls(con, since, until, teams, limit)


@st.cache_data(ttl=CACHE_TTL_S, show_spinner=False)
def csat_agreement(db: str, since: datetime, until: datetime, teams: tuple[str, ...] = ()) -> CsatAgreement:
    """Agreement of predictions with the imported surveys of the period's calls (n = 0: none imported)."""
    with connection(db, read_only=True) as con:
        return survey_agreement_on(con, since, until, teams)


# ---- exports (usecases.exports), built when the user clicks the download ---------------------------


def queue_csv(db: str, filt: QueueFilter, sort: Sort = "priority") -> bytes:
    """The whole filtered queue as CSV for the reader's spreadsheet (language, separator, site's time zone)."""
    return exports.queue_csv(db, filt, sort, words())


def verdicts_csv(db: str, call_id: str, mask_language: str | None = None) -> bytes:
    """The call's verdicts as CSV; with ``mask_language`` the evidence quotes have personal data masked."""
    return exports.verdicts_csv(criteria_with_pending(db, call_id), words(), ui.criterion, mask_language)


def coaching_plan_csv(db: str, since: datetime, until: datetime) -> bytes:
    """Ranked coaching topics of the period with their assignment (if any) and example calls."""
    topics = coaching_topics(db, since, until, limit=1000)
    names = exports.call_names(db, [c for t in topics for c, _ in t.example_calls], words())
    return exports.coaching_plan_csv(topics, assignments(db), words(), ui.criterion,
                                     lambda call_id: names.get(call_id, call_id))


# ---- periodic reports (usecases.reports_on_demand): not cached --------------------------------------


def report_settings(db: str) -> Settings:
    """The settings the scheduled reports flow would use for this database (reports folder, groups)."""
    return reports_on_demand.report_settings(db)


def stored_reports(db: str) -> list[StoredReport]:
    """The reports in the reports folder, newest period first (a folder listing)."""
    return reports_on_demand.stored_reports(db)


def report_period(db: str, kind: PeriodKind, end: date) -> ReportPeriod:
    """The last complete ``kind`` period ending on or before ``end``: what "generate now" writes."""
    return reports_on_demand.report_period(db, kind, end)


def generate_reports(db: str, kind: PeriodKind, end: date) -> list:
    """Write the reports of that period now, through the function the scheduled flow calls."""
    return reports_on_demand.generate_reports(db, kind, end)


# ---- trainer: the coaching workflow (usecases.coaching_assignments) ---------------------------------------


@st.cache_data(ttl=CACHE_TTL_S, show_spinner=False)
def training_needs(db: str, since: datetime, until: datetime, teams: tuple[str, ...] = (),
                   operator: str | None = None, limit: int = 20) -> coaching_assignments.TrainingNeeds:
    """The heatmap, the topics and why a red operator has none (usecases.coaching_assignments), by the
    configured rule (k misses of the last n judged calls)."""
    return coaching_assignments.training_needs(db, since, until, teams, operator, limit, coaching_rule(db))


@st.cache_data(ttl=CACHE_TTL_S, show_spinner=False)
def coaching_list(db: str, operator: str | None = None, include_cancelled: bool = False) -> list[training.Assignment]:
    """Assignments with their status, the journal's included."""
    return coaching_assignments.assignments(db, operator, include_cancelled)


@st.cache_data(ttl=CACHE_TTL_S, show_spinner=False)
def coaching_results(db: str) -> dict[str, coaching_assignments.CoachingResult]:
    return coaching_assignments.results(db)


@st.cache_data(ttl=CACHE_TTL_S, show_spinner=False)
def coaching_history(db: str, assignment_id: str) -> list[training.StatusChange]:
    return coaching_assignments.history(db, assignment_id)


def assign_coaching(db: str, operator_id: str, criterion_id: str, assigned_by: str, note: str | None = None,
                    due_on: date | None = None) -> Saved:
    return _cleared(coaching_assignments.assign_topic(db, operator_id, criterion_id, assigned_by, note, due_on))


def set_coaching_status(db: str, assignment_id: str, status: str, changed_by: str) -> Saved:
    return _cleared(coaching_assignments.set_status(db, assignment_id, status, changed_by))


def cancel_coaching(db: str, assignment_id: str, changed_by: str) -> Saved:
    return _cleared(coaching_assignments.cancel(db, assignment_id, changed_by))


# How many judged calls before and after an assignment its before/after compares.
COACHING_COMPARE_CALLS = training.COMPARE_CALLS

# ---- reports (issue #17: the reports' and call reasons' pages in the reader's words) -----------------


def report_last_period_with_calls(db: str, kind: PeriodKind, today: date) -> ReportPeriod | None:
    """The last complete ``kind`` period before ``today`` that has calls (None: none has), for "generate now"."""
    return reports_on_demand.last_period_with_calls(db, kind, today)


def reason_name(reason_id: str | None, language: str) -> str | None:
    """A call reason's label in ``language`` from the configured taxonomy; None when it has no such reason."""
    known = taxonomy()
    found = known.reason(reason_id) if known is not None and reason_id else None
    return found.label(language) if found is not None else None

# ---- queue: where a call stands in the reviewer's queue, saved views (usecases.saved_views) ----------


@st.cache_data(ttl=CACHE_TTL_S, show_spinner=False)
def queue_neighbours(db: str, call_id: str, filt: QueueFilter, sort: Sort = "priority") -> review_queue.Neighbours:
    """The calls before and after ``call_id`` in the filtered, sorted queue, its place and the queue's size."""
    with connection(db, read_only=True) as con:
        return review_queue.neighbours(con, call_id, filt, sort)


@st.cache_data(ttl=CACHE_TTL_S, show_spinner=False)
def saved_views(db: str, user_name: str) -> list[saved_views_usecase.SavedView]:
    return saved_views_usecase.views(db, user_name)


def save_view(db: str, user_name: str, name: str, params: dict) -> bool:
    """Saves the queue's filters as ``name``; False when the nightly run holds the database."""
    stored = saved_views_usecase.save(db, user_name, name, params)
    clear_cache()
    return stored


def delete_view(db: str, user_name: str, name: str) -> bool | None:
    deleted = saved_views_usecase.delete(db, user_name, name)
    clear_cache()
    return deleted


# ---- forbidden
# Every forbidden phrase and escalation heard in a call (issue #17): the call page lists them and highlights them.


@st.cache_data(ttl=CACHE_TTL_S, show_spinner=False)
def phrase_hits(db: str, call_id: str) -> list[call_details.PhraseHitView]:
    return call_details.phrase_hits_of(db, call_id)


# ---- callpage: role changes that re-judge the call, its review history -------------------------


def _scorecards_dir():
    from usecases.settings import load_settings

    return load_settings().judging.scorecards_dir


def flip_roles_and_rejudge(db: str, call_id: str, reviewer: str, role: str | None = None) -> review.RolesChanged:
    """Swap operator and customer for the call and judge it again at once (journalled while the flow writes)."""
    try:
        return review.flip_roles_and_rejudge(db, call_id, reviewer, role, _scorecards_dir())
    finally:
        clear_cache()


def set_speaker(db: str, call_id: str, segment_idx: int, speaker: str, reviewer: str,
                role: str | None = None) -> review.RolesChanged:
    """Say who said one utterance and judge the call again at once."""
    try:
        return review.set_speaker(db, call_id, segment_idx, speaker, reviewer, role, _scorecards_dir())
    finally:
        clear_cache()


def rejudge_if_roles_changed(db: str, call_id: str) -> review.Rejudged | None:
    """Re-judge a call whose verdicts predate a role change (raises ``DatabaseBusy`` while the flow writes)."""
    try:
        return review.rejudge_if_roles_changed(db, call_id, _scorecards_dir())
    finally:
        clear_cache()


def warm_rejudging(db: str, scorecard_name: str, scorecard_version: int) -> None:
    """Compile the call's scorecard in the background, so a flip is re-judged in about a second."""
    from usecases.rescore import warm_judge

    warm_judge(db, scorecard_name, scorecard_version, _scorecards_dir())


def roles_waiting(db: str, call_id: str) -> bool:
    """Whether the call's verdicts predate a role change (stored or journalled): not cached, it is the check."""
    return review.roles_waiting(db, call_id)


@st.cache_data(ttl=CACHE_TTL_S, show_spinner=False)
def review_history(db: str, call_id: str) -> list[calls.ReviewEntry]:
    """Every review of the call, oldest first, journalled ones included."""
    return review.history(db, call_id)


# ---- operators' evaluations and disputes (usecases.disputes checks who may see what) ---------------
# Not cached: each read is per user (an operator's own calls), and small.


def my_calls(db: str, user: User) -> list[disputes.OperatorCall]:
    return disputes.my_calls(db, user)


def my_disputes(db: str, user: User) -> list[disputes.Dispute]:
    return disputes.my_disputes(db, user)


def evaluation(db: str, user: User, call_id: str) -> disputes.Evaluation:
    return disputes.evaluation(db, user, call_id)


def open_disputes(db: str, user: User) -> list[disputes.Dispute]:
    return disputes.open_disputes(db, user)


def call_disputes(db: str, user: User, call_id: str) -> list[disputes.Dispute]:
    return disputes.call_disputes(db, user, call_id)


def acknowledge(db: str, user: User, call_id: str) -> None:
    disputes.acknowledge(db, user, call_id)
    clear_cache()


def raise_dispute(db: str, user: User, call_id: str, criterion_id: str, comment: str) -> str:
    dispute_id = disputes.raise_dispute(db, user, call_id, criterion_id, comment)
    clear_cache()
    return dispute_id


def resolve_dispute(db: str, user: User, dispute_id: str, outcome: str, comment: str,
                    new_verdict: str | None = None) -> None:
    """Upheld, or overturned (a reviewer's override changes the verdict): every cached page reads it afresh."""
    try:
        disputes.resolve(db, user, dispute_id, outcome, comment, new_verdict)
    finally:
        clear_cache()  # an overturn's override may be stored even if the resolution then failed
