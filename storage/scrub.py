"""Leaving nothing of deleted rows behind: the full-text index's copies, and the bytes in the file.

Deleting a call's rows is not enough to make its words unrecoverable:

- the fts index (schema ``fts_main_search_utterances``) is a set of plain tables built from
  ``search_utterances`` that does not follow it: ``docs``/``terms``/``dict`` keep every stem
  of a deleted utterance, in order, until the next rebuild. ``prune_search_index`` removes the
  documents whose utterance is gone (and the terms only they held) in the caller's transaction,
  without the fts extension and without a rebuild;
- DuckDB does not zero freed blocks, and a deleted row stays in its row group until that group
  is rewritten: a CHECKPOINT leaves the text readable in the file. ``rewrite_database`` copies
  the live data into a new file (``COPY FROM DATABASE``: tables, constraints, indexes and the
  fts macros) and puts it in place of the old one atomically (``os.replace``).

Locking: the rewrite holds the old file's write lock from before the copy until after the
replace, so no other process can write a change into the old file that the copy would lose;
readers (the app) wait and retry (``storage.db``) and open the new file afterwards. The old
file's blocks go back to the filesystem, which may keep them on the disk until reused:
full-disk encryption is what makes those unreadable.
"""

from __future__ import annotations

import os
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import duckdb

from storage.db import LOCK_RETRY_S, connect, one_row

FTS_SCHEMA = "fts_main_search_utterances"  # storage.search.FTS_SCHEMA (not imported: no fts needed here)


def _has_fts(con: duckdb.DuckDBPyConnection) -> bool:
    return one_row(con.execute(
        "SELECT count(*) FROM duckdb_tables() WHERE database_name = current_database() AND schema_name = ?"
        " AND table_name IN ('docs', 'terms', 'dict', 'stats')", [FTS_SCHEMA]))[0] == 4


def prune_search_index(con: duckdb.DuckDBPyConnection) -> int:
    """Remove from the fts index every document whose utterance is no longer in ``search_utterances``;
    returns how many. Terms no remaining document holds leave the dictionary; the statistics BM25 uses
    (documents, their mean length, each term's document count) are those of the documents left."""
    if not _has_fts(con):
        return 0
    s = FTS_SCHEMA
    gone = [r[0] for r in con.execute(
        f"SELECT d.docid FROM {s}.docs d ANTI JOIN search_utterances u ON u.doc_id = d.name").fetchall()]
    if not gone:
        return 0
    ids = "docid IN (SELECT unnest(?::BIGINT[]))"
    con.execute(
        f"""UPDATE {s}.dict SET df = dict.df - g.n
            FROM (SELECT termid, count(DISTINCT docid) AS n FROM {s}.terms WHERE {ids} GROUP BY termid) g
            WHERE dict.termid = g.termid""", [gone])
    con.execute(f"DELETE FROM {s}.dict WHERE df <= 0")
    con.execute(f"DELETE FROM {s}.terms WHERE {ids}", [gone])
    con.execute(f"DELETE FROM {s}.docs WHERE {ids}", [gone])
    con.execute(f"UPDATE {s}.stats SET num_docs = (SELECT count(*) FROM {s}.docs),"
                f" avgdl = (SELECT coalesce(avg(len), 0) FROM {s}.docs)")
    # The last build's counts (shown on the search page) are of what is indexed now.
    con.execute("UPDATE search_index SET utterances = (SELECT count(*) FROM search_utterances),"
                " calls = (SELECT count(DISTINCT call_id) FROM search_utterances)")
    return len(gone)


@dataclass(frozen=True)
class Rewrite:
    """A rewritten database file: sizes before and after, and how long it took (lock held)."""

    path: str
    bytes_before: int
    bytes_after: int
    seconds: float

    def to_json(self) -> dict:
        return dict(path=self.path, bytes_before=self.bytes_before, bytes_after=self.bytes_after,
                    seconds=round(self.seconds, 3))


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _remove(*paths: Path) -> None:
    for p in paths:
        try:
            p.unlink()
        except FileNotFoundError:
            pass


def generation_path(path: str | os.PathLike) -> Path:
    path = Path(path)
    return path.with_name(path.name + ".generation")


def generation(path: str | os.PathLike) -> str | None:
    """A token that changes whenever the database file is rewritten (None: never rewritten). Processes that
    cache what they read (the app) compare it to drop what the rewrite's deletions made stale; one small
    file read, no database lock."""
    try:
        return generation_path(path).read_text(encoding="ascii").strip() or None
    except (OSError, UnicodeDecodeError):
        return None


def _mark_generation(path: Path) -> None:
    marker = generation_path(path)
    tmp = marker.with_name(marker.name + ".tmp")
    tmp.write_text(f"{uuid.uuid4().hex} {time.time():.3f}\n", encoding="ascii")
    os.replace(tmp, marker)


def rewrite_database(path: str | os.PathLike, timeout_s: float = LOCK_RETRY_S) -> Rewrite:
    """Copy the database's live data into a new file and replace the old file with it, so that no
    deleted row's bytes remain in the database file (or its WAL). Waits up to ``timeout_s`` for
    another process's lock. Another connection to this file open in this process must not exist
    (DuckDB shares one instance per file within a process: it would keep reading the old file)."""
    path = Path(path)
    fresh = path.with_name(path.name + ".rewrite")
    wal = path.with_name(path.name + ".wal")
    _remove(fresh, fresh.with_name(fresh.name + ".wal"))  # what a crashed rewrite left
    started = time.perf_counter()
    before = path.stat().st_size + (wal.stat().st_size if wal.exists() else 0)
    with connect(path, timeout_s=timeout_s) as con:  # the write lock, held until the new file is in place
        con.execute("CHECKPOINT")  # the WAL folded into the file and removed: nothing of it to carry over
        if wal.exists() and wal.stat().st_size:
            raise RuntimeError(f"{wal} still holds changes after a checkpoint: the database was not rewritten")
        name = one_row(con.execute("SELECT current_database()"))[0]
        try:
            con.execute(f"ATTACH '{str(fresh).replace(chr(39), chr(39) * 2)}' AS callqa_rewrite")
            try:
                con.execute(f"COPY FROM DATABASE {_quote(name)} TO callqa_rewrite")
            finally:
                con.execute("DETACH callqa_rewrite")  # checkpoints the new file: no WAL of its own
            if fresh.with_name(fresh.name + ".wal").exists():
                raise RuntimeError(f"the rewritten copy of {path} kept a WAL: not put in place")
            mode = path.stat().st_mode & 0o7777
            os.chmod(fresh, mode)
            _fsync(fresh)
            os.replace(fresh, path)
            _mark_generation(path)
            _fsync(path.parent)
        except BaseException:
            _remove(fresh, fresh.with_name(fresh.name + ".wal"))
            raise
        # Closing the old connection now writes nothing: it was checkpointed and changed nothing since
        # (so it never touches the WAL path, which from here on is the new file's).
    return Rewrite(str(path), before, path.stat().st_size, time.perf_counter() - started)
