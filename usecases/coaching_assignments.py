"""Coaching topics a trainer assigns to an operator, journalled like reviews while the nightly flow holds
the database (usecases.shared_database), and listed with the journalled ones first."""

from __future__ import annotations

import uuid

from storage import pending, training
from storage.db import now
from usecases.shared_database import Saved, connection, write_or_journal


def assign_topic(db: str, operator_id: str, criterion_id: str, assigned_by: str, note: str | None = None) -> Saved:
    row = dict(assignment_id=uuid.uuid4().hex, operator_id=operator_id, criterion_id=criterion_id,
               assigned_by=assigned_by, assigned_at=now(), note=(note or "").strip() or None)

    def insert(con, r):
        training.assign_topic(con, r["operator_id"], r["criterion_id"], r["assigned_by"], r["note"], r["assignment_id"])

    return write_or_journal(db, "coaching_assignments", row, insert)


def assignments(db: str, operator: str | None = None) -> list[training.Assignment]:
    """Assignments (of ``operator``, or everybody's), those still in the journal first."""
    with connection(db, read_only=True) as con:
        stored = training.assignments(con, operator)
    waiting = [training.Assignment(**r) for r in pending.pending_rows(db, "coaching_assignments")
               if operator is None or r["operator_id"] == operator]
    return waiting + stored
