"""One run per database: an OS lock on ``<db>.run.lock`` beside the DuckDB file.

``fcntl.flock`` is released by the kernel when the holding process ends, however it ends, so a
``kill -9`` never leaves a stale lock, and a run that gets the lock knows every run still marked
'running' in the database is dead. The lock is re-entrant within a process (the CLI takes it before
starting Prefect, the flow takes it again), never between processes.
"""

from __future__ import annotations

import errno
import fcntl
import os
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterator


class RunLocked(RuntimeError):
    """Another process is running on this database."""


@dataclass
class RunLock:
    db: Path
    path: Path
    held: bool = False
    _fd: int | None = field(default=None, repr=False)
    _depth: int = field(default=0, repr=False)


_held: dict[Path, RunLock] = {}
_guard = threading.Lock()


def lock_path(db: str | os.PathLike) -> Path:
    db = Path(db).absolute()
    return db.with_name(db.name + ".run.lock")


def holder(path: Path) -> str:
    """What the holder wrote into the lock file (its pid and start time), for messages."""
    try:
        return path.read_text(encoding="utf-8").strip() or "unknown process"
    except OSError:
        return "unknown process"


@contextmanager
def run_lock(db: str | os.PathLike, wait_s: float = 0.0, poll_s: float = 0.2) -> Iterator[RunLock]:
    """Hold the database's run lock, waiting up to ``wait_s`` seconds for another run to finish;
    raises ``RunLocked`` (naming the holder) when it does not."""
    path = lock_path(db)
    with _guard:
        lock = _held.get(path)
        if lock is not None:  # this process already runs on the database
            lock._depth += 1
    if lock is None:
        lock = _acquire(Path(db).absolute(), path, wait_s, poll_s)
    try:
        yield lock
    finally:
        with _guard:
            lock._depth -= 1
            if lock._depth == 0:
                _held.pop(path, None)
                lock.held = False
                if lock._fd is not None:  # always, for a lock taken here: closing it releases the flock
                    os.close(lock._fd)
                    lock._fd = None


def _acquire(db: Path, path: Path, wait_s: float, poll_s: float) -> RunLock:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    deadline = time.monotonic() + max(wait_s, 0.0)
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            break
        except OSError as err:
            if err.errno not in (errno.EWOULDBLOCK, errno.EACCES):
                os.close(fd)
                raise
            if time.monotonic() >= deadline:
                os.close(fd)
                waited = f" after waiting {wait_s:.0f} s" if wait_s > 0 else ""
                raise RunLocked(
                    f"another run is using {db} ({holder(path)}){waited}; it stops by itself when that run ends. "
                    f"Try again later, or let runs wait longer (run_lock_wait_s / CALLQA_RUN_LOCK_WAIT_S)") from None
            time.sleep(poll_s)
    started = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")
    os.ftruncate(fd, 0)
    os.pwrite(fd, f"pid {os.getpid()}, started {started}\n".encode(), 0)
    lock = RunLock(db, path, True, fd, 1)
    with _guard:
        _held[path] = lock
    return lock
