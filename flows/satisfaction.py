"""Predicted satisfaction as Prefect work: ``predict_satisfaction`` for the nightly flow's
housekeeping (after the night's calls and their outcomes are stored, before retention), and a
``satisfaction`` flow to bring the predictions up to date on its own (the work is
``usecases.satisfaction``)."""

from __future__ import annotations

from prefect import flow, get_run_logger, task
from prefect.cache_policies import NO_CACHE

from usecases.satisfaction import SatisfactionRefresh, refresh_predictions
from usecases.settings import Settings, load_settings


@task(cache_policy=NO_CACHE)
def predict_satisfaction(settings: Settings) -> SatisfactionRefresh:
    """Predict every processed call whose prediction is missing or stale."""
    done = refresh_predictions(settings.storage.db)
    get_run_logger().info("predicted satisfaction: %d calls (model %s) in %.1f s",
                          done.predicted, done.model_version, done.seconds)
    return done


@flow(name="satisfaction", log_prints=True)
def satisfaction(db: str | None = None) -> SatisfactionRefresh:
    """Predicted satisfaction now, outside a nightly run."""
    return predict_satisfaction(load_settings(db=db))
