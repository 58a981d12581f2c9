"""A run's bookkeeping in the database: started (under the run lock), its unreadable inbox
entries, its outcomes counted, and finished as completed or failed with its figures (and, in the same
transaction, its ``run.finished`` webhook event)."""

from __future__ import annotations

import logging

from pipeline.intake.inbox import Unreadable
from storage import webhooks
from storage.calls import (
    SourceFile,
    finish_run,
    mark_interrupted_runs,
    record_unreadable,
    register_scorecard,
    start_run,
)
from storage.db import connect, transaction
from storage.results_store import ProcessingResult
from storage.run_lock import RunLock
from storage.run_report import RunFigures, run_figures
from usecases.discovery import FoundRecordings
from usecases.runtime import scorecard_for
from usecases.settings import Settings

OUTCOME_STATUSES = ("processed", "quarantined", "failed")


def start_inbox_run(settings: Settings, flow_name: str, lock: RunLock,
                    logger: logging.Logger | logging.LoggerAdapter) -> str:
    """Register the scorecard, mark runs a killed process left as interrupted, start this run; its id.
    A broken scorecard stops the run here, before any call is touched."""
    scorecard = scorecard_for(settings)
    with connect(settings.storage.db) as con:
        register_scorecard(con, scorecard)
        for stale in mark_interrupted_runs(con, flow_name, lock):
            logger.warning("run %s never finished (the process was killed): marked interrupted", stale)
        return start_run(con, flow_name, str(settings.intake.inbox))


def note_unreadable(settings: Settings, run_id: str, unreadable: list[Unreadable]) -> None:
    """The inbox entries the run skipped, with why (the run report and the app's Runs page list them)."""
    with connect(settings.storage.db) as con:
        record_unreadable(con, run_id, [(u.path, u.reason) for u in unreadable])


def new_counts() -> dict[str, int]:
    return dict.fromkeys(OUTCOME_STATUSES, 0)


def tally(outcomes: list[ProcessingResult], counts: dict[str, int]) -> float:
    """Count the outcomes by status into ``counts``; returns their seconds of audio."""
    for o in outcomes:
        counts[o.status] += 1
    return sum(o.analysis.duration_s for o in outcomes if o.analysis)


def batches(items: list[SourceFile], size: int) -> list[list[SourceFile]]:
    return [items[i : i + size] for i in range(0, len(items), size)]


def run_event(figures: RunFigures) -> dict:
    """What ``run.finished`` says: the run's counts and figures, nothing of its files."""
    return {
        "run_id": figures.run_id, "flow": figures.flow, "status": figures.status,
        "started_at": figures.started_at.isoformat(),
        "finished_at": None if figures.finished_at is None else figures.finished_at.isoformat(),
        "discovered": figures.discovered, "new_calls": figures.new_calls, "processed": figures.processed,
        "quarantined": figures.quarantined, "failed": figures.failed, "skipped": figures.skipped,
        "unreadable": figures.unreadable, "flagged": figures.flagged, "audio_hours": round(figures.audio_s / 3600, 3),
        "wall_s": None if figures.wall_s is None else round(figures.wall_s, 1),
        "mean_score": None if figures.mean_score is None else round(figures.mean_score, 2),
    }


def _finish(settings: Settings, run_id: str, status: str, **counts: float) -> RunFigures:
    with connect(settings.storage.db) as con, transaction(con):
        finish_run(con, run_id, status, **counts)
        figures = run_figures(con, [run_id])[0]
        webhooks.add_event(con, webhooks.RUN_FINISHED, f"{webhooks.RUN_FINISHED}:{run_id}", run_event(figures))
        return figures


def fail_run(settings: Settings, run_id: str, counts: dict[str, int], audio_s: float, wall_s: float) -> None:
    _finish(settings, run_id, "failed", wall_s=wall_s, audio_s=audio_s, **counts)


def complete_run(settings: Settings, run_id: str, found: FoundRecordings, counts: dict[str, int], audio_s: float,
                 wall_s: float) -> RunFigures:
    """Store the run as completed with its counts; returns its figures as stored (the same record the
    run report, the alerts and the app read), so a run's figures have one shape everywhere."""
    return _finish(
        settings,
        run_id,
        "completed",
        discovered=found.discovered,
        new_calls=len(found.new),
        skipped=found.discovered - len(found.new) - len(found.unreadable),
        unreadable=len(found.unreadable),
        audio_s=audio_s,
        wall_s=wall_s,
        **counts,
    )
