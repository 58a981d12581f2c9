"""A reviewer's writes on a call (verdicts, "reviewed", role flips), and the verdicts as they will stand
once the journal is applied.

Writes wait ``WRITE_WAIT_S`` for the database; while the nightly flow holds it they go to the
journal (``storage.pending``) and the next writer stores them, so a verdict is never lost, and
the call page shows a journalled review as saved (``with_pending_reviews``).
"""

from __future__ import annotations

from typing import Literal

from storage import calls, pending
from usecases.call_details import CriterionView, ReviewerVerdict
from usecases.shared_database import Saved, write_or_journal

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
    """Swap operator and customer for this call (verdicts are re-judged by `callqa rescore --flipped`)."""
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
