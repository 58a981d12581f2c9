"""Reports: the periodic QA reports in the reports folder (HTML and Excel per team and site),
to preview and download, and "generate now" for a chosen period (what the scheduled flow writes)."""

from __future__ import annotations

from datetime import date

import pandas as pd
import streamlit as st

from qa_app import auth, data, downloads, ui
from reporting.model import PeriodKind

auth.require()
db = str(data.database_path())
st.title("Reports")
settings = data.report_settings(db)
st.caption(f"QA reports of each {settings.reports.period} (all calls, per team, per site) are written to "
           f"`{settings.reports.dir}` by the scheduled reports flow "
           f"(`callqa schedule`; cron `{settings.reports.cron}`) or by `callqa report`.")

# ---- generate now ----------------------------------------------------------------------------
with st.container(border=True):
    kind_col, end_col, go_col = st.columns([1.2, 1.5, 2], vertical_alignment="bottom")
    periods: list[PeriodKind] = ["week", "day", "month"]
    kind = kind_col.selectbox("Period", periods, key="report_kind", index=periods.index(settings.reports.period))
    end = end_col.date_input("Complete before", value=date.today(), key="report_end", format="YYYY-MM-DD")
    period = data.report_period(db, kind, end)
    if go_col.button(f"Generate now: {period.title}", key="report_generate", icon=":material/summarize:"):
        with st.spinner("Building the reports…"):
            written = data.generate_reports(db, kind, end)
        st.session_state["report_flash"] = (f"Wrote {len(written)} reports of {period.title}: "
                                            + ", ".join(f"{ui.md(w.scope.title)} ({w.calls} calls)" for w in written))
        st.session_state["report_pick"] = f"{period.kind}/{period.label}/all"  # show what was just written
flash = st.session_state.pop("report_flash", None)
if flash:
    st.success(flash)

# ---- the folder ------------------------------------------------------------------------------
reports = data.stored_reports(db)
if not reports:
    st.info("No reports yet: generate them above, or wait for the scheduled reports flow.")
    st.stop()

keys = [f"{r.period_kind}/{r.period_label}/{r.name}" for r in reports]
if st.session_state.get("report_pick") not in keys:  # e.g. "all" when no group had calls
    st.session_state.pop("report_pick", None)
choice = st.selectbox("Report", keys, key="report_pick", format_func=lambda k: k.replace("/", " · "))
report = reports[keys.index(choice)]

html_col, xlsx_col, _ = st.columns([1, 1, 3])
stem = f"callqa-{report.period_kind}-{report.period_label}-{report.name}"
if report.html is not None:
    with html_col:
        downloads.download_button("HTML report", report.html.read_bytes, file_name=f"{stem}.html", mime="text/html",
                                  key="report_download_html")
if report.xlsx is not None:
    with xlsx_col:
        downloads.download_button("Excel workbook", report.xlsx.read_bytes, file_name=f"{stem}.xlsx",
                                  mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                                  key="report_download_xlsx")
if report.html is not None:
    # In a frame: the report's own styles stay out of the app's page. The page is ours, every text in it
    # escaped by its template (reporting/html.py), and it has no script.
    st.iframe(report.html.read_text(encoding="utf-8"), height=900)

st.subheader("All reports")
st.dataframe(
    pd.DataFrame({"Period": [f"{r.period_kind} {r.period_label}" for r in reports],
                  "Group": [r.name for r in reports],
                  "Files": [", ".join(p.suffix[1:] for p in (r.html, r.xlsx) if p is not None) for r in reports],
                  "Written": [r.modified for r in reports]}),
    key="reports_table", hide_index=True, width="stretch",
    column_config={"Written": st.column_config.DatetimeColumn(format="YYYY-MM-DD HH:mm")},
)
