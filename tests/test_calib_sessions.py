"""Calibration sessions on a real DuckDB file with known calls (tests.test_rescore_and_coaching's ten calls):
the storage round trip, who may open and answer what, the session closing itself, the results against the
machine, and in the app (AppTest) the blind page showing no machine verdict and no other reviewer's answer,
and a reviewer outside a session unable to open it by URL."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit import config as st_config
from streamlit.testing.v1 import AppTest

from reporting.i18n import Words
from storage import calibration_sessions as store
from storage.db import connect
from tests.test_rescore_and_coaching import db as db  # noqa: F401  (the fixture: 10 known calls)
from usecases import calibration_sessions as sessions
from usecases.calibration_sessions import CalibrationRefused
from usecases.users import Role, ScryptCost, User, add_user

APP = Path(__file__).resolve().parent.parent / "qa_app" / "app.py"
PASSWORD = "correct horse battery"
LEAD = User("lead", Role.REVIEWER)
ANNA, BORIS, VERA, OUTSIDER = (User(n, Role.REVIEWER) for n in ("anna", "boris", "vera", "outsider"))
ADMIN, TRAINER = User("boss", Role.ADMIN), User("tina", Role.TRAINER)
CALLS = ["c00", "c04", "c09"]


def _criteria(db, call_id: str) -> dict[str, str]:
    with connect(db, read_only=True) as con:
        return dict(con.execute(
            "SELECT criterion_id, result FROM criteria_results r JOIN calls c USING (call_id) WHERE call_id = ?"
            " AND r.scorecard_version = c.scorecard_version", [call_id]).fetchall())


def _reviews(db) -> int:
    with connect(db, read_only=True) as con:
        return con.execute("SELECT count(*) FROM reviews").fetchone()[0]


def test_storage_round_trip(db):
    with connect(db) as con:
        store.create(con, "s1", "Week 47", "lead", ["c01", "c00"], ["anna", "boris"])
        store.save_answers(con, "s1", "c00", "anna", {"greeting": "pass", "farewell": "fail"})
        store.save_answers(con, "s1", "c00", "anna", {"farewell": "na"})  # answering again replaces
        with pytest.raises(ValueError):
            store.save_answers(con, "s1", "c00", "anna", {"greeting": "unknown"})
        with pytest.raises(ValueError):
            store.create(con, "s2", "bad", "lead", ["nope"], ["anna"])
    with connect(db, read_only=True) as con:
        row = store.session(con, "s1")
        assert row is not None and row.name == "Week 47" and row.reviewers == ("anna", "boris") and row.calls == 2
        assert not row.closed and store.session(con, "s2") is None  # the failed create left nothing
        assert [c.call_id for c in store.session_calls(con, "s1")] == ["c01", "c00"]  # the lead's order
        assert {c.scorecard_name for c in store.session_calls(con, "s1")} == {"inbound_support"}
        asked = store.criteria(con, "s1")
        assert {k for c, k in asked if c == "c00"} == set(_criteria(db, "c00"))
        assert store.answers(con, "s1") == [("c00", "farewell", "anna", "na"), ("c00", "greeting", "anna", "pass")]
        assert store.machine_verdicts(con, "s1")[("c00", "farewell")] == _criteria(db, "c00")["farewell"]
        assert [s.session_id for s in store.sessions(con, "boris")] == ["s1"] and store.sessions(con, "vera") == []
    with connect(db) as con:
        assert store.close(con, "s1", "lead") and not store.close(con, "s1", "lead")
    with connect(db, read_only=True) as con:
        closed = store.session(con, "s1")
        assert closed is not None and closed.closed and closed.closed_by == "lead"


def test_a_session_from_creation_to_results(db):
    reviews_before = _reviews(db)
    with pytest.raises(CalibrationRefused):
        sessions.create_session(str(db), "x", TRAINER, CALLS, ["anna", "boris"])  # a trainer cannot lead
    with pytest.raises(CalibrationRefused):
        sessions.create_session(str(db), "x", LEAD, CALLS, ["anna"])  # one reviewer cannot agree with anybody
    sid = sessions.create_session(str(db), "  Week   47 ", LEAD, CALLS, ["anna", "boris", "vera"])
    assert [s.name for s in sessions.visible_sessions(str(db), ANNA)] == ["Week 47"]
    assert sessions.visible_sessions(str(db), OUTSIDER) == [] and len(sessions.visible_sessions(str(db), ADMIN)) == 1

    # Nobody outside the session opens, reads or answers it; the lead who does not take part cannot score.
    for who in (OUTSIDER, TRAINER):
        with pytest.raises(CalibrationRefused):
            sessions.open_session(str(db), sid, who)
        with pytest.raises(CalibrationRefused):
            sessions.blind_sheet(str(db), sid, who)
        with pytest.raises(CalibrationRefused):
            sessions.answer(str(db), sid, "c00", who, {"greeting": "pass"})
    with pytest.raises(CalibrationRefused):
        sessions.blind_sheet(str(db), sid, LEAD)
    with pytest.raises(CalibrationRefused):
        sessions.results(str(db), sid, LEAD)  # still open: the answers stay blind
    with pytest.raises(CalibrationRefused):
        sessions.answer(str(db), sid, "c01", ANNA, {"greeting": "pass"})  # not a call of the session

    machine = {c: _criteria(db, c) for c in CALLS}
    # anna and boris copy the machine where it decided (pass/fail, else na); vera fails every farewell.
    decided = {c: {k: (v if v in ("pass", "fail") else "na") for k, v in machine[c].items()} for c in CALLS}
    for who in (ANNA, BORIS):
        for c in CALLS:
            assert not sessions.answer(str(db), sid, c, who, decided[c])
    sheet = sessions.blind_sheet(str(db), sid, VERA)
    assert sheet.mine == {}  # vera sees none of the others' answers
    with pytest.raises(CalibrationRefused):
        sessions.close_session(str(db), sid, ANNA)  # a participant is not the lead
    progress = {p.reviewer: (p.answered, p.questions) for p in sessions.progress(str(db), sid, LEAD)}
    questions = sum(len(m) for m in machine.values())
    assert progress == {"anna": (questions, questions), "boris": (questions, questions), "vera": (0, questions)}
    complete = [sessions.answer(str(db), sid, c, VERA, {**decided[c], "farewell": "fail"}) for c in CALLS]
    assert complete == [False, False, True]  # the last answer completes the session
    with pytest.raises(CalibrationRefused):
        sessions.results(str(db), sid, ANNA)  # open: a participant still sees nobody's answers
    assert sessions.results(str(db), sid, LEAD).questions == questions  # the lead reads them once all answered
    assert sessions.close_session(str(db), sid, LEAD)
    with pytest.raises(CalibrationRefused):
        sessions.answer(str(db), sid, "c00", VERA, decided["c00"])  # closed: answers no longer change

    found = sessions.results(str(db), sid, ANNA)
    assert found.session.closed and found.session.closed_by == "lead" and found.left_out == {} and found.few_calls
    farewell = next(f for f in found.criteria if f.criterion_id == "farewell")
    assert farewell.method == "fleiss" and farewell.raters == ("anna", "boris", "vera") and farewell.calls == 3
    assert farewell.low is None and farewell.high is None  # three calls: no interval drawn (the page says why)
    # the majority (anna and boris) is the machine's verdict wherever it decided
    cells = [x for x in found.cells if x.criterion_id == "farewell"]
    assert all(x.consensus == decided[x.call_id]["farewell"] for x in cells)
    expected_agree = sum(machine[c]["farewell"] == decided[c]["farewell"] for c in CALLS)
    assert farewell.machine_agrees == expected_agree and farewell.machine_compared == 3
    split = [x for x in cells if x.verdicts["vera"] != x.verdicts["anna"]]
    assert all(x.agreement == pytest.approx(1 / 3) for x in split)
    assert found.criteria[0].agreement == min(f.agreement for f in found.criteria if f.agreement is not None)
    assert _reviews(db) == reviews_before  # a session never touches the calls' verdicts


def test_a_reviewer_left_out_of_a_criterion_is_named(db):
    sid = sessions.create_session(str(db), "Partial", LEAD, ["c00", "c01"], ["anna", "boris", "vera"])
    for who in (ANNA, BORIS, VERA):
        sessions.answer(str(db), sid, "c00", who, {k: "pass" for k in _criteria(db, "c00")})
    sessions.answer(str(db), sid, "c01", ANNA, {k: "pass" for k in _criteria(db, "c01")})
    sessions.answer(str(db), sid, "c01", BORIS, {k: "fail" for k in _criteria(db, "c01")})
    assert sessions.close_session(str(db), sid, LEAD)
    found = sessions.results(str(db), sid, LEAD)
    assert set(found.left_out) == {"vera"}
    assert all(f.raters == ("anna", "boris") and f.method == "cohen" for f in found.criteria)


# ---- the app ----------------------------------------------------------------------------------------------


@pytest.fixture()
def app_db(db, tmp_path, monkeypatch):
    before = st_config.get_option("server.address")
    st_config.set_option("server.address", "127.0.0.1")
    users_file = tmp_path / "users.toml"
    for name, role in [("lead", "reviewer"), ("anna", "reviewer"), ("boris", "reviewer"), ("outsider", "reviewer")]:
        add_user(users_file, name, role, PASSWORD, cost=ScryptCost(n=2**10))
    monkeypatch.setenv("CALLQA_USERS", str(users_file))
    monkeypatch.setenv("CALLQA_DB", str(db))
    yield db
    st_config.set_option("server.address", before)


def _login(name: str) -> AppTest:
    at = AppTest.from_file(str(APP), default_timeout=60).run()
    at.text_input(key="callqa_login_name").input(name)
    at.text_input(key="callqa_login_password").input(PASSWORD)
    at.button(key="callqa_login_submit").click().run()
    assert not at.exception, [e.message for e in at.exception]
    return at


def _goto(at: AppTest, page: str, **params) -> AppTest:
    at.switch_page(page)
    for k, v in params.items():
        at.query_params[k] = v
    return at.run()


def _everything(at: AppTest) -> str:
    """Every text the page drew: markdown, captions, notices, headings, widgets' labels, options and values."""
    parts: list[str] = []
    for kind in ("markdown", "caption", "info", "success", "warning", "error", "title", "header", "subheader",
                 "metric", "expander"):
        for e in at.get(kind):
            parts.append(str(getattr(e, "value", "")) + " " + str(getattr(e, "label", "")))
    for e in [*at.radio, *at.selectbox, *at.multiselect]:
        parts.extend([str(e.label), str(e.value), *map(str, e.options)])
    return "\n".join(parts)


def test_the_blind_page_shows_no_machine_verdict_and_no_other_answer(app_db):
    db = app_db
    sid = sessions.create_session(str(db), "Blind", LEAD, ["c00", "c09"], ["anna", "boris"])
    machine = _criteria(db, "c00")
    # anna answers the opposite of the machine everywhere, with her own mark in the way
    opposite = {k: {"pass": "fail", "fail": "pass"}.get(v, "pass") for k, v in machine.items()}
    sessions.answer(str(db), sid, "c00", ANNA, opposite)
    with connect(db, read_only=True) as con:
        reasons = [t for (t,) in con.execute(
            "SELECT DISTINCT reason FROM criteria_results WHERE call_id = 'c00' AND length(reason) > 8").fetchall()]
        flags = con.execute("SELECT flags FROM scores WHERE call_id = 'c00'").fetchone()[0]
    assert reasons, "the fixture's verdicts carry reasons the blind page must not show"

    at = _goto(_login("boris"), "views/calibration_scoring.py", session=sid)
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert len(at.radio) == len(machine)
    assert all(r.value is None for r in at.radio), "nothing is pre-chosen: not the machine's, not anna's"
    text = _everything(at)
    assert "anna" not in text
    en = Words("en")
    for reason in reasons:
        assert reason not in text
    for verdict in ("pass", "fail", "unknown", "na"):  # a verdict drawn as the call page draws the machine's
        assert f"-badge[{en.verdict(verdict)}" not in text
    for flag in flags:
        assert en.flag(flag) not in text
    for needle in ("automatic", "Automatic", "Evidence", "evidence", "confidence", "found by"):
        assert needle not in text, needle
    assert not at.metric and not at.dataframe  # no score, no table of verdicts

    # anna sees her own answers back, nothing else
    mine = _goto(_login("anna"), "views/calibration_scoring.py", session=sid)
    assert all(r.value is None for r in mine.radio)  # she lands on the call she has not answered yet
    mine.selectbox(key=f"calibration_call_{sid}").set_value(0).run()
    chosen = {r.key.removeprefix("blind_c00_"): r.value for r in mine.radio}
    assert chosen == opposite


def test_a_reviewer_outside_the_session_cannot_open_it_by_url(app_db):
    db = app_db
    sid = sessions.create_session(str(db), "Secret week", LEAD, ["c00"], ["anna", "boris"])
    for page in ("views/calibration_scoring.py", "views/calibration_sessions.py"):
        at = _goto(_login("outsider"), page, session=sid)
        assert not at.exception
        assert len(at.error) == 1 and "no calibration session" in at.error[0].value
        text = _everything(at)
        assert "Secret week" not in text and not at.radio and "anna" not in text
    listing = _goto(_login("outsider"), "views/calibration_sessions.py")
    assert "Secret week" not in _everything(listing) and not listing.exception


def test_lead_creates_closes_and_reads_results_in_the_app(app_db):
    db = app_db
    at = _goto(_login("lead"), "views/calibration_sessions.py")
    assert not at.exception and not at.error
    at.text_input(key="calibration_new_name").input("Week 48")
    at.multiselect(key="calibration_new_calls").set_value(["c00", "c04"])
    at.multiselect(key="calibration_new_reviewers").set_value(["anna", "boris"])
    next(b for b in at.button if b.label == "Create the session").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    sid = at.query_params["session"]
    sid = sid[0] if isinstance(sid, list) else sid
    for c in ("c00", "c04"):
        sessions.answer(str(db), sid, c, ANNA, {k: "pass" for k in _criteria(db, c)})
    at.run()
    at.button(key="calibration_close").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    text = _everything(at)
    assert "Agreement per criterion" in text and "widened for few calls" in text
    assert "Only 2 calls in this session" in text  # too few calls: said plainly
    assert "boris answered 0 of" in text  # boris never answered: named


def test_the_results_page_in_russian(app_db):
    db = app_db
    sid = sessions.create_session(str(db), "Неделя 49", LEAD, ["c00", "c01", "c02"], ["anna", "boris"])
    for who, flip in ((ANNA, False), (BORIS, True)):
        for c in ("c00", "c01", "c02"):
            verdicts = {k: ("fail" if flip and k == "farewell" else "pass") for k in _criteria(db, c)}
            sessions.answer(str(db), sid, c, who, verdicts)
    at = AppTest.from_file(str(APP), default_timeout=60)
    at.session_state["callqa_language"] = "ru"
    at.run()
    at.text_input(key="callqa_login_name").input("lead")
    at.text_input(key="callqa_login_password").input(PASSWORD)
    at.button(key="callqa_login_submit").click().run()
    at = _goto(at, "views/calibration_sessions.py", session=sid)
    assert not at.exception and not at.error, [e.value for e in at.error]
    at.button(key="calibration_close").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    text = _everything(at) + "\n".join(str(t.value) for t in at.table)
    for expected in ("Согласие по критериям", "бутстрэп", "В сессии всего 3 звонка", "Больше всего расхождений",
                     "Автоматика рядом с большинством проверяющих", "Сессия закрыта"):
        assert expected in text, expected
    kappa = at.table[0].value
    assert "(Коэн)" in " ".join(map(str, kappa["Каппа"]))  # two reviewers: Cohen's kappa
    assert "None" not in text and "nan" not in text.lower().replace("nanos", "")
