"""Logins that survive a reload and a new tab: a signed cookie naming a server-side session (issue #17).

At a password login the server draws a random token (``secrets``, 256 bits) and keeps only its
SHA-256 in ``login_sessions`` (storage.sessions) with the user, the times and a fingerprint of the
user's password hash. The browser gets ``token.signature`` in a cookie, the signature an HMAC-SHA256
of the cookie's name and the token under a key kept beside the users file (``session.key``, mode
0600, made on first use; deleting it ends every session). A tab that opens without a login of its
own (a reload, a new tab) shows its cookie; it gets in only when

- the signature is right for that cookie name (a value copied to another name, or changed, is refused
  before the database is asked),
- the token's hash is a session that is neither revoked nor expired (``login_session_hours``) nor
  unused for longer than ``login_session_idle_hours``, all decided on the server, and
- the users file still holds the user with the same password (a removed user, or a new password,
  ends the session at once; a new role applies at once, as the gate reads it from the file).

A logout revokes the session in the database and in this process at once, so every tab of it is
asked to log in again on its next run. Each resumed and each refused cookie is an ``auth_events``
row (``resume``, ``session_refused`` with the reason), as a logout (``logout``) and an admin's or a
password change's revocation (``revoke``) are.

Plain Python: qa_app.auth sets and reads the cookie; the CLI (``callqa users``) revokes and lists.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import os
import secrets
import threading
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from pathlib import Path

from storage.sessions import LoginSession
from usecases.users import LocalUser, UserStore

__all__ = [
    "COOKIE",
    "SECURE_COOKIE",
    "Held",
    "Refused",
    "check_key",
    "cookie_name",
    "end",
    "keep",
    "key_path",
    "list_active",
    "resume",
    "revoke_user",
    "seal",
    "start",
    "token_hash",
    "unseal",
]

COOKIE = "callqa_session"
# Over HTTPS the browser keeps the cookie under the __Host- prefix: Secure, Path=/, no Domain, so no
# sibling host or plain-HTTP page can plant or overwrite it.
SECURE_COOKIE = "__Host-callqa_session"
KEY_FILE = "session.key"
SESSION_CAP_HOURS = 24.0  # login_session_hours = 0 (browser session): the server's limit all the same
TOUCH_S = 60.0  # last_seen_at is written at most this often per tab
RECHECK_S = 15.0  # a running tab re-reads its session row this often (a logout elsewhere, an admin's revoke)
PURGE_AFTER = timedelta(days=30)  # ended sessions are forgotten after this; the audit trail keeps the logins
_TOKEN_BYTES = 32


class Refused(Exception):
    """The cookie does not log anybody in; ``reason`` says why (for the audit, never shown in detail)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Held:
    """A tab's hold on a login session: what the tab re-checks on each run, and the cookie it keeps set."""

    session: LoginSession
    cookie: str  # the sealed value the browser keeps
    cookie_name: str
    persistent: bool  # False: a browser-session cookie (login_session_hours = 0)
    checked_at: datetime  # when the row was last read from the database
    active_at: datetime  # the latest use of the session known to this tab (any tab's, after a re-read)

    @property
    def user_name(self) -> str:
        return self.session.user_name

    def max_age_s(self, now: datetime) -> int | None:
        """The cookie's Max-Age: until the server-side expiry, or None for a browser-session cookie."""
        return max(0, int((self.session.expires_at - now).total_seconds())) if self.persistent else None


# --- the cookie ------------------------------------------------------------------------------

def cookie_name(https: bool) -> str:
    return SECURE_COOKIE if https else COOKIE


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("ascii")).hexdigest()


def _signature(token: str, name: str, key: bytes) -> str:
    mac = hmac.new(key, f"{name}\n{token}".encode("ascii"), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac).decode("ascii").rstrip("=")


def seal(token: str, name: str, key: bytes) -> str:
    """The cookie's value: the token and its signature for this cookie name."""
    return f"{token}.{_signature(token, name, key)}"


def unseal(value: str, name: str, key: bytes) -> str | None:
    """The token when ``value`` was sealed for ``name`` under ``key``; None for anything else."""
    token, dot, signature = (value or "").strip().partition(".")
    if not dot or not token or len(value) > 200 or not token.isascii() or not signature.isascii():
        return None
    return token if hmac.compare_digest(signature, _signature(token, name, key)) else None


def key_path(users_file: str | os.PathLike[str]) -> Path:
    return Path(users_file).parent / KEY_FILE


def check_key(users_file: str | os.PathLike[str]) -> None:
    """Raises ``LoginUnavailable`` when the signing key can be neither read nor made (before a login is tried)."""
    _key(users_file)


def _key(users_file: str | os.PathLike[str]) -> bytes:
    """The signing key beside the users file, made (0600, random) on first use; two makers agree on one.

    ``LoginUnavailable`` when it cannot be read or made: no login is kept without it (fail closed)."""
    from usecases.login import NO_SESSION_KEY, LoginUnavailable

    try:
        key = _read_or_make_key(key_path(users_file))
    except (OSError, ValueError) as err:
        raise LoginUnavailable(NO_SESSION_KEY, path=key_path(users_file), error=err) from err
    if len(key) < 32:
        raise LoginUnavailable(NO_SESSION_KEY, path=key_path(users_file), error="shorter than 32 bytes")
    return key


def _read_or_make_key(path: Path) -> bytes:
    try:
        return bytes.fromhex(path.read_text(encoding="ascii").strip())
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process made it just now
        return bytes.fromhex(path.read_text(encoding="ascii").strip())
    with os.fdopen(fd, "w", encoding="ascii") as f:
        os.fchmod(f.fileno(), 0o600)
        f.write(secrets.token_hex(32) + "\n")
        f.flush()
        os.fsync(f.fileno())
    return bytes.fromhex(path.read_text(encoding="ascii").strip())


# --- this process's view of ended sessions ----------------------------------------------------

# A logout in one tab ends the session for every tab this server draws, at their next run, without
# waiting for their next database re-read (RECHECK_S); other processes read the revocation there.
_ENDED: set[str] = set()
_ENDED_LOCK = threading.Lock()


def _ended_here(token_hash_: str) -> bool:
    with _ENDED_LOCK:
        return token_hash_ in _ENDED


def _mark_ended(token_hash_: str) -> None:
    with _ENDED_LOCK:
        _ENDED.add(token_hash_)


# --- the rules ---------------------------------------------------------------------------------

def _settings(db: Path):
    from usecases.settings import load_settings

    return load_settings(db=db).login


def _database(db: str | os.PathLike[str] | None) -> Path:
    from usecases.login import database_path

    return Path(db) if db is not None else database_path()


def why_not(session: LoginSession, store: UserStore, now: datetime, idle_hours: float,
            active_at: datetime | None = None) -> str | None:
    """Why ``session`` logs nobody in at ``now``; None when it still does."""
    if session.revoked_at is not None or _ended_here(session.token_hash):
        return "revoked"
    entry = store.users.get(session.user_name)
    if entry is None:
        return "user removed"
    if not hmac.compare_digest(entry.credential, session.credential):
        return "password changed"
    if now >= session.expires_at:
        return "expired"
    last = max(session.last_seen_at, active_at) if active_at else session.last_seen_at
    if idle_hours and now - last > timedelta(hours=idle_hours):
        return "idle"
    return None


def create(con, entry: LocalUser, address: str, name: str, users_file: str | os.PathLike[str], now: datetime,
           session_hours: float) -> Held:
    """A new session for ``entry``, written on ``con`` (the login's own connection); its cookie sealed for ``name``."""
    from storage import auth_events, sessions

    key = _key(users_file)  # before anything is written: no key, no session
    token = secrets.token_urlsafe(_TOKEN_BYTES)
    hours = session_hours or SESSION_CAP_HOURS
    session = sessions.create(con, LoginSession(
        token_hash(token), entry.name, entry.credential, auth_events.clean_address(address), now, now,
        now + timedelta(hours=hours)))
    sessions.purge(con, now - PURGE_AFTER)
    return Held(session, seal(token, name, key), name, bool(session_hours), now, now)


def start(entry: LocalUser, address: str | None, name: str, users_file: str | os.PathLike[str], *,
          db: str | os.PathLike[str] | None = None, now: datetime | None = None) -> Held:
    """A session for a user who just logged in (the login writes it itself; this is for callers without one)."""
    from storage.db import PROCESS_LOCK, connect
    from storage.db import now as utc_now

    database = _database(db)
    settings = _settings(database)
    with PROCESS_LOCK, connect(database, read_only=False, timeout_s=settings.db_wait_s) as con:
        return create(con, entry, address or "", name, users_file, now or utc_now(), settings.session_hours)


def resume(name: str, value: str, address: str | None, store: UserStore, users_file: str | os.PathLike[str], *,
           db: str | os.PathLike[str] | None = None, now: datetime | None = None) -> Held:
    """The session a tab's cookie names, for a tab that opens without a login; ``Refused`` (audited) if none.

    ``LoginUnavailable`` when the database cannot be asked now (the tab is shown the login page).
    """
    import duckdb

    from storage import auth_events, sessions
    from storage.db import PROCESS_LOCK, connect
    from storage.db import now as utc_now
    from usecases.login import LoginUnavailable

    database = _database(db)
    at = now or utc_now()
    token = unseal(value, name, _key(users_file))
    settings = _settings(database)
    try:
        with PROCESS_LOCK, connect(database, read_only=False, timeout_s=settings.db_wait_s) as con:
            if token is None:
                auth_events.record(con, auth_events.event("", address, "session_refused", at, detail="bad signature"))
                raise Refused("bad signature")
            session = sessions.find(con, token_hash(token))
            reason = "unknown" if session is None else why_not(session, store, at, settings.session_idle_hours)
            if session is None or reason is not None:
                who = session.user_name if session else ""
                if session is not None and reason in ("user removed", "password changed", "idle", "revoked"):
                    sessions.revoke(con, session.token_hash, at, reason)
                auth_events.record(con, auth_events.event(who, address, "session_refused", at, detail=reason))
                raise Refused(reason or "unknown")
            sessions.touch(con, session.token_hash, at)
            auth_events.record(con, auth_events.event(session.user_name, address, "resume", at))
    except duckdb.Error as err:
        raise LoginUnavailable.busy(database, err) from err
    session = replace(session, last_seen_at=at)
    return Held(session, value, name, bool(settings.session_hours), at, at)


def keep(held: Held, store: UserStore, address: str | None, *, db: str | os.PathLike[str] | None = None,
         now: datetime | None = None) -> Held | None:
    """``held`` for this run of a logged-in tab, or None when its session has ended (the tab asks for a login).

    Cheap on most runs (the users file and the clock); every RECHECK_S it re-reads the row, so a logout
    in another process or an admin's revocation reaches the tab, and marks the session used. A database
    the nightly run holds does not end the session: the next run tries again.
    """
    import duckdb

    from storage import auth_events, sessions
    from storage.db import PROCESS_LOCK, connect
    from storage.db import now as utc_now

    database = _database(db)
    at = now or utc_now()
    settings = _settings(database)
    reason = why_not(held.session, store, at, settings.session_idle_hours, held.active_at)
    if reason is None and (at - held.checked_at).total_seconds() < RECHECK_S:
        return replace(held, active_at=at)
    try:
        with PROCESS_LOCK, connect(database, read_only=False, timeout_s=min(settings.db_wait_s, 1.0)) as con:
            row = sessions.find(con, held.session.token_hash)
            if row is not None and reason is None:
                reason = why_not(row, store, at, settings.session_idle_hours, held.active_at)
            if row is None or reason is not None:
                if row is not None and row.revoked_at is None:
                    sessions.revoke(con, row.token_hash, at, reason or "unknown")
                if reason != "revoked":  # a logout or a revocation was audited when it happened
                    auth_events.record(con, auth_events.event(held.user_name, address, "session_refused", at,
                                                              detail=reason or "unknown"))
                _mark_ended(held.session.token_hash)
                return None
            if (at - row.last_seen_at).total_seconds() >= TOUCH_S:
                sessions.touch(con, row.token_hash, at)
                row = replace(row, last_seen_at=at)
    except duckdb.Error:
        logging.getLogger(__name__).info("login session not re-checked: the database is busy")
        return None if reason is not None else replace(held, active_at=at)
    return replace(held, session=row, checked_at=at, active_at=at)


def end(held: Held, address: str | None, *, db: str | os.PathLike[str] | None = None) -> None:
    """A logout: the session ends for every tab at once, and the logout is audited. Never fails the logout
    itself: with the database busy the session still ends in this server, and the audit row is journalled."""
    from usecases.login import audit_logout

    _mark_ended(held.session.token_hash)
    audit_logout(held.user_name, address, db=db, revoke=held.session.token_hash)


def revoke_user(user_name: str, reason: str, *, by: str = "", db: str | os.PathLike[str] | None = None,
                now: datetime | None = None) -> int:
    """Ends every session of ``user_name`` now (a password change, a removal, an admin); how many."""
    from storage import auth_events, sessions
    from storage.db import connect
    from storage.db import now as utc_now

    database = _database(db)
    at = now or utc_now()
    if not database.is_file():
        return 0
    with connect(database, read_only=False) as con:
        count = sessions.revoke_user(con, user_name, at, reason)
        if count:
            detail = f"{count} session{'s' if count != 1 else ''}: {reason}" + (f", by {by}" if by else "")
            auth_events.record(con, auth_events.event(user_name, "", "revoke", at, detail=detail))
    return count


def list_active(*, user_name: str | None = None, db: str | os.PathLike[str] | None = None,
                now: datetime | None = None) -> list[LoginSession]:
    """Sessions not revoked and not expired (idle ones included until a tab or the CLI finds them idle)."""
    from storage import sessions
    from storage.db import connect
    from storage.db import now as utc_now

    database = _database(db)
    if not database.is_file():
        return []
    with connect(database, read_only=True) as con:
        return sessions.active(con, now or utc_now(), user_name)
