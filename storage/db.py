"""DuckDB connections and schema migrations.

DuckDB lets one process write a database file at a time; a second process
that opens it (even read-only) while a writer holds it gets "Could not set
lock on file". Connections here are short-lived and retried with backoff, so
the app keeps working while the nightly flow loads results; what the app could
not write in time waits in a journal (``storage.pending``) that the next writer applies.
"""

from __future__ import annotations

import os
import random
import threading
import time
from contextlib import contextmanager
from datetime import datetime, timezone
from importlib import resources
from pathlib import Path
from typing import Any, Iterator

import duckdb

LOCK_RETRY_S = 30.0
# One connection at a time per process: DuckDB refuses a read-only and a read-write connection
# to the same file at once within one process, and the app serves several sessions from threads
# (its pages and its login both take this lock).
PROCESS_LOCK = threading.Lock()


def one_row(result: duckdb.DuckDBPyConnection) -> tuple[Any, ...]:
    """The row of a query that always yields exactly one (an aggregate, a scalar expression).

    DuckDB types ``fetchone()`` as optional; here no row means the SQL is wrong, so it raises.
    """
    row = result.fetchone()
    if row is None:
        raise LookupError("the query returned no row")
    return row


def _is_lock_error(err: Exception) -> bool:
    text = str(err)
    return "Could not set lock" in text or "Conflicting lock" in text or "database is locked" in text


def migrations() -> list[tuple[int, str, str]]:
    """(version, name, sql) for every file in storage/migrations, in order."""
    out = []
    for entry in resources.files("storage.migrations").iterdir():
        name = entry.name
        if name.endswith(".sql") and name[:3].isdigit():
            out.append((int(name[:3]), name, entry.read_text(encoding="utf-8")))
    return sorted(out)


def migrate(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Apply the migrations this database lacks; returns the names applied."""
    con.execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name VARCHAR, applied_at TIMESTAMP)"
    )
    done = {row[0] for row in con.execute("SELECT version FROM schema_migrations").fetchall()}
    applied = []
    for version, name, sql in migrations():
        if version in done:
            continue
        con.execute("BEGIN TRANSACTION")
        try:
            con.execute(sql)
            con.execute("INSERT INTO schema_migrations VALUES (?, ?, ?)", [version, name, now()])
            con.execute("COMMIT")
        except Exception:
            con.execute("ROLLBACK")
            raise
        applied.append(name)
    return applied


@contextmanager
def transaction(con: duckdb.DuckDBPyConnection) -> Iterator[duckdb.DuckDBPyConnection]:
    """Everything inside commits together, or nothing does. Not inside another transaction: DuckDB has no nested
    ones, and a refused BEGIN aborts the one already open."""
    con.execute("BEGIN TRANSACTION")
    try:
        yield con
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise


def now() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)


def _open(path: Path, read_only: bool, timeout_s: float) -> duckdb.DuckDBPyConnection:
    deadline = time.monotonic() + timeout_s
    delay = 0.05
    while True:
        try:
            return duckdb.connect(str(path), read_only=read_only)
        except duckdb.Error as err:
            if not _is_lock_error(err) or time.monotonic() >= deadline:
                raise
            time.sleep(delay + random.uniform(0, delay))
            delay = min(delay * 2, 1.0)


@contextmanager
def connect(
    path: str | os.PathLike, read_only: bool = False, timeout_s: float = LOCK_RETRY_S
) -> Iterator[duckdb.DuckDBPyConnection]:
    """A short-lived connection; a writer migrates the schema first. Waits for another process's lock."""
    path = Path(path)
    if read_only and not path.exists():
        raise FileNotFoundError(f"database {path} does not exist yet: run `callqa run` first")
    if not read_only:
        path.parent.mkdir(parents=True, exist_ok=True)
    con = _open(path, read_only, timeout_s)
    try:
        if not read_only:
            migrate(con)
            # Reviews the app journalled while another process held the file.
            from storage import pending

            pending.replay(con, path)
        yield con
    finally:
        con.close()
