"""The API's request audit, written in batches so that no request waits for the database.

Requests are queued in memory and a background thread stores them every ``flush_s`` seconds in one
short write. DuckDB lets one process write at a time: while the nightly flow holds the file the batch
goes to the journal (``storage.pending``), which the next writer applies, so no row is lost and no read
is failed or held up because the audit could not be written now.
"""

from __future__ import annotations

import logging
import threading
import uuid
from dataclasses import asdict
from datetime import datetime

from storage import api_tokens, pending
from storage.api_tokens import AuditRow
from storage.db import now
from usecases.shared_database import WRITE_WAIT_S, DatabaseUnavailable, connection

log = logging.getLogger(__name__)
MAX_QUEUED = 100_000  # beyond this (the database gone for hours) the oldest rows are journalled at once


def new_row(token_name: str | None, method: str, path: str, status: int, address: str, call_id: str | None,
            duration_ms: float, at: datetime | None = None) -> AuditRow:
    return AuditRow(uuid.uuid4().hex, at or now(), token_name, method, path, status, address, call_id,
                    round(duration_ms, 3))


class AuditLog:
    """Collects audit rows; ``start()`` runs the flusher thread, ``close()`` stores what is left."""

    def __init__(self, db: str, flush_s: float = 1.0):
        self.db = db
        self.flush_s = flush_s
        self._rows: list[AuditRow] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def add(self, row: AuditRow) -> None:
        with self._lock:
            self._rows.append(row)
            overflow = len(self._rows) > MAX_QUEUED
        if overflow:
            self.flush()

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="api-audit", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(self.flush_s):
            self.flush()

    def flush(self) -> int:
        """Store the queued rows now (or journal them while the database is busy); returns how many."""
        with self._lock:
            rows, self._rows = self._rows, []
        if not rows:
            return 0
        try:
            with connection(self.db, read_only=False, wait_s=WRITE_WAIT_S) as con:
                api_tokens.insert_audit(con, rows)
        except DatabaseUnavailable as err:
            log.info("audit: %s; %d rows journalled", err, len(rows))
            for row in rows:
                pending.record(self.db, "api_audit", asdict(row))
        except Exception:  # never lose them to an unexpected error: they wait for the next flush
            log.exception("audit: could not store %d rows; kept for the next try", len(rows))
            with self._lock:
                self._rows[:0] = rows
            return 0
        return len(rows)

    def close(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
        self.flush()


__all__ = ["AuditLog", "new_row"]
