"""Prometheus metrics: the database read once per scrape and written in the text exposition format.

``metrics_text(settings)`` builds a registry of its own per call (no process-global state) around one
collector that reads a few aggregate queries over a read-only connection. ``callqa metrics`` prints it (for
node_exporter's textfile collector); the API serves it as ``GET /metrics``. While the nightly run holds the
database longer than ``metrics_db_wait_s`` the answer is ``callqa_up 0`` and ``callqa_database_busy 1``, not
an error. Labels are statuses and flow names only: never a call id, an operator or a file name.

Queue depth is what can be known without scanning the inbox: results analysed but not yet stored (the results
store, when it is a local folder), failed calls the next run retries, and what each flow's latest run found
(``callqa_last_run_recordings``); recordings that arrived since are not counted.
"""

from __future__ import annotations

import logging
import os
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterator

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily, Metric
from prometheus_client.exposition import CONTENT_TYPE_PLAIN_0_0_4
from prometheus_client.registry import Collector

from storage.operations import (
    CALL_STATUSES,
    RUN_STATUSES,
    TIME_BUCKETS_S,
    DatabaseBusy,
    OperationsFigures,
    TimeHistogram,
    latest_schema_version,
    operations_figures,
    read_only,
)
from usecases.settings import Settings

__all__ = ["CONTENT_TYPE", "metrics_text", "Scrape", "scrape"]

# What the API answers /metrics with: the text format generate_latest writes (version 0.0.4).
CONTENT_TYPE = CONTENT_TYPE_PLAIN_0_0_4

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Scrape:
    """One reading of the database for metrics: the figures, or why there are none."""

    figures: OperationsFigures | None
    busy: bool  # the nightly run held the database longer than metrics_db_wait_s
    missing: bool  # no database yet
    read_s: float
    at: datetime


def scrape(settings: Settings) -> Scrape:
    started = time.perf_counter()
    figures, busy, missing = None, False, False
    try:
        with read_only(settings.storage.db, settings.operations.metrics_db_wait_s) as con:
            figures = operations_figures(con, settings.intake.max_attempts)
    except DatabaseBusy:
        busy = True
    except FileNotFoundError:
        missing = True
    except Exception as err:  # noqa: BLE001 - a scrape answers callqa_up 0; the cause goes to the log
        log.error("metrics: the database could not be read: %s: %s", type(err).__name__, err)
    return Scrape(figures, busy, missing, time.perf_counter() - started, datetime.now(timezone.utc))


def _epoch(moment: datetime) -> float:
    """Database times are naive UTC."""
    return moment.replace(tzinfo=timezone.utc).timestamp()


def _histogram(name: str, documentation: str, h: TimeHistogram) -> HistogramMetricFamily:
    buckets = [(repr(bound), float(n)) for bound, n in zip(TIME_BUCKETS_S, h.buckets)]
    buckets.append(("+Inf", float(h.count)))
    return HistogramMetricFamily(name, documentation, buckets=buckets, sum_value=h.total_s)


def _results_waiting(location: str) -> int | None:
    """Result files waiting to be stored, when the results store is a local folder (an object store is not
    listed on every scrape)."""
    if "://" in location and not location.startswith("file://"):
        return None
    folder = Path(location.removeprefix("file://"))
    try:
        with os.scandir(folder) as entries:
            return sum(1 for e in entries if e.name.endswith(".json") and not e.name.startswith("."))
    except FileNotFoundError:
        return 0
    except OSError:
        return None


class _Collector(Collector):
    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    def collect(self) -> Iterator[Metric]:
        s = scrape(self.settings)
        up = GaugeMetricFamily("callqa_up", "1 when the database could be read for this scrape, else 0")
        up.add_metric([], 0.0 if s.figures is None else 1.0)
        yield up
        busy = GaugeMetricFamily("callqa_database_busy",
                                 "1 when another process (the nightly run) held the database for the whole wait")
        busy.add_metric([], 1.0 if s.busy else 0.0)
        yield busy
        present = GaugeMetricFamily("callqa_database_present", "1 when the database file exists")
        present.add_metric([], 0.0 if s.missing else 1.0)
        yield present
        took = GaugeMetricFamily("callqa_scrape_read_seconds", "Seconds this scrape spent reading the database")
        took.add_metric([], s.read_s)
        yield took
        waiting = _results_waiting(self.settings.storage.results_dir)
        if s.figures is not None:
            yield from self._figures(s.figures, s.at, waiting)

    def _figures(self, f: OperationsFigures, at: datetime, results_waiting: int | None) -> Iterator[Metric]:
        calls = GaugeMetricFamily("callqa_calls", "Calls in the database now, by status (a failed call that a "
                                  "later run processes moves to processed)", labels=["status"])
        audio = GaugeMetricFamily("callqa_calls_audio_seconds", "Seconds of audio of the calls in the database "
                                  "now, by status", labels=["status"])
        for status in CALL_STATUSES:
            calls.add_metric([status], f.calls.get(status, 0))
            audio.add_metric([status], f.audio_s.get(status, 0.0))
        yield calls
        yield audio
        outcomes = CounterMetricFamily("callqa_run_calls", "Calls the runs processed, quarantined or failed "
                                       "(summed over the runs' records; a retried call counts once per run)",
                                       labels=["status"])
        for status in CALL_STATUSES:
            outcomes.add_metric([status], f.outcomes[status])
        yield outcomes
        analysed = CounterMetricFamily("callqa_audio_processed_seconds",
                                       "Seconds of audio the runs analysed (divide by 3600 for hours)")
        analysed.add_metric([], f.run_audio_s)
        yield analysed
        runs = CounterMetricFamily("callqa_runs", "Runs started, by their status now", labels=["status"])
        for status in sorted(set(RUN_STATUSES) | set(f.runs)):
            runs.add_metric([status], f.runs.get(status, 0))
        yield runs
        yield _histogram("callqa_call_analysis_seconds", "The analyser's own time per processed call (decode, "
                         "speech, judging)", f.analysis_s)
        yield _histogram("callqa_call_worker_seconds", "The worker's time per processed call, with its analysis "
                         "process, retries and storing the result", f.worker_s)
        yield from self._latest_runs(f, at)
        queue = GaugeMetricFamily("callqa_queue_recordings", "Recordings waiting: results analysed but not stored "
                                  "yet (results_waiting, local results stores only), failed calls the next run "
                                  "retries (retry), recordings submitted through the REST API and not stored yet "
                                  "(submitted)", labels=["kind"])
        if results_waiting is not None:
            queue.add_metric(["results_waiting"], results_waiting)
        queue.add_metric(["retry"], f.retry_waiting)
        queue.add_metric(["submitted"], f.submitted_waiting)
        yield queue
        backlog = GaugeMetricFamily("callqa_review_backlog_calls", "Flagged calls no reviewer has marked reviewed")
        backlog.add_metric([], f.review_backlog)
        yield backlog
        schema = GaugeMetricFamily("callqa_schema_version", "The database's migration version, and the release's",
                                   labels=["of"])
        schema.add_metric(["database"], f.schema_version)
        schema.add_metric(["release"], latest_schema_version())
        yield schema

    def _latest_runs(self, f: OperationsFigures, at: datetime) -> Iterator[Metric]:
        started = GaugeMetricFamily("callqa_last_run_start_timestamp_seconds", "When each flow's latest run "
                                    "started (Unix time)", labels=["flow"])
        status = GaugeMetricFamily("callqa_last_run_status", "1 for the status of each flow's latest run",
                                   labels=["flow", "status"])
        wall = GaugeMetricFamily("callqa_last_run_duration_seconds", "Wall time of each flow's latest finished "
                                 "run", labels=["flow"])
        found = GaugeMetricFamily("callqa_last_run_recordings", "What each flow's latest finished run found in the "
                                  "inbox: all recordings, new ones, unreadable entries", labels=["flow", "kind"])
        for run in f.latest:
            started.add_metric([run.flow], _epoch(run.started_at))
            for name in sorted(set(RUN_STATUSES) | {run.status}):
                status.add_metric([run.flow, name], 1.0 if name == run.status else 0.0)
            if run.wall_s is not None:
                wall.add_metric([run.flow], run.wall_s)
            if run.finished_at is not None:
                for kind, n in (("discovered", run.discovered), ("new", run.new_calls),
                                ("unreadable", run.unreadable)):
                    found.add_metric([run.flow, kind], n)
        yield from (started, status, wall, found)
        finished = GaugeMetricFamily("callqa_last_completed_run_timestamp_seconds", "When each flow's latest "
                                     "completed run finished (Unix time)", labels=["flow"])
        age = GaugeMetricFamily("callqa_last_completed_run_age_seconds", "Seconds since each flow's latest "
                                "completed run finished", labels=["flow"])
        for flow, moment in f.last_completed.items():
            finished.add_metric([flow], _epoch(moment))
            age.add_metric([flow], max(0.0, at.timestamp() - _epoch(moment)))
        yield finished
        yield age


def metrics_text(settings: Settings) -> str:
    """The Prometheus text exposition of the database behind ``settings``, read now."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(_Collector(settings))
    return generate_latest(registry).decode("utf-8")
