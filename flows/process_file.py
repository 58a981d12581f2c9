"""One recording, now: the same stages and storage as the nightly flow, for a file a reviewer
or an integration wants scored without waiting for the night."""

from __future__ import annotations

import time

from prefect import flow, get_run_logger

from usecases.settings import load_settings
from usecases.runtime import scorecard_for
from flows.analysis import analyze_batch
from flows.load import load_results
from flows.sources import SourceReader
from pipeline.intake.inbox import as_path, identify
from storage.calls import SKIP_STATUSES, call_statuses, finish_run, register_scorecard, start_run
from storage.db import connect
from storage.results_store import CallOutcome


@flow(name="process_file", log_prints=True)
def process_file(path: str, db: str | None = None) -> CallOutcome | str:
    """Analyse and store ``path`` (a file or an fsspec URL) unless its content was already processed,
    quarantined or purged; returns the outcome, or the stored status when there was nothing to do."""
    settings = load_settings(db=db)
    logger = get_run_logger()
    started = time.perf_counter()
    file = as_path(path)
    call_id, sha, size = identify(file)
    source = SourceReader(settings, logger).source(file, call_id, sha, size)
    with connect(settings.storage.db) as con:
        known = call_statuses(con, [call_id]).get(call_id)
        if known in SKIP_STATUSES:
            logger.info("%s is already %s (call %s): nothing to do", file.name, known, call_id)
            return known
        register_scorecard(con, scorecard_for(settings))
        run_id = start_run(con, "process_file", str(file.parent))
    stored = load_results(settings, run_id, logger, analyze_batch([source], settings))
    outcome = stored[0] if stored else None
    with connect(settings.storage.db) as con:
        finish_run(con, run_id, "completed", discovered=1, new_calls=1, wall_s=time.perf_counter() - started,
                   audio_s=outcome.analysis.duration_s if outcome and outcome.analysis else 0.0,
                   **{k: int(outcome is not None and outcome.status == k) for k in ("processed", "quarantined", "failed")})
        if outcome is None:  # another run stored (or purged) it meanwhile: say what is stored
            return call_statuses(con, [call_id])[call_id]
    return outcome
