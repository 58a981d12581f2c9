"""The database as a long-running reader shares it with the nightly flow: short connections, errors for
people, and writes that go to the journal while the flow holds the lock.

Every read opens a short-lived read-only connection, so the nightly flow can take the write
lock between page loads. A write that cannot get the lock in ``WRITE_WAIT_S`` (the flow is
loading) goes to the journal (``storage.pending``) and is applied by the next writer, so a
reviewer's verdict is never lost. The QA app (qa_app.data) reads and writes through here.
"""

from __future__ import annotations

import os
import threading
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterator

import duckdb

from reporting.i18n import N_, WordedError
from storage import pending, scrub
from storage.db import PROCESS_LOCK, connect

DB_ENV = "CALLQA_DB"
# How long a page waits for the nightly flow to release the database.
LOCK_WAIT_S = 10.0
# How long a save waits before journalling the write instead.
WRITE_WAIT_S = 3.0

# One connection at a time in this process: DuckDB refuses a read-only and a
# read-write connection to the same file at once within one process, and the
# app serves several browser sessions from threads. Shared with the login (usecases.login).
CONNECTION_LOCK = PROCESS_LOCK


class DatabaseUnavailable(WordedError, RuntimeError):
    """The database is not configured, missing, unreadable or busy; the message says which.

    The message is an English template marked for the catalogue (``N_``) and its values, so a page
    shows it in the reader's language (``in_words``); ``str()`` is the English, for logs and the CLI."""


class DatabaseBusy(DatabaseUnavailable):
    """Another process (the nightly flow) holds the database's write lock."""


def database_path() -> Path:
    """The database named by $CALLQA_DB; raises ``DatabaseUnavailable`` with a message for people."""
    value = os.environ.get(DB_ENV, "").strip()
    if not value:
        raise DatabaseUnavailable(
            N_("No database configured: set {variable} to the DuckDB file, or start the app with "
               "`callqa app --db PATH`."), variable=DB_ENV)
    path = Path(value).expanduser()
    if not path.is_file():
        raise DatabaseUnavailable(
            N_("Database {path} does not exist yet: run `callqa run` to process the recordings, then reload "
               "this page."), path=path)
    return path


# What to do while the nightly flow holds the database, by who waits (``unavailable``'s ``busy``).
RELOAD = N_("Database {path} is busy (the nightly run is writing to it); reload the page in a moment.")
TRY_AGAIN = N_("Database {path} is busy (the nightly run is writing to it); try again in a moment.")


def unavailable(db: str, err: duckdb.Error, busy: str = RELOAD) -> DatabaseUnavailable:
    """The error for people about a DuckDB failure: ``DatabaseBusy`` (``busy``: RELOAD or TRY_AGAIN) when the
    lock is held; otherwise DuckDB's own words (technical, not translated) after ours."""
    text = " ".join(str(err).split())
    if "lock" in text.lower():
        return DatabaseBusy(busy, path=db)
    return DatabaseUnavailable(N_("Cannot read database {path}: {error}"), path=db, error=text)


@contextmanager
def connection(db: str, read_only: bool, wait_s: float = LOCK_WAIT_S) -> Iterator[duckdb.DuckDBPyConnection]:
    """A short connection, this process's only one while it is open; failures as ``DatabaseUnavailable``."""
    with CONNECTION_LOCK:
        try:
            with connect(db, read_only=read_only, timeout_s=wait_s) as con:
                yield con
        except FileNotFoundError as err:
            raise DatabaseUnavailable(
                N_("Database {path} does not exist yet: run `callqa run` to process the recordings, then reload "
                   "this page."), path=db) from err
        except duckdb.Error as err:
            raise unavailable(db, err, RELOAD) from err


@dataclass(frozen=True)
class Saved:
    row_id: str
    stored: bool  # False: journalled while the nightly flow held the database; stored by the next writer


def write_or_journal(db: str, table: str, row: dict[str, Any],
                     insert: Callable[[duckdb.DuckDBPyConnection, dict[str, Any]], object]) -> Saved:
    """``insert(con, row)`` now, or the row into the journal when the nightly flow holds the database."""
    row_id = next(iter(row.values()))
    try:
        with connection(db, read_only=False, wait_s=WRITE_WAIT_S) as con:
            insert(con, row)
        stored = True
    except DatabaseBusy:
        pending.record(db, table, row)
        stored = False
    return Saved(row_id, stored)


# The database's generation as this process last saw it: erasure and retention rewrite the file
# (storage.scrub) and change it, and then every cached read (transcripts, comments, search results)
# and muted recording may hold what was just deleted.
_SEEN: dict[str, str | None] = {}
_SEEN_LOCK = threading.Lock()


def rewritten_since_last_look(db: str) -> bool:
    """Whether the database was rewritten since this process last looked (a small file read, no lock)."""
    now_gen = scrub.generation(db)
    with _SEEN_LOCK:
        changed = db in _SEEN and _SEEN[db] != now_gen
        _SEEN[db] = now_gen
    return changed
