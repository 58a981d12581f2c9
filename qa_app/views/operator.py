"""Operator dashboard: score trend against the team, pass rate per criterion, coaching (topics, why there is
none, assignments with their status and before/after), the operator's calls."""

from __future__ import annotations

import altair as alt
import pandas as pd
import streamlit as st

from qa_app import auth, coaching, data, links, periods, ui
from qa_app.i18n import N_, _, plural
from storage.dashboards import Bucket
from usecases import users

BUCKETS: list[Bucket] = ["day", "week", "month"]
BUCKET_LABELS = {"day": N_("day"), "week": N_("week"), "month": N_("month")}

user = auth.require()  # also when a view is reached without the entrypoint
db = str(data.database_path())
st.title(_("Operator dashboard"))

everyone = data.operators(db)
if everyone.empty:
    st.info(_("No calls with a known operator yet: operator ids come from the recording's metadata "
              "(a sidecar JSON or the filename pattern in the configuration)."))
    st.stop()

options = data.filter_options(db)
pick, when, grain = st.columns([2, 2.2, 1], vertical_alignment="bottom")
asked = links.text("operator", st.query_params.get("operator"))
names = list(everyone["operator_id"])
teams = dict(zip(everyone["operator_id"], everyone["team"]))
if asked.problem:
    st.warning(asked.problem, icon=":material/link_off:")
elif asked.value is not None and asked.value not in names:
    st.warning(_("There is no operator “{operator}” in this database: showing the first one.").format(
        operator=ui.md(asked.value)), icon=":material/link_off:")


def _operator_label(operator_id: str) -> str:
    team = teams.get(operator_id)
    return _("{operator} · {team}").format(operator=operator_id,
                                           team=team if isinstance(team, str) and team else _("no team"))


operator = pick.selectbox(_("Operator"), names, index=names.index(asked.value) if asked.value in names else 0,
                          key="operator_pick", format_func=_operator_label)
with when:
    since, until = periods.period_input("operator_period", options.first, options.last, days=90)
per = {_(BUCKET_LABELS[b]): b for b in BUCKETS}  # options in words, without a format_func (see qa_app.coaching)
bucket = per.get(grain.selectbox(_("Per"), list(per), index=1, key="operator_bucket"), "week")
coaching.show_flash()

trend = data.score_trend(db, operator, since, until, bucket)
st.subheader(_("Score trend"))
if trend.empty:
    st.caption(_("No scored calls in this period."))
else:
    team_word, score_word, period_word = _("Team"), _("Score"), _("Period")
    local = [ui.words().local(p.to_pydatetime()).replace(tzinfo=None) for p in trend["period"]]
    long = pd.concat([
        pd.DataFrame({"period": local, "score": trend["score"], "who": operator}),
        pd.DataFrame({"period": local, "score": trend["team_score"], "who": team_word}),
    ])
    chart = (
        alt.Chart(long).mark_line(point=True)
        .encode(x=alt.X("period:T", title=None, axis=alt.Axis(format=coaching.date_axis_format())),
                y=alt.Y("score:Q", scale=alt.Scale(domain=[0, 100]), title=score_word),
                color=alt.Color("who:N", title=None, legend=alt.Legend(labelLimit=0)),
                tooltip=[alt.Tooltip("period:T", title=period_word, format=coaching.date_axis_format()),
                         alt.Tooltip("who:N", title=_("Who")),
                         alt.Tooltip("score:Q", format=".1f", title=score_word)])
        .properties(height=240)
    )
    st.altair_chart(chart, width="stretch", key="score_trend_chart")
    total = int(trend["calls"].sum())
    mean = (trend["score"] * trend["calls"]).sum() / max(total, 1)
    st.caption(_("{calls}, mean score {mean}.").format(calls=plural("{n} scored call", "{n} scored calls", total),
                                                       mean=ui.number(mean, 1)))

st.subheader(_("Pass rate per criterion, against the team"))
rates = data.criteria_vs_team(db, operator, since, until)
if rates.empty:
    st.caption(_("No judged criteria in this period."))
else:
    pass_rate, team_rate, difference = _("Pass rate"), _("Team pass rate"), _("Difference")
    view = pd.DataFrame({
        _("Criterion"): [ui.criterion(c) for c in rates["criterion_id"]],
        pass_rate: rates["pass_rate"] * 100,
        team_rate: rates["team_pass_rate"] * 100,
        difference: (rates["pass_rate"] - rates["team_pass_rate"]) * 100,
        _("Calls"): rates["calls"],
    })
    st.dataframe(
        view, hide_index=True, width="stretch", key="criteria_vs_team",
        column_config={
            pass_rate: st.column_config.ProgressColumn(min_value=0, max_value=100, format="%.0f%%"),
            team_rate: st.column_config.ProgressColumn(min_value=0, max_value=100, format="%.0f%%"),
            difference: st.column_config.NumberColumn(format=_("%+.0f pp")),
        },
    )

# ---- coaching ---------------------------------------------------------------------------------
st.subheader(_("Coaching"))
needs = data.training_needs(db, since, until, operator=operator)
assigned = data.coaching_list(db, operator)
open_topics = {a.criterion_id: a for a in reversed(assigned)}
if needs.topics:
    for t in needs.topics:
        state = open_topics.get(t.criterion_id)
        st.markdown(_("{criterion}: {streak} {status}").format(
            criterion=ui.criterion(t.criterion_id), streak=coaching.streak_line(t),
            status=coaching.status_badge(state.status) if state else ui.badge(_("not assigned"), "gray")))
    st.page_link("views/training.py", label=_("Assign coaching on the training page"), icon=":material/school:")
else:
    st.caption(_("No coaching topics for this operator in this period."))
for line in coaching.no_topic_lines(needs.no_topic):
    st.markdown(line)
if assigned:
    results = data.coaching_results(db)
    st.dataframe(coaching.assignments_table(assigned, results, with_operator=False), hide_index=True,
                 width="stretch", key="operator_assignments")
    chosen = coaching.pick_assignment(assigned, key="operator_coached_pick")
    coaching.assignment_panel(db, chosen, results.get(chosen.assignment_id), user, users.can_assign_coaching(user))
else:
    st.caption(_("No coaching assigned to this operator."))

st.subheader(_("Calls"))
mine = data.operator_calls(db, operator, since, until)
if mine.empty:
    st.caption(_("No calls in this period."))
else:
    recording, at, duration, score, flags = _("Recording"), _("Time"), _("Duration"), _("Score"), _("Flags")
    scores = mine["score"]
    view = pd.DataFrame({
        "call_id": mine["call_id"], recording: mine["file_name"],
        at: [ui.words().local(t.to_pydatetime()).replace(tzinfo=None) for t in mine["call_at"]],
        duration: [ui.clock(v) for v in mine["duration_s"]],
        # A call without a score (no speech) says so in words rather than an empty bar.
        score: scores if scores.notna().all() else [ui.number(s, 0) for s in scores],
        flags: [[ui.flag(f) for f in fl] for fl in mine["flags"]],
    })
    config = {at: st.column_config.DatetimeColumn(format=ui.words().datetime_format),
              flags: st.column_config.ListColumn(width="large")}
    if scores.notna().all():
        config[score] = st.column_config.ProgressColumn(min_value=0, max_value=100, format="%.0f")
    event = st.dataframe(
        view, key="operator_calls", on_select="rerun", selection_mode="single-row", hide_index=True, width="stretch",
        column_order=[recording, at, duration, score, flags], column_config=config,
    )
    if len(mine) == data.PAGE_SIZE:
        st.caption(_("The {n} newest calls; narrow the period to see older ones.").format(
            n=ui.number(data.PAGE_SIZE, 0)))
    if event is not None and event.selection.rows:
        st.switch_page("views/call.py", query_params={"call_id": view.iloc[event.selection.rows[0]]["call_id"]})
