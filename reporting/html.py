"""The report as one self-contained HTML page: inline CSS and inline SVG charts, no script,
nothing loaded from the network (it opens from a mail attachment or a file share).

Written in the reader's language (``Words``: the site's ``ui_language`` and time zone): every
heading and label, criteria by their scorecard titles, reasons by the taxonomy's labels, outcomes
in words, dates and numbers as the locale writes them.
"""

from __future__ import annotations

from collections.abc import Callable
from importlib import resources

import jinja2
from markupsafe import Markup

from reporting import charts, labels
from reporting.i18n import Words
from reporting.model import IntervalShare, QAReport

ENGLISH = Words("en", "UTC")  # the source language, for callers that name none (benchmarks, tests)


def _environment(w: Words) -> jinja2.Environment:
    _ = w
    template = resources.files("reporting").joinpath("templates/report.html.j2").read_text(encoding="utf-8")
    env = jinja2.Environment(loader=jinja2.DictLoader({"report.html.j2": template}), autoescape=True,
                             undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    env.filters.update(
        pct=w.percent,
        num=w.number,
        int=w.integer,
        title=w.title,
        outcome=lambda o: labels.outcome_name(o, w),
        reason=lambda r: labels.reason_name(r, w),
        period=lambda p: labels.period_dates(p, w),
    )
    env.globals.update(
        of=lambda part, whole: _("{part} of {whole}").format(part=w.integer(part), whole=w.integer(whole)),
        change=lambda now, before: labels.change(now, before, w),
    )
    return env


def _texts(report: QAReport, _: Words) -> dict[str, str]:
    """Every sentence the page shows, in the reader's language (the template only places them;
    written here, where the catalogue's extraction finds them)."""
    s, kind = report.summary, report.period.kind
    trends = {
        "day": _.plural("Trends, last {n} day", "Trends, last {n} days", len(report.trend)),
        "week": _.plural("Trends, last {n} week", "Trends, last {n} weeks", len(report.trend)),
        "month": _.plural("Trends, last {n} month", "Trends, last {n} months", len(report.trend)),
    }
    before = {"day": _("the day before"), "week": _("the week before"), "month": _("the month before")}
    return {
        "meta": _("{group} · {period} · written {when} ({zone}) by callqa").format(
            group=labels.scope_title(report.scope, _), period=labels.period_title(report.period, _),
            when=_.when(report.generated_at), zone=_.time_zone),
        "summary": _("Summary"),
        "calls": _.plural("call", "calls", s.calls),
        "hours": _("hours of audio"),
        "score": _.plural("mean QA score ({n} call scored)", "mean QA score ({n} calls scored)", s.scored_calls),
        "flagged": _.plural("flagged ({n} call)", "flagged ({n} calls)", s.flagged),
        "escalations": _.plural("escalation", "escalations", s.escalations),
        "satisfaction": _.plural("predicted satisfaction, 1–5 ({n} call)", "predicted satisfaction, 1–5 ({n} calls)",
                                 s.satisfaction_calls),
        "no_calls": _("No calls in this period."),
        "trends": trends.get(kind, _("Trends")),
        "h_calls": _("Calls"),
        "h_mean_score": _("Mean score"),
        "h_criteria_passed": _("Criteria passed"),
        "h_flagged": _("Flagged"),
        "worst_criteria": _("Worst criteria"),
        "h_criterion": _("Criterion"),
        "h_passed": _("Passed"),
        "h_failed": _("Failed"),
        "h_unknown": _("Not heard"),
        "h_pass_rate": _("Pass rate"),
        "h_change": _("Change"),
        "pass_rate_note": _("Pass rate: of the calls judged passed or failed (a reviewer's verdict replaces the "
                            "automatic one); change against {before}.").format(before=before.get(kind, "–")),
        "no_criteria": _("No judged criteria in this period."),
        "top_reasons": _("Top call reasons"),
        "h_reason": _("Reason"),
        "h_share": _("Share"),
        "h_resolved": _("Resolved in the call"),
        "h_outcomes": _("Outcomes"),
        "no_reasons": _("No reasons computed for these calls."),
        "coaching": _("Operators needing coaching"),
        "h_operator": _("Operator"),
        "h_team": _("Team"),
        "h_fail_rate": _("Fail rate"),
        "h_team_fail_rate": _("Team fail rate"),
        "h_excess": _("Excess failures"),
        "accuracy": _("Accuracy of the automatic verdicts"),
        "h_judged": _("Judged"),
        "h_precision": _("Fail precision"),
        "h_recall": _("Fail recall"),
        "h_agreement": _("Agreement"),
        "h_unknown_share": _("Unknown"),
        "accuracy_note": _("Measured on reviews of the audit sample only (calls drawn at random each night, flagged "
                           "or not, across all teams): {reviewed} of {sampled} sampled calls reviewed. In brackets "
                           "the 95% interval; ⚠ marks a figure with fewer than {min_n} judged verdicts behind it: "
                           "too few to rely on.").format(
            reviewed=_.integer(report.accuracy.reviewed_calls if report.accuracy else 0),
            sampled=_.integer(report.accuracy.sampled_calls if report.accuracy else 0),
            min_n=report.accuracy.min_n if report.accuracy else 0),
        "flags_missed": _.plural("What the flags miss: {n} sampled call a reviewer failed had no flag.",
                                 "What the flags miss: {n} sampled calls a reviewer failed had no flag.",
                                 report.accuracy.flags_missed if report.accuracy else 0),
        "no_accuracy": _("No reviewed calls of the audit sample in this period: review the queue's “Audit sample” "
                         "list to measure the automatic verdicts."),
        "h_examples": _("Missed calls"),
        "h_recent": _("Missed of the last calls"),
        "coaching_note": _("Criteria an operator keeps missing: missed in enough of their last judged calls on the "
                           "criterion, not once (✗ missed, ✓ passed, oldest first). Ranked by those misses, then by "
                           "how many more calls they failed than a team-average operator would have."),
        "no_coaching": _("No operator keeps missing a criterion in this period."),
        **_contact_centre_texts(report, _),
    }


def _contact_centre_texts(report: QAReport, _: Words) -> dict[str, str]:
    """The PBX's figures: headings, and how they were counted (the settings cdr_*)."""
    c = report.contact_centre
    if c is None:
        return {}
    sl = _("Service level: calls answered within {seconds} s of entering the queue, as a share of answered and "
           "abandoned calls; target {target}.") if c.abandoned_counted else _(
        "Service level: calls answered within {seconds} s of entering the queue, as a share of answered calls only "
        "(abandoned calls left out); target {target}.")
    short = (_("Calls abandoned within {seconds} s are left out of every figure.").format(
        seconds=_.number(c.short_abandon_s, 0)) if c.short_abandon_s > 0 else _("Every abandoned call counts."))
    return {
        "cc": _("Service level, abandoned calls and handle time (from the PBX)"),
        "cc_group": _("Vendor") if c.by == "vendor" else _("Queue"),
        "cc_total": _("Total"),
        "h_offered": _("Offered"),
        "h_service_level": _("Service level ({seconds} s)").format(seconds=_.number(c.service_level_s, 0)),
        "h_abandonment": _("Abandonment rate"),
        "h_short": _("Short abandons"),
        "h_asa": _("Average speed of answer"),
        "h_aht": _("Average handle time"),
        "cc_note": " ".join([sl.format(seconds=_.number(c.service_level_s, 0), target=_.percent(c.target)), short,
                             _("Busy and failed calls count in none. Handle time runs from the answer to the hang-up "
                               "(a call record has no after-call work). In brackets the 95% interval; ⚠ marks a "
                               "share of fewer than 20 calls.")]),
        "no_cc": _("No call detail records in this period, so no service level, abandoned calls or handle time to "
                   "show. Import the PBX's records with `callqa import-cdr`."),
    }


def _share_with_interval(_: Words) -> Callable[[IntervalShare], str]:
    """A share with its interval and the count behind it, e.g. «78 % (70–85 %), 45 of 58», ⚠ when too few."""
    def shown(r: IntervalShare) -> str:
        if r.value is None:
            return "–"
        return _("{value} ({low}–{high}), {hits} of {n}").format(
            value=_.percent(r.value), low=_.percent(r.low), high=_.percent(r.high), hits=_.integer(r.hits),
            n=_.integer(r.n)) + (" ⚠" if r.small else "")
    return shown


def render_html(report: QAReport, words: Words = ENGLISH) -> str:
    """The page in ``words``' language and time zone (the site's, from ``usecases.reports``)."""
    def chart(svg: str | None) -> Markup | None:
        return None if svg is None else Markup(svg)  # our own matplotlib output, not user text

    w = _ = words
    return _environment(w).get_template("report.html.j2").render(
        report=report,
        w=w,
        t=_texts(report, w),
        title=labels.report_title(report, w),
        period_kind=labels.period_kind(report.period.kind, w),
        trend_chart=chart(charts.trend_chart(report.trend, w)),
        criteria_chart=chart(charts.criteria_chart(report.criteria, w)),
        reasons_chart=chart(charts.reasons_chart(report.reasons, w)),
        interval=_share_with_interval(w),
        seconds=lambda v: "–" if v is None else _("{value} s").format(value=w.number(v, 0)),
    )
