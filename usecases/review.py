"""A reviewer's writes on a call (verdicts, "reviewed", role flips and one utterance's speaker), and the
verdicts as they will stand once the journal is applied.

A change of who said what (``flip_roles``, ``set_speaker``) re-judges the call at once from its stored
transcript (``usecases.rescore.rejudge_call``): verdicts judged on the wrong party are never left standing
while the database is free. While the nightly flow holds it the change is journalled, as every review is,
and the call is re-judged on the next try (the call page tries whenever the verdicts predate a change).

Writes wait ``WRITE_WAIT_S`` for the database; while the nightly flow holds it they go to the
journal (``storage.pending``) and the next writer stores them, so a verdict is never lost, and
the call page shows a journalled review as saved (``with_pending_reviews``).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from storage import calls, pending, transcripts
from usecases.call_details import CriterionView, ReviewerVerdict
from usecases.rescore import Rejudged, rejudge_call
from usecases.shared_database import DatabaseBusy, Saved, connection, write_or_journal

VERDICTS: tuple[str, ...] = ("pass", "fail", "na")


def review_action(auto_result: str, verdict: str) -> Literal["confirm", "override"]:
    """A reviewer who agrees with the automatic verdict confirms it; otherwise they override it."""
    return "confirm" if verdict == auto_result else "override"


def save_verdict(db: str, call_id: str, criterion_id: str, auto_result: str, verdict: str, reviewer: str,
                 comment: str | None = None, role: str | None = None) -> Saved:
    """Store a reviewer's verdict on one criterion."""
    if verdict not in VERDICTS:
        raise ValueError(f"verdict must be one of {', '.join(VERDICTS)}, not {verdict!r}")
    row = calls.review_row(call_id, reviewer, review_action(auto_result, verdict), criterion_id, verdict, comment, role)
    return write_or_journal(db, "reviews", row, calls.insert_review)


def mark_reviewed(db: str, call_id: str, reviewer: str, comment: str | None = None, role: str | None = None) -> Saved:
    return write_or_journal(db, "reviews",
                            calls.review_row(call_id, reviewer, "reviewed", comment=comment, reviewer_role=role),
                            calls.insert_review)


def flip_roles(db: str, call_id: str, reviewer: str, comment: str | None = None, role: str | None = None) -> Saved:
    """Swap operator and customer for this call (``change_roles`` re-judges it as well)."""
    return write_or_journal(db, "reviews",
                            calls.review_row(call_id, reviewer, "flip_roles", comment=comment, reviewer_role=role),
                            calls.insert_review)


def with_pending_reviews(db: str, call_id: str, criteria: list[CriterionView]) -> list[CriterionView]:
    """The call's ``criteria`` (as stored), with reviews still waiting in the journal shown as the latest."""
    out = []
    waiting = {}
    for row in pending.pending_rows(db, "reviews"):
        if row["call_id"] == call_id and row["criterion_id"] and row["action"] in ("confirm", "override"):
            waiting[row["criterion_id"]] = row
    for c in criteria:
        journalled = waiting.get(c.id)
        if journalled is not None and (c.review is None or journalled["created_at"] >= c.review.created_at):
            c = CriterionView(**{**c.__dict__, "review": ReviewerVerdict(
                journalled["verdict"], journalled["comment"], journalled["reviewer"], journalled["created_at"],
                pending=True)})
        out.append(c)
    return out


SPEAKERS: tuple[str, ...] = ("operator", "customer")


@dataclass(frozen=True)
class RolesChanged:
    """A flip or a one-utterance correction, and whether the call could be re-judged right away."""

    saved: Saved
    rejudged: Rejudged | None  # None: nothing re-judged (busy, or no transcript left to judge)
    busy: bool  # the nightly flow held the database: the change waits in the journal, re-judged later


def flip_roles_and_rejudge(db: str, call_id: str, reviewer: str, role: str | None = None,
                           scorecards_dir: Path | None = None) -> RolesChanged:
    """Swap operator and customer for the whole call, then judge it again on the swapped roles."""
    return _rejudged(db, call_id, flip_roles(db, call_id, reviewer, role=role), scorecards_dir)


def set_speaker(db: str, call_id: str, segment_idx: int, speaker: str, reviewer: str, role: str | None = None,
                scorecards_dir: Path | None = None) -> RolesChanged:
    """Say who said one utterance (operator or customer), then judge the call again."""
    if speaker not in SPEAKERS:
        raise ValueError(f"speaker must be one of {', '.join(SPEAKERS)}, not {speaker!r}")
    row = calls.review_row(call_id, reviewer, "set_speaker", reviewer_role=role, segment_idx=segment_idx,
                           speaker=speaker)
    return _rejudged(db, call_id, write_or_journal(db, "reviews", row, calls.insert_review), scorecards_dir)


def _rejudged(db: str, call_id: str, saved: Saved, scorecards_dir: Path | None) -> RolesChanged:
    if not saved.stored:  # the flow holds the file: trying to re-judge now would only wait again
        return RolesChanged(saved, None, busy=True)
    try:
        return RolesChanged(saved, rejudge_call(db, call_id, scorecards_dir), busy=False)
    except DatabaseBusy:
        return RolesChanged(saved, None, busy=True)


def rejudge_if_roles_changed(db: str, call_id: str, scorecards_dir: Path | None = None) -> Rejudged | None:
    """Re-judge the call if its verdicts predate a role change (one journalled while the flow held the
    database included); None when they already follow the latest change. Raises ``DatabaseBusy``."""
    return rejudge_call(db, call_id, scorecards_dir, only_if_roles_changed=True)


def roles_waiting(db: str, call_id: str) -> bool:
    """Whether a role change (stored or still journalled) is newer than the call's verdicts."""
    if any(r["call_id"] == call_id and r["action"] in calls.ROLE_CHANGES for r in pending.pending_rows(db, "reviews")):
        return True
    with connection(db, read_only=True) as con:
        return transcripts.roles_changed_since_scored(con, call_id)


def history(db: str, call_id: str) -> list[calls.ReviewEntry]:
    """Every review of the call, oldest first, with those still in the journal (``pending`` rows last)."""
    with connection(db, read_only=True) as con:
        stored = calls.review_history(con, call_id)
    known = {(e.created_at, e.action, e.reviewer) for e in stored}
    waiting = [calls.ReviewEntry(r["action"], r["reviewer"], r.get("reviewer_role"), r["created_at"],
                                 r.get("criterion_id"), r.get("verdict"), r.get("comment"), r.get("segment_idx"),
                                 r.get("speaker"))
               for r in pending.pending_rows(db, "reviews") if r["call_id"] == call_id]
    return stored + [e for e in waiting if (e.created_at, e.action, e.reviewer) not in known]
