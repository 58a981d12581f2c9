"""A user's own choices in the app (``user_preferences``): the interface language, by user name."""

from __future__ import annotations

from datetime import datetime, timezone

import duckdb

__all__ = ["read", "write"]


def read(con: duckdb.DuckDBPyConnection, user_name: str) -> dict[str, str]:
    """Every preference ``user_name`` saved, by name."""
    rows = con.execute("SELECT name, value FROM user_preferences WHERE user_name = ?", [user_name]).fetchall()
    return {name: value for name, value in rows}


def write(con: duckdb.DuckDBPyConnection, user_name: str, name: str, value: str) -> None:
    """Sets ``user_name``'s preference ``name`` to ``value`` (the last write wins)."""
    now = datetime.now(timezone.utc).replace(tzinfo=None)
    con.execute(
        "INSERT INTO user_preferences (user_name, name, value, updated_at) VALUES (?, ?, ?, ?) "
        "ON CONFLICT (user_name, name) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
        [user_name, name, value, now],
    )
