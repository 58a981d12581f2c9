"""Operators see and answer their own evaluations; reviewers resolve the disputes.

An operator (``usecases.users.Role.OPERATOR``) reads only calls carrying their own operator id,
always with personal data masked (``usecases.masking``), never unredacted; every function here that
serves an operator checks the call is theirs (``users.may_see_call``) before reading anything of it.
They acknowledge an evaluation, or dispute one verdict with a comment. A reviewer upholds (the verdict
stands) or overturns the dispute; an overturn writes a reviewer's override through ``usecases.review``,
so the call's current verdict (storage.current_verdicts) changes everywhere, accuracy sheet included.

Writes go straight to the database (short waits, ``usecases.shared_database``): while the nightly flow
holds it they fail with ``DatabaseBusy`` and the page says to try again, rather than journalling an
answer the operator could not see yet.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from storage import disputes as store
from storage.disputes import AlreadyResolved, Dispute, OperatorCall
from usecases import call_details, review
from usecases.call_details import CallView, CriterionView, Evidence, SegmentView
from usecases.masking import masked
from usecases.shared_database import WRITE_WAIT_S, connection
from usecases.users import User, can_resolve_disputes, can_see_own_evaluations, may_see_call

__all__ = ["AlreadyDisputed", "AlreadyResolved", "Dispute", "Evaluation", "NotAllowed", "OperatorCall", "acknowledge",
           "call_disputes", "evaluation", "my_calls", "my_disputes", "open_disputes", "overturned_verdict",
           "raise_dispute", "resolve"]


class NotAllowed(PermissionError):
    """The user may not see or do this (another operator's call, or a role without the permission).
    Deliberately says nothing about whether the call exists."""


class AlreadyDisputed(ValueError):
    """The operator already has an open dispute on this verdict: one at a time, until a reviewer answers."""


@dataclass(frozen=True)
class Evaluation:
    """One of the operator's calls as they see it: masked transcript and evidence, verdicts, their answers."""

    call: CallView
    criteria: tuple[CriterionView, ...]
    segments: tuple[SegmentView, ...]
    disputes: tuple[Dispute, ...]
    acknowledged: OperatorCall | None  # the listing row (its acknowledgement), None when not listed

    def current_verdict(self, criterion_id: str) -> str | None:
        for c in self.criteria:
            if c.id == criterion_id:
                return c.review.verdict if c.review is not None else c.result
        return None


def _operator(user: User) -> str:
    if not can_see_own_evaluations(user) or user.operator_id is None:
        raise NotAllowed("only an operator tied to an operator id sees their own evaluations")
    return user.operator_id


def _check_call(db: str, user: User, call_id: str) -> str:
    """The operator id of ``call_id`` when ``user`` may see it; NotAllowed otherwise (also for unknown calls)."""
    with connection(db, read_only=True) as con:
        owner = store.call_operator(con, call_id)
    if owner is None or not may_see_call(user, owner):
        raise NotAllowed("not your call")
    return owner


def my_calls(db: str, user: User) -> list[OperatorCall]:
    """The operator's processed calls, newest first."""
    operator_id = _operator(user)
    with connection(db, read_only=True) as con:
        return store.operator_calls(con, operator_id)


def my_disputes(db: str, user: User) -> list[Dispute]:
    operator_id = _operator(user)
    with connection(db, read_only=True) as con:
        return store.operator_disputes(con, operator_id)


def _masked_criterion(c: CriterionView, language: str | None) -> CriterionView:
    evidence = None if c.evidence is None else Evidence(masked(c.evidence.text, language), c.evidence.start,
                                                        c.evidence.end)
    hits = tuple(replace(h, text=None if h.text is None else masked(h.text, language)) for h in c.hits)
    return replace(c, evidence=evidence, reason=None if c.reason is None else masked(c.reason, language), hits=hits)


def evaluation(db: str, user: User, call_id: str) -> Evaluation:
    """The operator's own call, masked (NotAllowed for any other call, whether or not it exists)."""
    operator_id = _operator(user)
    _check_call(db, user, call_id)
    call = call_details.call(db, call_id)
    if call is None or call.status != "processed":
        raise NotAllowed("not an evaluated call")
    language = call.language
    criteria = tuple(_masked_criterion(c, language) for c in call_details.criteria(db, call_id))
    segments = tuple(replace(s, text=masked(s.text, language)) for s in call_details.segments(db, call_id))
    with connection(db, read_only=True) as con:
        found = store.call_disputes(con, call_id)
        listed = next((c for c in store.operator_calls(con, operator_id) if c.call_id == call_id), None)
    return Evaluation(call, criteria, segments, tuple(found), listed)


def acknowledge(db: str, user: User, call_id: str) -> None:
    """The operator has read the evaluation (kept with who and when; acknowledging again adds a row)."""
    operator_id = _operator(user)
    _check_call(db, user, call_id)
    with connection(db, read_only=False, wait_s=WRITE_WAIT_S) as con:
        store.insert_acknowledgement(con, store.acknowledgement_row(call_id, operator_id, user.name))


def raise_dispute(db: str, user: User, call_id: str, criterion_id: str, comment: str) -> str:
    """The operator disputes the current verdict on one criterion of their call; the new dispute's id."""
    operator_id = _operator(user)
    _check_call(db, user, call_id)
    if not (comment or "").strip():
        raise ValueError("a dispute needs a comment: why the verdict is wrong")
    verdicts = {c.id: (c.review.verdict if c.review is not None else c.result)
                for c in call_details.criteria(db, call_id)}
    if criterion_id not in verdicts:
        raise ValueError(f"the call has no criterion {criterion_id!r}")
    row = store.dispute_row(call_id, criterion_id, operator_id, user.name, comment, verdicts[criterion_id])
    with connection(db, read_only=False, wait_s=WRITE_WAIT_S) as con:
        if any(d.open and d.criterion_id == criterion_id for d in store.call_disputes(con, call_id)):
            raise AlreadyDisputed(f"an open dispute on {criterion_id} already waits for a reviewer")
        return store.insert_dispute(con, row)


def open_disputes(db: str, user: User) -> list[Dispute]:
    """Disputes waiting for a reviewer, oldest first."""
    if not can_resolve_disputes(user):
        raise NotAllowed("only reviewers resolve disputes")
    with connection(db, read_only=True) as con:
        return store.open_disputes(con)


def call_disputes(db: str, user: User, call_id: str) -> list[Dispute]:
    """A call's disputes, for staff (the call page's note) or the operator whose call it is."""
    _check_call(db, user, call_id)
    with connection(db, read_only=True) as con:
        return store.call_disputes(con, call_id)


def overturned_verdict(disputed: str) -> str:
    """What an overturn writes unless the reviewer says otherwise: the opposite of a pass or a fail."""
    return "pass" if disputed != "pass" else "fail"


def resolve(db: str, user: User, dispute_id: str, outcome: str, comment: str, new_verdict: str | None = None) -> None:
    """A reviewer's answer. Overturned: ``new_verdict`` (default the opposite of the disputed one) is written as a
    reviewer's override (``usecases.review.save_verdict``), then the resolution; upheld: the resolution alone."""
    if not can_resolve_disputes(user):
        raise NotAllowed("only reviewers resolve disputes")
    with connection(db, read_only=True) as con:
        found = store.dispute(con, dispute_id)
    if found is None:
        raise KeyError(f"no dispute {dispute_id}")
    if not found.open:
        raise AlreadyResolved(f"dispute {dispute_id} is already resolved")
    if outcome == "overturned":
        new_verdict = new_verdict or overturned_verdict(found.disputed_verdict)
        if new_verdict == found.disputed_verdict:
            raise ValueError("an overturn changes the verdict: choose another one")
    else:
        new_verdict = None
    row = store.resolution_row(dispute_id, outcome, user.name, comment, new_verdict)  # checks before any write
    if new_verdict is not None:
        review.save_verdict(db, found.call_id, found.criterion_id, found.auto_result or "unknown", new_verdict,
                            user.name, row["comment"], user.role.value)
    with connection(db, read_only=False, wait_s=WRITE_WAIT_S) as con:
        store.insert_resolution(con, row)
