"""Local password logins, throttled and audited in the database (``storage.auth_events``).

Failures are counted in the database per name as typed and per client address, so a new
session per try gains nothing. After 3 failures of a name within 15 min each try waits 1,
2, 4 ... 60 s; at 10 the name is locked for 15 min (addresses: 20 and 100); settings
``login_*`` in usecases.settings. A throttled or locked attempt is refused before its
password is checked, with the same words for known and unknown names; the right password
does not open a locked name. A success resets the name's count; `callqa users unlock NAME`
(or `--address`) lifts a lock. Every success, failure, refusal, lockout and logout is an
``auth_events`` row (time, name as typed, address, outcome; never a password); `callqa users
events` lists them. When the nightly flow holds the database longer than ``login_db_wait_s``,
logins are refused ("try again") rather than let through uncounted, and the refusal is
journalled (``storage.pending``).

Plain Python: the app's login form (qa_app.auth) calls it with the browser's address.
"""

from __future__ import annotations

import logging
import math
import os
import tomllib
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from reporting.i18n import N_
from storage import auth_events
from usecases.users import DB_ENV, DEFAULT_DB, User, load, verify

if TYPE_CHECKING:
    from usecases.login_sessions import Held

LOGIN_FAILED = N_("Unknown user name or wrong password.")
LOGOUT_DB_WAIT_S = 1.0  # a logout never waits long for the database: its audit row goes to the journal
# Why a login cannot be checked now, in words the app translates (``err.template``, ``err.values``).
BAD_CONFIGURATION = N_("Logins are refused until the configuration is fixed: {error}")
NO_DATABASE = N_("Logins are counted in the database, and {database} does not exist yet: run `callqa run` first, "
                 "then reload this page.")
DATABASE_BUSY = N_("The database is busy (the nightly run is writing to it), so this login cannot be checked now: "
                   "try again in a minute.")
DATABASE_FAILS = N_("Logins cannot be checked: the database {database} fails ({error}).")
NO_SESSION_KEY = N_("Logins cannot be kept: the key file {path} cannot be read or written ({error}).")


class LoginUnavailable(RuntimeError):
    """The attempt cannot be counted now (database busy, missing or misconfigured): it is refused, unchecked."""

    def __init__(self, template: str, **values: object) -> None:
        super().__init__(template.format(**values))
        self.template, self.values = template, values

    @classmethod
    def busy(cls, database: Path, err: Exception) -> LoginUnavailable:
        text = " ".join(str(err).split())
        if "lock" in text.lower():
            return cls(DATABASE_BUSY)
        return cls(DATABASE_FAILS, database=database, error=text)


@dataclass(frozen=True)
class LoginAnswer:
    user: User | None
    message: str | None = None  # for the login form when refused or failed (English; the app words it itself)
    outcome: str = "success"  # success | failure | throttled | locked
    decision: auth_events.Decision | None = None  # a refusal's reason and wait
    held: Held | None = None  # the login session, when asked to ``remember`` the login


def database_path() -> Path:
    """Where the login throttle and audit live: the app's database (``$CALLQA_DB``, else the default)."""
    return Path(os.environ.get(DB_ENV) or DEFAULT_DB).expanduser()


def _settings(db: Path):
    from usecases.settings import load_settings

    return load_settings(db=db)


def authenticate(path: str | os.PathLike[str], name: str, password: str, address: str | None, *,
                 db: str | os.PathLike[str] | None = None, now: datetime | None = None,
                 remember: str | None = None) -> LoginAnswer:
    """One login attempt, throttled per name and per address in the database (``storage.auth_events``).

    Decided before any password is checked: a throttled or locked name (known or not) gets no
    scrypt check and the same answer. Every outcome is audited. When the database cannot be
    written within ``login_db_wait_s`` the attempt is refused (``LoginUnavailable``): fail closed,
    nobody gets in uncounted; the refusal itself is audited through the pending journal.

    ``remember``: a cookie name; a success then also starts a login session (usecases.login_sessions)
    on the same connection, its sealed cookie value in ``answer.held``.
    """
    import duckdb

    from storage.db import PROCESS_LOCK, connect
    from storage.db import now as utc_now

    database = Path(db) if db is not None else database_path()
    try:
        settings = _settings(database)
    except (ValueError, OSError, tomllib.TOMLDecodeError) as err:
        raise LoginUnavailable(BAD_CONFIGURATION, error=err) from err
    if not database.is_file():
        raise LoginUnavailable(NO_DATABASE, database=database)
    if remember is not None:
        from usecases import login_sessions

        login_sessions.check_key(path)  # a login that cannot be kept is not tried (nor counted)
    at = now or utc_now()
    found: list[User] = []

    def password_ok() -> bool:
        user = verify(path, name, password)
        found.extend([user] if user else [])
        return user is not None

    held = None
    try:
        with PROCESS_LOCK, connect(database, read_only=False, timeout_s=settings.login.db_wait_s) as con:
            result = auth_events.login(con, name, address, password_ok, at, settings.login.limits())
            entry = load(path).users.get(found[0].name) if result.outcome == "success" and remember else None
            if entry is not None and remember is not None:
                held = login_sessions.create(con, entry, address or "", remember, path, at,
                                             settings.login.session_hours)
    except duckdb.Error as err:
        text = " ".join(str(err).split())
        _journal(database, auth_events.event(name, address, "unavailable", at, detail=text[:200]))
        raise LoginUnavailable.busy(database, err) from err
    if result.outcome == "success":
        return LoginAnswer(found[0], held=held)
    if result.outcome == "failure":
        return LoginAnswer(None, LOGIN_FAILED, "failure", result.decision)
    return LoginAnswer(None, refusal_message(result.decision), result.outcome, result.decision)


def refusal_message(decision) -> str:
    """The same words for any name, known or not: they tell how long, never whether the name exists."""
    if decision.reason == "locked":
        minutes = max(1, math.ceil(decision.wait_s / 60))
        return (f"Too many failed attempts: logins for this name or from this address are locked for {minutes} more "
                f"minute{'s' if minutes != 1 else ''}. An administrator can lift it (`callqa users unlock`).")
    return f"Too many failed attempts: wait {max(1, math.ceil(decision.wait_s))} s before trying again."


def _journal(database: Path, event) -> None:
    """An audit row the database could not take now, for the next writer to apply."""
    from storage import pending

    try:
        pending.record(database, "auth_events", event.row())
    except OSError:
        logging.getLogger(__name__).exception("cannot journal the login audit row %s", event.outcome)


def audit_logout(name: str, address: str | None, *, db: str | os.PathLike[str] | None = None,
                 revoke: str | None = None) -> None:
    """Record a logout, and revoke its login session (``revoke``: the token hash); never blocks or fails the
    logout itself (a busy database: the audit row goes to the journal; the app ends the session in memory)."""
    import duckdb

    from storage import sessions
    from storage.db import PROCESS_LOCK, connect
    from storage.db import now as utc_now

    database = Path(db) if db is not None else database_path()
    ev = auth_events.event(name, address, "logout", utc_now())
    if not database.is_file():
        return
    try:
        with PROCESS_LOCK, connect(database, read_only=False, timeout_s=LOGOUT_DB_WAIT_S) as con:
            if revoke:
                sessions.revoke(con, revoke, ev.occurred_at, "logout")
            auth_events.record(con, ev)
    except duckdb.Error:
        _journal(database, ev)
