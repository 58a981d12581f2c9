"""Analysing recordings on a worker: a batch in, each call's outcome in the results store.

A worker never opens DuckDB: each call's outcome goes to the results store
(``storage.results_store``) as soon as it is known, and the loader (``usecases.load``)
stores it. What happens to a call that goes wrong:

- a bad recording (``BadRecording``: not audio, empty, silent, too long): quarantined at once,
  with its reason, since analysing it again would fail the same way;
- a transient error (I/O, a network share or bucket hiccup, the analysis process killed):
  retried within the run after ``retry_backoff_s``, then twice that, ``call_retries`` times;
- a timeout (``call_timeout_s``) or any other error: recorded as failed and tried again by the
  next run; the loader quarantines a recording that failed in ``max_attempts`` runs.
"""

from __future__ import annotations

import logging
import time
import traceback
from dataclasses import replace
from functools import lru_cache

from pipeline.analyze import CallAnalyzer
from pipeline.errors import BadRecording
from pipeline.intake.inbox import as_path, local_copy
from pipeline.records import CallAnalysis
from pipeline.speech.transcribe import OperatorChannel
from storage.calls import SourceFile
from storage.results_store import ProcessingResult, ResultsStore, Status, worker_name
from usecases.analysis_process import AnalysisCrashed, CallTimeout, analysis_processes
from usecases.log_context import log_context
from usecases.runtime import build_analyzer
from usecases.settings import Settings

# Worth another try within the run: the next attempt may well succeed.
TRANSIENT = (OSError, AnalysisCrashed, MemoryError)


def analyze_and_store(batch: list[SourceFile], settings: Settings,
                      logger: logging.Logger | logging.LoggerAdapter) -> list[str]:
    """Analyse a batch with one set of loaded models and put each outcome in the results store;
    returns the call ids stored. A bad file never stops the batch; calls already in the store
    are not analysed again (a batch retried after the store was unreachable)."""
    store = ResultsStore(settings.storage.results_dir)
    done = []
    for source in batch:
        if not store.has(source.call_id):
            with log_context(call_id=source.call_id):
                outcome = analyze_call(source, settings, logger)
            store.put(outcome)
        done.append(source.call_id)
    return done


def analyze_call(source: SourceFile, settings: Settings,
                 logger: logging.Logger | logging.LoggerAdapter) -> ProcessingResult:
    started = time.perf_counter()

    def outcome(status: Status, analysis: CallAnalysis | None = None, reason: str | None = None) -> ProcessingResult:
        return ProcessingResult(source, status, analysis, reason, time.perf_counter() - started, worker_name())

    for attempt in range(settings.run.call_retries + 1):
        try:
            analysis = _analyze(source, settings)
            logger.info("%s: score %s, flags %s", source.name, analysis.score.value, list(analysis.score.flags))
            return outcome("processed", analysis)
        except BadRecording as err:
            logger.warning("%s quarantined: %s", source.name, err)
            return outcome("quarantined", reason=str(err))
        except CallTimeout as err:
            logger.error("%s: %s", source.name, err)
            return outcome("failed", reason=f"timed out: {err}")
        except TRANSIENT as err:
            if attempt == settings.run.call_retries:
                logger.error("%s failed after %d attempts: %s", source.name, attempt + 1, err)
                return outcome("failed", reason=f"{type(err).__name__}: {err}"[:500])
            delay = settings.run.retry_backoff_s * 2**attempt
            logger.warning("%s: %s; trying again in %.0f s", source.name, err, delay)
            time.sleep(delay)
        except Exception as err:  # a bug: record it, the next run tries again
            logger.error("%s failed: %s\n%s", source.name, err, traceback.format_exc())
            return outcome("failed", reason=f"{type(err).__name__}: {err}"[:500])
    raise AssertionError("unreachable")


def _analyze(source: SourceFile, settings: Settings) -> CallAnalysis:
    # The recorder preset's (or the sidecar's) channel for this call, else the global setting.
    channel: OperatorChannel | None = "left" if source.operator_channel == "left" else (
        "right" if source.operator_channel == "right" else None)
    with local_copy(as_path(source.path)) as path:
        if settings.run.call_timeout_s > 0:
            with analysis_processes().lease() as child:
                analysis = child.analyze(settings, str(path), source.sha256, settings.run.call_timeout_s, channel)
        else:
            analysis = _in_process_analyzer(settings).analyze(path, sha256=source.sha256, operator_channel=channel)
    return replace(analysis, source_path=source.path)  # the recording's place, not a temporary copy


@lru_cache(maxsize=1)
def _in_process_analyzer(settings: Settings) -> CallAnalyzer:
    return build_analyzer(settings)
