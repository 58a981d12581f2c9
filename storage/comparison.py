"""Per-call values for comparing sites, vendors or teams (``pipeline.stats.group_comparison``).

One row per processed call of the period: its group, QA score (current scorecard version),
escalation (a detection of kind 'escalation'), predicted satisfaction (``call_satisfaction``),
handle time, silence and dead-air shares (``call_analytics``), and each criterion's current
verdict (a reviewer's latest confirm/override, else the automatic one, as everywhere else:
``storage.current_verdicts``). A criterion's pass rate counts pass and fail verdicts only.

Calls whose verdicts retention already deleted (status 'purged') live on only as daily
counts (``storage.aggregates``): they cannot be compared call by call and are left out,
with a note saying how many.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

import duckdb

from pipeline.stats.group_comparison import ALPHA, MIN_N, Correction, GroupComparison, Metric, Sample, compare_groups
from reporting.i18n import N_, Words
from storage.current_verdicts import LATEST_REVIEW
from storage.db import one_row

Dimension = Literal["vendor", "site", "team"]
DIMENSIONS: tuple[Dimension, ...] = ("vendor", "site", "team")
# What a call without the dimension's metadata is grouped as (no vendor: handled in-house); marked for the
# catalogue, so a page shows the group in the reader's language (``Words(UNSET[d])``).
UNSET = {"vendor": N_("in-house"), "site": N_("(no site)"), "team": N_("(no team)")}
_ONE_GROUP = {"vendor": N_("Only one vendor in this period: nothing to compare."),
              "site": N_("Only one site in this period: nothing to compare."),
              "team": N_("Only one team in this period: nothing to compare.")}


class Note(str):
    """A note on what a comparison left out: the English text (the CLI's JSON), and the marked template
    and its values, so a page words it in the reader's language (``in_words``)."""

    message: str
    values: dict[str, object]

    def __new__(cls, message: str, **values: object) -> Note:
        note = super().__new__(cls, message.format(**values))
        note.message, note.values = message, values
        return note

    def __reduce__(self):  # the app caches comparisons by pickling them
        return (_note, (self.message, self.values))

    def in_words(self, words: Words) -> str:
        return words(self.message).format(**self.values)


def _note(message: str, values: dict[str, object]) -> Note:
    return Note(message, **values)

QA_SCORE = Metric("qa_score", "QA score", "mean", "score", "higher")
ESCALATION = Metric("escalation", "Escalation rate", "proportion", "share", "lower")
SATISFACTION = Metric("satisfaction", "Predicted satisfaction", "mean", "scale", "higher")
HANDLE_TIME = Metric("handle_time", "Handle time", "mean", "seconds", None)
SILENCE = Metric("silence_share", "Silence share", "mean", "share", "lower")
DEAD_AIR = Metric("dead_air_share", "Dead-air share", "mean", "share", "lower")


def criterion_metric(criterion_id: str) -> Metric:
    label = criterion_id.replace("_", " ").strip()
    return Metric(f"pass:{criterion_id}", f"{label[:1].upper()}{label[1:]} pass rate", "proportion", "share", "higher")


@dataclass(frozen=True)
class CallValues:
    call_id: str
    group: str
    qa_score: float | None
    escalated: bool
    satisfaction: float | None
    handle_time_s: float | None
    silence_share: float | None  # silence / conversation (first to last speech)
    dead_air_share: float | None  # unannounced gaps of 5 s and more / handle time
    verdicts: tuple[tuple[str, str], ...]  # (criterion id, current verdict)


@dataclass(frozen=True)
class ComparisonData:
    dimension: Dimension
    calls: tuple[CallValues, ...]
    criteria: tuple[str, ...]  # in scorecard order
    scorecards: tuple[str, ...]  # "name vN" of the calls' current scorecards
    purged: int  # calls of the period known only from aggregates


# [since, until) on the call's time; a NULL end is open. Parameters: since, since, until, until.
_PERIOD = ("(? IS NULL OR coalesce(c.started_at, c.processed_at) >= ?)"
           " AND (? IS NULL OR coalesce(c.started_at, c.processed_at) < ?)")


def _column(dimension: str) -> str:
    if dimension not in DIMENSIONS:
        raise ValueError(f"unknown dimension {dimension!r}: one of {', '.join(DIMENSIONS)}")
    return f"c.{dimension}"


def call_values(con: duckdb.DuckDBPyConnection, dimension: Dimension, since: datetime | None = None,
                until: datetime | None = None) -> ComparisonData:
    """Every processed call of [since, until) (open ends: all) with what is compared about it."""
    column = _column(dimension)
    period = [since, since, until, until]
    rows = con.execute(
        f"""
        SELECT c.call_id, {column} AS grp, s.score,
               EXISTS (SELECT 1 FROM detections d WHERE d.call_id = c.call_id AND d.kind = 'escalation'
                       AND d.scorecard_name = c.scorecard_name AND d.scorecard_version = c.scorecard_version),
               cs.predicted, a.handle_time_s,
               TRY_CAST(json_extract(a.metrics, '$.silence_s') AS DOUBLE)
                   / nullif(TRY_CAST(json_extract(a.metrics, '$.conversation_s') AS DOUBLE), 0),
               a.dead_air_s / nullif(a.handle_time_s, 0),
               c.scorecard_name || ' v' || c.scorecard_version
        FROM calls c
        LEFT JOIN scores s ON s.call_id = c.call_id AND s.scorecard_name = c.scorecard_name
             AND s.scorecard_version = c.scorecard_version
        LEFT JOIN call_analytics a ON a.call_id = c.call_id
        LEFT JOIN call_satisfaction cs ON cs.call_id = c.call_id
        WHERE c.status = 'processed' AND {_PERIOD}
        ORDER BY c.call_id
        """,
        period,
    ).fetchall()
    verdicts = con.execute(
        f"""
        WITH latest_review AS ({LATEST_REVIEW})
        SELECT r.call_id, r.criterion_id, coalesce(lr.verdict, r.result)
        FROM calls c
        JOIN criteria_results r ON r.call_id = c.call_id
             AND r.scorecard_name = c.scorecard_name AND r.scorecard_version = c.scorecard_version
        LEFT JOIN latest_review lr ON lr.call_id = c.call_id AND lr.criterion_id = r.criterion_id
        WHERE c.status = 'processed' AND {_PERIOD}
        ORDER BY r.call_id, r.rowid
        """,
        period,
    ).fetchall()
    by_call: dict[str, list[tuple[str, str]]] = {}
    criteria: dict[str, None] = {}
    for call_id, criterion_id, verdict in verdicts:
        by_call.setdefault(call_id, []).append((criterion_id, verdict))
        criteria[criterion_id] = None
    purged = one_row(con.execute(f"SELECT count(*) FROM calls c WHERE c.status = 'purged' AND {_PERIOD}", period))[0]
    calls = tuple(
        CallValues(call_id, group if group else UNSET[dimension], score, bool(escalated), satisfaction, handle,
                   silence, dead_air, tuple(by_call.get(call_id, ())))
        for call_id, group, score, escalated, satisfaction, handle, silence, dead_air, _ in rows
    )
    scorecards = tuple(sorted({r[8] for r in rows if r[8]}))
    return ComparisonData(dimension, calls, tuple(criteria), scorecards, purged)


def samples(data: ComparisonData) -> tuple[list[str], list[int], list[Sample], list[Note]]:
    """Groups (busiest first), calls per group, the per-group values of every metric, and notes
    on what was left out."""
    counts: dict[str, int] = {}
    for call in data.calls:
        counts[call.group] = counts.get(call.group, 0) + 1
    groups = sorted(counts, key=lambda g: (-counts[g], g))
    notes: list[Note] = []
    out: list[Sample] = []

    def add(metric: Metric, value_of) -> bool:
        per_group: dict[str, list[float]] = {g: [] for g in groups}
        for call in data.calls:
            value = value_of(call)
            if value is not None:
                per_group[call.group].append(float(value))
        if not any(per_group.values()):
            return False
        out.extend(Sample(metric, g, tuple(v)) for g, v in per_group.items())
        return True

    add(QA_SCORE, lambda c: c.qa_score)
    for criterion_id in data.criteria:
        add(criterion_metric(criterion_id),
            lambda c, cid=criterion_id: {"pass": 1.0, "fail": 0.0}.get(dict(c.verdicts).get(cid, "")))
    add(ESCALATION, lambda c: 1.0 if c.escalated else 0.0)
    if not add(SATISFACTION, lambda c: c.satisfaction):
        notes.append(Note(N_("Predicted satisfaction is left out: it has not been computed for these calls.")))
    add(HANDLE_TIME, lambda c: c.handle_time_s)
    add(SILENCE, lambda c: c.silence_share)
    add(DEAD_AIR, lambda c: c.dead_air_share)
    if len(data.scorecards) > 1:
        notes.append(Note(N_("Calls were judged with {count} scorecard versions ({versions}): QA scores and pass "
                             "rates mix them."), count=len(data.scorecards), versions=", ".join(data.scorecards)))
    if data.purged:
        notes.append(Note(N_("Calls of the period left out: {count}. Retention deleted their verdicts, so only "
                             "daily totals remain."), count=data.purged))
    if len(groups) == 1:
        notes.append(Note(_ONE_GROUP[data.dimension]))
    return groups, [counts[g] for g in groups], out, notes


def compare(con: duckdb.DuckDBPyConnection, dimension: Dimension, since: datetime | None = None,
            until: datetime | None = None, *, min_n: int = MIN_N, alpha: float = ALPHA,
            correction: Correction = "holm") -> GroupComparison:
    """The comparison of the period's calls grouped by ``dimension``."""
    groups, calls, values, notes = samples(call_values(con, dimension, since, until))
    return compare_groups(values, groups, calls, min_n=min_n, alpha=alpha, correction=correction, notes=notes)
