"""Runs: the nightly run history, what each run could not process, with reasons, and what retention
and erasure deleted."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from qa_app import auth, data

auth.require()  # also when a view is reached without the entrypoint
db = str(data.database_path())
st.title("Runs")

history = data.runs(db)
if history.empty:
    st.info("No runs yet: `callqa run` processes the inbox (the nightly schedule runs it every night).")
    st.stop()

view = pd.DataFrame({
    "run_id": history["run_id"],
    "Started (UTC)": history["started_at"],
    "Status": history["status"],
    "Flow": history["flow"],
    "Processed": history["processed"],
    "Quarantined": history["quarantined"],
    "Failed": history["failed"],
    "Skipped": history["skipped"],
    "Audio (min)": (history["audio_s"].fillna(0) / 60).round(1),
    "Duration (s)": history["wall_s"].round(1),
})
event = st.dataframe(
    view, key="runs_table", on_select="rerun", selection_mode="single-row", hide_index=True, width="stretch",
    column_order=[c for c in view.columns if c != "run_id"],
    column_config={"Started (UTC)": st.column_config.DatetimeColumn(format="YYYY-MM-DD HH:mm")},
)
chosen = event.selection.rows[0] if event is not None and event.selection.rows else 0
run = history.iloc[chosen]
st.subheader(f"Run of {run['started_at']:%Y-%m-%d %H:%M} UTC")
problems = data.run_problems(db, run["run_id"])
if problems.empty:
    st.caption("Every recording of this run was processed.")
else:
    st.dataframe(
        pd.DataFrame({"Recording": problems["file_name"], "Status": problems["status"], "Reason": problems["error"],
                      "Path": problems["source_path"]}),
        key="run_problems", hide_index=True, width="stretch",
    )

st.subheader("Deletions")
log = data.deletions(db)
if log.empty:
    st.caption("Nothing deleted yet: retention deletes data past its term after each run; "
               "`callqa erase` one customer's calls.")
else:
    st.dataframe(
        pd.DataFrame({"When (UTC)": log["deleted_at"], "Kind": log["kind"], "Why": log["reason"],
                      "Detail": log["detail"], "By": log["requested_by"], "Calls": log["calls"],
                      "Files": log["files_deleted"], "Rows": log["row_counts"],
                      "Not deleted": log["files_left"].map(len)}),
        key="deletions_table", hide_index=True, width="stretch",
        column_config={"When (UTC)": st.column_config.DatetimeColumn(format="YYYY-MM-DD HH:mm")},
    )
