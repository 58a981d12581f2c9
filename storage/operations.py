"""What operations watch, read from the database in a few aggregate queries: calls by status, runs and
their outcomes, each flow's latest run, how long calls took to analyse, what waits to be retried or
reviewed, and the schema's version. Nothing here names a call, an operator or a file.

A scrape must not break while the nightly run writes: :func:`read_only` waits a little for the writer and
then raises :class:`DatabaseBusy`, which the caller reports as "down" rather than an error.
"""

from __future__ import annotations

import os
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Iterator

import duckdb

from storage.db import PROCESS_LOCK, _is_lock_error, connect, migrations, one_row
from storage.review_queue import QueueFilter, queue_size

# Upper bounds (seconds) of the analysis-time histograms: calls take seconds (short, on a GPU) to tens of
# minutes (long, on a busy CPU); ``call_timeout_s`` stops them at 1800 s by default.
TIME_BUCKETS_S = (1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 600.0, 1800.0)
CALL_STATUSES = ("processed", "quarantined", "failed")
RUN_STATUSES = ("running", "completed", "failed", "interrupted")


class DatabaseBusy(RuntimeError):
    """Another process (the nightly run) holds the database for writing longer than the caller would wait."""


@dataclass(frozen=True)
class TimeHistogram:
    """Cumulative counts of calls at or under each of ``TIME_BUCKETS_S``, with the calls' count and sum."""

    buckets: tuple[int, ...]
    count: int
    total_s: float


@dataclass(frozen=True)
class LatestRun:
    """A flow's latest run (flows are few: nightly, backfill...)."""

    flow: str
    status: str
    started_at: datetime
    finished_at: datetime | None
    wall_s: float | None
    discovered: int  # recordings found in the inbox (new or already known)
    new_calls: int  # of those, not yet processed or quarantined
    unreadable: int


@dataclass(frozen=True)
class OperationsFigures:
    calls: dict[str, int]  # calls in the database now, by status
    audio_s: dict[str, float]  # their audio, by status
    runs: dict[str, int]  # runs by status
    outcomes: dict[str, int]  # calls processed / quarantined / failed, summed over the runs
    run_audio_s: float  # audio analysed, summed over the runs
    latest: tuple[LatestRun, ...]
    last_completed: dict[str, datetime]  # per flow, when its latest completed run finished
    analysis_s: TimeHistogram  # the analyser's own time per processed call (calls.stage_s)
    worker_s: TimeHistogram  # the worker's time per processed call, with its process and retries (calls.worker_s)
    retry_waiting: int  # failed calls the next run tries again (fewer attempts than max_attempts)
    submitted_waiting: int  # recordings submitted through the REST API that no run has stored yet
    review_backlog: int  # flagged processed calls no reviewer has marked reviewed
    schema_version: int


@contextmanager
def read_only(db: str | os.PathLike, wait_s: float) -> Iterator[duckdb.DuckDBPyConnection]:
    """A read-only connection, waiting at most ``wait_s`` for a writer (another process, or this process's own
    connection: DuckDB refuses a second configuration of one file in a process); raises DatabaseBusy then,
    FileNotFoundError when the database does not exist."""
    if not Path(db).exists():
        raise FileNotFoundError(f"database {db} does not exist")
    if not PROCESS_LOCK.acquire(timeout=max(wait_s, 0.01)):
        raise DatabaseBusy(f"database {db} is in use in this process")
    try:
        with connect(db, read_only=True, timeout_s=wait_s) as con:
            yield con
    except duckdb.Error as err:
        if _is_lock_error(err):
            raise DatabaseBusy(f"database {db} is held by another process (a run loading results?)") from err
        raise
    finally:
        PROCESS_LOCK.release()


def schema_version(con: duckdb.DuckDBPyConnection) -> int:
    """The highest migration applied to this database (0: none)."""
    return int(one_row(con.execute("SELECT coalesce(max(version), 0) FROM schema_migrations"))[0])


def latest_schema_version() -> int:
    """The highest migration this release ships."""
    return max(version for version, _, _ in migrations())


def _histogram(con: duckdb.DuckDBPyConnection, column: str) -> TimeHistogram:
    counts = ", ".join(f"count(*) FILTER (WHERE {column} <= {bound})" for bound in TIME_BUCKETS_S)
    row = one_row(con.execute(
        f"SELECT {counts}, count({column}), coalesce(sum({column}), 0) FROM calls "
        f"WHERE status = 'processed' AND {column} IS NOT NULL"))
    *buckets, count, total = row
    return TimeHistogram(tuple(int(b) for b in buckets), int(count), float(total))


def operations_figures(con: duckdb.DuckDBPyConnection, max_attempts: int) -> OperationsFigures:
    calls = {status: 0 for status in CALL_STATUSES}
    audio = {status: 0.0 for status in CALL_STATUSES}
    for status, n, seconds in con.execute(
            "SELECT status, count(*), coalesce(sum(duration_s), 0) FROM calls GROUP BY status").fetchall():
        calls[status], audio[status] = int(n), float(seconds)
    runs = {status: 0 for status in RUN_STATUSES}
    for status, n in con.execute("SELECT status, count(*) FROM runs GROUP BY status").fetchall():
        runs[status] = int(n)
    processed, quarantined, failed, run_audio = one_row(con.execute(
        "SELECT coalesce(sum(processed), 0), coalesce(sum(quarantined), 0), coalesce(sum(failed), 0), "
        "coalesce(sum(audio_s), 0) FROM runs"))
    latest = tuple(LatestRun(flow, status, started, finished, wall, int(found), int(new), int(unreadable))
                   for flow, status, started, finished, wall, found, new, unreadable in con.execute(
        "SELECT flow, status, started_at, finished_at, wall_s, coalesce(discovered, 0), coalesce(new_calls, 0), "
        "coalesce(unreadable, 0) FROM runs "
        "QUALIFY row_number() OVER (PARTITION BY flow ORDER BY started_at DESC) = 1 ORDER BY flow").fetchall())
    last_completed = dict(con.execute(
        "SELECT flow, max(finished_at) FROM runs WHERE status = 'completed' AND finished_at IS NOT NULL "
        "GROUP BY flow ORDER BY flow").fetchall())
    retry = one_row(con.execute("SELECT count(*) FROM calls WHERE status = 'failed' AND attempts < ?",
                                [max_attempts]))[0]
    submitted = one_row(con.execute("SELECT count(*) FROM api_submissions s WHERE NOT EXISTS "
                                    "(SELECT 1 FROM calls c WHERE c.call_id = s.call_id)"))[0]
    return OperationsFigures(
        calls=calls, audio_s=audio, runs=runs,
        outcomes={"processed": int(processed), "quarantined": int(quarantined), "failed": int(failed)},
        run_audio_s=float(run_audio), latest=latest, last_completed=last_completed,
        analysis_s=_histogram(con, "stage_s"), worker_s=_histogram(con, "worker_s"),
        retry_waiting=int(retry), submitted_waiting=int(submitted),
        review_backlog=queue_size(con, QueueFilter(flagged_only=True, reviewed=False)),
        schema_version=schema_version(con),
    )


def last_completed_run(con: duckdb.DuckDBPyConnection) -> tuple[str, datetime] | None:
    """The flow and finishing time of the latest completed run of any flow; None before the first."""
    row = con.execute("SELECT flow, finished_at FROM runs WHERE status = 'completed' AND finished_at IS NOT NULL "
                      "ORDER BY finished_at DESC LIMIT 1").fetchone()
    return (row[0], row[1]) if row else None
