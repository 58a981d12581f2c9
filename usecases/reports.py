"""Periodic QA reports for a period: built from the database, written to the reports folder.

The one function the scheduled flow (``flows.periodic_reports``), ``callqa report`` and the app's
"generate now" button call. The reports are written in the site's language and time zone
(``settings.interface``: ``ui_language``, ``ui_time_zone``), reasons named by the call reason taxonomy.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime, time
from pathlib import Path

import duckdb

from pipeline.insights.taxonomy import TaxonomyError, load_taxonomy
from pipeline.stats.cdr_kpis import CdrValue, KpiRow, KpiRules, kpi_row, kpi_table
from pipeline.stats.group_comparison import MIN_N as GROUP_MIN_N
from pipeline.stats.group_comparison import Interval
from reporting.excel import render_xlsx
from reporting.files import report_path, write_atomically
from reporting.html import render_html
from reporting.model import (
    AccuracyRow,
    AccuracySection,
    ContactCentreRow,
    ContactCentreSection,
    IntervalShare,
    PeriodKind,
    ReportPeriod,
    ReportScope,
)
from storage.cdr import cdr_values
from storage.coaching import CoachingRule
from storage.comparison import UNSET
from storage.db import connect
from storage.reports import build_reports, criterion_titles, latest_call_day, report_scopes
from usecases.accuracy_sheet import MIN_N, AccuracySheet, Rate, accuracy_sheet_of
from usecases.settings import Settings


@dataclass(frozen=True)
class WrittenReport:
    scope: ReportScope
    period: ReportPeriod
    calls: int
    html: Path
    xlsx: Path


def period_to_report(settings: Settings, kind: PeriodKind | None = None, end: date | None = None) -> ReportPeriod:
    """The last complete period (day, week or month) ending on or before ``end`` (default today)."""
    return ReportPeriod.last_complete(kind or settings.reports.period, end or date.today())


def period_of_latest_call(settings: Settings, kind: PeriodKind | None = None) -> ReportPeriod | None:
    """The period (day, week or month) holding the latest processed call, complete or not; None without calls.
    For a database filled from an archive or the bundled samples, whose calls are not from last week."""
    with connect(settings.storage.db, read_only=True) as con:
        day = latest_call_day(con)
    return None if day is None else ReportPeriod.containing(kind or settings.reports.period, day)


def last_period_with_calls(settings: Settings, kind: PeriodKind | None = None,
                           end: date | None = None) -> ReportPeriod | None:
    """The last complete period ending on or before ``end`` (default today) that holds a processed call;
    None when no complete period has one. What "generate now" offers first: never an empty week."""
    complete = period_to_report(settings, kind, end)
    with connect(settings.storage.db, read_only=True) as con:
        day = latest_call_day(con, before=complete.end)
    return None if day is None else ReportPeriod.containing(complete.kind, day)


def reason_names(settings: Settings) -> dict[str, dict[str, str]]:
    """Reason id -> language -> label, from the taxonomy the nightly flow uses; {} when it cannot be read
    (the reports then name a reason by its id made readable)."""
    try:
        taxonomy = load_taxonomy(settings.judging.reasons_taxonomy)
    except (TaxonomyError, OSError):
        return {}
    return {r.id: dict(r.labels) for r in taxonomy.reasons}


def _interval(r: Rate) -> IntervalShare:
    return IntervalShare(r.hits, r.n, r.value, r.low, r.high, r.small)


def accuracy_section(sheet: AccuracySheet, titles: dict[str, str]) -> AccuracySection:
    """The report's section of the accuracy sheet: each criterion over all sampled calls, newest scorecard
    version first (the page and ``callqa accuracy`` have the per-language and stereo/mono rows)."""
    rows = tuple(
        AccuracyRow(r.criterion_id, titles.get(r.criterion_id, r.criterion_id),
                    r.scorecard_name, r.scorecard_version, r.counts.reviewed, _interval(r.precision),
                    _interval(r.recall), _interval(r.agreement), _interval(r.unknown_share))
        for version in sheet.versions() for r in sheet.rows_of(version, "all"))
    return AccuracySection(sheet.coverage.sampled_calls, sheet.coverage.reviewed_calls, MIN_N, rows,
                           len(sheet.missed))


def _share(interval: Interval | None, n: int) -> IntervalShare:
    if interval is None or n == 0:
        return IntervalShare(0, 0, None, None, None, True)
    return IntervalShare(round(interval.estimate * n), n, interval.estimate, interval.low, interval.high,
                         n < GROUP_MIN_N)


def _contact_centre_row(row: KpiRow, rules: KpiRules, group: str | None = None) -> ContactCentreRow:
    in_service_level = row.offered if rules.abandoned == "against" else row.answered
    return ContactCentreRow(row.group if group is None else group, row.offered, row.answered, row.abandoned,
                            row.short_abandons, row.failed, _share(row.service_level, in_service_level),
                            _share(row.abandonment, row.offered),
                            None if row.speed_of_answer is None else row.speed_of_answer.estimate,
                            None if row.handle_time is None else row.handle_time.estimate)


def contact_centre_section(con: duckdb.DuckDBPyConnection, scope: ReportScope, since: datetime, until: datetime,
                           rules: KpiRules) -> ContactCentreSection:
    """The PBX's figures for a report: by vendor in the report over all calls; by queue in a team's or a site's,
    over the records that count for that team or site (``storage.cdr``: the file's column, the matched
    recording, else the agent's calls)."""
    if scope.kind == "all":
        values: list[CdrValue] = list(cdr_values(con, "vendor", since, until).values)
        by = "vendor"
    else:
        queues = cdr_values(con, "queue", since, until).values
        owners = cdr_values(con, scope.kind, since, until).values  # the same records in the same order
        wanted = scope.value or UNSET[scope.kind]
        values = [q for q, o in zip(queues, owners) if o.group == wanted]
        by = "queue"
    rows = tuple(_contact_centre_row(r, rules) for r in kpi_table(values, rules))
    total = _contact_centre_row(kpi_row("", values, rules), rules) if values else None
    return ContactCentreSection("vendor" if by == "vendor" else "queue", rules.service_level_s, rules.target,
                                rules.short_abandon_s, rules.abandoned == "against", rows, total)


def write_reports(settings: Settings, period: ReportPeriod,
                  scopes: list[ReportScope] | None = None) -> list[WrittenReport]:
    """Every group's report of ``period`` (``settings.reports.groups``, or ``scopes``), as HTML and
    Excel in ``settings.reports.dir``; a report written before for the same period and group is replaced."""
    with connect(settings.storage.db, read_only=True) as con:
        scopes = scopes if scopes is not None else report_scopes(con, period, settings.reports.groups)
        reports = build_reports(con, scopes, period, settings.reports.trend_periods,
                                reason_names=reason_names(settings), coaching_rule=CoachingRule(
                                    settings.coaching.min_misses, settings.coaching.recent_calls))
        since, until = datetime.combine(period.start, time()), datetime.combine(period.end, time())
        accuracy = accuracy_section(accuracy_sheet_of(con, since, until), criterion_titles(con))
        contact_centre = [contact_centre_section(con, r.scope, since, until, settings.cdr.rules()) for r in reports]
    reports = [replace(r, accuracy=accuracy, contact_centre=cc) for r, cc in zip(reports, contact_centre)]
    words = settings.interface.words()
    reports_dir = settings.reports.dir
    assert reports_dir is not None  # load_settings puts it beside the database when not configured
    out = []
    for report in reports:  # drawn after the connection is closed: the nightly flow may want to write
        html = report_path(reports_dir, period, report.scope, "html")
        xlsx = report_path(reports_dir, period, report.scope, "xlsx")
        write_atomically(html, render_html(report, words).encode("utf-8"))
        write_atomically(xlsx, render_xlsx(report, words))
        out.append(WrittenReport(report.scope, period, report.summary.calls, html, xlsx))
    return out
