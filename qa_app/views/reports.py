"""Reports: the periodic QA reports in the reports folder (HTML and Excel per team and site),
to preview and download, and "generate now" for a chosen period (what the scheduled flow writes).

"Generate now" first offers the last complete period that has calls (a database filled from an
archive has none last week); the preview is the whole report at its own height, in the page's scroll.
"""

from __future__ import annotations

from datetime import date

import pandas as pd
import streamlit as st

from qa_app import auth, data, downloads, ui
from qa_app.i18n import _, plural
from reporting import labels
from reporting.model import PeriodKind, ReportPeriod

auth.require()
db = str(data.database_path())
w = ui.words()
st.title(_("Reports"))
settings = data.report_settings(db)
st.caption(_("QA reports (all calls, per team, per site) of each period ({period}) are written to `{folder}` by the "
             "scheduled reports flow (`callqa schedule`; cron `{cron}`) or by `callqa report`, in the site's "
             "language.").format(period=labels.period_kind(settings.reports.period, w).lower(),
                                 folder=settings.reports.dir, cron=settings.reports.cron))


def _default_end() -> None:
    """The "complete before" day that makes the chosen kind's last complete period with calls: not an empty week."""
    kind = st.session_state.get("report_kind", settings.reports.period)
    with_calls = data.report_last_period_with_calls(db, kind, date.today())
    st.session_state["report_end"] = with_calls.end if with_calls is not None else date.today()


def _group(name: str) -> str:
    """A report file's group ("all", "team-support-1", "site-unassigned") in words."""
    if name == "all":
        return _("All calls")
    kind, _sep, value = name.partition("-")
    if kind == "team":
        return _("Team {name}").format(name=value)
    if kind == "site":
        return _("Site {name}").format(name=_("unassigned") if value == "unassigned" else value)
    return name


def _period(kind: str, label: str) -> str:
    period = ReportPeriod.from_label(kind, label)
    return labels.period_title(period, w) if period is not None else label


# ---- generate now ----------------------------------------------------------------------------
with st.container(border=True):
    kind_col, end_col, go_col = st.columns([1.2, 1.5, 2.6], vertical_alignment="bottom")
    periods: list[PeriodKind] = ["week", "day", "month"]
    if "report_end" not in st.session_state:
        _default_end()
    kind = kind_col.selectbox(_("Period"), periods, key="report_kind", index=periods.index(settings.reports.period),
                              format_func=lambda k: labels.period_kind(k, w), on_change=_default_end)
    end = end_col.date_input(_("Complete before"), key="report_end", format=w.date_format)
    period = data.report_period(db, kind, end)
    if go_col.button(_("Generate now: {period}").format(period=labels.period_title(period, w)),
                     key="report_generate", icon=":material/summarize:"):
        with st.spinner(_("Building the reports…")):
            written = data.generate_reports(db, kind, end)
        calls = [plural("{n} call", "{n} calls", r.calls) for r in written]
        groups = ", ".join(f"{ui.md(labels.scope_title(r.scope, w))} ({n})" for r, n in zip(written, calls))
        st.session_state["report_flash"] = _("Wrote the reports of {period}: {groups}").format(
            period=labels.period_title(period, w), groups=groups)
        st.session_state["report_pick"] = f"{period.kind}/{period.label}/all"  # show what was just written
flash = st.session_state.pop("report_flash", None)
if flash:
    st.success(flash)

# ---- the folder ------------------------------------------------------------------------------
reports = data.stored_reports(db)
if not reports:
    st.info(_("No reports yet: generate them above, or wait for the scheduled reports flow."))
    st.stop()

keys = [f"{r.period_kind}/{r.period_label}/{r.name}" for r in reports]
names = {k: f"{_period(r.period_kind, r.period_label)} · {_group(r.name)}" for k, r in zip(keys, reports)}
if st.session_state.get("report_pick") not in keys:  # e.g. "all" when no group had calls
    st.session_state.pop("report_pick", None)
choice = st.selectbox(_("Report"), keys, key="report_pick", format_func=names.__getitem__)
report = reports[keys.index(choice)]

html_col, xlsx_col, _rest = st.columns([1, 1, 3])
stem = f"callqa-{report.period_kind}-{report.period_label}-{report.name}"
if report.html is not None:
    with html_col:
        downloads.download_button(_("HTML report"), report.html.read_bytes, file_name=f"{stem}.html",
                                  mime="text/html", key="report_download_html")
if report.xlsx is not None:
    with xlsx_col:
        downloads.download_button(_("Excel workbook"), report.xlsx.read_bytes, file_name=f"{stem}.xlsx",
                                  mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                                  key="report_download_xlsx")
if report.html is not None:
    # In a frame: the report's own styles stay out of the app's page. The page is ours, every text in it
    # escaped by its template (reporting/html.py), and it has no script. At its content's height, so the
    # report scrolls with the page instead of inside a box of its own.
    st.iframe(report.html.read_text(encoding="utf-8"), height="content", alt=names[choice])

st.subheader(_("All reports"))
st.dataframe(
    pd.DataFrame({_("Period"): [_period(r.period_kind, r.period_label) for r in reports],
                  _("Group"): [_group(r.name) for r in reports],
                  _("Files"): [", ".join(p.suffix[1:].upper() for p in (r.html, r.xlsx) if p is not None)
                               for r in reports],
                  _("Written"): [ui.when(r.modified) for r in reports]}),
    key="reports_table", hide_index=True, width="stretch",
)
