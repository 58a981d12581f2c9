"""Review queue: the period's flagged calls, critical first; filters, pages of 100, CSV export."""

from __future__ import annotations

import math

import pandas as pd
import streamlit as st

from qa_app import auth, data, downloads, periods, ui
from storage.review_queue import QueueFilter, Sort

auth.require()  # also when a view is reached without the entrypoint
db = str(data.database_path())

st.title("Review queue")

run = data.last_run(db)
if run is not None:
    finished = run.finished_at.strftime("%Y-%m-%d %H:%M") if run.finished_at else "still running"
    st.caption(
        f"Last run: {finished} UTC ({run.status}) · {run.processed} processed · "
        f"{run.quarantined} quarantined · {run.failed} failed"
    )

options = data.filter_options(db)


def _first_page() -> None:
    st.session_state["queue_page"] = 1


SORTS: dict[Sort, str] = {"priority": "Priority (critical first)", "newest": "Newest first", "oldest": "Oldest first",
                          "score": "Lowest score first"}
REVIEWED: dict[str, str] = {"any": "Reviewed or not", "no": "Not reviewed", "yes": "Reviewed"}

with st.container(border=True, key="queue_filters"):
    top = st.columns([2.2, 1.6, 1.6, 1.6, 1.4], vertical_alignment="bottom")
    with top[0]:
        since, until = periods.period_input("queue_period", options.first, options.last, days=periods.DEFAULT_DAYS)
    chosen_operators = top[1].multiselect("Operator", options.operators, key="f_operator", on_change=_first_page)
    chosen_teams = top[2].multiselect("Team", options.teams, key="f_team", on_change=_first_page)
    chosen_queues = top[3].multiselect("Queue", options.queues, key="f_queue", on_change=_first_page)
    chosen_languages = top[4].multiselect("Language", options.languages, key="f_language", on_change=_first_page)
    bottom = st.columns([2.2, 1.6, 1.6, 1.6, 1.4], vertical_alignment="bottom")
    chosen_flags = bottom[0].multiselect("Flag", options.flags, format_func=ui.label, key="f_flag",
                                         on_change=_first_page)
    low, high = bottom[1].slider("Score", 0, 100, (0, 100), key="f_score", on_change=_first_page)
    reviewed = bottom[2].selectbox("Review state", list(REVIEWED), format_func=REVIEWED.__getitem__, key="f_reviewed",
                                   on_change=_first_page)
    sort = bottom[3].selectbox("Sort", list(SORTS), format_func=SORTS.__getitem__, key="f_sort", on_change=_first_page)
    show_all = bottom[4].toggle("Unflagged too", key="show_all", on_change=_first_page)

filt = QueueFilter(
    since=since,
    until=until,
    operators=tuple(chosen_operators),
    teams=tuple(chosen_teams),
    queues=tuple(chosen_queues),
    languages=tuple(chosen_languages),
    flags=tuple(chosen_flags),
    flagged_only=not show_all,
    min_score=None if low == 0 else float(low),
    max_score=None if high == 100 else float(high),
    reviewed={"any": None, "no": False, "yes": True}[reviewed],
)
total = data.queue_size(db, filt)
pages = max(1, math.ceil(total / data.PAGE_SIZE))
if st.session_state.get("queue_page", 1) > pages:
    st.session_state["queue_page"] = pages

if total == 0:
    st.info("No calls match: nothing needs review in this period." if not show_all else "No processed calls match.")
else:
    nav, export = st.columns([3, 1], vertical_alignment="bottom")
    with nav:
        if pages > 1:
            page_no = int(st.number_input(f"Page (of {pages})", min_value=1, max_value=pages, step=1, key="queue_page",
                                          width=180))
        else:
            page_no = 1
    with export:
        downloads.download_button("Export CSV", lambda: data.queue_csv(db, filt, sort), file_name="review_queue.csv",
                                  mime="text/csv", key="export_queue")
    offset = (page_no - 1) * data.PAGE_SIZE
    rows = data.queue(db, filt, data.PAGE_SIZE, offset, sort)
    what = "flagged calls" if not show_all else "processed calls"
    st.caption(f"{what.capitalize()} {offset + 1}–{offset + len(rows)} of {total}. Click a row to review it.")

    view = pd.DataFrame(
        {
            "call_id": rows["call_id"],
            "Recording": rows["file_name"],
            "Operator": rows["operator_id"],
            "Team": rows["team"],
            "Time": rows["call_at"],
            "Duration": [ui.clock(v) for v in rows["duration_s"]],
            "Language": rows["language"],
            "Score": rows["score"],
            "Flags": [[ui.flag(f) for f in flags] if flags is not None else [] for flags in rows["flags"]],
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
        column_order=["Recording", "Operator", "Team", "Time", "Duration", "Language", "Score", "Reviewed", "Flags"],
        column_config={
            "Recording": st.column_config.TextColumn(width=190),
            "Time": st.column_config.DatetimeColumn(format="YYYY-MM-DD HH:mm", width=125),
            "Duration": st.column_config.TextColumn(width=70),
            "Language": st.column_config.TextColumn(width=75),
            "Score": st.column_config.ProgressColumn(min_value=0, max_value=100, format="%.0f", width=120,
                                                     color="blue"),
            "Flags": st.column_config.ListColumn(width="large"),
            "Reviewed": st.column_config.CheckboxColumn(width=80),
        },
    )
    selected = event.selection.rows if event is not None else []
    if selected:
        st.switch_page("views/call.py", query_params={"call_id": view.iloc[selected[0]]["call_id"]})

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
