"""A login survives a reload and a new tab, for a set time, and no longer (issue #17, item 4).

The real app is served on 127.0.0.1 with users configured; the system Chromium (Playwright) logs in
and reloads, opens tabs, logs out. The attacker's side: a browser given a copied cookie after the
logout, a cookie changed by one character, a cookie moved to another name, a session the server
says has expired (its cookie still valid for the browser), a password changed or a user removed on
the command line. And a deep link opened while logged out is where the login lands.
"""

from __future__ import annotations

import os
import shutil
import time
from datetime import timedelta
from pathlib import Path

import pytest

from callqa.cli import main
from storage import auth_events
from storage.db import connect
from storage.db import now as utc_now
from tests.served_app import streamlit_app
from usecases import login_sessions, users

PASSWORD = "correct horse battery"
OTHER_PASSWORD = "staple battery horse correct"
WAIT_MS = 90_000
SIGNED_IN = "text=Signed in as"
LOGIN_FORM = "input[aria-label='Password']"


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """A database at the current schema and a users file (alice, bob, carol), served for real."""
    root = tmp_path_factory.mktemp("login")
    db = root / "callqa.duckdb"
    with connect(db):
        pass
    users_file = root / "users.toml"
    for name in ("alice", "bob", "carol", "dave"):
        users.add_user(users_file, name, "reviewer", PASSWORD, display_name=name.title(),
                       cost=users.ScryptCost(n=2**10))
    env = dict(os.environ, CALLQA_DB=str(db), CALLQA_USERS=str(users_file), CALLQA_UI_LANGUAGE="en")
    with streamlit_app(env) as url:
        yield url, db, users_file


@pytest.fixture(scope="module")
def browser(chromium):
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is a test dependency (pyproject [test])")
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=chromium, args=["--no-sandbox"])  # the system Chromium
        yield b
        b.close()


def _log_in(page, url: str, name: str, password: str = PASSWORD) -> None:
    page.goto(url)
    page.locator(LOGIN_FORM).wait_for(timeout=WAIT_MS)
    page.locator("input[aria-label='User name']").fill(name)
    page.locator(LOGIN_FORM).fill(password)
    page.get_by_role("button", name="Log in", exact=True).click()
    page.locator(SIGNED_IN).wait_for(timeout=WAIT_MS)


def _signed_in(page) -> bool:
    """Waits for the page to settle on either the app or the login form, and says which."""
    page.locator(SIGNED_IN).or_(page.locator(LOGIN_FORM)).first.wait_for(timeout=WAIT_MS)
    page.wait_for_timeout(500)  # a cookie check runs before the gate draws either
    return page.locator(SIGNED_IN).count() > 0 and page.locator(LOGIN_FORM).count() == 0


def _asks_to_log_in(page, step, timeout_ms: float = 30_000) -> bool:
    """Takes ``step`` in an open tab and says whether the login form comes (the old page stays until the
    rerun ends). A loaded machine can lose the click itself: the step is taken once more before the
    answer is no, which cannot turn a tab that is still logged in into one asking for a login."""
    for _attempt in range(2):
        try:
            step()
        except Exception:  # the link already gone: the login form has replaced the page
            pass
        try:
            page.locator(LOGIN_FORM).wait_for(timeout=timeout_ms)
        except Exception:  # playwright's TimeoutError
            continue
        return page.locator(SIGNED_IN).count() == 0
    return False


def _session_cookie(context) -> dict:
    found = [c for c in context.cookies() if c["name"] == login_sessions.COOKIE]
    assert len(found) == 1, context.cookies()
    return found[0]


def _wait_for_cookie(context, present: bool = True, timeout_s: float = 20) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if any(c["name"] == login_sessions.COOKIE for c in context.cookies()) == present:
            return
        time.sleep(0.2)
    pytest.fail(f"the session cookie is {'still missing' if present else 'still there'}")


def _events(db: Path, name: str | None = None) -> list[auth_events.AuthEvent]:
    with connect(db, read_only=True) as con:
        return list(reversed(auth_events.recent(con, 10_000, user_name=name)))


def _sql(db: Path, sql: str, params: list) -> None:
    with connect(db) as con:
        con.execute(sql, params)


def test_a_login_survives_reload_and_new_tabs_until_logged_out_everywhere(site, browser):
    url, db, _users = site
    context = browser.new_context()
    first = context.new_page()
    _log_in(first, url, "alice")
    _wait_for_cookie(context)
    cookie = _session_cookie(context)
    assert cookie["sameSite"] == "Strict" and cookie["path"] == "/"
    assert 11.9 * 3600 < cookie["expires"] - time.time() <= 12 * 3600 + 5, "login_session_hours = 12"
    token = cookie["value"].partition(".")[0]
    stored = db.read_bytes() + (Path(f"{db}.wal").read_bytes() if Path(f"{db}.wal").exists() else b"")
    assert token.encode() not in stored, "the database keeps the token's hash, never the token"

    first.reload()
    assert _signed_in(first), "a reload keeps the login"
    second = context.new_page()
    second.goto(url)
    assert _signed_in(second), "a new tab of the same browser is logged in"
    assert [e.outcome for e in _events(db, "alice")] == ["success", "resume", "resume"]

    first.get_by_role("button", name="Log out").click()
    first.locator(LOGIN_FORM).wait_for(timeout=WAIT_MS)
    _wait_for_cookie(context, present=False)
    runs = second.get_by_role("link", name="Runs")  # the other tab's next step
    assert _asks_to_log_in(second, runs.click), "a logout ends the session in every tab"
    second.reload()
    assert not _signed_in(second)
    first.reload()
    assert not _signed_in(first)

    # The attacker who copied the cookie before the logout replays it in a browser of their own.
    thief = browser.new_context()
    thief.add_cookies([{"name": cookie["name"], "value": cookie["value"], "url": url}])
    page = thief.new_page()
    page.goto(url)
    assert not _signed_in(page), "a cookie replayed after the logout is refused"
    assert [(e.outcome, e.detail) for e in _events(db, "alice")][-2:] == [("logout", None), ("session_refused",
                                                                                              "revoked")]
    thief.close()
    context.close()


@pytest.mark.parametrize("change", ["token", "signature", "name"])
def test_a_tampered_or_moved_cookie_is_refused(site, browser, change):
    url, db, _users = site
    context = browser.new_context()
    _log_in(context.new_page(), url, "bob")
    _wait_for_cookie(context)
    value = _session_cookie(context)["value"]
    token, _dot, signature = value.partition(".")
    flip = {"a": "b"}.get
    forged = {
        "token": f"{token[:-1]}{flip(token[-1]) or 'a'}.{signature}",
        "signature": f"{token}.{signature[:-1]}{flip(signature[-1]) or 'a'}",
        "name": value,
    }[change]
    name = "callqa_session_copy" if change == "name" else login_sessions.COOKIE
    thief = browser.new_context()
    thief.add_cookies([{"name": name, "value": forged, "url": url}])
    page = thief.new_page()
    page.goto(url)
    assert not _signed_in(page)
    if change != "name":
        refused = [e for e in _events(db) if e.outcome == "session_refused"]
        assert refused and refused[-1].detail == "bad signature" and refused[-1].user_name == ""
    thief.close()
    context.close()


def test_a_value_sealed_for_one_cookie_name_is_refused_under_another(site, monkeypatch):
    """Over HTTPS the cookie is ``__Host-callqa_session``: a value signed for the plain name does not pass there."""
    url, db, users_file = site
    monkeypatch.setenv("CALLQA_DB", str(db))
    entry = users.load(users_file).users["carol"]
    held = login_sessions.start(entry, "", login_sessions.COOKIE, users_file, db=db)
    store = users.load(users_file)
    assert login_sessions.resume(login_sessions.COOKIE, held.cookie, "", store, users_file, db=db).user_name == "carol"
    with pytest.raises(login_sessions.Refused, match="bad signature"):
        login_sessions.resume(login_sessions.SECURE_COOKIE, held.cookie, "", store, users_file, db=db)
    # Right key and name, but a token the server never issued (or forgot): refused by the database.
    key = bytes.fromhex(login_sessions.key_path(users_file).read_text().strip())
    made_up = login_sessions.seal("A" * 43, login_sessions.COOKIE, key)
    with pytest.raises(login_sessions.Refused, match="unknown"):
        login_sessions.resume(login_sessions.COOKIE, made_up, "", store, users_file, db=db)
    assert oct(login_sessions.key_path(users_file).stat().st_mode & 0o777) == "0o600"


@pytest.mark.parametrize("how", ["expired", "idle"])
def test_a_session_the_server_ended_asks_again_though_the_cookie_lives(site, browser, how):
    url, db, _users = site
    context = browser.new_context()
    page = context.new_page()
    _log_in(page, url, "carol")
    _wait_for_cookie(context)
    token = _session_cookie(context)["value"].partition(".")[0]
    past = utc_now() - timedelta(hours=3)
    column = "expires_at" if how == "expired" else "last_seen_at"
    _sql(db, f"UPDATE login_sessions SET {column} = ? WHERE token_hash = ?", [past, login_sessions.token_hash(token)])
    page.reload()
    assert not _signed_in(page)
    assert page.get_by_text("Your session has ended: log in again.").count() == 1
    assert _events(db, "carol")[-1].outcome == "session_refused" and _events(db, "carol")[-1].detail == how
    _wait_for_cookie(context, present=False)
    context.close()


def _cli(monkeypatch, *argv: str, stdin: str = "") -> int:
    import io

    monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    return main(list(argv))


@pytest.mark.parametrize("change", ["passwd", "remove"])
def test_a_new_password_or_a_removal_ends_the_sessions_at_once(site, browser, monkeypatch, tmp_path, change):
    url, db, users_file = site
    context = browser.new_context()
    page = context.new_page()
    _log_in(page, url, "dave")
    _wait_for_cookie(context)
    other = context.new_page()
    other.goto(url)
    assert _signed_in(other)
    backup = tmp_path / "users.toml"
    shutil.copyfile(users_file, backup)
    try:
        f = ["--users", str(users_file), "--db", str(db)]
        if change == "passwd":
            new = OTHER_PASSWORD + "\n"
            assert _cli(monkeypatch, "users", "passwd", "dave", "--password-stdin", *f, stdin=new) == 0
        else:
            assert _cli(monkeypatch, "users", "remove", "dave", *f) == 0
        runs = other.get_by_role("link", name="Runs")
        assert _asks_to_log_in(other, runs.click), "the open tab is asked to log in on its next step"
        page.reload()
        assert not _signed_in(page), "and a reload too"
        assert "revoke" in [e.outcome for e in _events(db, "dave")]
        assert login_sessions.list_active(user_name="dave", db=db) == []
    finally:
        shutil.copyfile(backup, users_file)
    context.close()


def test_a_deep_link_opened_logged_out_returns_there_after_the_login(site, browser):
    url, _db, _users = site
    context = browser.new_context()
    page = context.new_page()
    page.goto(f"{url}/call?call_id=deep-link-call-7&t=12")
    page.locator(LOGIN_FORM).wait_for(timeout=WAIT_MS)
    page.locator("input[aria-label='User name']").fill("alice")
    page.locator(LOGIN_FORM).fill(PASSWORD)
    page.get_by_role("button", name="Log in", exact=True).click()
    page.get_by_text("deep-link-call-7").first.wait_for(timeout=WAIT_MS)
    page.wait_for_function("() => window.location.search.includes('t=12')", timeout=WAIT_MS)
    assert page.url.split("?")[0].endswith("/call")
    assert "call_id=deep-link-call-7" in page.url and "t=12" in page.url
    context.close()


def test_an_admin_lists_and_ends_a_users_sessions(site, monkeypatch, capsys):
    import json

    _url, db, users_file = site
    entry = users.load(users_file).users["bob"]
    held = login_sessions.start(entry, "192.0.2.7", login_sessions.COOKIE, users_file, db=db)
    f = ["--users", str(users_file), "--db", str(db)]
    capsys.readouterr()
    assert _cli(monkeypatch, "users", "sessions", "--user", "bob", "--json", *f) == 0
    listed = json.loads(capsys.readouterr().out)
    assert {"user": "bob", "address": "192.0.2.7", "id": held.session.token_hash[:12]}.items() <= listed[0].items()
    assert _cli(monkeypatch, "users", "logout", "bob", *f) == 0
    assert "ended" in capsys.readouterr().out
    with pytest.raises(login_sessions.Refused, match="revoked"):
        login_sessions.resume(login_sessions.COOKIE, held.cookie, "", users.load(users_file), users_file, db=db)
    assert _cli(monkeypatch, "users", "sessions", "--user", "bob", *f) == 0
    assert "no open login sessions" in capsys.readouterr().out


def test_an_unreadable_signing_key_refuses_logins_instead_of_keeping_them_unsigned(tmp_path, monkeypatch):
    from usecases import login

    db = tmp_path / "callqa.duckdb"
    with connect(db):
        pass
    users_file = tmp_path / "users.toml"
    users.add_user(users_file, "erin", "reviewer", PASSWORD, cost=users.ScryptCost(n=2**10))
    login_sessions.key_path(users_file).write_text("not a key\n")
    monkeypatch.setenv("CALLQA_DB", str(db))
    with pytest.raises(login.LoginUnavailable, match="key file"):
        login.authenticate(users_file, "erin", PASSWORD, "", db=db, remember=login_sessions.COOKIE)
    with pytest.raises(login.LoginUnavailable, match="key file"):
        login_sessions.resume(login_sessions.COOKIE, "a.b", "", users.load(users_file), users_file, db=db)
    login_sessions.key_path(users_file).unlink()
    answer = login.authenticate(users_file, "erin", PASSWORD, "", db=db, remember=login_sessions.COOKIE)
    assert answer.held is not None and answer.held.user_name == "erin"
    assert login_sessions.key_path(users_file).stat().st_mode & 0o077 == 0, "made private"
