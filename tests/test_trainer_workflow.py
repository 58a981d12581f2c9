"""The trainer's workflow (issue #17) on a real DuckDB file: assignments with a note and a due date that move
assigned -> in progress -> done or are cancelled (the undo, with its history), journalled while the nightly
flow holds the database; the before/after on constructed calls; why a red operator has no topic; and the
training page and operator dashboard driven through AppTest in English and in Russian."""

from __future__ import annotations

import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path

import pytest
from streamlit import config as st_config
from streamlit.testing.v1 import AppTest

from pipeline.judging.scorecard import load_scorecard
from reporting.i18n import MISSING
from storage import pending, training
from storage.calls import SourceFile, add_review, save_analysis
from storage.coaching import coaching_topics
from storage.db import connect
from tests.test_rescore_and_coaching import GOOD, NO_FAREWELL, WHEN, analysis
from tests.test_rescore_and_coaching import db as db  # noqa: F401  (the fixture: 10 known calls)
from tests.test_review_storage import HOLD_LOCK
from usecases import coaching_assignments, shared_database

APP = Path(__file__).resolve().parent.parent / "qa_app" / "app.py"
DAY = (WHEN - timedelta(days=1), WHEN + timedelta(days=3))
ASSIGNED_AT = WHEN + timedelta(hours=3, minutes=30)  # after ivanov's four calls c00..c03, before c11 and c12


@pytest.fixture()
def coached(db):
    """The 10 calls, plus kuznetsov's one call without a farewell (red, but one call: no topic), two good calls
    of ivanov a day later, and a trainer's assignment of ivanov's farewell between them."""
    card = load_scorecard("inbound_support")
    extra = [("c10", "kuznetsov", NO_FAREWELL, WHEN + timedelta(hours=12)),
             ("c11", "ivanov", GOOD, WHEN + timedelta(days=1)),
             ("c12", "ivanov", GOOD, WHEN + timedelta(days=1, hours=1))]
    with connect(db) as con:
        for cid, op, turns, at in extra:
            save_analysis(con, SourceFile(f"/inbox/{cid}.wav", cid * 4, cid, 100, op, "team-a", "support", at),
                          analysis(cid, turns, card))
        training.assign_topic(con, "ivanov", "farewell", "olga.trainer", "role-play the goodbye", "a-ivanov",
                              due_on=date(2026, 12, 1), assigned_at=ASSIGNED_AT)
    return db


# ---- storage and use cases ---------------------------------------------------------------------------------


def test_an_assignment_moves_through_its_statuses_and_its_undo_keeps_the_history(db):
    saved = coaching_assignments.assign_topic(str(db), "ivanov", "farewell", "olga.trainer", " practise the goodbye ",
                                              due_on=date(2026, 12, 24))
    assert saved.stored
    [a] = coaching_assignments.assignments(str(db), "ivanov")
    assert (a.note, a.due_on, a.status, a.assigned_by) == ("practise the goodbye", date(2026, 12, 24), "assigned",
                                                          "olga.trainer")
    coaching_assignments.set_status(str(db), a.assignment_id, "in_progress", "olga.trainer")
    coaching_assignments.set_status(str(db), a.assignment_id, "done", "boris.trainer")
    [a] = coaching_assignments.assignments(str(db), "ivanov")
    assert (a.status, a.status_by) == ("done", "boris.trainer")
    with pytest.raises(ValueError, match="status is one of"):
        coaching_assignments.set_status(str(db), a.assignment_id, "finished", "olga.trainer")

    coaching_assignments.cancel(str(db), a.assignment_id, "olga.trainer")
    assert coaching_assignments.assignments(str(db), "ivanov") == []  # the undo: gone from the lists...
    [gone] = coaching_assignments.assignments(str(db), "ivanov", include_cancelled=True)
    assert gone.status == "cancelled" and not gone.active
    steps = coaching_assignments.history(str(db), a.assignment_id)  # ...its history kept, who and when
    assert [(s.status, s.changed_by) for s in steps] == [
        ("assigned", "olga.trainer"), ("in_progress", "olga.trainer"), ("done", "boris.trainer"),
        ("cancelled", "olga.trainer")]
    assert [s.changed_at for s in steps] == sorted(s.changed_at for s in steps)
    with pytest.raises(ValueError, match="cancelled"):
        coaching_assignments.set_status(str(db), a.assignment_id, "in_progress", "olga.trainer")
    with pytest.raises(ValueError, match="no coaching assignment"):
        coaching_assignments.set_status(str(db), "no-such-assignment", "done", "olga.trainer")
    with connect(db, read_only=True) as con:  # nothing deleted: the audit trail is in the database
        assert con.execute("SELECT count(*) FROM coaching_assignments").fetchone()[0] == 1
        assert con.execute("SELECT count(*) FROM coaching_assignment_events").fetchone()[0] == 3


def test_assignments_and_status_changes_are_journalled_while_the_flow_holds_the_database(db, monkeypatch):
    first = coaching_assignments.assign_topic(str(db), "ivanov", "farewell", "olga.trainer", "say goodbye")
    monkeypatch.setattr(shared_database, "WRITE_WAIT_S", 0.5)
    holder = subprocess.Popen([sys.executable, "-c", HOLD_LOCK, str(db), "8"], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "locked"
        second = coaching_assignments.assign_topic(str(db), "sidorov", "farewell", "olga.trainer", "and you",
                                                   due_on=date(2026, 12, 31))
        moved = coaching_assignments.set_status(str(db), first.row_id, "in_progress", "olga.trainer")
        undone = coaching_assignments.cancel(str(db), second.row_id, "olga.trainer")
    finally:
        holder.wait(timeout=60)
    assert not (second.stored or moved.stored or undone.stored)
    # Read without a writer, the journal counts: the trainer sees what they did.
    shown = {a.assignment_id: a for a in coaching_assignments.assignments(str(db), include_cancelled=True)}
    assert shown[first.row_id].status == "in_progress" and shown[first.row_id].pending
    assert (shown[second.row_id].status, shown[second.row_id].due_on) == ("cancelled", date(2026, 12, 31))
    assert [a.assignment_id for a in coaching_assignments.assignments(str(db))] == [first.row_id]
    assert [s.status for s in coaching_assignments.history(str(db), second.row_id)] == ["assigned", "cancelled"]
    # The next writer applies the journal: the same picture, stored.
    coaching_assignments.set_status(str(db), first.row_id, "done", "olga.trainer")
    assert not pending.journal_path(db).exists()
    stored = {a.assignment_id: a for a in coaching_assignments.assignments(str(db), include_cancelled=True)}
    assert stored[first.row_id].status == "done" and not stored[first.row_id].pending
    assert (stored[second.row_id].status, stored[second.row_id].due_on) == ("cancelled", date(2026, 12, 31))


def test_a_journal_line_written_before_due_dates_existed_still_replays(db):
    """A line journalled by the app before migration 018 has no due_on: it is stored without one."""
    import json

    line = {"table": "coaching_assignments", "row": {
        "assignment_id": "old", "operator_id": "ivanov", "criterion_id": "farewell", "assigned_by": "olga.trainer",
        "assigned_at": {"$ts": WHEN.isoformat()}, "note": None}}
    pending.journal_path(db).write_text(json.dumps(line) + "\n", encoding="utf-8")
    with connect(db) as con:  # a writer applies the journal
        [a] = training.assignments(con, "ivanov")
    assert (a.assignment_id, a.due_on, a.status) == ("old", None, "assigned")


def test_before_and_after_compare_the_calls_either_side_of_the_assignment(coached):
    [result] = coaching_assignments.results(str(coached)).values()
    # before: c00..c02 without a farewell, c03 with one; after: c11 and c12, both with one
    assert (result.before.calls, result.before.failed, result.before.rate) == (4, 3, pytest.approx(0.75))
    assert (result.after.calls, result.after.failed, result.after.rate) == (2, 0, 0.0)
    assert result.change == pytest.approx(-0.75)
    with connect(coached, read_only=True) as con:
        # The two calls nearest the assignment each side: c02 failed, c03 passed; c11 and c12.
        nearest = training.before_after(con, calls=2).iloc[0]
    assert (nearest["calls_before"], nearest["failed_before"], nearest["calls_after"]) == (2, 1, 2)

    # Assigned just now: no call after yet, so no rate ("not enough calls yet", never None).
    fresh = coaching_assignments.assign_topic(str(coached), "sidorov", "farewell", "olga.trainer")
    later = coaching_assignments.results(str(coached))[fresh.row_id]
    assert (later.after.calls, later.after.rate, later.change) == (0, None, None)
    assert later.before.calls == 3 and later.before.rate == pytest.approx(1 / 3)
    # A cancelled assignment has no before/after any more.
    coaching_assignments.cancel(str(coached), fresh.row_id, "olga.trainer")
    assert fresh.row_id not in coaching_assignments.results(str(coached))


def test_a_red_operator_without_a_topic_is_explained_by_the_topic_rule(coached):
    needs = coaching_assignments.training_needs(str(coached), *DAY)
    cells = needs.cells.set_index(["operator_id", "criterion_id"])
    assert cells.loc[("kuznetsov", "farewell"), "difference"] > 0  # red on the heatmap...
    assert not cells.loc[("kuznetsov", "farewell"), "is_topic"]  # ...not a topic: one call
    assert [(t.operator_id, t.criterion_id) for t in needs.topics] == [("ivanov", "farewell")]
    assert needs.total_topics == 1 and cells.loc[("ivanov", "farewell"), "is_topic"]
    [why] = needs.no_topic
    # One miss in one judged call: the default rule asks for 3 misses in the last 10.
    assert (why.operator_id, why.criteria, why.misses, why.recent_calls, why.needed, why.window) == \
        ("kuznetsov", ("farewell",), 1, 1, 3, 10)
    # The heatmap's flag and the topics agree cell by cell: the rule is written once.
    with connect(coached, read_only=True) as con:
        topics = {(t.operator_id, t.criterion_id) for t in coaching_topics(con, *DAY, limit=1000)}
    assert topics == set(needs.cells.loc[needs.cells["is_topic"], ["operator_id", "criterion_id"]]
                         .itertuples(index=False, name=None))
    # Examples are named by recording and time, with the moment of the evidence.
    [topic] = needs.topics
    assert {e.recording for e in topic.examples} <= {"c00.wav", "c01.wav", "c02.wav"} and len(topic.examples) == 3
    assert all(e.call_at is not None for e in topic.examples)
    # One operator's view: only their cells.
    mine = coaching_assignments.training_needs(str(coached), *DAY, operator="kuznetsov")
    assert set(mine.cells["operator_id"]) == {"kuznetsov"} and mine.topics == [] and len(mine.no_topic) == 1


# ---- the pages ----------------------------------------------------------------------------------------------


@pytest.fixture()
def app_db(coached, tmp_path, monkeypatch):
    """The app on the coached database, bound to 127.0.0.1 with no users: a single local admin."""
    before = st_config.get_option("server.address")
    st_config.set_option("server.address", "127.0.0.1")
    monkeypatch.setenv("CALLQA_USERS", str(tmp_path / "users.toml"))
    monkeypatch.setenv("CALLQA_DB", str(coached))
    yield coached
    st_config.set_option("server.address", before)


def _page(page: str, language: str = "en", **params) -> AppTest:
    at = AppTest.from_file(str(APP), default_timeout=60)
    at.session_state["callqa_language"] = language
    at.run()
    at.switch_page(page)
    for k, v in params.items():
        at.query_params[k] = v
    return _ok(at.run())


def _ok(at: AppTest) -> AppTest:
    assert not at.exception, [e.message for e in at.exception]
    assert not at.error, [e.value for e in at.error]
    return at


def _texts(at: AppTest) -> list[str]:
    """Everything a person reads on the page: text elements, tables' cells and headers, labels, options."""
    out = [e.value for kind in ("title", "subheader", "markdown", "caption", "success", "info", "warning")
           for e in getattr(at, kind)]
    out += [m.label + " " + m.value for m in at.metric]
    for frame in at.dataframe:
        out += [str(c) for c in frame.value.columns if c != "call_id"]
        out += [str(v) for col in frame.value.columns if col != "call_id" for v in frame.value[col]]
    out += [b.label for b in at.button] + [s.label for s in at.selectbox]
    out += [str(o) for s in at.selectbox for o in s.options]  # as shown: through the format function
    out += [e.proto.label for e in at.get("page_link")]
    return out


def _no_developer_output(at: AppTest) -> None:
    for text in _texts(at):
        assert "None" not in text and "nan" not in text.split(), text
        assert "in_progress" not in text and "a-ivanov" not in text, text


def test_training_page_explains_and_runs_the_workflow_in_english(app_db):
    with connect(app_db) as con:  # a reviewer failed ivanov's greeting 3 times: a topic with evidence to listen to
        for cid in ("c00", "c01", "c02"):
            add_review(con, cid, "anna.qa", "override", "greeting", "fail")
    at = _page("views/training.py")
    text = "\n".join(_texts(at)).replace("\\", "")  # markdown escapes
    assert "**kuznetsov** · Farewell: a topic needs at least 3 misses in the last 10 judged calls on the criterion; " \
           "this operator missed 1 of their last 1 judged call." in text
    links = {e.proto.label.replace("\\", ""): e.proto.query_string for e in at.get("page_link")}
    # Examples are named by recording and local time, never by hash; with evidence, from its moment.
    assert {label.split(" · ")[0] for label in links} == {"c00.wav", "c01.wav", "c02.wav"}, links
    assert "c02.wav · 11/20/26, 3:00\u202fPM" in links  # 12:00 UTC in Moscow
    greeting = {label: query for label, query in links.items() if " at 00:00" in label}
    assert len(greeting) == 3 and all("&t=0.0" in q for q in greeting.values()), links
    table = next(d.value for d in at.dataframe if "Fail rate after" in d.value.columns)
    row = table.iloc[0]
    assert (row["Operator"], row["Status"], row["Note"]) == ("ivanov", "Assigned", "role-play the goodbye")
    assert row["Due"].startswith("Dec 1, 2026") and row["Due"].endswith("overdue")
    assert (row["Fail rate before"], row["Fail rate after"]) == ("75% (4 judged calls)", "0% (2 judged calls)")
    assert "Note: role-play the goodbye" in text
    _no_developer_output(at)

    # In progress, then the undo: the topic can be assigned again, with a note and a due date.
    at.selectbox(key="status_a-ivanov").set_value("In progress").run()
    _ok(at)
    assert any("Status set to “In progress”" in s.value for s in at.success)
    at.button(key="cancel_a-ivanov").click().run()
    _ok(at)
    assert any("Assignment cancelled" in s.value for s in at.success)
    assert "No topics assigned yet." in [c.value for c in at.caption]
    at.text_input(key="note_ivanov_farewell").input("listen to c02 together")
    at.date_input(key="due_ivanov_farewell").set_value(date(2027, 1, 15))
    at.button(key="assign_ivanov_farewell").click().run()
    _ok(at)
    assert any("Farewell assigned to ivanov." in s.value for s in at.success)
    table = next(d.value for d in at.dataframe if "Fail rate after" in d.value.columns)
    assert (table["Note"].tolist(), table["Due"].tolist()) == (["listen to c02 together"], ["Jan 15, 2027"])
    assert table["Fail rate after"].tolist() == ["not enough calls yet (0 judged calls)"]
    _no_developer_output(at)
    at.button(key="coaching_undo").click().run()  # the undo right after assigning
    _ok(at)
    with connect(app_db, read_only=True) as con:
        rows = con.execute("SELECT a.note, a.due_on, e.status FROM coaching_assignments a JOIN "
                           "coaching_assignment_events e USING (assignment_id) ORDER BY e.changed_at").fetchall()
    assert [r[2] for r in rows] == ["in_progress", "cancelled", "cancelled"]
    assert rows[-1][:2] == ("listen to c02 together", date(2027, 1, 15))
    at.checkbox(key="coaching_show_cancelled").check().run()
    _ok(at)
    table = next(d.value for d in at.dataframe if "Fail rate after" in d.value.columns)
    assert table["Status"].tolist() == ["Cancelled", "Cancelled"]


def test_training_page_in_russian(app_db):
    MISSING.clear()
    at = _page("views/training.py", "ru")
    assert at.title[0].value == "Темы для обучения"
    text = "\n".join(_texts(at)).replace("\\", "")  # markdown escapes
    assert ("**kuznetsov** · Прощание: для темы критерий должен быть не выполнен хотя бы в 3 из 10 последних "
            "оценённых звонков; у оператора — в 1 из 1 последнего оценённого звонка.") in text, text
    table = next(d.value for d in at.dataframe if "Доля провалов после" in d.value.columns)
    assert table.iloc[0]["Статус"] == "Назначено" and table.iloc[0]["Заметка"] == "role-play the goodbye"
    assert table.iloc[0]["Срок"].startswith("01.12.2026")
    assert table.iloc[0]["Доля провалов до"] == "75% (4 оценённых звонка)"
    _no_developer_output(at)
    at.button(key="cancel_a-ivanov").click().run()
    _ok(at)
    assert any("Назначение отменено" in s.value for s in at.success)
    assert not [m for m in MISSING if m[0] == "ru"], sorted(MISSING)


@pytest.mark.parametrize("language", ["en", "ru"])
def test_operator_dashboard_shows_coaching_and_why_there_is_no_topic(app_db, language):
    MISSING.clear()
    at = _page("views/operator.py", language, operator="kuznetsov")
    text = "\n".join(_texts(at)).replace("\\", "")  # markdown escapes
    assert ("this operator missed 1 of their last 1 judged call" if language == "en"
            else "у оператора — в 1 из 1 последнего оценённого звонка") in text
    _no_developer_output(at)
    at = _page("views/operator.py", language, operator="ivanov")
    after = "Fail rate after" if language == "en" else "Доля провалов после"
    table = next(d.value for d in at.dataframe if after in d.value.columns)  # read-only tables' keys do not reach
    assert table.iloc[0][("Note" if language == "en" else "Заметка")] == "role-play the goodbye"
    calls = next(d.value for d in at.dataframe if d.key == "operator_calls")
    assert set(calls["Recording" if language == "en" else "Запись"]) == {"c00.wav", "c01.wav", "c02.wav", "c03.wav",
                                                                         "c11.wav", "c12.wav"}
    _no_developer_output(at)
    at.selectbox(key="status_a-ivanov").set_value("Done" if language == "en" else "Выполнено").run()
    _ok(at)
    with connect(app_db, read_only=True) as con:
        assert con.execute("SELECT status FROM coaching_assignment_events").fetchall() == [("done",)]
    assert not [m for m in MISSING if m[0] == "ru"], sorted(MISSING)


def test_reviewers_see_assignments_but_cannot_change_them(app_db, tmp_path):
    from usecases.users import ScryptCost, add_user

    add_user(tmp_path / "users.toml", "anna.qa", "reviewer", "correct horse battery", cost=ScryptCost(n=2**10))
    at = AppTest.from_file(str(APP), default_timeout=60).run()
    at.text_input(key="callqa_login_name").input("anna.qa")
    at.text_input(key="callqa_login_password").input("correct horse battery")
    at.button(key="callqa_login_submit").click().run()
    at.switch_page("views/training.py")
    _ok(at.run())
    assert "Note: role-play the goodbye" in "\n".join(_texts(at)).replace("\\", "")  # markdown escapes
    keys = [w.key or "" for w in list(at.button) + list(at.selectbox)]
    assert not [k for k in keys if k.startswith(("assign_", "cancel_", "status_"))], keys

