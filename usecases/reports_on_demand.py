"""The periodic reports as the app offers them: the stored ones listed, and a period written now through
the same function the scheduled reports flow calls (usecases.reports)."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

import duckdb

from reporting.files import StoredReport, list_reports
from reporting.model import PeriodKind, ReportPeriod
from usecases.shared_database import CONNECTION_LOCK, TRY_AGAIN, unavailable

if TYPE_CHECKING:
    from usecases.reports import WrittenReport
    from usecases.settings import Settings

# usecases.settings and usecases.reports are imported when first needed: they bring the analysis
# pipeline's modules, which the app's pages do not need to start.


def report_settings(db: str) -> Settings:
    """The settings the scheduled reports flow would use for this database (reports folder, groups)."""
    from usecases.settings import load_settings

    return load_settings(db=db)


def stored_reports(db: str) -> list[StoredReport]:
    """The reports in the reports folder, newest period first."""
    reports_dir = report_settings(db).reports.dir
    assert reports_dir is not None  # load_settings puts it beside the database when not configured
    return list_reports(reports_dir)


def report_period(db: str, kind: PeriodKind, end: date) -> ReportPeriod:
    """The last complete ``kind`` period ending on or before ``end``: what "generate now" writes."""
    from usecases.reports import period_to_report

    return period_to_report(report_settings(db), kind, end)


def last_period_with_calls(db: str, kind: PeriodKind, today: date) -> ReportPeriod | None:
    """The last complete ``kind`` period before ``today`` that has calls: what "generate now" offers first."""
    from usecases.reports import last_period_with_calls as last_with_calls

    with CONNECTION_LOCK:
        try:
            return last_with_calls(report_settings(db), kind, today)
        except duckdb.Error as err:
            raise unavailable(db, err, "try again in a moment.") from err


def generate_reports(db: str, kind: PeriodKind, end: date) -> list[WrittenReport]:
    """Write the reports of that period now; raises ``DatabaseBusy`` while the nightly flow writes."""
    from usecases.reports import write_reports

    settings = report_settings(db)
    with CONNECTION_LOCK:  # write_reports opens its own read-only connection
        try:
            return write_reports(settings, report_period(db, kind, end))
        except duckdb.Error as err:
            raise unavailable(db, err, TRY_AGAIN) from err
