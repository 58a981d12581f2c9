"""The app's writes and reads as use cases (usecases.review, coaching_assignments, call_details,
shared_database, exports) on a real DuckDB file, without Streamlit: a write while another process
holds the database goes to the journal and shows as saved; the next writer stores it."""

from __future__ import annotations

import subprocess
import sys

import pytest

from reporting.i18n import Words
from storage import pending, scrub
from storage.db import connect
from tests.test_rescore_and_coaching import db as db  # noqa: F401  (the fixture: 10 known calls)
from tests.test_review_storage import HOLD_LOCK
from usecases import call_details, coaching_assignments, exports, review, shared_database


def test_verdicts_read_as_typed_records(db):
    criteria = call_details.criteria(str(db), "c00")
    farewell = next(c for c in criteria if c.id == "farewell")
    assert farewell.result == "fail" and farewell.review is None
    call = call_details.call(str(db), "c00")
    assert call is not None and call.call_id == "c00" and call.duration_s == 30.0
    assert call_details.call(str(db), "no-such-call") is None
    assert [s.speaker for s in call_details.segments(str(db), "c00")][:2] == ["operator", "customer"]


def test_a_verdict_saved_while_the_flow_holds_the_database_is_journalled_and_shown_as_saved(db, monkeypatch):
    monkeypatch.setattr(shared_database, "WRITE_WAIT_S", 0.5)  # both saves give up long before the holder lets go
    holder = subprocess.Popen([sys.executable, "-c", HOLD_LOCK, str(db), "8"], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "locked"
        saved = review.save_verdict(str(db), "c00", "farewell", "fail", "pass", "anna.qa", "she said goodbye",
                                    "reviewer")
        assigned = coaching_assignments.assign_topic(str(db), "ivanov", "farewell", "tom.trainer", " say goodbye ")
    finally:
        holder.wait(timeout=60)
    assert not saved.stored and not assigned.stored
    assert [r["review_id"] for r in pending.pending_rows(db, "reviews")] == [saved.row_id]
    # Read without a writer, the stored verdict is still the automatic one; the journal's review shows as the latest.
    shown = {c.id: c for c in review.with_pending_reviews(str(db), "c00", call_details.criteria(str(db), "c00"))}
    assert shown["farewell"].review is not None and shown["farewell"].review.pending
    assert (shown["farewell"].review.verdict, shown["farewell"].review.reviewer) == ("pass", "anna.qa")
    csv = exports.verdicts_csv(shown.values(), Words("en", "UTC")).decode("utf-8-sig")
    assert "Farewell,failed," in csv and ",passed,anna.qa,she said goodbye,passed" in csv
    waiting = coaching_assignments.assignments(str(db), "ivanov")
    assert [(a.criterion_id, a.assigned_by, a.note) for a in waiting] == [("farewell", "tom.trainer", "say goodbye")]
    # The next writer applies the journal: the verdict is stored, a confirmation goes straight in.
    again = review.save_verdict(str(db), "c00", "greeting", "pass", "pass", "anna.qa")
    assert again.stored and not pending.journal_path(db).exists()
    stored = {c.id: c for c in call_details.criteria(str(db), "c00")}
    assert stored["farewell"].review is not None and not stored["farewell"].review.pending
    assert stored["farewell"].review.verdict == "pass"
    with connect(db, read_only=True) as con:
        actions = con.execute("SELECT criterion_id, action FROM reviews WHERE call_id = 'c00' ORDER BY criterion_id")
        assert actions.fetchall() == [("farewell", "override"), ("greeting", "confirm")]
    assert len(coaching_assignments.assignments(str(db), "ivanov")) == 1  # stored once, no longer journalled
    with pytest.raises(ValueError, match="verdict must be one of"):
        review.save_verdict(str(db), "c00", "farewell", "fail", "maybe", "anna.qa")


def test_a_rewritten_database_is_noticed_once(db, monkeypatch):
    generation = {"now": None}
    monkeypatch.setattr(scrub, "generation", lambda path: generation["now"])
    assert not shared_database.rewritten_since_last_look(str(db))  # the first look
    assert not shared_database.rewritten_since_last_look(str(db))
    generation["now"] = "erased-once"
    assert shared_database.rewritten_since_last_look(str(db))
    assert not shared_database.rewritten_since_last_look(str(db))


def test_a_missing_database_is_unavailable_with_a_message(tmp_path, monkeypatch):
    monkeypatch.delenv(shared_database.DB_ENV, raising=False)
    with pytest.raises(shared_database.DatabaseUnavailable, match="No database configured"):
        shared_database.database_path()
    monkeypatch.setenv(shared_database.DB_ENV, str(tmp_path / "none.duckdb"))
    with pytest.raises(shared_database.DatabaseUnavailable, match="does not exist yet"):
        shared_database.database_path()
