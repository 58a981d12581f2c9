"""The single loader: per-call results from the results store into DuckDB.

Workers anywhere write result files; only this code, in the flow's process (or ``callqa load``),
opens the database for writing, so DuckDB's one-writer rule holds however many machines analyse.
Each call is stored in its own transaction and its file removed only after, so a loader killed
midway leaves files that the next load stores (replacing, never duplicating, the call's rows).
"""

from __future__ import annotations

import logging
from dataclasses import replace

from pipeline.intake.inbox import as_path, move_file
from storage.calls import SKIP_STATUSES, call_attempts, save_analysis, save_problem
from storage.db import connect
from storage.results_store import ProcessingResult, ResultsStore, UnreadableResult
from usecases.settings import Settings


def load_results(settings: Settings, run_id: str | None, logger: logging.Logger | logging.LoggerAdapter,
                 call_ids: list[str] | None = None) -> list[ProcessingResult]:
    """Store the results of ``call_ids`` (default: every result waiting in the store); returns
    what was stored, with failures that reached ``max_attempts`` turned into quarantines."""
    store = ResultsStore(settings.storage.results_dir)
    ids = store.pending() if call_ids is None else call_ids
    outcomes = []
    for call_id in ids:
        try:
            outcomes.append(store.get(call_id))
        except FileNotFoundError:  # loaded meanwhile by another loader
            continue
        except UnreadableResult as err:
            logger.warning("set aside (the call will be analysed again): %s", err)
            store.set_aside(call_id)
    stored = []
    with connect(settings.storage.db) as con:
        known = call_attempts(con, [o.source.call_id for o in outcomes])
        for outcome in outcomes:
            status, attempts = known.get(outcome.source.call_id, ("", 0))
            if status in SKIP_STATUSES:  # stored before the loader was stopped, by another run, or purged
                continue
            if outcome.status == "failed" and attempts + 1 >= settings.intake.max_attempts:
                outcome = replace(outcome, status="quarantined",
                                  reason=f"failed in {attempts + 1} runs; last error: {outcome.reason}")
                logger.warning("%s quarantined: %s", outcome.source.name, outcome.reason)
            if outcome.analysis is not None:
                save_analysis(con, outcome.source, outcome.analysis, run_id, outcome.worker, outcome.analysis_s)
            else:
                save_problem(con, outcome.source, outcome.status, outcome.reason or "", run_id)
            stored.append(outcome)
    for outcome in stored:
        if outcome.status == "quarantined" and settings.intake.quarantine_dir:
            quarantine_file(outcome, settings, logger)
    for outcome in outcomes:
        store.remove(outcome.source.call_id)
    return stored


def quarantine_file(outcome: ProcessingResult, settings: Settings,
                    logger: logging.Logger | logging.LoggerAdapter) -> None:
    """Move a bad recording out of the inbox, with its reason beside it."""
    source = as_path(outcome.source.path)
    quarantine_dir = settings.intake.quarantine_dir
    assert quarantine_dir is not None  # called only for a set folder (load_settings puts one beside the database)
    quarantine = as_path(quarantine_dir)
    target = quarantine / f"{outcome.source.call_id}-{outcome.source.name}"
    try:
        if not source.exists():
            return
        move_file(source, target)
        target.with_name(target.name + ".reason.txt").write_text((outcome.reason or "") + "\n", encoding="utf-8")
    except OSError as err:  # a read-only inbox: the database record is enough
        logger.warning("could not move %s to quarantine: %s", source, err)
