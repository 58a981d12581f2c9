"""A report's periods, groups, reasons and outcomes in the reader's words (``reporting.i18n.Words``).

The records (``reporting.model``) keep ids and dates; the HTML page, the workbook and the app's
reports page name them here, so every one of them says the same thing in the site's language.
"""

from __future__ import annotations

from babel import dates as babel_dates

from reporting.i18n import N_, Words
from reporting.model import QAReport, ReasonRow, ReportPeriod, ReportScope

# A period's kind as a word: a column header ("Week") and the generate-now choice.
PERIOD_KINDS = {"day": N_("Day"), "week": N_("Week"), "month": N_("Month")}


def period_kind(kind: str, _: Words) -> str:
    return _(PERIOD_KINDS[kind]) if kind in PERIOD_KINDS else kind


def period_dates(period: ReportPeriod, _: Words) -> str:
    """The period's days, as its locale writes them: "16–22 нояб. 2026 г.", "November 2026", "20.11.2026"."""
    if period.kind == "day":
        return _.day(period.start)
    if period.kind == "month":
        return babel_dates.format_date(period.start, "LLLL y", locale=_.locale)
    return babel_dates.format_interval(period.start, period.last_day, "yMMMd", locale=_.locale)


def period_title(period: ReportPeriod, _: Words) -> str:
    """For a heading: "неделя 16–22 нояб. 2026 г." / "week Nov 16 – 22, 2026", "ноябрь 2026", "20.11.2026"."""
    if period.kind == "week":
        return _("week {dates}").format(dates=period_dates(period, _))
    return period_dates(period, _)


def period_tick(period: ReportPeriod, _: Words) -> str:
    """Short, for a chart's axis: "16 нояб." (a day, a week's Monday) or "нояб. 2026 г." (a month)."""
    skeleton = "yMMM" if period.kind == "month" else "MMMd"
    return babel_dates.format_skeleton(skeleton, period.start, locale=_.locale)


def scope_title(scope: ReportScope, _: Words) -> str:
    if scope.kind == "all":
        return _("All calls")
    name = scope.value or _("unassigned")
    return (_("Team {name}") if scope.kind == "team" else _("Site {name}")).format(name=name)


def report_title(report: QAReport, _: Words) -> str:
    return _("QA report · {group} · {period}").format(group=scope_title(report.scope, _),
                                                       period=period_title(report.period, _))


def reason_name(reason: ReasonRow, _: Words) -> str:
    """The taxonomy's label in the reader's language; an id the taxonomy no longer has, made readable."""
    if reason.reason_id is None:
        return _("other (no reason matched)")
    return reason.names.get(_.locale) or reason.names.get("en") or _.of("reason", reason.reason_id)


def outcome_name(outcome: str, _: Words) -> str:
    return _.of("outcome", outcome)


def change(now: float | None, before: float | None, _: Words) -> str:
    """Percentage points between two shares: "+5 pp" / "+5 п. п.", or "–" when either is unknown."""
    if now is None or before is None:
        return "–"
    points = round(100 * (now - before))
    signed = ("+" if points > 0 else "−" if points < 0 else "±") + _.integer(abs(points))
    return _("{change} pp").format(change=signed)


def scorecard_version(name: str, version: int, _: Words) -> str:
    """A scorecard's version in words: ``inbound_support``, 3 -> «Inbound support, version 3»."""
    readable = name.replace("_", " ").strip()
    return _("{scorecard}, version {version}").format(scorecard=readable[:1].upper() + readable[1:], version=version)
