"""The audit sample and the accuracy sheet in the app (AppTest, English and Russian): the queue's
"Audit sample" list kept in the link and walked call by call, the call page's note, and the accuracy sheet
page with its intervals, its small-n note and what the flags miss."""

from __future__ import annotations

import urllib.parse
from datetime import timedelta
from pathlib import Path

import pytest

from reporting import i18n
from storage.db import connect
from tests.test_app import _app, _goto, _login, _ok, loopback  # noqa: F401  (loopback: the autouse fixture)
from tests.test_sample_draw import AT, NIGHT, add_call, review, settings_for
from usecases.audit_sampling import draw, night
from usecases.users import ROLES, Role, User, can_read_accuracy


@pytest.fixture
def db(tmp_path, monkeypatch) -> Path:
    """12 calls of two operators, a third flagged; the night's sample (2 per operator) reviewed: one sampled
    call failed on greeting without a flag (a miss of the flags)."""
    path = tmp_path / "callqa.duckdb"
    with connect(path) as con:
        for i in range(12):
            add_call(con, f"c{i:02d}", operator=f"op.{'ab'[i % 2]}", at=AT + timedelta(minutes=i),
                     flags=("critical_fail",) if i % 3 == 0 else (),
                     auto={"greeting": "fail" if i % 3 == 0 else "pass", "farewell": "unknown" if i == 1 else "pass"})
    drawn = draw(settings_for(path, per_stratum=2), night(NIGHT), "nightly")
    with connect(path) as con:
        for k, c in enumerate(drawn.calls):
            review(con, c.call_id, "greeting", "fail" if k == 0 else "pass")
            review(con, c.call_id, "farewell", "pass")
    monkeypatch.setenv("CALLQA_DB", str(path))
    return path


def _sampled(db: Path) -> list[str]:
    with connect(db, read_only=True) as con:
        return [r[0] for r in con.execute("SELECT call_id FROM audit_samples ORDER BY call_id").fetchall()]


def test_the_queue_shows_the_audit_sample_as_its_own_list(db):
    at = _app().run()
    _ok(at)
    assert at.radio(key="f_list").value == "flagged"
    at.radio(key="f_list").set_value("sample").run()
    _ok(at)
    assert dict(at.query_params) == {"list": "sample"} or at.query_params["list"] == "sample"
    table = next(d.value for d in at.dataframe if "Recording" in d.value.columns)
    assert sorted(r.removesuffix(".wav") for r in table["Recording"]) == _sampled(db)
    assert any("Audit sample calls 1–4 of 4" in c.value for c in at.caption)
    assert at.toggle(key="show_all").disabled  # flagged or not: the sample is the list

    # A link with list=sample opens that list; the call page walks within it and says the call was sampled.
    first = sorted(_sampled(db))[0]
    at = _app()
    at.query_params["list"] = "sample"
    at.query_params["sort"] = "oldest"
    at.run()
    assert at.radio(key="f_list").value == "sample"
    call = _goto(at, "views/call.py", call_id=first, list="sample", sort="oldest")
    _ok(call)
    assert any("In the audit sample: drawn at random by the nightly run" in i.value for i in call.info)
    assert any("Call 1 of 4 in the queue" in c.value for c in call.caption)
    call.button(key="queue_next").click().run()
    assert call.query_params["call_id"] in _sampled(db) and call.query_params["list"] == "sample"
    # an unsampled call has no such note
    other = _goto(_app().run(), "views/call.py", call_id=next(f"c{i:02d}" for i in range(12)
                                                            if f"c{i:02d}" not in _sampled(db)))
    _ok(other)
    assert not any("audit sample" in i.value for i in other.info)


def test_the_accuracy_sheet_page(db):
    at = _goto(_app().run(), "views/accuracy.py")
    _ok(at)
    assert at.title[0].value == "Accuracy sheet"
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Sampled calls"] == "4" and metrics["Reviewed calls"] == "4"
    with connect(db, read_only=True) as con:  # the call failed by the reviewer: missed when it had no flag
        failed = con.execute("SELECT call_id FROM reviews WHERE verdict = 'fail'").fetchone()[0]
    assert metrics["Missed by the flags"] == ("0" if int(failed[1:]) % 3 == 0 else "1")
    table = next(d.value for d in at.dataframe if "Fail precision" in d.value.columns)
    assert list(table["Criterion"]) == ["Farewell", "Greeting"]
    assert list(table["Judged"]) == [4, 4]
    farewell = table.iloc[0]
    # 4 of 4 agreed on farewell (unless the sampled call with "unknown" is in it): an interval, the count, ⚠
    assert "(" in farewell["Agreement"] and "of 4" in farewell["Agreement"] and farewell["Agreement"].endswith("⚠")
    assert any("2 rows are marked ⚠" in w.value and "Fewer than 30" in w.value for w in at.warning)
    at.radio(key="accuracy_slice").set_value("channels").run()
    _ok(at)
    table = next(d.value for d in at.dataframe if "Fail precision" in d.value.columns)
    assert set(table["Calls of"]) <= {"Stereo", "Mono"} and "Calls of" in table.columns
    links = [e.proto for e in at.get("page_link")]
    missed = [p for p in links if "failed:" in p.label]
    assert all(urllib.parse.parse_qs(p.query_string)["call_id"][0] in _sampled(db) for p in missed)


def test_the_accuracy_sheet_in_russian(db):
    i18n.MISSING.clear()
    at = _app()
    at.session_state["callqa_language"] = "ru"
    at.run()
    at = _goto(at, "views/accuracy.py")
    _ok(at)
    assert at.title[0].value == "Точность автоматических оценок"
    table = next(d.value for d in at.dataframe if "Точность нарушений" in d.value.columns)
    assert "из 4" in table.iloc[0]["Согласие"]
    assert any("строки отмечены ⚠" in w.value for w in at.warning)
    queue = _goto(at, "views/queue.py")
    assert queue.radio(key="f_list").options == ["Звонки с отметками", "Аудиторская выборка"]
    assert not [m for lang, m in i18n.MISSING if lang == "ru"]


def test_an_empty_sheet_says_how_it_fills(tmp_path, monkeypatch):
    path = tmp_path / "empty.duckdb"
    with connect(path) as con:
        add_call(con, "c00")
    monkeypatch.setenv("CALLQA_DB", str(path))
    at = _goto(_app().run(), "views/accuracy.py")
    _ok(at)
    assert any("No reviewed verdicts of sampled calls" in i.value for i in at.info)
    [link] = [e.proto for e in at.get("page_link") if "Audit sample" in e.proto.label]
    assert urllib.parse.parse_qs(link.query_string) == {"list": ["sample"]}


def test_who_may_read_the_sheet(tmp_path, db):
    staff = [r for r in ROLES if r != Role.OPERATOR]
    assert all(can_read_accuracy(User("x", Role(r))) for r in staff) and not can_read_accuracy(None)
    assert not can_read_accuracy(User("x", Role.OPERATOR, operator_id="op.a"))  # operators see their own calls only
    trainer = _login(tmp_path / "users.toml", "olga.trainer", "trainer")  # the users file loopback points at
    _ok(_goto(trainer, "views/accuracy.py"))
    assert trainer.title[0].value == "Accuracy sheet"
