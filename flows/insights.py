"""Call insights as Prefect work: ``refresh_insights`` for the nightly flow's housekeeping (the work,
only missing and stale rows, is ``usecases.insights``)."""

from __future__ import annotations

from prefect import get_run_logger, task
from prefect.cache_policies import NO_CACHE

from usecases.insights import InsightsSummary, compute_insights
from usecases.settings import Settings


@task(cache_policy=NO_CACHE)
def refresh_insights(settings: Settings) -> InsightsSummary:
    summary = compute_insights(settings.storage.db, settings.judging.reasons_taxonomy)
    get_run_logger().info("call insights (%s): %d calls judged, %d with a taxonomy reason, %.1f s",
                          summary.version, summary.calls, summary.matched, summary.wall_s)
    return summary
