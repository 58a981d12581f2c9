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
from datetime import datetime
from typing import Any, cast

from prefect import flow, get_run_logger, task
from prefect.cache_policies import NO_CACHE
from prefect.futures import PrefectFuture, as_completed
from prefect.task_runners import TaskRunner, ThreadPoolTaskRunner

from flows.analysis import analyze_batch
from flows.insights import refresh_insights
from flows.progress import Progress, publish
from flows.retention import apply_retention
from flows.run_report import report_run
from flows.satisfaction import predict_satisfaction
from storage.db import connect
from storage.results_store import ProcessingResult
from storage.run_lock import run_lock
from storage.run_report import RunFigures
from storage.search import SearchUnavailable, refresh_search_index
from usecases.audit_sampling import draw_nights_of_run
from usecases.discovery import FoundRecordings, new_recordings
from usecases.load import load_results
from usecases.log_context import log_context
from usecases.morning_digest import send_morning_digest
from usecases.parallelism import analyses_at_once, batch_size_for, with_threads
from usecases.runs import (
    batches,
    complete_run,
    fail_run,
    new_counts,
    note_unreadable,
    start_inbox_run,
    tally,
)
from usecases.settings import Settings, load_settings
from usecases.webhook_delivery import deliver_after_run

__all__ = ["ProcessingResult", "FoundRecordings", "RunFigures", "backfill", "nightly", "run_inbox"]


def local_threads() -> TaskRunner[PrefectFuture[Any]]:
    """The default runner: batches in threads of this process, each thread's calls in an analysis process of
    its own. The flow keeps no more batches in flight than the calls analysed at once (``workers``);
    ``callqa run`` swaps in Dask when asked."""
    # Prefect types a flow's runner over its base future; the thread runner's futures are such futures,
    # but TaskRunner is invariant in its future type, so mypy needs telling.
    return cast(TaskRunner[PrefectFuture[Any]], ThreadPoolTaskRunner(max_workers=MAX_LOCAL_AT_ONCE))


MAX_LOCAL_AT_ONCE = 256  # threads the runner may start; the flow's own limit (``workers``) is what binds


@task(cache_policy=NO_CACHE)
def find_new_recordings(settings: Settings, since: datetime | None = None,
                        until: datetime | None = None) -> FoundRecordings:
    """Recordings in the inbox not yet processed or quarantined, with ``since``/``until`` only the calls
    of that period (``usecases.discovery``)."""
    return new_recordings(settings, get_run_logger(), since, until)


@flow(name="nightly", task_runner=local_threads(), log_prints=True)
def nightly(inbox: str | None = None, db: str | None = None, batch_size: int | None = None) -> RunFigures:
    """Every new recording in the inbox."""
    return run_inbox(load_settings(inbox=inbox, db=db, batch_size=batch_size), "nightly")


@flow(name="backfill", task_runner=local_threads(), log_prints=True)
def backfill(since: datetime, until: datetime, inbox: str | None = None, db: str | None = None,
             batch_size: int | None = None) -> RunFigures:
    """The new recordings of calls that took place in [since, until): an archive loaded a period at a time."""
    if until <= since:
        raise ValueError(f"backfill: the period is empty ({since:%Y-%m-%d} to {until:%Y-%m-%d})")
    return run_inbox(load_settings(inbox=inbox, db=db, batch_size=batch_size), "backfill", since, until)


def housekeeping(settings: Settings, run_id: str) -> None:
    """After the night's results are stored: the audit sample of the nights the run brought in, the morning
    digest (what waits for each team's reviewers), call insights (reasons and outcomes, on the transcripts
    retention may be about to delete), predicted satisfaction (which uses the outcome), retention, the search
    index (without what retention deleted), then the webhooks (usecases.webhook_delivery). A problem here is
    logged; it does not fail a run whose results are in."""
    logger = get_run_logger()
    try:
        for drawn in draw_nights_of_run(settings, run_id):
            logger.info("audit sample %s: %d calls added (%d in it) from %d calls in %d strata",
                        drawn.sample.sample_id, len(drawn.added), len(drawn.calls), drawn.population,
                        drawn.strata_count)
    except Exception as err:  # noqa: BLE001 - logged: the night's results are in, `callqa sample` draws it later
        logger.error("audit sample not drawn: %s", err)
    try:  # after the sample, which it lists; failed deliveries are logged by the delivery itself
        sent = send_morning_digest(settings, run_id, logger)
        if sent:
            logger.info("morning digest: %d of %d deliveries sent", sum(r.ok for r in sent), len(sent))
    except Exception as err:  # noqa: BLE001 - e.g. the database locked for too long: the night's results are in
        logger.error("morning digest not sent: %s", err)
    try:
        refresh_insights(settings)
    except Exception as err:  # noqa: BLE001 - e.g. a broken taxonomy file: the night's results are in
        logger.error("call insights not computed: %s", err)
    try:
        predict_satisfaction(settings)
    except Exception as err:  # noqa: BLE001 - logged: the night's results are in
        logger.error("satisfaction was not predicted: %s", err)
    try:
        apply_retention(settings, run_id)
    except Exception as err:  # noqa: BLE001 - logged: the night's results are in, the next run applies it
        logger.error("retention was not applied: %s", err)
    try:
        with connect(settings.storage.db) as con:
            built = refresh_search_index(con)
        logger.info("search index: %d utterances of %d calls in %.1f s", built.utterances, built.calls, built.build_s)
    except SearchUnavailable as err:
        logger.warning("transcript search not refreshed: %s", err)
    except Exception as err:  # noqa: BLE001 - e.g. the database locked for too long
        logger.error("transcript search not refreshed: %s", err)
    deliver_after_run(settings, logger)  # last: the run's events (calls, run finished) are all in the outbox by now


def run_inbox(settings: Settings, flow_name: str, since: datetime | None = None,
              until: datetime | None = None) -> RunFigures:
    """Discover, analyse in batches, store each batch, report: the body of nightly and backfill.
    One run per database: a second one waits ``run_lock_wait_s`` for the lock, then raises ``RunLocked``."""
    with run_lock(settings.storage.db, settings.run.lock_wait_s) as lock:
        logger = get_run_logger()
        started = time.perf_counter()
        run_id = start_inbox_run(settings, flow_name, lock, logger)
        with log_context(run_id=run_id):  # JSON log lines carry the run id (callqa/logs.py)
            return _run(settings, run_id, logger, started, since, until)


def _run(settings: Settings, run_id: str, logger, started: float, since: datetime | None,
         until: datetime | None) -> RunFigures:
    counts = new_counts()
    audio_s = 0.0
    try:
        left = load_results(settings, run_id, logger)  # results a killed run analysed but never stored
        if left:
            logger.info("stored %d results left by an earlier run", len(left))
        audio_s += tally(left, counts)
        found = find_new_recordings(settings, since, until)
        new = found.new
        note_unreadable(settings, run_id, found.unreadable)
        logger.info("%d recordings in %s, %d new, %d unreadable", found.discovered, settings.intake.inbox, len(new),
                    len(found.unreadable))
        total_bytes, done_bytes = sum(s.size for s in new), 0
        publish(Progress(len(new), 0, 0.0, total_bytes, 0))
        at_once = analyses_at_once(settings)
        # Each analysis process computes with its share of the cores; the settings carry the count to it.
        analysis_settings = with_threads(settings, at_once) if at_once else settings
        waiting = batches(new, batch_size_for(len(new), settings, at_once))
        in_flight: set[PrefectFuture[list[str]]] = set()
        logger.info("analysing %d calls in %d batches, %s at once, %s threads each", len(new), len(waiting),
                    at_once or "as many as the cluster runs", analysis_settings.asr.cpu_threads or "default")
        while waiting or in_flight:
            while waiting and (not at_once or len(in_flight) < at_once):
                in_flight.add(analyze_batch.submit(waiting.pop(0), analysis_settings))
            future = next(as_completed(list(in_flight)))  # the first batch done, whichever it is
            in_flight.discard(future)
            outcomes = load_results(settings, run_id, logger, future.result())
            audio_s += tally(outcomes, counts)
            done_bytes += sum(o.source.size for o in outcomes)
            publish(Progress(len(new), sum(counts.values()), audio_s, total_bytes, done_bytes))
    except BaseException:
        fail_run(settings, run_id, counts, audio_s, wall_s=time.perf_counter() - started)
        raise
    summary = complete_run(settings, run_id, found, counts, audio_s, wall_s=time.perf_counter() - started)
    report_run(settings, run_id)  # artifacts and alerts; logs its own failures, never fails the run
    housekeeping(settings, run_id)
    logger.info(
        "run %s: %d processed, %d quarantined, %d failed, %d already known, %d unreadable; %.0f s of audio in %.0f s",
        run_id, summary.processed, summary.quarantined, summary.failed, summary.skipped, summary.unreadable, audio_s,
        summary.wall_s,
    )
    return summary


if __name__ == "__main__":
    print(nightly())
