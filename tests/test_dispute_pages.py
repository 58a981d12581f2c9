"""The pages themselves refuse an operator (auth.require's default is staff only), not only the menu: each
view, run on its own (Streamlit's v1 pages mode, no entrypoint), logs the operator in and then stops at the
refusal, showing nothing of any call. My evaluations shows an operator their own calls only, and refuses
staff; Disputes is for reviewers. AppTest over generated calls (ivanov c00-c03, petrova c04-c06, sidorov
c07-c09; tests/test_rescore_and_coaching)."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from tests.test_rescore_and_coaching import db as db  # noqa: F401  (the fixture: 10 known calls)
from usecases import disputes, users
from usecases.users import Role, User

VIEWS = Path(__file__).resolve().parent.parent / "qa_app" / "views"
PASSWORD = "correct horse battery"
STAFF_VIEWS = sorted(p.name for p in VIEWS.glob("*.py") if p.name != "my_calls.py")


@pytest.fixture()
def site(db, tmp_path, monkeypatch):
    path = tmp_path / "users.toml"
    cheap = users.ScryptCost(n=2**10)
    users.add_user(path, "ivanov.op", "operator", PASSWORD, cost=cheap, operator_id="ivanov")
    users.add_user(path, "anna.qa", "reviewer", PASSWORD, cost=cheap)
    users.add_user(path, "olga.trainer", "trainer", PASSWORD, cost=cheap)
    monkeypatch.setenv("CALLQA_USERS", str(path))
    monkeypatch.setenv("CALLQA_DB", str(db))
    return db


def _as(view: str, name: str, **query: str) -> AppTest:
    """``view`` run on its own (``app.py``: the entrypoint, with its navigation), logged in as ``name``."""
    at = AppTest.from_file(str(VIEWS / view if view != "app.py" else VIEWS.parent / view), default_timeout=60)
    for key, value in query.items():
        at.query_params[key] = value
    at.run()
    at.text_input(key="callqa_login_name").input(name)
    at.text_input(key="callqa_login_password").input(PASSWORD)
    at.button(key="callqa_login_submit").click().run()
    assert not at.exception, at.exception
    return at


def _shown(at: AppTest) -> str:
    parts = [*at.title, *at.header, *at.subheader, *at.markdown, *at.caption, *at.error, *at.warning, *at.info,
             *at.success, *at.metric, *at.selectbox, *at.dataframe]
    return " ".join(str(getattr(e, "value", "")) + " " + str(getattr(e, "label", "")) for e in parts) + " ".join(
        str(o) for s in at.selectbox for o in s.options)


@pytest.mark.parametrize("view", STAFF_VIEWS)
def test_every_staff_page_refuses_an_operator(site, view):
    at = _as(view, "ivanov.op", call_id="c04", operator="petrova", q="Здравствуйте")
    assert [e.value for e in at.error] == ["Your role (operator) does not allow this page."], view
    assert not any(f"c0{i}" in _shown(at) for i in range(10)), f"{view} showed a call to an operator"


def test_my_evaluations_shows_an_operator_only_their_own_calls(site):
    at = _as("my_calls.py", "ivanov.op")
    assert at.title[0].value == "My evaluations"
    assert at.selectbox(key="my_call").options and all(
        "c0" + str(i) not in " ".join(at.selectbox(key="my_call").options) for i in range(4, 10))
    assert sorted(at.selectbox(key="my_call").options)[:1]  # labels, not ids
    shown = _shown(at)
    assert all(f"c0{i}.wav" not in shown for i in range(4, 10)) and "c0" in shown
    other = _as("my_calls.py", "ivanov.op", call_id="c05")
    assert "That call is not one of yours, so it cannot be shown here." in [w.value for w in other.warning]
    assert "c05" not in _shown(other)
    unknown = _as("my_calls.py", "ivanov.op", call_id="no-such-call")
    assert [w.value for w in unknown.warning] == [w.value for w in other.warning]  # the same words either way


@pytest.mark.parametrize("name", ["anna.qa", "olga.trainer"])
def test_my_evaluations_refuses_staff_and_disputes_refuse_trainers(site, name):
    at = _as("my_calls.py", name)
    assert [e.value for e in at.error] == [f"Your role ({'reviewer' if name == 'anna.qa' else 'trainer'}) "
                                           "does not allow this page."]
    page = _as("disputes.py", name)
    assert bool(page.error) == (name == "olga.trainer")


def test_a_reviewer_resolves_a_dispute_on_the_page(site):
    ivanov = User("ivanov.op", Role.OPERATOR, None, "local", "ivanov")
    dispute_id = disputes.raise_dispute(str(site), ivanov, "c00", "farewell", "Я попрощался")
    at = _as("app.py", "anna.qa")
    at.switch_page("views/disputes.py").run()
    assert "Я попрощался" in _shown(at) and "1 dispute waits for a reviewer." in _shown(at)
    at.radio(key=f"outcome_{dispute_id}").set_value("upheld").run()
    at.button(key=f"resolve_{dispute_id}").click().run()
    assert "Write a comment for the operator" in " ".join(w.value for w in at.warning)
    at.text_area(key=f"resolution_comment_{dispute_id}").input("Прощания нет").run()
    at.button(key=f"resolve_{dispute_id}").click().run()
    assert "No dispute is waiting for a reviewer." in " ".join(i.value for i in at.info)
    [done] = disputes.my_disputes(str(site), ivanov)
    assert done.resolution is not None and (done.resolution.outcome, done.resolution.resolved_by) == (
        "upheld", "anna.qa")
