"""The periodic reports flow: the QA reports of the last complete period, for every group.

Scheduled beside the nightly flow (``flows.schedule``, Monday 06:00 by default for weekly
reports). Idempotent: a rerun for the same period writes the same files again, replacing them.
"""

from __future__ import annotations

from datetime import date

from prefect import flow, get_run_logger, task
from prefect.cache_policies import NO_CACHE

from reporting.model import ReportPeriod
from usecases.reports import WrittenReport, period_to_report, write_reports
from usecases.settings import Settings, load_settings


@task(cache_policy=NO_CACHE)
def write_period_reports(settings: Settings, period: ReportPeriod) -> list[WrittenReport]:
    return write_reports(settings, period)


@flow(name="periodic_reports", log_prints=True)
def periodic_reports(period: str | None = None, end: date | None = None, db: str | None = None,
                     reports_dir: str | None = None) -> list[WrittenReport]:
    """Reports of the last complete ``period`` (day, week, month; default ``report_period``) ending on or
    before ``end`` (default today), one per group, as HTML and Excel in ``reports_dir``."""
    settings = load_settings(db=db, reports_dir=reports_dir, report_period=period)
    chosen = period_to_report(settings, end=end)
    written = write_period_reports(settings, chosen)
    logger = get_run_logger()
    for w in written:
        logger.info("%s, %s: %d calls -> %s, %s", w.scope.title, chosen.title, w.calls, w.html, w.xlsx.name)
    return written


if __name__ == "__main__":
    print(periodic_reports())
