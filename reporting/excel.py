"""The report as an Excel workbook: one sheet per section, with native Excel charts over the
sheet's own cells (they stay live if a manager edits or filters the numbers).

In the reader's language (``Words``): sheet names, headers, criteria, reasons and outcomes in
words; numbers stay numbers (Excel shows them in the reader's own separators), dates get the
locale's order and times are the site's.
"""

from __future__ import annotations

import io
from typing import Sequence

from openpyxl import Workbook
from openpyxl.chart import BarChart, LineChart, Reference
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from reporting import labels
from reporting.cells import formula_like
from reporting.i18n import N_, Words
from reporting.model import QAReport

# The sheets in the source language; ``sheet_names`` gives them in the reader's.
SHEETS = (N_("Summary"), N_("Trends"), N_("Worst criteria"), N_("Call reasons"), N_("Coaching"))
ACCURACY_SHEET = N_("Accuracy")  # after the others, when the report has the accuracy sheet (usecases.reports)
CONTACT_CENTRE_SHEET = N_("Service level")  # when the report has the PBX's figures (usecases.reports)
PERCENT, DECIMAL = "0%", "0.0"
ENGLISH = Words("en", "UTC")  # the source language, for callers that name none (benchmarks, tests)
_BOLD = Font(bold=True)


def _table(ws: Worksheet, header: list[str], rows: Sequence[Sequence[object]], formats: dict[int, str] | None = None,
           first_row: int = 1) -> int:
    """Write a header and rows from ``first_row``; returns the last row written."""
    for col, name in enumerate(header, start=1):
        ws.cell(first_row, col, name).font = _BOLD
    for r, values in enumerate(rows, start=first_row + 1):
        for col, value in enumerate(values, start=1):
            cell = ws.cell(r, col, value)
            if formats and col in formats and value is not None:
                cell.number_format = formats[col]
    for col, name in enumerate(header, start=1):
        width = max([len(str(name))] + [len(str(v[col - 1])) for v in rows if v[col - 1] is not None])
        ws.column_dimensions[get_column_letter(col)].width = min(max(10, width + 2), 60)
    ws.freeze_panes = ws.cell(first_row + 1, 1)
    return first_row + len(rows)


def sheet_names(_: Words) -> list[str]:
    return [_(name) for name in SHEETS]


def _date_format(_: Words, with_time: bool = False) -> str:
    day = "dd.mm.yyyy" if _.locale == "ru" else "yyyy-mm-dd"
    return day + " hh:mm" if with_time else day


def _summary(ws: Worksheet, report: QAReport, _: Words) -> None:
    s = report.summary
    ws.append([labels.report_title(report, _)])
    ws["A1"].font = Font(bold=True, size=14)
    ws.append([_("Group"), labels.scope_title(report.scope, _)])
    ws.append([_("Period"), labels.period_title(report.period, _)])
    ws.append([_("Written ({zone})").format(zone=_.time_zone), _.local(report.generated_at).replace(
        microsecond=0, second=0, tzinfo=None)])
    ws["B4"].number_format = _date_format(_, with_time=True)
    ws["B4"].alignment = Alignment(horizontal="left")
    rows: list[tuple[str, float | None, str | None]] = [
        (_("Calls"), s.calls, None),
        (_("Hours of audio"), round(s.audio_hours, 3), DECIMAL),
        (_("Scored calls"), s.scored_calls, None),
        (_("Mean QA score"), None if s.mean_score is None else round(s.mean_score, 2), DECIMAL),
        (_("Flagged calls"), s.flagged, None),
        (_("Flagged share"), s.flagged_share, PERCENT),
        (_("Escalations"), s.escalations, None),
        (_("Escalation share"), s.escalation_share, PERCENT),
        (
            _("Predicted satisfaction (1-5)"),
            None if s.satisfaction_mean is None else round(s.satisfaction_mean, 2),
            "0.00",
        ),
        (_("Calls with predicted satisfaction"), s.satisfaction_calls, None),
    ]
    _table(ws, [_("Figure"), _("Value")], [r[:2] for r in rows], first_row=6)
    for i, (_figure, value, fmt) in enumerate(rows, start=7):
        if fmt and value is not None:
            ws.cell(i, 2).number_format = fmt
    ws.column_dimensions["A"].width = 34
    ws.column_dimensions["B"].width = 40


def _trends(ws: Worksheet, report: QAReport, _: Words) -> None:
    rows = [[labels.period_dates(p.period, _), p.period.start, p.calls,
             None if p.mean_score is None else round(p.mean_score, 2),
             None if p.pass_rate is None else round(100 * p.pass_rate, 1),
             None if p.flagged_share is None else round(100 * p.flagged_share, 1)] for p in report.trend]
    last = _table(ws, [labels.period_kind(report.period.kind, _), _("Start"), _("Calls"), _("Mean score"),
                       _("Criteria passed, %"), _("Flagged, %")], rows,
                  {2: _date_format(_), 4: DECIMAL, 5: DECIMAL, 6: DECIMAL})
    categories = Reference(ws, min_col=1, min_row=2, max_row=last)
    lines = LineChart()
    lines.title, lines.y_axis.title, lines.height, lines.width = _("Score and pass rates"), "0–100", 7.5, 18
    lines.y_axis.scaling.min, lines.y_axis.scaling.max = 0, 100
    lines.add_data(Reference(ws, min_col=4, max_col=6, min_row=1, max_row=last), titles_from_data=True)
    lines.set_categories(categories)
    ws.add_chart(lines, "H2")
    bars = BarChart()
    bars.title, bars.y_axis.title, bars.height, bars.width = _("Calls"), _("calls"), 7.5, 18
    bars.y_axis.number_format = "0"  # whole calls: no 2.5 on the axis
    if max([p.calls for p in report.trend] + [0]) < 10:
        bars.y_axis.majorUnit = 1
    bars.add_data(Reference(ws, min_col=3, min_row=1, max_row=last), titles_from_data=True)
    bars.set_categories(categories)
    bars.legend = None
    ws.add_chart(bars, "H18")


def _criteria(ws: Worksheet, report: QAReport, _: Words) -> None:
    rows = [[_.title(c.title), c.passed, c.failed, c.unknown, c.pass_rate, c.previous_pass_rate]
            for c in report.criteria]
    if not rows:
        ws.append([_("No judged criteria in this period.")])
        return
    last = _table(ws, [_("Criterion"), _("Passed"), _("Failed"), _("Not heard"), _("Pass rate"),
                       _("Pass rate, period before")], rows, {5: PERCENT, 6: PERCENT})
    chart = BarChart()
    chart.type = "bar"  # horizontal; Excel draws the first row at the bottom, so the worst is reversed to the top
    chart.title, chart.height, chart.width = _("Pass rate, worst first"), 7.5 + 0.4 * len(rows), 18
    chart.add_data(Reference(ws, min_col=5, min_row=1, max_row=last), titles_from_data=True)
    chart.set_categories(Reference(ws, min_col=1, min_row=2, max_row=last))
    chart.x_axis.scaling.orientation = "maxMin"
    chart.y_axis.scaling.min, chart.y_axis.scaling.max = 0, 1
    chart.y_axis.number_format = PERCENT
    chart.legend = None
    ws.add_chart(chart, "I2")


def _reasons(ws: Worksheet, report: QAReport, _: Words) -> None:
    if not report.reasons:
        ws.append([_("No reasons computed for these calls.")])
        return
    outcomes = list(report.outcomes)
    rows = [[labels.reason_name(r, _), r.calls, r.share, r.resolved_share, *[r.outcomes.get(o, 0) for o in outcomes]]
            for r in report.reasons]
    last = _table(ws, [_("Reason"), _("Calls"), _("Share"), _("Resolved in the call"),
                       *[labels.outcome_name(o, _) for o in outcomes]], rows, {3: PERCENT, 4: PERCENT})
    chart = BarChart()
    chart.type, chart.grouping, chart.overlap = "bar", "stacked", 100
    chart.title, chart.height, chart.width = _("Calls per reason, by outcome"), 7.5 + 0.4 * len(rows), 18
    chart.y_axis.number_format = "0"  # whole calls
    chart.add_data(Reference(ws, min_col=5, max_col=4 + len(outcomes), min_row=1, max_row=last), titles_from_data=True)
    chart.set_categories(Reference(ws, min_col=1, min_row=2, max_row=last))
    chart.x_axis.scaling.orientation = "maxMin"
    ws.add_chart(chart, f"{get_column_letter(len(outcomes) + 6)}2")


def _coaching(ws: Worksheet, report: QAReport, _: Words) -> None:
    if not report.coaching:
        ws.append([_("No operator keeps missing a criterion in this period.")])
        return
    rows = [[t.operator_id, t.team or "–", _.title(t.criterion_title), t.calls, t.failed, t.fail_rate,
             t.team_fail_rate, round(t.excess_failures, 2), ", ".join(t.example_recordings), t.misses,
             t.recent_calls, t.streak] for t in report.coaching]
    last = _table(ws, [_("Operator"), _("Team"), _("Criterion"), _("Judged calls"), _("Failed"), _("Fail rate"),
                       _("Team fail rate"), _("Excess failures"), _("Missed calls"), _("Misses in the last calls"),
                       _("Last calls judged"), _("Last calls, oldest first")], rows,
                  {6: PERCENT, 7: PERCENT, 8: "0.00"})
    ws.cell(1, 14, _("Operator · criterion")).font = _BOLD  # the chart's categories
    for r in range(2, last + 1):
        ws.cell(r, 14, f"{ws.cell(r, 1).value} · {ws.cell(r, 3).value}")
    chart = BarChart()
    chart.type = "bar"
    chart.title, chart.height, chart.width = _("Excess failures"), 7.5 + 0.4 * len(rows), 18
    chart.add_data(Reference(ws, min_col=8, min_row=1, max_row=last), titles_from_data=True)
    chart.set_categories(Reference(ws, min_col=14, min_row=2, max_row=last))
    chart.x_axis.scaling.orientation = "maxMin"
    chart.legend = None
    ws.add_chart(chart, "P2")


def _accuracy(ws: Worksheet, report: QAReport, _: Words) -> None:
    """The accuracy of the automatic verdicts from the audit sample: each share beside its 95% interval."""
    accuracy = report.accuracy
    if accuracy is None or not accuracy.rows:
        ws.append([_("No reviewed calls of the audit sample in this period: review the queue's “Audit sample” "
                     "list to measure the automatic verdicts.")])
        return
    header = [_("Criterion"), _("Scorecard version"), _("Judged")]
    for name in (_("Fail precision"), _("Fail recall"), _("Agreement"), _("Unknown")):
        header += [name, _("{figure}: 95% interval from").format(figure=name),
                   _("{figure}: 95% interval to").format(figure=name), _("{figure}: of").format(figure=name)]
    header.append(_("Too few to rely on"))
    rows = []
    for a in accuracy.rows:
        row: list[object] = [_.title(a.title), labels.scorecard_version(a.scorecard_name, a.scorecard_version, _),
                             a.reviewed]
        for share in (a.precision, a.recall, a.agreement, a.unknown):
            row += [share.value, share.low, share.high, share.n]
        row.append(_("yes") if a.reviewed < accuracy.min_n else _("no"))
        rows.append(row)
    last = _table(ws, header, rows, {c: PERCENT for c in range(4, 20) if (c - 4) % 4 != 3})
    ws.cell(last + 2, 1, _.plural("What the flags miss: {n} sampled call a reviewer failed had no flag.",
                                  "What the flags miss: {n} sampled calls a reviewer failed had no flag.",
                                  accuracy.flags_missed))


def _contact_centre(ws: Worksheet, report: QAReport, _: Words) -> None:
    """The PBX's figures: each share beside its 95% interval and its count, means in seconds."""
    c = report.contact_centre
    if c is None or not c.rows:
        ws.append([_("No call detail records in this period, so no service level, abandoned calls or handle time "
                     "to show. Import the PBX's records with `callqa import-cdr`.")])
        return
    sl = _("Service level ({seconds} s)").format(seconds=_.number(c.service_level_s, 0))
    header = [_("Vendor") if c.by == "vendor" else _("Queue"), _("Offered"), _("Answered"), _("Abandoned"),
              _("Short abandons"), _("Busy or failed")]
    for name in (sl, _("Abandonment rate")):
        header += [name, _("{figure}: 95% interval from").format(figure=name),
                   _("{figure}: 95% interval to").format(figure=name), _("{figure}: of").format(figure=name)]
    header += [_("Average speed of answer, s"), _("Average handle time, s")]
    rows = []
    for r in c.shown:
        row: list[object] = [r.group or _("Total"), r.offered, r.answered, r.abandoned, r.short_abandons, r.failed]
        for share in (r.service_level, r.abandonment):
            row += [share.value, share.low, share.high, share.n]
        row += [r.speed_of_answer_s, r.handle_time_s]
        rows.append(row)
    last = _table(ws, header, rows, {7: PERCENT, 8: PERCENT, 9: PERCENT, 11: PERCENT, 12: PERCENT, 13: PERCENT,
                                     15: "0", 16: "0"})
    ws.cell(last + 2, 1, _("Service level target: {target}.").format(target=_.percent(c.target)))


def _texts_as_text(wb: Workbook) -> None:
    """Every formula-like text (``reporting.cells``) stored as a string, never a formula.

    openpyxl stores a string that starts with "=" as a formula; team names, operator ids and
    labels come from outside, so each such cell becomes a plain string again, with Excel's
    quote prefix so that editing the cell does not turn it into a formula either. The
    workbook has no formulas of its own: its charts read the cells directly.
    """
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                if formula_like(cell.value):
                    cell.data_type = "s"
                    cell.quotePrefix = True


def render_xlsx(report: QAReport, words: Words = ENGLISH) -> bytes:
    """The workbook in ``words``' language and time zone (the site's, from ``usecases.reports``)."""
    wb = Workbook()
    writers = (_summary, _trends, _criteria, _reasons, _coaching)
    names = sheet_names(words)
    wb.active.title = names[0]
    for name in names[1:]:
        wb.create_sheet(name)
    for name, write in zip(names, writers):
        write(wb[name], report, words)
    if report.accuracy is not None:
        _accuracy(wb.create_sheet(words(ACCURACY_SHEET)), report, words)
    if report.contact_centre is not None:
        _contact_centre(wb.create_sheet(words(CONTACT_CENTRE_SHEET)), report, words)
    _texts_as_text(wb)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
