"""A journal of app writes the database could not take yet, so no reviewer's action is lost.

DuckDB lets one process write at a time. When the nightly flow holds the file longer
than the app is willing to wait, the app appends the review (or coaching assignment)
to ``<db>.pending.jsonl`` beside the database instead of failing. The next writer to
open the database (``storage.db.connect``: the flow's loader or the app itself)
applies the journal. Rows carry their own ids and times and are inserted with ON
CONFLICT DO NOTHING, so applying a journal twice (a crash halfway) adds nothing. A review
journalled for a call erased meanwhile is dropped, and one for a call whose transcript went
past its term keeps its verdict without its comment (``storage.retention``).
"""

from __future__ import annotations

import fcntl
import json
import os
from contextlib import contextmanager
from datetime import date, datetime
from pathlib import Path
from typing import Iterator

import duckdb

_TABLES = {
    "reviews": ("review_id", "call_id", "criterion_id", "action", "verdict", "comment", "reviewer", "created_at",
                "reviewer_role", "segment_idx", "speaker"),
    "coaching_assignments": ("assignment_id", "operator_id", "criterion_id", "assigned_by", "assigned_at", "note",
                             "due_on"),
    # A coaching assignment's status changes, its cancellation (the trainer's undo) included (storage.training).
    "coaching_assignment_events": ("event_id", "assignment_id", "status", "changed_by", "changed_at"),
    # Login audit rows the app could not write while the flow held the file (storage.auth_events).
    "auth_events": ("event_id", "occurred_at", "user_name", "address", "outcome", "scope", "detail"),
    # The REST API's request audit, while the flow held the file (usecases.api_audit).
    "api_audit": ("request_id", "requested_at", "token_name", "method", "path", "status", "address", "call_id",
                  "duration_ms"),
    # A recording submitted through the API while the flow held the file (usecases.api_calls).
    "api_submissions": ("call_id", "path", "submitted_at", "token_name", "operator_id", "external_id"),
}


def journal_path(db: str | os.PathLike) -> Path:
    db = Path(db)
    return db.with_name(db.name + ".pending.jsonl")


@contextmanager
def _locked(db: str | os.PathLike) -> Iterator[Path]:
    path = journal_path(db)
    lock = path.with_name(path.name + ".lock")
    with open(lock, "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield path
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def record(db: str | os.PathLike, table: str, row: dict) -> None:
    """Append one row for ``table`` to the journal, durably (fsync) before returning."""
    if table not in _TABLES or set(row) != set(_TABLES[table]):
        raise ValueError(f"a pending {table} row needs exactly {_TABLES.get(table)}")
    line = json.dumps({"table": table, "row": {k: _plain(v) for k, v in row.items()}}, ensure_ascii=False)
    with _locked(db) as path, open(path, "a", encoding="utf-8") as out:
        out.write(line + "\n")
        out.flush()
        os.fsync(out.fileno())


def pending_rows(db: str | os.PathLike, table: str) -> list[dict]:
    """Rows waiting in the journal (the app shows them as saved)."""
    path = journal_path(db)
    if not path.exists():
        return []
    with _locked(db):
        entries = _read(path)
    return [_typed(e["row"]) for e in entries if e["table"] == table]


def replay(con: duckdb.DuckDBPyConnection, db: str | os.PathLike) -> int:
    """Insert every journalled row into the database (idempotently), then empty the journal."""
    path = journal_path(db)
    if not path.exists():
        return 0
    with _locked(db):
        entries = _read(path)
        con.execute("BEGIN TRANSACTION")
        try:
            gone = _gone(con, entries)
            for e in entries:
                columns = _TABLES[e["table"]]
                row = _typed(e["row"])
                if e["table"] == "reviews" and row["call_id"] in gone:
                    if gone[row["call_id"]] == "erased":
                        continue
                    row["comment"] = None
                con.execute(
                    f"INSERT INTO {e['table']} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))}) "
                    "ON CONFLICT DO NOTHING",
                    [row.get(c) for c in columns],  # a column added since the line was written: NULL
                )
            con.execute("COMMIT")
        except Exception:
            con.execute("ROLLBACK")
            raise
        path.unlink()
    return len(entries)


def _gone(con: duckdb.DuckDBPyConnection, entries: list[dict]) -> dict[str, str]:
    """Journalled reviews' calls that were erased (the review is dropped: nothing of the call may come back)
    or whose transcript is past its term (the review stays, its comment does not: storage.retention)."""
    ids = sorted({e["row"]["call_id"] for e in entries if e["table"] == "reviews"})
    if not ids:
        return {}
    rows = con.execute(
        "SELECT call_id, CASE WHEN purge_reason = 'erasure' THEN 'erased' ELSE 'transcript' END FROM calls"
        " WHERE call_id IN (SELECT unnest(?::VARCHAR[]))"
        " AND (purge_reason = 'erasure' OR transcript_deleted_at IS NOT NULL)",
        [ids],
    ).fetchall()
    return dict(rows)


def _read(path: Path) -> list[dict]:
    entries = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            try:
                entries.append(json.loads(line))
            except json.JSONDecodeError:
                continue  # a line cut short by a crash mid-write: its action was never confirmed to the user
    return entries


def _plain(value):
    if isinstance(value, datetime):
        return {"$ts": value.isoformat()}
    if isinstance(value, date):  # a coaching assignment's due date
        return {"$date": value.isoformat()}
    return value


def _typed(row: dict) -> dict:
    return {k: _value(v) for k, v in row.items()}


def _value(v):
    if isinstance(v, dict) and "$ts" in v:
        return datetime.fromisoformat(v["$ts"])
    if isinstance(v, dict) and "$date" in v:
        return date.fromisoformat(v["$date"])
    return v
