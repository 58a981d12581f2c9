"""The nightly flow: scan the inbox, analyse new recordings in batches, store results.
``backfill`` does the same for the calls of a date range (an archive loaded a period at a time).

Exactly-once by content: a recording already processed or quarantined (same
sha256) is skipped, so rerunning the flow changes nothing. Workers put each call's
result in the results store as soon as it is analysed; this process alone loads
them into DuckDB (one writer), after each batch and, for results a killed run left
behind, at the start of the next run: a crash loses at most the calls in flight.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime

from prefect import flow, get_run_logger, task
from prefect.cache_policies import NO_CACHE
from prefect.futures import as_completed
from prefect.task_runners import ThreadPoolTaskRunner

from usecases.settings import Settings, load_settings
from usecases.runtime import scorecard_for
from flows.analysis import analyze_batch
from flows.insights import refresh_insights
from flows.load import load_results
from flows.progress import Progress, publish
from flows.report import report_run
from flows.retention import apply_retention
from flows.satisfaction import predict_satisfaction
from flows.sources import SourceReader
from pipeline.intake.inbox import InboxPath, Unreadable, identify, scan, settled
from storage.calls import (
    SKIP_STATUSES, SourceFile, call_statuses, finish_run, mark_interrupted_runs, record_unreadable, register_scorecard,
    start_run,
)
from storage.db import connect
from storage.run_lock import run_lock
from storage.search import SearchUnavailable, refresh_search_index
from storage.results_store import CallOutcome

__all__ = ["CallOutcome", "FoundRecordings", "RunSummary", "backfill", "nightly", "run_inbox"]


@dataclass(frozen=True)
class RunSummary:
    run_id: str
    discovered: int
    new_calls: int
    processed: int
    quarantined: int
    failed: int
    skipped: int
    audio_s: float
    wall_s: float
    unreadable: int = 0  # inbox entries skipped because they could not be read (listed in the run report)


@dataclass(frozen=True)
class FoundRecordings:
    new: list[SourceFile]  # not yet processed or quarantined
    discovered: int  # audio-named inbox entries found in all, readable or not
    unreadable: list[Unreadable]  # entries skipped, with why (loops, broken links, vanished, no permission)


@task(cache_policy=NO_CACHE)
def find_new_recordings(settings: Settings, since: datetime | None = None,
                        until: datetime | None = None) -> FoundRecordings:
    """Recordings in the inbox that are not yet processed or quarantined, how many were found in all,
    and the entries that could not be read; with ``since``/``until``, only calls that took place in
    [since, until) (a backfill).

    Files still being written (size or time changing over ``settle_s``) are left for the next run.
    An entry that cannot be read is skipped with its reason: one bad entry never stops the night."""
    logger = get_run_logger()
    listing = scan(settings.intake.inbox, settings.intake.audio_extensions)
    unreadable = list(listing.unreadable)
    for entry in unreadable:
        logger.warning("skipped %s: %s", entry.path, entry.reason)

    def skip(path: InboxPath, err: OSError) -> None:
        reason = "vanished before it could be read" if isinstance(err, FileNotFoundError) else f"cannot be read: {err}"
        unreadable.append(Unreadable(str(path), reason))
        logger.warning("skipped %s: %s", path, reason)

    found = listing.found
    reader = SourceReader(settings, logger)
    if since is not None or until is not None:  # by metadata, before hashing a whole archive
        within = []
        for p in found:
            try:
                if _within(reader.call_time(p), since, until):
                    within.append(p)
            except OSError as err:
                skip(p, err)
        found = within
    paths, writing = settled(found, settings.intake.settle_s)
    for path in writing:
        try:
            path.stat()
        except OSError as err:  # gone during the settle check, not growing
            skip(path, err)
            continue
        logger.info("%s is still being written: left for the next run", path)
    sources: dict[str, SourceFile] = {}
    for path in paths:
        try:
            call_id, sha, size = identify(path)
            if call_id in sources:  # same bytes twice: one call
                continue
            sources[call_id] = reader.source(path, call_id, sha, size)
        except OSError as err:  # vanished or unreadable between listing and reading
            skip(path, err)
    with connect(settings.storage.db) as con:
        statuses = call_statuses(con, list(sources))
    new = [s for cid, s in sources.items() if statuses.get(cid) not in SKIP_STATUSES]
    # A backfill counts only its period's recordings (the filter above), as before entries were checked.
    return FoundRecordings(new, len(found) + len(listing.unreadable), unreadable)


def _within(when: datetime | None, since: datetime | None, until: datetime | None) -> bool:
    if when is None:
        return False
    return (since is None or when >= since) and (until is None or when < until)


def tally(outcomes: list[CallOutcome], counts: dict[str, int]) -> float:
    """Count the outcomes by status into ``counts``; returns their seconds of audio."""
    for o in outcomes:
        counts[o.status] += 1
    return sum(o.analysis.duration_s for o in outcomes if o.analysis)


def batches(items: list[SourceFile], size: int) -> list[list[SourceFile]]:
    return [items[i : i + size] for i in range(0, len(items), size)]


@flow(name="nightly", task_runner=ThreadPoolTaskRunner(max_workers=1), log_prints=True)
def nightly(inbox: str | None = None, db: str | None = None, batch_size: int | None = None) -> RunSummary:
    """Every new recording in the inbox."""
    return run_inbox(load_settings(inbox=inbox, db=db, batch_size=batch_size), "nightly")


@flow(name="backfill", task_runner=ThreadPoolTaskRunner(max_workers=1), log_prints=True)
def backfill(since: datetime, until: datetime, inbox: str | None = None, db: str | None = None,
             batch_size: int | None = None) -> RunSummary:
    """The new recordings of calls that took place in [since, until): an archive loaded a period at a time."""
    if until <= since:
        raise ValueError(f"backfill: the period is empty ({since:%Y-%m-%d} to {until:%Y-%m-%d})")
    return run_inbox(load_settings(inbox=inbox, db=db, batch_size=batch_size), "backfill", since, until)


def housekeeping(settings: Settings, run_id: str) -> None:
    """After the night's results are stored: call insights (reasons and outcomes, on the transcripts
    retention may be about to delete), predicted satisfaction (which uses the outcome), retention,
    then the search index (without what retention deleted). A problem here is logged; it does not
    fail a run whose results are in."""
    logger = get_run_logger()
    try:
        refresh_insights(settings)
    except Exception as err:  # noqa: BLE001 - e.g. a broken taxonomy file: the night's results are in
        logger.error("call insights not computed: %s", err)
    try:
        predict_satisfaction(settings)
    except Exception as err:  # noqa: BLE001
        logger.error("satisfaction was not predicted: %s", err)
    try:
        apply_retention(settings, run_id)
    except Exception as err:  # noqa: BLE001
        logger.error("retention was not applied: %s", err)
    try:
        with connect(settings.storage.db) as con:
            built = refresh_search_index(con)
        logger.info("search index: %d utterances of %d calls in %.1f s", built.utterances, built.calls, built.build_s)
    except SearchUnavailable as err:
        logger.warning("transcript search not refreshed: %s", err)
    except Exception as err:  # noqa: BLE001 - e.g. the database locked for too long
        logger.error("transcript search not refreshed: %s", err)


def run_inbox(settings: Settings, flow_name: str, since: datetime | None = None,
              until: datetime | None = None) -> RunSummary:
    """Discover, analyse in batches, store each batch, report: the body of nightly and backfill.
    One run per database: a second one waits ``run_lock_wait_s`` for the lock, then raises ``RunLocked``."""
    with run_lock(settings.storage.db, settings.run.lock_wait_s) as lock:
        logger = get_run_logger()
        started = time.perf_counter()
        scorecard = scorecard_for(settings)  # a broken scorecard stops the run before any call is touched
        with connect(settings.storage.db) as con:
            register_scorecard(con, scorecard)
            for stale in mark_interrupted_runs(con, flow_name, lock):
                logger.warning("run %s never finished (the process was killed): marked interrupted", stale)
            run_id = start_run(con, flow_name, str(settings.intake.inbox))
        return _run(settings, run_id, logger, started, since, until)


def _run(settings: Settings, run_id: str, logger, started: float, since: datetime | None,
         until: datetime | None) -> RunSummary:
    counts = dict(processed=0, quarantined=0, failed=0)
    audio_s = 0.0
    try:
        left = load_results(settings, run_id, logger)  # results a killed run analysed but never stored
        if left:
            logger.info("stored %d results left by an earlier run", len(left))
        audio_s += tally(left, counts)
        found = find_new_recordings(settings, since, until)
        new, discovered = found.new, found.discovered
        with connect(settings.storage.db) as con:
            record_unreadable(con, run_id, [(u.path, u.reason) for u in found.unreadable])
        logger.info("%d recordings in %s, %d new, %d unreadable", discovered, settings.intake.inbox, len(new),
                    len(found.unreadable))
        total_bytes, done_bytes = sum(s.size for s in new), 0
        publish(Progress(len(new), 0, 0.0, total_bytes, 0))
        futures = [analyze_batch.submit(b, settings) for b in batches(new, settings.run.batch_size)]
        for future in as_completed(futures):
            outcomes = load_results(settings, run_id, logger, future.result())
            audio_s += tally(outcomes, counts)
            done_bytes += sum(o.source.size for o in outcomes)
            publish(Progress(len(new), sum(counts.values()), audio_s, total_bytes, done_bytes))
    except BaseException:
        with connect(settings.storage.db) as con:
            finish_run(con, run_id, "failed", wall_s=time.perf_counter() - started, audio_s=audio_s, **counts)
        raise
    wall_s = time.perf_counter() - started
    summary = RunSummary(
        run_id=run_id,
        discovered=discovered,
        new_calls=len(new),
        skipped=discovered - len(new) - len(found.unreadable),
        audio_s=audio_s,
        wall_s=wall_s,
        unreadable=len(found.unreadable),
        **counts,
    )
    with connect(settings.storage.db) as con:
        finish_run(
            con,
            run_id,
            "completed",
            discovered=discovered,
            new_calls=len(new),
            skipped=summary.skipped,
            unreadable=summary.unreadable,
            audio_s=audio_s,
            wall_s=wall_s,
            **counts,
        )
    report_run(settings, run_id)  # artifacts and alerts; logs its own failures, never fails the run
    housekeeping(settings, run_id)
    logger.info(
        "run %s: %d processed, %d quarantined, %d failed, %d already known, %d unreadable; %.0f s of audio in %.0f s",
        run_id, summary.processed, summary.quarantined, summary.failed, summary.skipped, summary.unreadable, audio_s,
        wall_s,
    )
    return summary


if __name__ == "__main__":
    print(nightly())
