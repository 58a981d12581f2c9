"""Re-judging stored transcripts with a scorecard version, as a Prefect flow (the work is
``usecases.rescore``: no audio, no re-transcription)."""

from __future__ import annotations

from datetime import datetime

from prefect import flow, get_run_logger

from usecases.settings import load_settings
from usecases.rescore import RescoreSummary, rescore, resolve_for_rescore
from flows.insights import compute_insights


@flow(name="rescore", log_prints=True)
def rescore_flow(scorecard: str, db: str | None = None, since: datetime | None = None, until: datetime | None = None,
                 operator: str | None = None, flipped_only: bool = False) -> RescoreSummary:
    settings = load_settings(db=db)
    card = resolve_for_rescore(scorecard, settings.storage.db, settings.judging.scorecards_dir)
    summary = rescore(settings.storage.db, card, since=since, until=until, operator=operator, flipped_only=flipped_only)
    get_run_logger().info("re-judged %d calls with %s, %d scores changed", summary.calls, summary.scorecard,
                          summary.changed_scores)
    # Cheap: only calls whose insights are stale (e.g. roles flipped since) are judged again.
    insights = compute_insights(settings.storage.db, settings.judging.reasons_taxonomy)
    get_run_logger().info("call insights: %d calls judged again", insights.calls)
    return summary
