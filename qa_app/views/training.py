"""Training needs: where operators fail more than their team, topics to coach with example
moments, assigning a topic (trainers and admins), and the trend once a topic was coached."""

from __future__ import annotations

from datetime import timedelta

import altair as alt
import pandas as pd
import streamlit as st

from qa_app import auth, data, downloads, periods, ui
from usecases import users

db = str(data.database_path())
user = auth.require()
may_assign = users.can_assign_coaching(user)
st.title("Training needs")

options = data.filter_options(db)
when, teams = st.columns([2.2, 3], vertical_alignment="bottom")
with when:
    since, until = periods.period_input("training_period", options.first, options.last, days=30)
chosen_teams = tuple(teams.multiselect("Team", options.teams, key="training_teams"))

flash = st.session_state.pop("training_flash", None)
if flash:
    (st.success if flash[0] == "success" else st.error)(flash[1])

# ---- heatmap ---------------------------------------------------------------------------------
st.subheader("Failure rate against the team")
cells = data.failure_heatmap(db, since, until, chosen_teams)
if cells.empty:
    st.info("No judged calls with a known operator in this period.")
else:
    cells = cells.assign(criterion=[ui.criterion(c) for c in cells["criterion_id"]],
                         fail_pct=cells["fail_rate"] * 100, diff_pp=cells["difference"] * 100,
                         team_pct=cells["team_fail_rate"] * 100)
    limit = max(abs(cells["diff_pp"].min()), abs(cells["diff_pp"].max()), 1)
    heat = (
        alt.Chart(cells).mark_rect()
        .encode(
            x=alt.X("criterion:N", title=None), y=alt.Y("operator_id:N", title=None),
            color=alt.Color("diff_pp:Q", title="pp vs team", scale=alt.Scale(scheme="redblue", reverse=True,
                                                                              domain=[-limit, limit])),
            tooltip=["operator_id", "team", "criterion", alt.Tooltip("fail_pct:Q", format=".0f", title="fail %"),
                     alt.Tooltip("team_pct:Q", format=".0f", title="team fail %"), "calls"],
        )
        .properties(height=alt.Step(26))
    )
    st.altair_chart(heat, width="stretch", key="training_heatmap")
    st.caption("Red: the operator fails this criterion more often than their team; blue: less often.")

# ---- ranked topics ----------------------------------------------------------------------------
st.subheader("Coaching topics")
topics = data.coaching_topics(db, since, until)
head, export = st.columns([4, 1], vertical_alignment="bottom")
with export:
    downloads.download_button("Coaching plan CSV", lambda: data.coaching_plan_csv(db, since, until),
                              file_name="coaching_plan.csv", mime="text/csv", key="export_plan")
if not topics:
    head.caption("No operator fails a criterion more often than their team in this period.")
assigned = {(a.operator_id, a.criterion_id) for a in data.assignments(db)}


def _assign(operator_id: str, criterion_id: str) -> None:
    if not may_assign:
        st.session_state["training_flash"] = ("error", "Your role cannot assign coaching.")
        return
    note = st.session_state.get(f"note_{operator_id}_{criterion_id}", "")
    try:
        saved = data.assign_topic(db, operator_id, criterion_id, user.name, note)
    except data.DatabaseUnavailable as err:
        st.session_state["training_flash"] = ("error", f"Not saved: {ui.md(err)}")
        return
    later = "" if saved.stored else " (kept in the journal while the nightly load holds the database)"
    st.session_state["training_flash"] = ("success",
                                          f"{ui.criterion(criterion_id)} assigned to {ui.md(operator_id)}{later}.")


for t in topics:
    key = f"{t.operator_id}_{t.criterion_id}"
    with st.container(border=True, key=f"topic_{key}"):
        what, examples, action = st.columns([3, 3, 2.4], vertical_alignment="center")
        what.markdown(f"**{ui.md(t.operator_id)}** · {ui.criterion(t.criterion_id)}")
        what.caption(f"fails {t.fail_rate:.0%} of {t.calls} calls (team {t.team_fail_rate:.0%}), "
                     f"{t.excess_failures:.1f} more failures than a team-average operator")
        with examples:
            for call_id, at in t.example_calls:
                moment = "" if at is None else f" at {ui.clock(at)}"
                link = {"call_id": call_id} if at is None else {"call_id": call_id, "t": f"{at:.1f}"}
                st.page_link("views/call.py", label=f"call {ui.md(call_id[:10])}{moment}",
                             icon=":material/play_circle:", query_params=link)
        if (t.operator_id, t.criterion_id) in assigned:
            action.markdown(ui.badge("assigned", "green"))
        elif may_assign:
            action.text_input("Note", key=f"note_{key}", placeholder="note (optional)", label_visibility="collapsed")
            action.button("Assign", key=f"assign_{key}", on_click=_assign, args=(t.operator_id, t.criterion_id),
                          type="primary")
        else:
            action.caption("not assigned")

# ---- before / after ---------------------------------------------------------------------------
st.subheader("After coaching")
coached = data.before_after(db)
if coached.empty:
    st.caption("No topics assigned yet.")
else:
    st.dataframe(
        pd.DataFrame({
            "Operator": coached["operator_id"], "Criterion": [ui.criterion(c) for c in coached["criterion_id"]],
            "Assigned": coached["assigned_at"], "By": coached["assigned_by"],
            "Fail rate before": coached["fail_rate_before"] * 100, "Calls before": coached["calls_before"],
            "Fail rate after": coached["fail_rate_after"] * 100, "Calls after": coached["calls_after"],
        }),
        hide_index=True, width="stretch", key="before_after",
        column_config={"Assigned": st.column_config.DatetimeColumn(format="YYYY-MM-DD"),
                       "Fail rate before": st.column_config.NumberColumn(format="%.0f%%"),
                       "Fail rate after": st.column_config.NumberColumn(format="%.0f%%")},
    )
    labels = [f"{r.operator_id} · {ui.criterion(r.criterion_id)}" for r in coached.itertuples()]
    pick = st.selectbox("Trend of", range(len(labels)), format_func=labels.__getitem__, key="coached_pick")
    chosen = coached.iloc[pick]
    at = chosen["assigned_at"].to_pydatetime()
    weekly = data.weekly_fail_rate(db, chosen["operator_id"], chosen["criterion_id"], at - timedelta(days=90),
                                   at + timedelta(days=90))
    if weekly.empty:
        st.caption("No judged calls around the assignment yet.")
    else:
        line = alt.Chart(weekly).mark_line(point=True).encode(
            x=alt.X("week:T", title=None), y=alt.Y("fail_rate:Q", axis=alt.Axis(format="%"), title="fail rate"),
            tooltip=["week:T", alt.Tooltip("fail_rate:Q", format=".0%"), "calls"])
        rule = alt.Chart(pd.DataFrame({"at": [at]})).mark_rule(color="orange").encode(x="at:T")
        st.altair_chart((line + rule).properties(height=220), width="stretch", key="coached_trend")
        st.caption("The orange line marks the assignment.")
