"""A user's saved queue views (``saved_views``): named sets of the queue's link parameters, by user name."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timezone

import duckdb

__all__ = ["SavedView", "delete", "read", "write"]

Params = dict[str, "str | list[str]"]


@dataclass(frozen=True)
class SavedView:
    name: str
    params: Params
    saved_at: datetime


def read(con: duckdb.DuckDBPyConnection, user_name: str) -> list[SavedView]:
    """``user_name``'s views, by name (none in a database older than the table: the first save adds it)."""
    if not con.execute("SELECT 1 FROM duckdb_tables() WHERE table_name = 'saved_views'").fetchall():
        return []
    rows = con.execute(
        "SELECT name, params, saved_at FROM saved_views WHERE user_name = ? ORDER BY lower(name), name", [user_name]
    ).fetchall()
    return [SavedView(name, json.loads(params), saved_at) for name, params, saved_at in rows]


def write(con: duckdb.DuckDBPyConnection, user_name: str, name: str, params: Params) -> None:
    """Saves ``params`` as ``user_name``'s view ``name`` (saving under a name in use replaces it)."""
    now = datetime.now(timezone.utc).replace(tzinfo=None)
    con.execute(
        "INSERT INTO saved_views (user_name, name, params, saved_at) VALUES (?, ?, ?, ?) "
        "ON CONFLICT (user_name, name) DO UPDATE SET params = excluded.params, saved_at = excluded.saved_at",
        [user_name, name, json.dumps(params, ensure_ascii=False, sort_keys=True), now],
    )


def delete(con: duckdb.DuckDBPyConnection, user_name: str, name: str) -> bool:
    """Deletes ``user_name``'s view ``name``; False when there was none."""
    found = con.execute("SELECT count(*) FROM saved_views WHERE user_name = ? AND name = ?", [user_name, name])
    row = found.fetchone()
    if not row or not row[0]:
        return False
    con.execute("DELETE FROM saved_views WHERE user_name = ? AND name = ?", [user_name, name])
    return True
