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

from usecases.users import DB_ENV, DEFAULT_DB, User, verify

LOGIN_FAILED = "Unknown user name or wrong password."
LOGOUT_DB_WAIT_S = 1.0  # a logout never waits long for the database: its audit row goes to the journal


class LoginUnavailable(RuntimeError):
    """The attempt cannot be counted now (database busy, missing or misconfigured): it is refused, unchecked."""


@dataclass(frozen=True)
class LoginAnswer:
    user: User | None
    message: str | None = None  # for the login form when refused or failed
    outcome: str = "success"  # success | failure | throttled | locked


def database_path() -> Path:
    """Where the login throttle and audit live: the app's database (``$CALLQA_DB``, else the default)."""
    return Path(os.environ.get(DB_ENV) or DEFAULT_DB).expanduser()


def _settings(db: Path):
    from usecases.settings import load_settings

    return load_settings(db=db)


def authenticate(path: str | os.PathLike[str], name: str, password: str, address: str | None, *,
                 db: str | os.PathLike[str] | None = None, now: datetime | None = None) -> LoginAnswer:
    """One login attempt, throttled per name and per address in the database (``storage.auth_events``).

    Decided before any password is checked: a throttled or locked name (known or not) gets no
    scrypt check and the same answer. Every outcome is audited. When the database cannot be
    written within ``login_db_wait_s`` the attempt is refused (``LoginUnavailable``): fail closed,
    nobody gets in uncounted; the refusal itself is audited through the pending journal.
    """
    import duckdb

    from storage import auth_events
    from storage.db import PROCESS_LOCK, connect
    from storage.db import now as utc_now

    database = Path(db) if db is not None else database_path()
    try:
        settings = _settings(database)
    except (ValueError, OSError, tomllib.TOMLDecodeError) as err:
        raise LoginUnavailable(f"Logins are refused until the configuration is fixed: {err}") from err
    if not database.is_file():
        raise LoginUnavailable(f"Logins are counted in the database, and {database} does not exist yet: "
                               "run `callqa run` first, then reload this page.")
    at = now or utc_now()
    found: list[User] = []

    def password_ok() -> bool:
        user = verify(path, name, password)
        found.extend([user] if user else [])
        return user is not None

    try:
        with PROCESS_LOCK, connect(database, read_only=False, timeout_s=settings.login.db_wait_s) as con:
            result = auth_events.login(con, name, address, password_ok, at, settings.login.limits())
    except duckdb.Error as err:
        text = " ".join(str(err).split())
        _journal(database, auth_events.event(name, address, "unavailable", at, detail=text[:200]))
        if "lock" in text.lower():
            raise LoginUnavailable("The database is busy (the nightly run is writing to it), so this login cannot "
                                   "be checked now: try again in a minute.") from err
        raise LoginUnavailable(f"Logins cannot be checked: the database {database} fails ({text}).") from err
    if result.outcome == "success":
        return LoginAnswer(found[0])
    if result.outcome == "failure":
        return LoginAnswer(None, LOGIN_FAILED, "failure")
    return LoginAnswer(None, refusal_message(result.decision), result.outcome)


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


def audit_logout(name: str, address: str | None, *, db: str | os.PathLike[str] | None = None) -> None:
    """Record a logout; never blocks or fails the logout itself (a busy database: the journal)."""
    import duckdb

    from storage import auth_events
    from storage.db import PROCESS_LOCK, connect
    from storage.db import now as utc_now

    database = Path(db) if db is not None else database_path()
    ev = auth_events.event(name, address, "logout", utc_now())
    if not database.is_file():
        return
    try:
        with PROCESS_LOCK, connect(database, read_only=False, timeout_s=LOGOUT_DB_WAIT_S) as con:
            auth_events.record(con, ev)
    except duckdb.Error:
        _journal(database, ev)
