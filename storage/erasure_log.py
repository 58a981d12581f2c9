"""The erasure log: which calls `callqa erase` erased, kept outside the database so that a restored
backup can be erased again (``callqa erase --reapply``).

A backup taken before an erasure still holds the erased calls, and restoring it restores the
database's own audit log (``deletions``) to before the erasure too: the record of what to erase
again has to live elsewhere. This file sits beside the database (``<db>.erasures.jsonl``), one
JSON line per erasure that found calls: when, the audit row's id, the hashed customer number
(never the number) and the call ids. It holds no personal data beyond those hashes and ids.
A site restoring a database keeps the current log (restores the database file, not the log), or
keeps a copy of the log with its other audit records.
"""

from __future__ import annotations

import fcntl
import json
import os
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path


@dataclass(frozen=True)
class Erased:
    erased_at: datetime
    deletion_id: str
    customer_hash: str | None
    call_ids: tuple[str, ...]


def log_path(db: str | os.PathLike) -> Path:
    db = Path(db)
    return db.with_name(db.name + ".erasures.jsonl")


def append(db: str | os.PathLike, entry: Erased) -> None:
    """Add one erasure, durably (fsync) before returning."""
    line = json.dumps(dict(erased_at=entry.erased_at.isoformat(), deletion_id=entry.deletion_id,
                           customer_hash=entry.customer_hash, call_ids=list(entry.call_ids)))
    with open(log_path(db), "a", encoding="utf-8") as out:
        fcntl.flock(out, fcntl.LOCK_EX)
        out.write(line + "\n")
        out.flush()
        os.fsync(out.fileno())


def entries(db: str | os.PathLike) -> list[Erased]:
    """Every erasure logged, oldest first (a line cut short by a crash is skipped: it was never reported done)."""
    path = log_path(db)
    if not path.exists():
        return []
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            e = json.loads(line)
            out.append(Erased(datetime.fromisoformat(e["erased_at"]), e["deletion_id"], e.get("customer_hash"),
                              tuple(e["call_ids"])))
        except (ValueError, KeyError, TypeError):
            continue
    return out
