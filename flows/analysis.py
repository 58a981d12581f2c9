"""The analysis task that workers run: a batch of recordings in, one result file per call out
(the work, and what happens to a call that goes wrong, is ``usecases.analysis``)."""

from __future__ import annotations

from prefect import get_run_logger, task
from prefect.cache_policies import NO_CACHE
from prefect.tasks import exponential_backoff

from storage.calls import SourceFile
from usecases.analysis import analyze_and_store
from usecases.settings import Settings


@task(cache_policy=NO_CACHE, retries=2, retry_delay_seconds=exponential_backoff(backoff_factor=10),
      retry_jitter_factor=0.5, tags=["asr"])
def analyze_batch(batch: list[SourceFile], settings: Settings) -> list[str]:
    """Analyse a batch and put each outcome in the results store; returns the call ids stored.
    Prefect retries the task (with backoff) only when the batch as a whole cannot go on, e.g. the
    results store is unreachable; calls already in the store are not analysed again."""
    return analyze_and_store(batch, settings, get_run_logger())
