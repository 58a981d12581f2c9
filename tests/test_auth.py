"""Access control: password hashing, the users file, the `callqa users` CLI, and the app's login gate (AppTest)."""

from __future__ import annotations

import io
import json
import os
import shutil
import stat
import subprocess
import sys
import time
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from streamlit import config as st_config
from streamlit.testing.v1 import AppTest

from callqa.cli import main
from qa_app import auth
from qa_app.mdtext import md
from storage import auth_events, pending
from storage.db import connect
from usecases import login, users
from usecases.users import Role, User

PASSWORD = "correct horse battery"


@contextmanager
def _bound_to(address: str | None):
    """What `streamlit run --server.address` sets (st.get_option reads the real config, not a patched one)."""
    before = st_config.get_option("server.address")
    st_config.set_option("server.address", address)
    try:
        yield
    finally:
        st_config.set_option("server.address", before)


def _gate_app() -> None:
    """A stand-in for qa_app/app.py: the gate, then who got in."""
    import streamlit as st

    from qa_app import auth
    from usecases import users

    user = auth.gate()
    st.markdown(f"USER {user.name} ROLE {user.role.value} SOURCE {user.source}")
    st.markdown(f"CAN review={users.can_review(user)} coach={users.can_assign_coaching(user)}")


def _coaching_page() -> None:
    """A page that only trainers and admins may use, behind the entrypoint's gate."""
    import streamlit as st

    from qa_app import auth
    from usecases import users

    auth.gate()
    auth.require(users.can_assign_coaching, "assigning coaching")
    st.markdown("COACHING FORM")


@pytest.fixture(scope="module")
def migrated_db(tmp_path_factory) -> Path:
    """An empty database at the current schema, copied for each test (migrating one takes seconds)."""
    path = tmp_path_factory.mktemp("db") / "callqa.duckdb"
    with connect(path):
        pass
    return path


@pytest.fixture
def users_file(tmp_path, monkeypatch, migrated_db) -> Path:
    """The test's own users file, and its own database (where logins are counted and audited)."""
    path = tmp_path / "conf" / "users.toml"
    monkeypatch.setenv("CALLQA_USERS", str(path))
    db = tmp_path / "db" / "callqa.duckdb"
    db.parent.mkdir()
    shutil.copyfile(migrated_db, db)
    monkeypatch.setenv("CALLQA_DB", str(db))
    return path


def _db() -> Path:
    return Path(os.environ["CALLQA_DB"])


def _events(name: str | None = None) -> list[auth_events.AuthEvent]:
    """Audit rows, oldest first."""
    with connect(_db(), read_only=True) as con:
        return list(reversed(auth_events.recent(con, 10_000, user_name=name)))


def _outcomes(name: str | None = None) -> list[str]:
    return [e.outcome for e in _events(name)]


@pytest.fixture
def password_checks(monkeypatch) -> list[str]:
    """Counts scrypt checks (verify's check_password) made anywhere in this process, AppTest sessions included."""
    calls: list[str] = []
    real = users.check_password

    def counting(password: str, encoded: str) -> bool:
        calls.append(password)
        return real(password, encoded)

    monkeypatch.setattr(users, "check_password", counting)
    return calls


def _run(address: str | None, *, secrets: dict | None = None, user: dict | None = None, at: AppTest | None = None,
         script=_gate_app) -> AppTest:
    at = at or AppTest.from_function(script, default_timeout=30)
    if secrets is not None:
        at.secrets = secrets
    if user is not None:
        at.user = user
    with _bound_to(address):
        return at.run()


def _shown(at: AppTest) -> str:
    return "\n".join(str(m.value) for m in at.markdown)


def _on_login_page(at: AppTest) -> bool:
    keys = {w.key for w in at.text_input}
    return {"callqa_login_name", "callqa_login_password"} <= keys


def _log_in(at: AppTest, address: str, name: str, password: str) -> AppTest:
    at.text_input(key="callqa_login_name").input(name)
    at.text_input(key="callqa_login_password").input(password)
    at.button(key="callqa_login_submit").click()
    with _bound_to(address):
        return at.run()


# --- hashing and the users file --------------------------------------------------------------

def test_verify_accepts_only_the_right_password(users_file):
    users.add_user(users_file, "alice", "reviewer", PASSWORD, display_name="Alice")
    user = users.verify(users_file, "alice", PASSWORD)
    assert user == User("alice", Role.REVIEWER, "Alice", "local")
    assert users.verify(users_file, "alice", PASSWORD + "x") is None
    assert users.verify(users_file, "alice", "") is None
    assert users.verify(users_file, "mallory", PASSWORD) is None


def test_users_file_is_private_and_holds_no_password(users_file):
    users.add_user(users_file, "alice", "reviewer", PASSWORD)
    users.add_user(users_file, "bob", "trainer", PASSWORD)
    assert stat.S_IMODE(users_file.stat().st_mode) == 0o600
    text = users_file.read_text()
    assert PASSWORD not in text and "horse" not in text
    store = users.load(users_file)
    alice, bob = store.users["alice"].password_hash, store.users["bob"].password_hash
    assert alice.startswith("scrypt$n=16384,r=8,p=1$")
    assert alice.split("$")[2] != bob.split("$")[2], "each user gets a random salt"
    users.set_password(users_file, "bob", "another password")
    assert stat.S_IMODE(users_file.stat().st_mode) == 0o600, "rewrites stay private"
    assert not [p for p in users_file.parent.iterdir() if p.name.endswith(".tmp")], "no temporary file left behind"


def test_set_and_remove(users_file):
    users.add_user(users_file, "bob", "trainer", PASSWORD)
    users.set_password(users_file, "bob", "new password 2")
    assert users.verify(users_file, "bob", PASSWORD) is None
    assert users.verify(users_file, "bob", "new password 2").role == Role.TRAINER
    users.add_oidc_role(users_file, "Boss@Example.com", "admin")
    assert [(u.name, u.source) for u in users.list_users(users_file)] == [("bob", "local"),
                                                                          ("boss@example.com", "oidc")]
    assert users.remove_user(users_file, "bob") == ["local user"]
    assert users.remove_user(users_file, "boss@example.com") == ["OIDC identity"]
    assert users.load(users_file).empty
    with pytest.raises(users.UsersError, match="no user 'bob'"):
        users.remove_user(users_file, "bob")


def test_bad_requests_are_refused(users_file):
    users.add_user(users_file, "alice", "admin", PASSWORD)
    with pytest.raises(users.UsersError, match="already exists"):
        users.add_user(users_file, "alice", "admin", PASSWORD)
    with pytest.raises(users.UsersError, match="unknown role 'root'"):
        users.add_user(users_file, "carol", "root", PASSWORD)
    with pytest.raises(users.UsersError, match="at least 8"):
        users.add_user(users_file, "carol", "admin", "short")
    with pytest.raises(users.UsersError, match="invalid user name"):
        users.add_user(users_file, "carol smith", "admin", PASSWORD)
    with pytest.raises(users.UsersError, match="no local user"):
        users.set_password(users_file, "carol", PASSWORD)


@pytest.mark.parametrize(
    "encoded", ["", "plain", "md5$x$y$z", "scrypt$n=16384,r=8,p=1$!!$!!", "scrypt$n=1073741824,r=8,p=1$AAAA$AAAA"]
)
def test_malformed_hashes_never_match(encoded):
    assert users.check_password(PASSWORD, encoded) is False


def test_a_broken_users_file_is_an_error_not_an_empty_one(users_file):
    users_file.parent.mkdir(parents=True)
    users_file.write_text('[users."alice"]\nrole = "superuser"\npassword = "x"\n')
    with pytest.raises(users.UsersFileError, match="malformed"):
        users.load(users_file)
    users_file.write_text("not = [toml")
    with pytest.raises(users.UsersFileError, match="cannot read"):
        users.load(users_file)


def test_default_users_file_sits_beside_the_database(tmp_path, monkeypatch):
    monkeypatch.delenv("CALLQA_USERS", raising=False)
    monkeypatch.setenv("CALLQA_DB", str(tmp_path / "db" / "callqa.duckdb"))
    assert users.users_path() == tmp_path / "db" / "users.toml"
    assert users.users_path(tmp_path / "other" / "x.duckdb") == tmp_path / "other" / "users.toml"
    monkeypatch.setenv("CALLQA_USERS", str(tmp_path / "elsewhere.toml"))
    assert users.users_path(tmp_path / "other" / "x.duckdb") == tmp_path / "elsewhere.toml"


# --- roles and addresses ---------------------------------------------------------------------

@pytest.mark.parametrize(
    "role, review, coach, unredacted, admin",
    [
        ("reviewer", True, False, False, False),
        ("trainer", False, True, False, False),
        ("admin", True, True, True, True),
    ],
)
def test_permissions_per_role(role, review, coach, unredacted, admin):
    user = User("x", Role(role))
    assert (users.can_review(user), users.can_assign_coaching(user), users.can_see_unredacted(user),
            users.can_admin(user)) == (
        review, coach, unredacted, admin
    )


def test_nobody_has_permissions():
    assert not any(f(None) for f in (users.can_review, users.can_assign_coaching, users.can_see_unredacted,
                                     users.can_admin))


@pytest.mark.parametrize(
    "address, loopback",
    [("127.0.0.1", True), ("127.1.2.3", True), ("localhost", True), ("::1", True), ("[::1]", True),
     (None, False), ("", False), ("0.0.0.0", False), ("::", False), ("10.0.0.5", False), ("qa.example.com", False),
     ("unix:///tmp/app.sock", False)],
)
def test_loopback(address, loopback):
    assert users.is_loopback(address) is loopback


def test_oidc_identities_map_to_roles_by_email():
    store = users.UserStore(roles={"boss@example.com": Role.ADMIN})
    assert users.oidc_user(store, {"is_logged_in": True, "email": "Boss@Example.com", "name": "Boss"}) == User(
        "boss@example.com", Role.ADMIN, "Boss", "oidc"
    )
    assert users.oidc_user(store, {"email": "someone@example.com"}) is None, "no default role"
    assert users.oidc_user(store, {"email": "boss@example.com", "email_verified": False}) is None
    assert users.oidc_user(store, {"name": "Boss"}) is None


# --- the CLI ---------------------------------------------------------------------------------

def _cli(monkeypatch, *argv: str, stdin: str = "") -> int:
    monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
    return main(list(argv))


def test_cli_add_list_passwd_remove(users_file, monkeypatch, capsys):
    f = ["--users", str(users_file)]
    assert (
        _cli(monkeypatch, "users", "add", "alice", "--role", "reviewer", "--password-stdin", *f, stdin=PASSWORD + "\n")
        == 0
    )
    assert (
        _cli(
            monkeypatch,
            "users",
            "add",
            "tom",
            "--role",
            "trainer",
            "--display-name",
            "Tom T",
            "--password-stdin",
            *f,
            stdin=PASSWORD + "\n",
        )
        == 0
    )
    assert _cli(monkeypatch, "users", "add", "Boss@Example.com", "--role", "admin", "--sso", *f) == 0
    assert users.verify(users_file, "alice", PASSWORD).role == Role.REVIEWER
    capsys.readouterr()
    assert _cli(monkeypatch, "users", "list", "--json", *f) == 0
    listed = json.loads(capsys.readouterr().out)
    assert listed == [
        {"name": "alice", "role": "reviewer", "display_name": None, "source": "local"},
        {"name": "tom", "role": "trainer", "display_name": "Tom T", "source": "local"},
        {"name": "boss@example.com", "role": "admin", "display_name": None, "source": "oidc"},
    ]
    assert _cli(monkeypatch, "users", "passwd", "alice", "--password-stdin", *f, stdin="a new password\n") == 0
    assert users.verify(users_file, "alice", PASSWORD) is None
    assert users.verify(users_file, "alice", "a new password") is not None
    assert _cli(monkeypatch, "users", "remove", "tom", *f) == 0
    capsys.readouterr()
    assert _cli(monkeypatch, "users", "list", *f) == 0
    out = capsys.readouterr().out
    assert "alice" in out and "boss@example.com" in out and "tom" not in out


def test_cli_refuses_duplicates_bad_roles_and_unknown_names(users_file, monkeypatch, capsys):
    f = ["--users", str(users_file)]
    assert (
        _cli(monkeypatch, "users", "add", "alice", "--role", "admin", "--password-stdin", *f, stdin=PASSWORD + "\n")
        == 0
    )
    capsys.readouterr()
    # the duplicate is refused before any password is read (stdin is empty here)
    assert _cli(monkeypatch, "users", "add", "alice", "--role", "admin", "--password-stdin", *f) == 2
    assert "user 'alice' already exists" in capsys.readouterr().err
    assert (
        _cli(monkeypatch, "users", "add", "bob", "--role", "boss", "--password-stdin", *f, stdin=PASSWORD + "\n") == 2
    )
    assert "unknown role 'boss': use one of reviewer, trainer, admin" in capsys.readouterr().err
    assert _cli(monkeypatch, "users", "add", "bob", "--role", "trainer", "--password-stdin", *f, stdin="short\n") == 2
    assert "at least 8 characters" in capsys.readouterr().err
    assert _cli(monkeypatch, "users", "remove", "nobody", *f) == 2
    assert "no user 'nobody'" in capsys.readouterr().err
    assert _cli(monkeypatch, "users", "passwd", "nobody", "--password-stdin", *f, stdin=PASSWORD + "\n") == 2
    assert [u.name for u in users.list_users(users_file)] == ["alice"]


def test_cli_prompts_twice_without_password_stdin(users_file, monkeypatch, capsys):
    answers = iter([PASSWORD, PASSWORD + "typo"])
    monkeypatch.setattr("getpass.getpass", lambda prompt="": next(answers))
    assert main(["users", "add", "alice", "--role", "admin", "--users", str(users_file)]) == 2
    assert "do not match" in capsys.readouterr().err
    assert not users.list_users(users_file)
    answers = iter([PASSWORD, PASSWORD])
    assert main(["users", "add", "alice", "--role", "admin", "--users", str(users_file)]) == 0
    assert users.verify(users_file, "alice", PASSWORD) is not None


def test_cli_default_users_file_follows_the_database(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # no callqa.toml here
    monkeypatch.delenv("CALLQA_USERS", raising=False)
    monkeypatch.delenv("CALLQA_DB", raising=False)
    db = tmp_path / "var" / "callqa.duckdb"
    assert _cli(monkeypatch, "users", "add", "alice", "--role", "admin", "--db", str(db), "--password-stdin",
                stdin=PASSWORD + "\n") == 0
    assert users.verify(tmp_path / "var" / "users.toml", "alice", PASSWORD) is not None
    assert _cli(monkeypatch, "users", "add", "bob", "--role", "admin", "--password-stdin", stdin=PASSWORD + "\n") == 0
    assert (tmp_path / "data" / "users.toml").is_file(), "default database data/callqa.duckdb -> data/users.toml"


def test_cli_app_passes_the_bind_address(monkeypatch, tmp_path):
    calls = []
    monkeypatch.setattr("callqa.commands.app.serve", lambda command, env: calls.append((command, env)) or 0)
    assert (
        main(["app", "--db", str(tmp_path / "x.duckdb"), "--address", "0.0.0.0", "--users", str(tmp_path / "u.toml")])
        == 0
    )
    assert main(["app", "--db", str(tmp_path / "x.duckdb")]) == 0
    (first, env), (second, _) = calls
    assert first[first.index("--server.address") + 1] == "0.0.0.0"
    assert env["CALLQA_USERS"] == str(tmp_path / "u.toml")
    assert second[second.index("--server.address") + 1] == "127.0.0.1"


# --- the gate (AppTest) ----------------------------------------------------------------------

def test_no_users_on_loopback_runs_as_local_admin_with_a_banner(users_file):
    at = _run("127.0.0.1")
    assert not at.exception, [e.message for e in at.exception]
    assert "USER local-admin ROLE admin SOURCE local-admin" in _shown(at)
    assert any("No users configured" in w.value and "callqa users add" in w.value for w in at.warning)
    assert not _on_login_page(at)


@pytest.mark.parametrize("address", ["0.0.0.0", None, "10.1.2.3"])
def test_no_users_elsewhere_shows_only_the_login_page(users_file, address):
    at = _run(address)
    assert not at.exception, [e.message for e in at.exception]
    assert _on_login_page(at)
    assert "USER" not in _shown(at)
    assert not at.warning


def test_users_exist_login_required(users_file):
    users.add_user(users_file, "alice", "reviewer", PASSWORD, display_name="Alice")
    at = _run("127.0.0.1")
    assert _on_login_page(at) and "USER" not in _shown(at)

    at = _log_in(at, "127.0.0.1", "alice", "wrong password")
    assert [e.value for e in at.error] == [login.LOGIN_FAILED]
    assert "USER" not in _shown(at)
    at = _log_in(at, "127.0.0.1", "mallory", PASSWORD)
    assert [e.value for e in at.error] == [login.LOGIN_FAILED], "unknown user and wrong password look alike"

    at = _log_in(at, "127.0.0.1", "alice", PASSWORD)
    assert not at.exception, [e.message for e in at.exception]
    assert not at.error
    assert "USER alice ROLE reviewer SOURCE local" in _shown(at)
    assert "CAN review=True coach=False" in _shown(at)
    assert not _on_login_page(at)
    assert any("Alice" in c.value for c in at.sidebar.caption)

    at.button(key="callqa_logout").click()
    at = _run("127.0.0.1", at=at)
    assert _on_login_page(at) and "USER" not in _shown(at)
    assert _outcomes() == ["failure", "failure", "success", "logout"]
    assert [e.user_name for e in _events()] == ["alice", "mallory", "alice", "alice"]


def test_a_removed_user_is_logged_out(users_file):
    users.add_user(users_file, "tom", "trainer", PASSWORD)
    at = _log_in(_run("0.0.0.0"), "0.0.0.0", "tom", PASSWORD)
    assert "USER tom ROLE trainer" in _shown(at)
    users.remove_user(users_file, "tom")
    at = _run("0.0.0.0", at=at)
    assert _on_login_page(at) and "USER" not in _shown(at)


def _new_session_try(name: str, password: str, bind: str = "0.0.0.0") -> AppTest:
    """What an attacker scripting new websockets does: a fresh session (AppTest) for every single try."""
    return _log_in(_run(bind), bind, name, password)


def test_repeated_failures_make_the_session_wait(users_file):
    users.add_user(users_file, "alice", "admin", PASSWORD)
    at = _run("127.0.0.1")
    for _ in range(3):
        at = _log_in(at, "127.0.0.1", "alice", "guess guess")
        assert [e.value for e in at.error] == [login.LOGIN_FAILED]
    at = _log_in(at, "127.0.0.1", "alice", PASSWORD)
    assert any("Too many failed attempts" in e.value for e in at.error)
    assert "USER" not in _shown(at)


def test_a_new_session_per_try_gains_nothing(users_file, password_checks, monkeypatch):
    """The reported attack (21 tries, each on a new websocket, then success) with the shipped defaults.

    The attacker's tries come faster than the first 1 s delay: the clock the throttle reads is held
    still, so the figures do not depend on how fast this machine runs a session (a quiet CI machine
    once took long enough between tries for the delays to pass)."""
    import storage.db

    frozen = storage.db.now()
    monkeypatch.setattr(storage.db, "now", lambda: frozen)
    users.add_user(users_file, "alice", "admin", PASSWORD, cost=users.ScryptCost(n=2**10))
    started = time.monotonic()
    for i in range(21):
        at = _new_session_try("alice", f"guess {i}")
        assert "USER" not in _shown(at) and len(at.error) == 1
    at = _new_session_try("alice", PASSWORD)
    elapsed = time.monotonic() - started
    assert "USER" not in _shown(at), "the right password after 21 quick guesses does not get in"
    assert at.error[0].value.startswith("Too many failed attempts: wait")
    outcomes = _outcomes("alice")
    assert len(outcomes) == 22 and "success" not in outcomes
    # 3 free failures; every later try comes before the 1 s delay is over, whatever the sessions
    assert outcomes.count("failure") == 3 and elapsed > 0
    assert outcomes.count("throttled") == 19
    assert len(password_checks) == outcomes.count("failure"), "refused tries never reach the password check"


def test_twenty_one_tries_lock_the_name_even_for_the_right_password(users_file, password_checks, monkeypatch, capsys):
    """An attacker who waits out every delay: locked at 10 failures, audited, right password refused.

    Delays scaled down 20x by configuration (CALLQA_LOGIN_DELAY_*), so the test takes seconds.
    """
    monkeypatch.setenv("CALLQA_LOGIN_DELAY_BASE_S", "0.05")
    monkeypatch.setenv("CALLQA_LOGIN_DELAY_MAX_S", "0.4")
    users.add_user(users_file, "alice", "admin", PASSWORD, cost=users.ScryptCost(n=2**10))
    users.add_user(users_file, "bob", "reviewer", PASSWORD, cost=users.ScryptCost(n=2**10))
    guesses = [f"Guess-{i}-{i * 7919}" for i in range(21)] + [PASSWORD]
    answers = []
    for guess in guesses:
        while True:
            at = _new_session_try("alice", guess)
            answer = at.error[0].value if at.error else "IN"
            if not answer.startswith("Too many failed attempts: wait"):
                break
            time.sleep(0.05)  # told to wait: retry the same guess a moment later, in yet another session
        answers.append(answer)
    assert answers[:10] == [login.LOGIN_FAILED] * 10
    assert all("locked for 15 more minutes" in a for a in answers[10:]), answers[10:]
    assert "USER" not in _shown(at), "the right password does not open a locked name"
    assert len(password_checks) == 10, "the 12 tries after the lockout got no scrypt check"

    events = _events("alice")
    failures = [e for e in events if e.outcome == "failure"]
    assert len(failures) == 10
    assert [(e.outcome, e.scope) for e in events if e.outcome in ("lockout", "locked")] == [("lockout", "user")] + [
        ("locked", "user")] * 12
    assert {e.outcome for e in events} <= {"failure", "throttled", "lockout", "locked"}
    gaps = [(b.occurred_at - a.occurred_at).total_seconds() for a, b in zip(failures, failures[1:])]
    assert all(gap >= want for gap, want in zip(gaps[2:], [0.05, 0.1, 0.2, 0.4, 0.4, 0.4, 0.4])), gaps
    assert all(e.address == "" and e.user_name == "alice" for e in events)
    raw = _db().read_bytes() + (Path(str(_db()) + ".wal").read_bytes() if Path(str(_db()) + ".wal").exists() else b"")
    assert not [g for g in guesses if g.encode() in raw], "no password, right or wrong, is ever stored"

    # Another user behind the same (unknown, shared) address is not held by alice's lockout.
    at = _new_session_try("bob", PASSWORD)
    assert "USER bob ROLE reviewer" in _shown(at)

    # The admin lifts the lock; the right password works again and resets alice's count.
    f = ["--users", str(users_file), "--db", str(_db())]
    capsys.readouterr()
    assert _cli(monkeypatch, "users", "events", "--json", *f) == 0
    listed = json.loads(capsys.readouterr().out)
    assert listed["locked"][0]["scope"] == "user" and listed["locked"][0]["value"] == "alice"
    assert {"success", "lockout", "locked", "failure"} <= {e["outcome"] for e in listed["events"]}
    assert _cli(monkeypatch, "users", "unlock", "alice", *f) == 0
    assert "unlocked user 'alice'" in capsys.readouterr().out
    at = _new_session_try("alice", PASSWORD)
    assert "USER alice ROLE admin" in _shown(at)
    assert _outcomes("alice")[-2:] == ["unlock", "success"]
    at = _new_session_try("alice", "one more typo")
    at = _new_session_try("alice", "and another")
    assert [e.value for e in at.error] == [login.LOGIN_FAILED], "the success reset the count"


def test_unknown_and_known_names_get_the_same_answers(users_file, password_checks):
    users.add_user(users_file, "alice", "admin", PASSWORD)
    start = datetime(2026, 12, 1, 9, 0)
    answers: dict[str, list] = {"alice": [], "mallory": []}
    for name in answers:
        for i in range(20):
            at = start + timedelta(seconds=15 * i)
            try:
                answer = login.authenticate(users_file, name, "wrong " + str(i), "198.51.100.3" if name == "alice" else
                                           "198.51.100.4", now=at)
            except login.LoginUnavailable as err:  # pragma: no cover - would be a bug
                pytest.fail(str(err))
            answers[name].append((answer.outcome, answer.message))
    assert answers["alice"] == answers["mallory"]
    outcomes = [o for o, _ in answers["alice"]]
    assert "locked" in outcomes and "throttled" in outcomes
    assert len(password_checks) == 2 * outcomes.count("failure"), "an unknown name costs a (dummy) scrypt check too"


def test_spraying_names_from_one_address_is_throttled_there_only(users_file, monkeypatch):
    monkeypatch.setenv("CALLQA_LOGIN_ADDRESS_FREE_FAILURES", "3")
    monkeypatch.setenv("CALLQA_LOGIN_DELAY_BASE_S", "30")
    users.add_user(users_file, "olga", "reviewer", PASSWORD, cost=users.ScryptCost(n=2**10))
    address = {"now": "203.0.113.9"}
    monkeypatch.setattr(auth, "client_address", lambda: address["now"])
    for name in ("admin", "root", "operator"):
        assert _new_session_try(name, "Password1").error[0].value == login.LOGIN_FAILED
    at = _new_session_try("olga", PASSWORD)
    assert "USER" not in _shown(at) and at.error[0].value.startswith("Too many failed attempts: wait")
    address["now"] = "192.0.2.10"
    assert "USER olga ROLE reviewer" in _shown(_new_session_try("olga", PASSWORD))
    by_address = {(e.address, e.outcome) for e in _events()}
    assert {("203.0.113.9", "failure"), ("203.0.113.9", "throttled"), ("192.0.2.10", "success")} <= by_address
    throttled = [e for e in _events() if e.outcome == "throttled"]
    assert [e.scope for e in throttled] == ["address"]


def test_a_busy_database_refuses_logins_and_journals_the_refusal(users_file, password_checks, monkeypatch):
    """The nightly flow holds the file: fail closed ("try again"), nobody gets in uncounted."""
    monkeypatch.setenv("CALLQA_LOGIN_DB_WAIT_S", "0.3")
    users.add_user(users_file, "alice", "admin", PASSWORD, cost=users.ScryptCost(n=2**10))
    holder = subprocess.Popen(
        [sys.executable, "-c", "import duckdb, sys, time; c = duckdb.connect(sys.argv[1]); print('held', flush=True); "
         "time.sleep(60)", str(_db())],
        stdout=subprocess.PIPE, text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "held"
        at = _new_session_try("alice", PASSWORD)
        assert "USER" not in _shown(at)
        assert "busy" in at.error[0].value and "try again" in at.error[0].value
        assert password_checks == [], "nothing is checked while the attempt cannot be counted"
        assert [r["outcome"] for r in pending.pending_rows(_db(), "auth_events")] == ["unavailable"]
    finally:
        holder.kill()
        holder.wait()
    at = _new_session_try("alice", PASSWORD)
    assert "USER alice ROLE admin" in _shown(at)
    assert _outcomes("alice") == ["unavailable", "success"], "the journalled refusal reached the table"
    assert not pending.journal_path(_db()).exists()


def test_logins_need_the_database(users_file, tmp_path, monkeypatch):
    users.add_user(users_file, "alice", "admin", PASSWORD, cost=users.ScryptCost(n=2**10))
    monkeypatch.setenv("CALLQA_DB", str(tmp_path / "nowhere" / "callqa.duckdb"))
    at = _new_session_try("alice", PASSWORD)
    assert "USER" not in _shown(at) and "does not exist yet" in at.error[0].value
    assert not (tmp_path / "nowhere").exists(), "a login never creates a database"


# --- the password policy ---------------------------------------------------------------------

@pytest.mark.parametrize("password, why", [
    ("password", "too easy to guess"),
    ("12345678", "too easy to guess"),
    ("qwerty123", "too easy to guess"),
    ("Password1", "too easy to guess"),
    ("йцукен123", "too easy to guess"),
    ("alice2024!", "must not contain the user's own name"),
    ("smith-correct-horse", "must not contain the user's own name"),
    ("short", "at least 8 characters"),
])
def test_weak_passwords_are_refused_with_the_reason(users_file, monkeypatch, capsys, password, why):
    with pytest.raises(users.UsersError, match=why):
        users.add_user(users_file, "alice", "reviewer", password, display_name="Alice Smith")
    assert not users.list_users(users_file)
    users.add_user(users_file, "alice", "reviewer", PASSWORD, display_name="Alice Smith")
    with pytest.raises(users.UsersError, match=why):
        users.set_password(users_file, "alice", password)
    assert users.verify(users_file, "alice", PASSWORD) is not None, "the old password still works"
    f = ["--users", str(users_file)]
    assert _cli(monkeypatch, "users", "add", "bob", "--role", "trainer", "--password-stdin", *f,
                stdin=password.replace("alice", "bob").replace("smith", "bob") + "\n") == 2
    assert "callqa: error: the password" in capsys.readouterr().err
    assert _cli(monkeypatch, "users", "passwd", "alice", "--password-stdin", *f, stdin=password + "\n") == 2
    assert why.split()[0] in capsys.readouterr().err


def test_an_existing_user_with_a_weak_password_still_logs_in(users_file):
    """The policy applies when a password is set, not at login: nobody is locked out by an upgrade."""
    users_file.parent.mkdir(parents=True)
    users_file.write_text(f'[users."legacy"]\nrole = "reviewer"\npassword = "{users.hash_password("password")}"\n')
    at = _new_session_try("legacy", "password")
    assert "USER legacy ROLE reviewer" in _shown(at)


def test_a_broken_users_file_closes_the_app(users_file):
    users_file.parent.mkdir(parents=True)
    users_file.write_text("garbage = [")
    at = _run("127.0.0.1")
    assert any("cannot read the users file" in e.value for e in at.error)
    assert "USER" not in _shown(at) and not _on_login_page(at)


OIDC_SECRETS = {
    "auth": {
        "redirect_uri": "http://127.0.0.1:8501/oauth2callback",
        "cookie_secret": "test-cookie-secret",
        "client_id": "callqa",
        "client_secret": "s",
        "server_metadata_url": "https://idp.example.com/.well-known/openid-configuration",
    }
}


def test_oidc_user_with_a_role_gets_in(users_file):
    users.add_oidc_role(users_file, "boss@example.com", "trainer")
    at = _run("0.0.0.0", secrets=OIDC_SECRETS, user={"is_logged_in": True, "email": "Boss@example.com", "name": "Boss"})
    assert not at.exception, [e.message for e in at.exception]
    assert "USER boss@example.com ROLE trainer SOURCE oidc" in _shown(at)
    assert "CAN review=False coach=True" in _shown(at)


def test_oidc_user_without_a_role_gets_nothing(users_file):
    users.add_oidc_role(users_file, "boss@example.com", "admin")
    at = _run("0.0.0.0", secrets=OIDC_SECRETS, user={"is_logged_in": True, "email": "intruder@example.com"})
    assert "USER" not in _shown(at)
    assert any(f"{md('intruder@example.com')} has no access" in e.value for e in at.error)


def test_login_page_offers_sso_when_configured(users_file):
    users.add_user(users_file, "alice", "admin", PASSWORD)
    # an e-mail without is_logged_in (AppTest's default user, or Streamlit's local dev user) is no login
    at = _run("127.0.0.1", secrets=OIDC_SECRETS, user={"email": "boss@example.com"})
    assert _on_login_page(at) and "USER" not in _shown(at)
    assert [b.label for b in at.button if b.key == "callqa_sso_default"] == ["Log in with SSO"]
    at = _run("127.0.0.1")
    assert not [b for b in at.button if (b.key or "").startswith("callqa_sso")], "no SSO button without [auth]"


@pytest.mark.parametrize(
    "name, role, allowed", [("rita", "reviewer", False), ("tom", "trainer", True), ("ada", "admin", True)]
)
def test_require_refuses_a_role_without_the_permission(users_file, name, role, allowed):
    users.add_user(users_file, name, role, PASSWORD)
    at = _log_in(_run("127.0.0.1", script=_coaching_page), "127.0.0.1", name, PASSWORD)
    assert not at.exception, [e.message for e in at.exception]
    assert ("COACHING FORM" in _shown(at)) is allowed
    assert bool([e for e in at.error if f"({role}) does not allow assigning coaching" in e.value]) is not allowed


def test_require_alone_shows_the_login_page(users_file):
    """A page run without the entrypoint (Streamlit's pages/ folder mode) is still gated."""

    def page() -> None:
        import streamlit as st

        from qa_app import auth

        auth.require()
        st.markdown("SECRET")

    users.add_user(users_file, "alice", "admin", PASSWORD)
    at = _run("127.0.0.1", script=page)
    assert _on_login_page(at) and "SECRET" not in _shown(at)
    at = _log_in(at, "127.0.0.1", "alice", PASSWORD)
    assert "SECRET" in _shown(at)
