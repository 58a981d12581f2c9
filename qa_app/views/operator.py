"""Operator dashboard: score trend against the team, pass rate per criterion, the operator's calls."""

from __future__ import annotations

import altair as alt
import pandas as pd
import streamlit as st

from qa_app import auth, data, links, periods, ui
from storage.dashboards import Bucket

BUCKETS: list[Bucket] = ["day", "week", "month"]

auth.require()  # also when a view is reached without the entrypoint
db = str(data.database_path())
st.title("Operator dashboard")

everyone = data.operators(db)
if everyone.empty:
    st.info("No calls with a known operator yet: operator ids come from the recording's metadata "
            "(a sidecar JSON or the filename pattern in the configuration).")
    st.stop()

options = data.filter_options(db)
pick, when, grain = st.columns([2, 2.2, 1], vertical_alignment="bottom")
asked = links.text("operator", st.query_params.get("operator"))
names = list(everyone["operator_id"])
if asked.problem:
    st.warning(asked.problem, icon=":material/link_off:")
elif asked.value is not None and asked.value not in names:
    st.warning(f"There is no operator “{ui.md(asked.value)}” in this database: showing the first one.",
               icon=":material/link_off:")
operator = pick.selectbox(
    "Operator", names, index=names.index(asked.value) if asked.value in names else 0, key="operator_pick",
    format_func=lambda o: f"{o} · {everyone.set_index('operator_id').loc[o, 'team'] or 'no team'}",
)
with when:
    since, until = periods.period_input("operator_period", options.first, options.last, days=90)
bucket = grain.selectbox("Per", BUCKETS, index=1, key="operator_bucket")

trend = data.score_trend(db, operator, since, until, bucket)
st.subheader("Score trend")
if trend.empty:
    st.caption("No scored calls in this period.")
else:
    long = pd.concat([
        pd.DataFrame({"period": trend["period"], "score": trend["score"], "who": operator}),
        pd.DataFrame({"period": trend["period"], "score": trend["team_score"], "who": "team"}),
    ])
    chart = (
        alt.Chart(long).mark_line(point=True)
        .encode(x=alt.X("period:T", title=None), y=alt.Y("score:Q", scale=alt.Scale(domain=[0, 100])),
                color=alt.Color("who:N", title=None), tooltip=["period:T", "who", alt.Tooltip("score:Q", format=".1f")])
        .properties(height=240)
    )
    st.altair_chart(chart, width="stretch", key="score_trend_chart")
    total = int(trend["calls"].sum())
    mean = (trend["score"] * trend["calls"]).sum() / max(total, 1)
    st.caption(f"{total} scored calls, mean score {mean:.1f}.")

st.subheader("Pass rate per criterion, against the team")
rates = data.criteria_vs_team(db, operator, since, until)
if rates.empty:
    st.caption("No judged criteria in this period.")
else:
    view = pd.DataFrame({
        "Criterion": [ui.criterion(c) for c in rates["criterion_id"]],
        "Pass rate": rates["pass_rate"] * 100,
        "Team pass rate": rates["team_pass_rate"] * 100,
        "Difference": (rates["pass_rate"] - rates["team_pass_rate"]) * 100,
        "Calls": rates["calls"],
    })
    st.dataframe(
        view, hide_index=True, width="stretch", key="criteria_vs_team",
        column_config={
            "Pass rate": st.column_config.ProgressColumn(min_value=0, max_value=100, format="%.0f%%"),
            "Team pass rate": st.column_config.ProgressColumn(min_value=0, max_value=100, format="%.0f%%"),
            "Difference": st.column_config.NumberColumn(format="%+.0f pp"),
        },
    )

st.subheader("Calls")
mine = data.operator_calls(db, operator, since, until)
if mine.empty:
    st.caption("No calls in this period.")
else:
    view = pd.DataFrame({
        "call_id": mine["call_id"], "Recording": mine["file_name"], "Time": mine["call_at"],
        "Duration": [ui.clock(v) for v in mine["duration_s"]], "Score": mine["score"],
        "Flags": [[ui.flag(f) for f in flags] for flags in mine["flags"]],
    })
    event = st.dataframe(
        view, key="operator_calls", on_select="rerun", selection_mode="single-row", hide_index=True, width="stretch",
        column_order=["Recording", "Time", "Duration", "Score", "Flags"],
        column_config={"Time": st.column_config.DatetimeColumn(format="YYYY-MM-DD HH:mm"),
                       "Score": st.column_config.ProgressColumn(min_value=0, max_value=100, format="%.0f"),
                       "Flags": st.column_config.ListColumn(width="large")},
    )
    if len(mine) == data.PAGE_SIZE:
        st.caption(f"The {data.PAGE_SIZE} newest calls; narrow the period to see older ones.")
    if event is not None and event.selection.rows:
        st.switch_page("views/call.py", query_params={"call_id": view.iloc[event.selection.rows[0]]["call_id"]})
