"""Retention as Prefect work: ``apply_retention`` for the nightly flow to call after a run, and a
``retention`` flow to apply the policy on its own (the work is ``usecases.retention``)."""

from __future__ import annotations

from prefect import flow, get_run_logger, task
from prefect.cache_policies import NO_CACHE

from usecases.retention import RetentionSummary, apply_policy
from usecases.settings import Settings, load_settings


@task(cache_policy=NO_CACHE)
def apply_retention(settings: Settings, run_id: str | None = None, dry_run: bool = False) -> RetentionSummary:
    """Delete what is past its term (settings.retention); audit rows name ``run_id``."""
    logger = get_run_logger()
    summary = apply_policy(settings, run_id=run_id, dry_run=dry_run, logger=logger)
    done = [f"{r.kind} {len(r.call_ids)} calls/{len(r.files)} files" for r in summary.results if r.anything]
    logger.info("retention%s: %s", " (dry run)" if dry_run else "", ", ".join(done) or "nothing past its term")
    return summary


@flow(name="retention", log_prints=True)
def retention(db: str | None = None, inbox: str | None = None, dry_run: bool = False) -> RetentionSummary:
    """The retention policy now, outside a nightly run."""
    return apply_retention(load_settings(db=db, inbox=inbox), dry_run=dry_run)
