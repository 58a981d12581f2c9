"""The end of a nightly run: its report as Prefect artifacts, and alerts (logged, and POSTed
to ``alert_webhook`` when one is set; the work is ``usecases.run_report`` and ``usecases.alerts``).

Whatever goes wrong in reporting is logged and never fails the run whose calls are already
safely stored.
"""

from __future__ import annotations

import logging

from prefect import get_run_logger, task
from prefect.artifacts import create_markdown_artifact, create_table_artifact
from prefect.cache_policies import NO_CACHE

from usecases.alerts import send_alerts
from usecases.run_report import ReportOutcome, figure_rows, report_markdown, report_with_alerts
from usecases.settings import Settings


def publish(settings: Settings, run_id: str, logger: logging.Logger | logging.LoggerAdapter) -> ReportOutcome:
    report, alerts = report_with_alerts(settings, run_id, logger)
    try:  # the artifacts are for people; a Prefect API hiccup must not hold back the alerts
        key = f"{report.flow}-run"
        create_markdown_artifact(report_markdown(report, alerts), key=f"{key}-report",
                                 description=f"{report.flow} run {run_id}")
        create_table_artifact(figure_rows(report), key=f"{key}-figures", description=f"{report.flow} run {run_id}")
    except Exception as err:
        logger.warning("could not create the run report artifacts: %s", err)
    return ReportOutcome(report, alerts, send_alerts(settings, report, alerts, logger))


@task(cache_policy=NO_CACHE)
def report_run(settings: Settings, run_id: str) -> ReportOutcome | None:
    """Report a finished run: artifacts, alerts logged and posted. Never raises; None when it failed."""
    logger = get_run_logger()
    try:
        return publish(settings, run_id, logger)
    except Exception as err:
        logger.error("the report of run %s failed (the run itself is stored): %s: %s", run_id, type(err).__name__, err,
                     exc_info=True)
        return None
