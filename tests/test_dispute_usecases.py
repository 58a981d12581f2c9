"""Operators' evaluations and disputes as use cases on a real DuckDB file (tests/test_rescore_and_coaching's
ten known calls: ivanov handled c00-c03, petrova c04-c06, sidorov c07-c09): who may see which call, the
storage round trip, and a dispute's round trip to the call's current verdict."""

from __future__ import annotations

import pytest

from storage import disputes as store
from storage.db import connect
from tests.test_rescore_and_coaching import db as db  # noqa: F401  (the fixture: 10 known calls)
from usecases import call_details, disputes
from usecases.users import Role, User, can_resolve_disputes, can_see_own_evaluations, is_staff, may_see_call

IVANOV = User("ivanov.op", Role.OPERATOR, "Иван Иванов", "local", "ivanov")
PETROVA = User("petrova.op", Role.OPERATOR, None, "local", "petrova")
UNTIED = User("nobody.op", Role.OPERATOR)  # an operator with no operator id sees nothing
REVIEWER = User("anna.qa", Role.REVIEWER)
TRAINER = User("olga.trainer", Role.TRAINER)


def current(db, call_id: str, criterion_id: str) -> str:
    c = next(c for c in call_details.criteria(str(db), call_id) if c.id == criterion_id)
    return c.review.verdict if c.review is not None else c.result


def test_permissions_keep_operators_to_their_own_calls():
    assert [is_staff(u) for u in (REVIEWER, TRAINER, User("a", Role.ADMIN), IVANOV, None)] == [
        True, True, True, False, False]
    assert can_see_own_evaluations(IVANOV) and not can_see_own_evaluations(UNTIED)
    assert not can_see_own_evaluations(REVIEWER)
    assert may_see_call(IVANOV, "ivanov") and not may_see_call(IVANOV, "petrova")
    assert not may_see_call(IVANOV, None) and not may_see_call(UNTIED, None) and not may_see_call(None, "ivanov")
    assert may_see_call(REVIEWER, "petrova") and may_see_call(TRAINER, None)
    assert can_resolve_disputes(REVIEWER) and not can_resolve_disputes(TRAINER) and not can_resolve_disputes(IVANOV)


def test_an_operator_lists_and_opens_only_their_own_calls(db):
    mine = disputes.my_calls(str(db), IVANOV)
    assert sorted(c.call_id for c in mine) == ["c00", "c01", "c02", "c03"]
    assert all(c.score is not None and c.acknowledged_at is None for c in mine)
    seen = disputes.evaluation(str(db), IVANOV, "c00")
    assert seen.call.call_id == "c00" and seen.segments and seen.current_verdict("farewell") == "fail"
    for other in ("c04", "c09", "no-such-call"):
        with pytest.raises(disputes.NotAllowed):
            disputes.evaluation(str(db), IVANOV, other)
        with pytest.raises(disputes.NotAllowed):
            disputes.acknowledge(str(db), IVANOV, other)
        with pytest.raises(disputes.NotAllowed):
            disputes.raise_dispute(str(db), IVANOV, other, "farewell", "not me")
    for who in (UNTIED, REVIEWER):
        with pytest.raises(disputes.NotAllowed):
            disputes.my_calls(str(db), who)
    with pytest.raises(disputes.NotAllowed):
        disputes.open_disputes(str(db), IVANOV)


def test_storage_round_trip_keeps_who_and_when(db):
    with connect(db) as con:
        store.insert_acknowledgement(con, store.acknowledgement_row("c01", "ivanov", "ivanov.op"))
        dispute_id = store.insert_dispute(con, store.dispute_row("c00", "farewell", "ivanov", "ivanov.op",
                                                                  "  I said goodbye  ", "fail"))
        with pytest.raises(ValueError, match="comment"):
            store.dispute_row("c00", "farewell", "ivanov", "ivanov.op", "   ", "fail")
        with pytest.raises(ValueError, match="new verdict"):
            store.resolution_row(dispute_id, "overturned", "anna.qa", "ok")
        [waiting] = store.open_disputes(con)
        assert (waiting.dispute_id, waiting.comment, waiting.disputed_verdict, waiting.auto_result, waiting.open) == (
            dispute_id, "I said goodbye", "fail", "fail", True)
        assert waiting.file_name == "c00.wav" and waiting.raised_by == "ivanov.op" and waiting.raised_at is not None
        store.insert_resolution(con, store.resolution_row(dispute_id, "upheld", "anna.qa", "the recording agrees"))
        with pytest.raises(store.AlreadyResolved):
            store.insert_resolution(con, store.resolution_row(dispute_id, "upheld", "anna.qa", "again"))
        assert store.open_disputes(con) == []
        [done] = store.operator_disputes(con, "ivanov")
        assert done.resolution is not None and (done.resolution.outcome, done.resolution.resolved_by) == (
            "upheld", "anna.qa")
        listed = {c.call_id: c for c in store.operator_calls(con, "ivanov")}
        assert listed["c01"].acknowledged_by == "ivanov.op" and listed["c01"].acknowledged_at is not None
        assert listed["c00"].acknowledged_at is None
        assert store.operator_disputes(con, "petrova") == []


def test_a_dispute_overturned_changes_the_current_verdict_and_the_operator_sees_it(db):
    assert current(db, "c00", "farewell") == "fail"
    disputes.acknowledge(str(db), IVANOV, "c03")
    with pytest.raises(ValueError, match="comment"):
        disputes.raise_dispute(str(db), IVANOV, "c00", "farewell", " ")
    first = disputes.raise_dispute(str(db), IVANOV, "c00", "farewell", "Я попрощался в конце")
    with pytest.raises(disputes.AlreadyDisputed):
        disputes.raise_dispute(str(db), IVANOV, "c00", "farewell", "again")
    second = disputes.raise_dispute(str(db), IVANOV, "c01", "farewell", "И тут тоже")
    waiting = disputes.open_disputes(str(db), REVIEWER)
    assert [(d.dispute_id, d.operator_id, d.criterion_id) for d in waiting] == [
        (first, "ivanov", "farewell"), (second, "ivanov", "farewell")]
    with pytest.raises(disputes.NotAllowed):
        disputes.resolve(str(db), TRAINER, first, "overturned", "no")
    with pytest.raises(ValueError, match="comment"):
        disputes.resolve(str(db), REVIEWER, first, "overturned", "  ")
    assert current(db, "c00", "farewell") == "fail"  # a refused resolution wrote nothing

    disputes.resolve(str(db), REVIEWER, first, "overturned", "Прощание есть на 0:28")
    assert current(db, "c00", "farewell") == "pass"  # the override changed the current verdict
    disputes.resolve(str(db), REVIEWER, second, "upheld", "Прощания нет")
    assert current(db, "c01", "farewell") == "fail"
    with pytest.raises(disputes.AlreadyResolved):
        disputes.resolve(str(db), REVIEWER, second, "overturned", "changed my mind")
    assert disputes.open_disputes(str(db), REVIEWER) == []

    outcomes = {d.call_id: d for d in disputes.my_disputes(str(db), IVANOV)}
    assert outcomes["c00"].resolution is not None and outcomes["c00"].resolution.outcome == "overturned"
    assert outcomes["c00"].resolution.new_verdict == "pass" and outcomes["c00"].review_verdict == "pass"
    assert outcomes["c01"].resolution is not None and outcomes["c01"].resolution.outcome == "upheld"
    assert disputes.my_disputes(str(db), PETROVA) == []
    with connect(db, read_only=True) as con:
        review = con.execute("SELECT action, verdict, reviewer, comment FROM reviews WHERE call_id = 'c00'").fetchall()
    assert review == [("override", "pass", "anna.qa", "Прощание есть на 0:28")]
    assert {c.call_id: c.acknowledged_by for c in disputes.my_calls(str(db), IVANOV)}["c03"] == "ivanov.op"
