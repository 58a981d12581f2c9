"""The login page speaks the site's language before anyone logs in; after the login, the user's own (issue #17)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from qa_app import i18n
from storage.db import connect
from usecases import preferences, users

PASSWORD = "correct horse battery"


def _app() -> None:
    """qa_app/app.py's order: the gate, the user's language, then the banner and the sidebar."""
    import os

    import streamlit as st

    from qa_app import auth
    from qa_app.i18n import language_switch

    user = auth.gate(sidebar=False, banner=False)
    language_switch(os.environ["CALLQA_DB"], user.name)
    auth.show_banner(user)
    auth.show_sidebar(user)
    st.markdown(f"IN {user.name}")


@pytest.fixture
def russian_site(tmp_path, monkeypatch) -> Path:
    db = tmp_path / "callqa.duckdb"
    with connect(db):
        pass
    users_file = tmp_path / "users.toml"
    monkeypatch.setenv("CALLQA_DB", str(db))
    monkeypatch.setenv("CALLQA_USERS", str(users_file))
    monkeypatch.setenv("CALLQA_UI_LANGUAGE", "ru")
    i18n.site.clear()  # type: ignore[attr-defined]
    yield users_file
    i18n.site.clear()  # type: ignore[attr-defined]


def _log_in(at: AppTest, name: str, password: str) -> AppTest:
    at.text_input(key="callqa_login_name").input(name)
    at.text_input(key="callqa_login_password").input(password)
    at.button(key="callqa_login_submit").click()
    return at.run()


def test_the_login_page_is_in_the_sites_language_and_the_app_in_the_users(russian_site):
    users.add_user(russian_site, "alice", "reviewer", PASSWORD, cost=users.ScryptCost(n=2**10))
    users.add_user(russian_site, "boris", "trainer", PASSWORD, cost=users.ScryptCost(n=2**10))
    preferences.set_language(os.environ["CALLQA_DB"], "alice", "en")

    at = AppTest.from_function(_app, default_timeout=30).run()
    assert [t.value for t in at.title] == ["callqa · вход"]
    assert at.text_input(key="callqa_login_name").label == "Имя пользователя"
    assert at.text_input(key="callqa_login_password").label == "Пароль"

    at = _log_in(at, "alice", "wrong password")
    assert [e.value for e in at.error] == ["Неизвестное имя пользователя или неверный пароль."]

    at = _log_in(at, "alice", PASSWORD)
    assert not at.exception, [e.message for e in at.exception]
    assert [c.value for c in at.sidebar.caption] == ["Signed in as **alice** · reviewer"], "alice reads English"
    at.button(key="callqa_logout").click()
    at = at.run()
    assert [t.value for t in at.title] == ["callqa · вход"], "after the logout, the site's language again"

    at = _log_in(at, "boris", PASSWORD)
    assert [c.value for c in at.sidebar.caption] == ["Вы вошли как **boris** · тренер"], "boris has not chosen"
    assert at.button(key="callqa_logout").label == "Выйти"


def test_a_locked_name_is_told_in_russian_with_the_right_plural(russian_site, monkeypatch):
    monkeypatch.setenv("CALLQA_LOGIN_USER_FREE_FAILURES", "0")
    monkeypatch.setenv("CALLQA_LOGIN_USER_LOCKOUT_FAILURES", "1")
    monkeypatch.setenv("CALLQA_LOGIN_LOCKOUT_S", str(21 * 60))
    users.add_user(russian_site, "alice", "reviewer", PASSWORD, cost=users.ScryptCost(n=2**10))
    at = _log_in(AppTest.from_function(_app, default_timeout=30).run(), "alice", "wrong password")
    at = _log_in(at, "alice", PASSWORD)
    assert [e.value for e in at.error] == [
        "Слишком много неудачных попыток: вход под этим именем или с этого адреса заблокирован ещё на 21 минуту. "
        "Администратор может снять блокировку (`callqa users unlock`)."]
