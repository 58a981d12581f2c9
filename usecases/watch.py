"""``callqa watch``: recordings analysed within seconds of the PBX closing them, instead of at night.

The watcher looks at the inbox every ``watch_poll_s`` seconds. A file is taken once its size and
modification time have not changed for ``settle_s`` (the nightly rule, measured across polls instead of
one sleep), and only when no call with the same content is processed or quarantined (exactly once by
content, as at night). Each batch of settled files is one run (flow ``watch``): under the database's run
lock (a nightly run started meanwhile waits ``run_lock_wait_s`` for it; a batch that finds the lock held
waits for the next poll), analysed with the models loaded once for the watcher's life (the analysis
child process, or this process with ``call_timeout_s = 0``), stored call by call by the one loader
(``usecases.load``), and reported like a night (the Runs page, the run report's alerts).

A stop request (SIGINT/SIGTERM, :meth:`Watcher.stop`) is honoured between calls: the call in flight is
finished and stored, the rest of the batch is left for the next run; nothing is ever half-stored (each call
is one transaction). A file that cannot be read or analysed is logged (and quarantined by the usual rules);
it never stops the watcher.

The housekeeping of a night (audit sample, digest, insights, retention, search index) stays with the
nightly run, which keeps running on its schedule and finds nothing left to analyse.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field

from pipeline.intake.inbox import InboxPath, Unreadable, identify, scan
from storage.calls import SKIP_STATUSES, SourceFile, call_statuses
from storage.db import connect
from storage.results_store import ResultsStore
from storage.run_lock import RunLocked, run_lock
from storage.run_report import RunFigures
from usecases.alerts import send_alerts
from usecases.analysis import analyze_call
from usecases.discovery import FoundRecordings
from usecases.load import load_results
from usecases.run_report import report_with_alerts
from usecases.runs import complete_run, fail_run, new_counts, note_unreadable, start_inbox_run, tally
from usecases.settings import Settings
from usecases.sources import SourceReader
from usecases.webhook_delivery import deliver_after_run

__all__ = ["FLOW", "Watcher", "WatchedCall"]

FLOW = "watch"  # runs.flow of the watcher's runs

Stamp = tuple[int, float]  # a file's (size, modification time)


@dataclass(frozen=True)
class WatchedCall:
    """A call the watcher stored: when its file last changed and when its result was committed (epoch s)."""

    call_id: str
    path: str
    status: str
    changed_at: float  # the wall-clock time of the file's last modification (st_mtime)
    stored_at: float  # the wall-clock time its result was committed


@dataclass
class Watcher:
    settings: Settings
    logger: logging.Logger | logging.LoggerAdapter
    stopping: threading.Event = field(default_factory=threading.Event)
    stored: list[WatchedCall] = field(default_factory=list)  # what this watcher stored, in order
    runs: list[RunFigures] = field(default_factory=list)
    # path -> (its size and mtime, since when unchanged): files not yet settled
    _seen: dict[str, tuple[Stamp, float]] = field(default_factory=dict)
    # path -> its size and mtime when it was found done (stored, known, a duplicate): not hashed again
    _done: dict[str, Stamp] = field(default_factory=dict)
    _reported: set[str] = field(default_factory=set)  # unreadable entries already logged

    def stop(self) -> None:
        """Finish the call in flight, store it, and return from :meth:`run`."""
        self.stopping.set()

    def run(self) -> None:
        """Poll until stopped; every error is logged and the next poll goes on."""
        self.logger.info("watching %s every %.1f s (settle %.1f s)", self.settings.intake.inbox,
                         self.settings.run.watch_poll_s, self.settings.intake.settle_s)
        waiting = False
        while not self.stopping.is_set():
            try:
                self.poll()
                waiting = False
            except RunLocked as err:
                if not waiting:  # once per night's run, not at every poll
                    self.logger.info("waiting for the other run: %s", err)
                waiting = True
            except Exception as err:  # noqa: BLE001 - a broken inbox or database must not end the watch
                self.logger.error("watch poll failed (tried again in %.1f s): %s: %s", self.settings.run.watch_poll_s,
                                  type(err).__name__, err, exc_info=True)
            self.stopping.wait(self.settings.run.watch_poll_s)
        self.logger.info("watcher stopped")

    def poll(self) -> RunFigures | None:
        """One look at the inbox; a run when some settled file is new. Returns the run's figures or None."""
        listing = scan(self.settings.intake.inbox, self.settings.intake.audio_extensions)
        unreadable = [u for u in listing.unreadable if u.path not in self._reported]
        for entry in unreadable:
            self.logger.warning("skipped %s: %s", entry.path, entry.reason)
            self._reported.add(entry.path)
        ready = self._settled(listing.found)
        if not ready:
            return None
        with run_lock(self.settings.storage.db, 0.0) as lock:  # a nightly run holds it: the next poll
            return self._batch(ready, unreadable, lock)

    def _settled(self, found: list[InboxPath]) -> list[InboxPath]:
        now = time.monotonic()
        ready = []
        present = set()
        for path in found:
            key = str(path)
            present.add(key)
            try:
                st = path.stat()
            except OSError:  # moved away meanwhile
                continue
            stamp = (st.st_size, st.st_mtime)
            if self._done.get(key) == stamp:
                continue
            self._done.pop(key, None)  # replaced by new content: looked at again
            seen = self._seen.get(key)
            if seen is None or seen[0] != stamp:
                self._seen[key] = (stamp, now)
            elif now - seen[1] >= self.settings.intake.settle_s:
                ready.append(path)
        for key in set(self._seen) - present:
            del self._seen[key]
        return ready

    def _batch(self, ready: list[InboxPath], unreadable: list[Unreadable], lock) -> RunFigures | None:
        reader = SourceReader(self.settings, self.logger)
        sources: dict[str, SourceFile] = {}
        stamps: dict[str, Stamp] = {}
        for path in ready:
            try:
                st = path.stat()
                call_id, sha, size = identify(path)
            except OSError as err:
                self.logger.warning("skipped %s: %s", path, err)
                continue
            stamps[str(path)] = (st.st_size, st.st_mtime)
            if call_id not in sources:  # the same bytes twice: one call
                sources[call_id] = reader.source(path, call_id, sha, size)
        with connect(self.settings.storage.db) as con:  # under the run lock: a nightly run cannot be between
            statuses = call_statuses(con, list(sources))
        new = [s for cid, s in sources.items() if statuses.get(cid) not in SKIP_STATUSES]
        new = new[: self.settings.run.batch_size]  # the rest at the next poll: the lock is never held long
        taken = {s.path for s in new} | {s.path for cid, s in sources.items() if statuses.get(cid) in SKIP_STATUSES}
        for path in ready:  # known content and duplicates are done too: not hashed at every poll
            if str(path) in stamps and (str(path) in taken or _duplicate(path, sources)):
                self._done[str(path)] = stamps[str(path)]
                self._seen.pop(str(path), None)
        if not new:
            return None
        started = time.perf_counter()
        run_id = start_inbox_run(self.settings, FLOW, lock, self.logger)
        counts, audio_s = new_counts(), 0.0
        done: list[SourceFile] = []
        store = ResultsStore(self.settings.storage.results_dir)
        try:
            note_unreadable(self.settings, run_id, unreadable)
            for source in new:
                if self.stopping.is_set():  # the rest is left for the next run, untouched
                    break
                if not store.has(source.call_id):
                    store.put(analyze_call(source, self.settings, self.logger))
                stored = load_results(self.settings, run_id, self.logger, [source.call_id])
                audio_s += tally(stored, counts)
                stored_at = time.time()
                for outcome in stored:
                    self.stored.append(WatchedCall(outcome.source.call_id, outcome.source.path, outcome.status,
                                                   stamps.get(outcome.source.path, (0, 0.0))[1], stored_at))
                done.append(source)
        except BaseException:
            fail_run(self.settings, run_id, counts, audio_s, wall_s=time.perf_counter() - started)
            raise
        found = FoundRecordings(done, len(done) + len(unreadable), unreadable)
        figures = complete_run(self.settings, run_id, found, counts, audio_s, wall_s=time.perf_counter() - started)
        self.runs.append(figures)
        self._report(run_id)
        self.logger.info("run %s: %d processed, %d quarantined, %d failed in %.1f s", run_id, figures.processed,
                         figures.quarantined, figures.failed, figures.wall_s)
        return figures

    def _report(self, run_id: str) -> None:
        """The run report's alerts (logged, posted to alert_webhook), and the webhooks of the calls stored."""
        try:
            report, alerts = report_with_alerts(self.settings, run_id, self.logger)
            send_alerts(self.settings, report, alerts, self.logger)
        except Exception as err:  # noqa: BLE001 - the calls are stored; the report is for people
            self.logger.error("the report of run %s failed (the run itself is stored): %s", run_id, err)
        deliver_after_run(self.settings, self.logger)  # the batch's events (calls, run finished) are in the outbox


def _duplicate(path: InboxPath, sources: dict[str, SourceFile]) -> bool:
    """A settled file whose content another file of the batch carries (not the one analysed)."""
    return all(s.path != str(path) for s in sources.values())
