"""The trainer's workflow: which topics to coach (and why an operator who looks weak has none), coaching
assignments with a note and a due date that move through assigned -> in progress -> done or are cancelled
(the undo), and the operator's failure rate before and after.

Writes are journalled like reviews while the nightly flow holds the database (usecases.shared_database),
and the reads merge the journal in, so a trainer sees what they just did.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import TYPE_CHECKING

import pandas as pd

from storage import coaching, pending, training
from storage.coaching import CoachingRule
from storage.db import now
from storage.training import Assignment, StatusChange
from usecases.shared_database import Saved, connection, write_or_journal

if TYPE_CHECKING:
    from usecases.settings import CoachingSettings  # imported when needed: it brings the analysis pipeline

# A failure rate before/after an assignment is shown once it rests on this many judged calls.
RESULT_MIN_CALLS = 2


def coaching_rule(coaching_settings: CoachingSettings) -> CoachingRule:
    """The rule that proposes topics (k misses of the last n judged calls), from ``settings.coaching``."""
    return CoachingRule(coaching_settings.min_misses, coaching_settings.recent_calls)


def coaching_rule_for(db: str) -> CoachingRule:
    """The rule configured for the site that uses this database (config file and environment)."""
    from usecases.settings import load_settings

    return coaching_rule(load_settings(db=db).coaching)


def assign_topic(db: str, operator_id: str, criterion_id: str, assigned_by: str, note: str | None = None,
                 due_on: date | None = None) -> Saved:
    if not operator_id or not criterion_id:
        raise ValueError("a coaching assignment needs an operator and a criterion")
    row = dict(assignment_id=uuid.uuid4().hex, operator_id=operator_id, criterion_id=criterion_id,
               assigned_by=assigned_by, assigned_at=now(), note=(note or "").strip() or None, due_on=due_on)

    def insert(con, r):
        training.assign_topic(con, r["operator_id"], r["criterion_id"], r["assigned_by"], r["note"], r["assignment_id"],
                              r["due_on"], r["assigned_at"])

    return write_or_journal(db, "coaching_assignments", row, insert)


def set_status(db: str, assignment_id: str, status: str, changed_by: str) -> Saved:
    """Move an assignment to ``status`` (assigned, in_progress, done, or cancelled: see ``cancel``)."""
    row = dict(event_id=uuid.uuid4().hex, assignment_id=assignment_id, status=training.check_status(status),
               changed_by=changed_by, changed_at=now())

    def insert(con, r):
        training.change_status(con, r["assignment_id"], r["status"], r["changed_by"], r["event_id"], r["changed_at"])

    return write_or_journal(db, "coaching_assignment_events", row, insert)


def cancel(db: str, assignment_id: str, changed_by: str) -> Saved:
    """The undo of an assignment: it leaves the lists and the before/after, its history stays."""
    return set_status(db, assignment_id, "cancelled", changed_by)


def _pending_events(db: str) -> list[dict]:
    return sorted(pending.pending_rows(db, "coaching_assignment_events"), key=lambda r: r["changed_at"])


def assignments(db: str, operator: str | None = None, include_cancelled: bool = False) -> list[Assignment]:
    """Assignments (of ``operator``, or everybody's) with their current status, those still in the journal
    first; a status change still in the journal counts."""
    with connection(db, read_only=True) as con:
        stored = training.assignments(con, operator, include_cancelled=True)
    waiting = [Assignment(**r, pending=True) for r in pending.pending_rows(db, "coaching_assignments")
               if operator is None or r["operator_id"] == operator]
    latest = {e["assignment_id"]: e for e in _pending_events(db)}
    every = [replace(a, status=latest[a.assignment_id]["status"], status_by=latest[a.assignment_id]["changed_by"],
                     status_at=latest[a.assignment_id]["changed_at"], pending=True)
             if a.assignment_id in latest else a for a in waiting[::-1] + stored]
    return [a for a in every if include_cancelled or a.active]


def history(db: str, assignment_id: str) -> list[StatusChange]:
    """An assignment's steps, oldest first, those still in the journal included."""
    with connection(db, read_only=True) as con:
        stored = training.history(con, assignment_id)
    if not stored:
        stored = [StatusChange("assigned", r["assigned_by"], r["assigned_at"], pending=True)
                  for r in pending.pending_rows(db, "coaching_assignments") if r["assignment_id"] == assignment_id]
    waiting = [StatusChange(e["status"], e["changed_by"], e["changed_at"], pending=True)
               for e in _pending_events(db) if e["assignment_id"] == assignment_id]
    return stored + waiting


# ---- before / after ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FailRate:
    """How often the operator failed the criterion in some judged calls."""

    calls: int
    failed: int

    @property
    def enough(self) -> bool:
        return self.calls >= RESULT_MIN_CALLS

    @property
    def rate(self) -> float | None:
        """The failure rate, once it rests on enough calls (``RESULT_MIN_CALLS``)."""
        return self.failed / self.calls if self.enough else None


@dataclass(frozen=True)
class CoachingResult:
    """An assignment's before/after: the ``COMPARE_CALLS`` judged calls just before it and just after."""

    assignment_id: str
    before: FailRate
    after: FailRate

    @property
    def change(self) -> float | None:
        """The failure rate after minus before (negative: the operator improved); None until both are known."""
        if self.before.rate is None or self.after.rate is None:
            return None
        return self.after.rate - self.before.rate


def results(db: str) -> dict[str, CoachingResult]:
    """Each stored assignment's before/after, by assignment id (one still in the journal has none yet)."""
    with connection(db, read_only=True) as con:
        table = training.before_after(con)
    return {
        r.assignment_id: CoachingResult(r.assignment_id, FailRate(int(r.calls_before), int(r.failed_before)),
                                        FailRate(int(r.calls_after), int(r.failed_after)))
        for r in table.itertuples(index=False)
    }


# ---- what to coach, and why an operator who looks weak has no topic ---------------------------------------


@dataclass(frozen=True)
class NoTopic:
    """Criteria an operator fails more often than the team (red on the heatmap) that are not topics: fewer
    than ``needed`` misses among their last ``window`` judged calls on them (``CoachingRule``)."""

    operator_id: str
    criteria: tuple[str, ...]
    misses: int  # misses among the operator's last judged calls on each of these criteria
    recent_calls: int  # judged calls in that window (``window``, or fewer)
    needed: int  # k
    window: int  # n


@dataclass(frozen=True)
class TrainingNeeds:
    cells: pd.DataFrame  # storage.training.failure_heatmap
    topics: list[coaching.CoachingTopic]  # the first ``limit``, most misses in the window first
    total_topics: int
    no_topic: list[NoTopic]
    rule: CoachingRule = CoachingRule()


def training_needs(db: str, since: datetime, until: datetime, teams: tuple[str, ...] = (),
                   operator: str | None = None, limit: int = 20,
                   rule: CoachingRule = CoachingRule()) -> TrainingNeeds:
    with connection(db, read_only=True) as con:
        cells = training.failure_heatmap(con, since, until, teams, rule=rule)
        topics = coaching.coaching_topics(con, since, until, operator=operator, limit=limit, teams=teams, rule=rule)
    if operator is not None:
        cells = cells[cells["operator_id"] == operator]
    return TrainingNeeds(cells, topics, int(cells["is_topic"].sum()) if len(cells) else 0,
                         why_no_topic(cells, rule), rule)


def why_no_topic(cells: pd.DataFrame, rule: CoachingRule) -> list[NoTopic]:
    """The heatmap's red cells (worse than the team) that are not topics, grouped by operator and by their
    misses in the window: the miss was not repeated often enough among the last judged calls."""
    red = cells[(cells["difference"] > 0) & ~cells["is_topic"].astype(bool)]
    out = []
    for (operator_id, misses, recent), group in red.groupby(["operator_id", "misses", "recent_calls"], sort=True):
        out.append(NoTopic(str(operator_id), tuple(group["criterion_id"]), int(misses), int(recent),
                           rule.min_misses, rule.recent_calls))
    return out
