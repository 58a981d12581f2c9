"""Review queue: last night's flagged calls, worst first; click a row to review the call."""

from __future__ import annotations

import math

import pandas as pd
import streamlit as st

from qa_app import data, ui

db = str(data.database_path())

st.title("Review queue")

run = data.last_run(db)
if run is not None:
    finished = run.finished_at.strftime("%Y-%m-%d %H:%M") if run.finished_at else "still running"
    st.caption(
        f"Last run: {finished} UTC ({run.status}) · {run.processed} processed · "
        f"{run.quarantined} quarantined · {run.failed} failed"
    )


def _first_page() -> None:
    st.session_state["queue_page"] = 1


show_all = st.toggle("Show all processed calls", key="show_all", on_change=_first_page)
flagged_only = not show_all
total = data.queue_size(db, flagged_only)
pages = max(1, math.ceil(total / data.PAGE_SIZE))
if st.session_state.get("queue_page", 1) > pages:
    st.session_state["queue_page"] = pages

if total == 0:
    st.info("No flagged calls: nothing needs review." if flagged_only else "No processed calls yet.")
else:
    if pages > 1:
        page_no = int(st.number_input(f"Page (of {pages})", min_value=1, max_value=pages, step=1, key="queue_page", width=180))
    else:
        page_no = 1
    offset = (page_no - 1) * data.PAGE_SIZE
    rows = data.queue(db, flagged_only, data.PAGE_SIZE, offset)
    what = "flagged calls" if flagged_only else "processed calls"
    st.caption(f"{what.capitalize()} {offset + 1}–{offset + len(rows)} of {total}, worst first. Click a row to review it.")

    view = pd.DataFrame(
        {
            "call_id": rows["call_id"],
            "Recording": rows["file_name"],
            "Processed (UTC)": rows["processed_at"],
            "Duration": [ui.clock(v) for v in rows["duration_s"]],
            "Language": rows["language"],
            "Score": rows["score"],
            "Flags": [[ui.label(f) for f in flags] if flags is not None else [] for flags in rows["flags"]],
            "Reviewed": rows["reviewed"].astype(bool),
        }
    )
    event = st.dataframe(
        view,
        key="queue_table",
        on_select="rerun",
        selection_mode="single-row",
        hide_index=True,
        width="stretch",
        column_order=["Recording", "Processed (UTC)", "Duration", "Language", "Score", "Reviewed", "Flags"],
        column_config={
            "Recording": st.column_config.TextColumn(width=190),
            "Processed (UTC)": st.column_config.DatetimeColumn(format="YYYY-MM-DD HH:mm", width=125),
            "Duration": st.column_config.TextColumn(width=70),
            "Language": st.column_config.TextColumn(width=75),
            "Score": st.column_config.ProgressColumn(min_value=0, max_value=100, format="%.0f", width=120, color="blue"),
            "Flags": st.column_config.ListColumn(width="large"),
            "Reviewed": st.column_config.CheckboxColumn(width=80),
        },
    )
    selected = event.selection.rows if event is not None else []
    if selected:
        st.switch_page("pages/call.py", query_params={"call_id": view.iloc[selected[0]]["call_id"]})

problems = data.problem_calls(db)
with st.expander(f"Quarantined and failed recordings ({len(problems)})", expanded=False):
    if problems.empty:
        st.caption("None: every recording was readable and processed.")
    else:
        st.dataframe(
            pd.DataFrame(
                {
                    "Recording": problems["file_name"],
                    "Status": problems["status"],
                    "Reason": problems["error"],
                    "Path": problems["source_path"],
                    "When (UTC)": problems["processed_at"],
                }
            ),
            key="problems_table",
            hide_index=True,
            width="stretch",
            column_config={"When (UTC)": st.column_config.DatetimeColumn(format="YYYY-MM-DD HH:mm")},
        )
