"""Satisfaction: the predicted customer satisfaction (1-5) of the period's calls per team, how it
agrees with real surveys when some were imported (``callqa import-csat``), and the calls predicted
lowest, each opening the call page. How a prediction is made: pipeline/insights/satisfaction.py."""

from __future__ import annotations

import json

import altair as alt
import pandas as pd
import streamlit as st

from pipeline.insights.satisfaction import factors_from_json, main_factors
from qa_app import auth, data, periods, ui
from qa_app.i18n import _, plural
from usecases.satisfaction import describe_factor

NO_TEAM = "(no team)"  # what storage.satisfaction groups calls without a team as

auth.require()  # also when a view is reached without the entrypoint
db = str(data.database_path())
w = ui.words()
st.title(_("Satisfaction"))
st.caption(_("Predicted from the customer's sentiment over the call, the outcome, escalations, silence, holds and "
             "overtalk; no survey needed. 1 = very dissatisfied, 5 = very satisfied."))


def team_name(team: str) -> str:
    return _("(no team)") if team == NO_TEAM else team


options = data.filter_options(db)
when, teams = st.columns([2.2, 3], vertical_alignment="bottom")
with when:
    since, until = periods.period_input("satisfaction_period", options.first, options.last, days=30)
chosen_teams = tuple(teams.multiselect(_("Team"), options.teams, key="satisfaction_teams",
                                       placeholder=_("Every team")))

spread = data.satisfaction_distribution(db, since, until, chosen_teams)
if spread.empty:
    st.info(_("No call in this period has a predicted satisfaction yet: the nightly run predicts it after storing "
              "the calls (`callqa satisfaction` does it now)."))
    st.stop()

# ---- distribution per team --------------------------------------------------------------------
total = int(spread["calls"].sum())
per_team = spread.groupby("team").agg(calls=("calls", "sum"), mean=("team_mean", "first"))
mean = float((per_team["calls"] * per_team["mean"]).sum() / total)
low_share = float(spread.loc[spread["grade"] <= 2, "calls"].sum() / total)
a, b, c = st.columns(3)
a.metric(_("Calls predicted"), w.integer(total))
b.metric(_("Mean predicted"), w.number(mean, 2))
c.metric(_("Predicted 1-2"), w.percent(low_share), help=_("calls whose rounded prediction is 1 or 2"))

st.subheader(_("Predicted satisfaction per team"))
GRADES = ["1", "2", "3", "4", "5"]
shares = spread.assign(share=spread["calls"] / spread.groupby("team")["calls"].transform("sum") * 100,
                       grade_label=spread["grade"].astype(str), team=spread["team"].map(team_name))
bars = (
    alt.Chart(shares).mark_bar()
    .encode(
        y=alt.Y("team:N", title=None, axis=alt.Axis(labelLimit=320)),
        x=alt.X("share:Q", title=_("% of the team's calls"), stack="normalize", axis=alt.Axis(format="%")),
        # 1 (very dissatisfied) red to 5 (very satisfied) green: red is bad.
        color=alt.Color("grade_label:O", title=_("predicted"), sort=GRADES,
                        scale=alt.Scale(domain=GRADES, scheme="redyellowgreen")),
        order=alt.Order("grade:Q"),
        tooltip=[alt.Tooltip("team:N", title=_("Team")), alt.Tooltip("grade:Q", title=_("predicted")),
                 alt.Tooltip("calls:Q", title=_("calls"), format="d"),
                 alt.Tooltip("share:Q", format=".0f", title=_("% of team")),
                 alt.Tooltip("team_mean:Q", format=".2f", title=_("team mean"))],
    )
    .properties(height=alt.Step(34))
)
st.altair_chart(bars, width="stretch", key="satisfaction_by_team")

weekly = data.satisfaction_weekly(db, since, until, chosen_teams)
if weekly["week"].nunique() > 1:
    weekly = weekly.assign(team=weekly["team"].map(team_name))
    day_format = "%d.%m.%Y" if w.locale == "ru" else "%Y-%m-%d"
    trend = (
        alt.Chart(weekly).mark_line(point=True)
        .encode(x=alt.X("week:T", title=_("week"), axis=alt.Axis(format=day_format)),
                y=alt.Y("mean_predicted:Q", title=_("mean predicted"), scale=alt.Scale(domain=[1, 5])),
                color=alt.Color("team:N", title=_("Team")),
                tooltip=[alt.Tooltip("team:N", title=_("Team")),
                         alt.Tooltip("week:T", title=_("week"), format=day_format),
                         alt.Tooltip("calls:Q", title=_("calls"), format="d"),
                         alt.Tooltip("mean_predicted:Q", format=".2f", title=_("mean predicted"))])
    )
    st.altair_chart(trend, width="stretch", key="satisfaction_trend")

# ---- agreement with surveys -------------------------------------------------------------------
st.subheader(_("Agreement with customer surveys"))
agreement = data.csat_agreement(db, since, until, chosen_teams)
if not agreement.n:
    st.caption(_("No imported survey (CSAT) for the calls of this period. `callqa import-csat FILE.csv` imports them "
                 "(columns `call_id` or `file`, and `csat` or `score` 1-5); the agreement then shows here."))
else:
    rho = w.number(agreement.rho, 2)
    ci = ("" if agreement.rho_low is None or agreement.rho_high is None else
          _("95% CI {low} to {high}").format(low=w.number(agreement.rho_low, 2), high=w.number(agreement.rho_high, 2)))
    a, b, c, d = st.columns(4)
    a.metric(_("Surveyed calls"), w.integer(agreement.n))
    b.metric(_("Spearman ρ"), rho, help=ci or _("undefined: the predictions or the surveys are all the same"))
    c.metric(_("Mean absolute error"), w.number(agreement.mae, 2))
    d.metric(_("Within one point"), w.percent(agreement.within_1),
             help=_("exactly right: {share}").format(share=w.percent(agreement.exact)))
    if ci:
        st.caption(_("Rank correlation {rho} ({interval}); {calls} with both a survey and a prediction. "
                     "Few surveys make a wide interval.").format(
            rho=rho, interval=ci, calls=plural("{n} call", "{n} calls", agreement.n)))
    confusion = pd.DataFrame(agreement.confusion,
                             index=[_("survey {grade}").format(grade=g) for g in range(1, 6)],
                             columns=[_("predicted {grade}").format(grade=g) for g in range(1, 6)])
    st.dataframe(confusion, width="stretch", key="csat_confusion", placeholder="–",
                 column_config={col: st.column_config.NumberColumn(format="%d") for col in confusion.columns})

# ---- lowest predicted -------------------------------------------------------------------------
st.subheader(_("Lowest predicted calls"))
lowest = data.lowest_satisfaction(db, since, until, chosen_teams)
for r in lowest.itertuples(index=False):
    main = main_factors(factors_from_json(json.loads(r.factors)))
    why = "; ".join(describe_factor(f, w) for f in main) or _("no factor stood out")
    survey = "" if pd.isna(r.csat) else " · " + _("survey {grade}").format(grade=int(r.csat))
    label = "{predicted} · {recording} · {operator}{survey} — {why}".format(
        predicted=w.number(r.predicted, 1), recording=ui.md(r.file_name), operator=ui.md(r.operator_id or "–"),
        survey=survey, why=ui.md(why))
    st.page_link("views/call.py", label=label, icon=":material/call:", query_params={"call_id": r.call_id})
