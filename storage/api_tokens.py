"""The REST API's tokens (stored as SHA-256 hashes, never the token) and its request audit (migration 027)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import duckdb

from storage.db import now


@dataclass(frozen=True)
class StoredToken:
    name: str
    role: str
    operator_id: str | None
    scopes: tuple[str, ...]
    created_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None
    created_by: str | None


@dataclass(frozen=True)
class AuditRow:
    """One answered request; ``path`` never carries its query (a token or a number could sit there)."""

    request_id: str
    requested_at: datetime
    token_name: str | None
    method: str
    path: str
    status: int
    address: str
    call_id: str | None
    duration_ms: float


_COLUMNS = "name, role, operator_id, scopes, created_at, expires_at, revoked_at, created_by"


def _token(row: tuple) -> StoredToken:
    name, role, operator_id, scopes, created_at, expires_at, revoked_at, created_by = row
    return StoredToken(name, role, operator_id, tuple(scopes or ()), created_at, expires_at, revoked_at, created_by)


def insert_token(con: duckdb.DuckDBPyConnection, token: StoredToken, token_hash: str) -> None:
    """Raises ``ValueError`` when a token of that name exists (revoked ones too: names stay in the audit)."""
    if con.execute("SELECT 1 FROM api_tokens WHERE name = ?", [token.name]).fetchone():
        raise ValueError(f"a token named {token.name!r} exists already (names are never reused)")
    con.execute(
        f"INSERT INTO api_tokens ({_COLUMNS}, token_hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [token.name, token.role, token.operator_id, list(token.scopes), token.created_at, token.expires_at,
         token.revoked_at, token.created_by, token_hash],
    )


def token_by_hash(con: duckdb.DuckDBPyConnection, token_hash: str) -> StoredToken | None:
    row = con.execute(f"SELECT {_COLUMNS} FROM api_tokens WHERE token_hash = ?", [token_hash]).fetchone()
    return None if row is None else _token(row)


def all_tokens(con: duckdb.DuckDBPyConnection) -> list[StoredToken]:
    return [_token(r) for r in con.execute(f"SELECT {_COLUMNS} FROM api_tokens ORDER BY name").fetchall()]


def revoke(con: duckdb.DuckDBPyConnection, name: str) -> bool:
    """Revoke the named token now; False when no such token is active."""
    found = con.execute("SELECT 1 FROM api_tokens WHERE name = ? AND revoked_at IS NULL", [name]).fetchone()
    if found:
        con.execute("UPDATE api_tokens SET revoked_at = ? WHERE name = ?", [now(), name])
    return found is not None


def insert_audit(con: duckdb.DuckDBPyConnection, rows: list[AuditRow]) -> None:
    """Store a batch of audit rows at once; a row already stored (a retried batch) is skipped."""
    if not rows:
        return
    con.executemany(
        "INSERT INTO api_audit VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
        [[r.request_id, r.requested_at, r.token_name, r.method, r.path, r.status, r.address, r.call_id, r.duration_ms]
         for r in rows],
    )


def audit_rows(con: duckdb.DuckDBPyConnection, limit: int = 1000) -> list[AuditRow]:
    rows = con.execute("SELECT * FROM api_audit ORDER BY requested_at DESC, request_id LIMIT ?", [limit]).fetchall()
    return [AuditRow(*r) for r in rows]
