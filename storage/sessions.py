"""Login sessions (``login_sessions``, migration 019): created at a password login, found by the
hash of the cookie's token, touched while used, revoked by a logout, a password change or an admin.

Only SQL here; what makes a session valid (expiry, idle time, the users file) is decided in
``usecases.login_sessions``.
"""

from __future__ import annotations

from dataclasses import astuple, dataclass, fields
from datetime import datetime

import duckdb

__all__ = ["LoginSession", "active", "create", "find", "purge", "revoke", "revoke_user", "touch"]


@dataclass(frozen=True)
class LoginSession:
    token_hash: str
    user_name: str
    credential: str
    address: str
    created_at: datetime
    last_seen_at: datetime
    expires_at: datetime
    revoked_at: datetime | None = None
    revoked_reason: str | None = None


_COLUMNS = tuple(f.name for f in fields(LoginSession))
_SELECT = f"SELECT {', '.join(_COLUMNS)} FROM login_sessions"


def create(con: duckdb.DuckDBPyConnection, session: LoginSession) -> LoginSession:
    con.execute(f"INSERT INTO login_sessions ({', '.join(_COLUMNS)}) VALUES ({', '.join('?' * len(_COLUMNS))})",
                list(astuple(session)))
    return session


def find(con: duckdb.DuckDBPyConnection, token_hash: str) -> LoginSession | None:
    row = con.execute(f"{_SELECT} WHERE token_hash = ?", [token_hash]).fetchone()
    return LoginSession(*row) if row else None


def touch(con: duckdb.DuckDBPyConnection, token_hash: str, at: datetime) -> None:
    """The session was used at ``at`` (never moves back: two tabs may report out of order)."""
    con.execute("UPDATE login_sessions SET last_seen_at = greatest(last_seen_at, ?) WHERE token_hash = ?",
                [at, token_hash])


def revoke(con: duckdb.DuckDBPyConnection, token_hash: str, at: datetime, reason: str) -> bool:
    """Ends one session now; False when it was already ended or does not exist."""
    row = con.execute("UPDATE login_sessions SET revoked_at = ?, revoked_reason = ? "
                      "WHERE token_hash = ? AND revoked_at IS NULL RETURNING token_hash",
                      [at, reason, token_hash]).fetchall()
    return bool(row)


def revoke_user(con: duckdb.DuckDBPyConnection, user_name: str, at: datetime, reason: str) -> int:
    """Ends every session of ``user_name`` that is not ended yet; how many."""
    rows = con.execute("UPDATE login_sessions SET revoked_at = ?, revoked_reason = ? "
                       "WHERE user_name = ? AND revoked_at IS NULL AND expires_at > ? RETURNING token_hash",
                       [at, reason, user_name, at]).fetchall()
    return len(rows)


def active(con: duckdb.DuckDBPyConnection, at: datetime, user_name: str | None = None) -> list[LoginSession]:
    """Sessions neither revoked nor expired at ``at``, newest first (idle time is the use case's rule)."""
    where, params = "revoked_at IS NULL AND expires_at > ?", list[object]([at])
    if user_name is not None:
        where += " AND user_name = ?"
        params.append(user_name)
    rows = con.execute(f"{_SELECT} WHERE {where} ORDER BY created_at DESC", params).fetchall()
    return [LoginSession(*row) for row in rows]


def purge(con: duckdb.DuckDBPyConnection, before: datetime) -> int:
    """Forgets sessions that ended (expired or revoked) before ``before``; the audit trail keeps the logins."""
    rows = con.execute("DELETE FROM login_sessions WHERE coalesce(revoked_at, expires_at) < ? RETURNING token_hash",
                       [before]).fetchall()
    return len(rows)
