"""Satisfaction: the predicted customer satisfaction (1-5) of the period's calls per team, how it
agrees with real surveys when some were imported (``callqa import-csat``), and the calls predicted
lowest, each opening the call page. How a prediction is made: pipeline/insights/satisfaction.py."""

from __future__ import annotations

import json

import altair as alt
import pandas as pd
import streamlit as st

from pipeline.insights.satisfaction import describe_factor, factors_from_json, main_factors
from qa_app import auth, data, periods, ui

auth.require()  # also when a view is reached without the entrypoint
db = str(data.database_path())
st.title("Satisfaction")
st.caption("Predicted from the customer's sentiment over the call, the outcome, escalations, silence, holds and "
           "overtalk; no survey needed. 1 = very dissatisfied, 5 = very satisfied.")

options = data.filter_options(db)
when, teams = st.columns([2.2, 3], vertical_alignment="bottom")
with when:
    since, until = periods.period_input("satisfaction_period", options.first, options.last, days=30)
chosen_teams = tuple(teams.multiselect("Team", options.teams, key="satisfaction_teams"))

spread = data.satisfaction_distribution(db, since, until, chosen_teams)
if spread.empty:
    st.info("No call in this period has a predicted satisfaction yet: the nightly run predicts it after storing "
            "the calls (`callqa satisfaction` does it now).")
    st.stop()

# ---- distribution per team --------------------------------------------------------------------
total = int(spread["calls"].sum())
per_team = spread.groupby("team").agg(calls=("calls", "sum"), mean=("team_mean", "first"))
mean = float((per_team["calls"] * per_team["mean"]).sum() / total)
low_share = float(spread.loc[spread["grade"] <= 2, "calls"].sum() / total)
a, b, c = st.columns(3)
a.metric("Calls predicted", total)
b.metric("Mean predicted", f"{mean:.2f}")
c.metric("Predicted 1-2", f"{low_share:.0%}", help="calls whose rounded prediction is 1 or 2")

st.subheader("Predicted satisfaction per team")
shares = spread.assign(share=spread["calls"] / spread.groupby("team")["calls"].transform("sum") * 100,
                       grade_label=spread["grade"].astype(str))
bars = (
    alt.Chart(shares).mark_bar()
    .encode(
        y=alt.Y("team:N", title=None), x=alt.X("share:Q", title="% of the team's calls", stack="normalize"),
        color=alt.Color("grade_label:O", title="predicted", sort=["1", "2", "3", "4", "5"],
                        scale=alt.Scale(domain=["1", "2", "3", "4", "5"], scheme="redyellowgreen")),
        order=alt.Order("grade:Q"),
        tooltip=["team", alt.Tooltip("grade:Q", title="predicted"), "calls",
                 alt.Tooltip("share:Q", format=".0f", title="% of team"),
                 alt.Tooltip("team_mean:Q", format=".2f", title="team mean")],
    )
    .properties(height=alt.Step(34))
)
st.altair_chart(bars, width="stretch", key="satisfaction_by_team")

weekly = data.satisfaction_weekly(db, since, until, chosen_teams)
if weekly["week"].nunique() > 1:
    trend = (
        alt.Chart(weekly).mark_line(point=True)
        .encode(x=alt.X("week:T", title="week"), y=alt.Y("mean_predicted:Q", title="mean predicted",
                                                         scale=alt.Scale(domain=[1, 5])),
                color=alt.Color("team:N", title="team"),
                tooltip=["team", "week", "calls", alt.Tooltip("mean_predicted:Q", format=".2f")])
    )
    st.altair_chart(trend, width="stretch", key="satisfaction_trend")

# ---- agreement with surveys -------------------------------------------------------------------
st.subheader("Agreement with customer surveys")
agreement = data.csat_agreement(db, since, until, chosen_teams)
if not agreement.n:
    st.caption("No imported survey (CSAT) for the calls of this period. `callqa import-csat FILE.csv` imports them "
               "(columns call_id or file, and csat or score 1-5); the agreement then shows here.")
else:
    rho = "–" if agreement.rho is None else f"{agreement.rho:.2f}"
    ci = ("" if agreement.rho_low is None else f"95% CI {agreement.rho_low:.2f} to {agreement.rho_high:.2f}")
    a, b, c, d = st.columns(4)
    a.metric("Surveyed calls", agreement.n)
    b.metric("Spearman ρ", rho, help=ci or "undefined: the predictions or the surveys are all the same")
    c.metric("Mean absolute error", f"{agreement.mae:.2f}")
    d.metric("Within one point", f"{agreement.within_1:.0%}", help=f"exactly right: {agreement.exact:.0%}")
    if ci:
        st.caption(f"Rank correlation {rho} ({ci}); {agreement.n} calls with both a survey and a prediction. "
                   "Few surveys make a wide interval.")
    confusion = pd.DataFrame(agreement.confusion, index=[f"survey {g}" for g in range(1, 6)],
                             columns=[f"predicted {g}" for g in range(1, 6)])
    st.dataframe(confusion, width="stretch", key="csat_confusion")

# ---- lowest predicted -------------------------------------------------------------------------
st.subheader("Lowest predicted calls")
lowest = data.lowest_satisfaction(db, since, until, chosen_teams)
for r in lowest.itertuples(index=False):
    main = main_factors(factors_from_json(json.loads(r.factors)))
    why = "; ".join(describe_factor(f.name, f.value, f.contribution) for f in main) or "no factor stood out"
    survey = "" if pd.isna(r.csat) else f" · survey {int(r.csat)}"
    st.page_link("views/call.py",
                 label=f"{r.predicted:.1f} · {ui.md(r.file_name)} · {ui.md(r.operator_id or '–')}{survey} — "
                                        f"{ui.md(why)}",
                 icon=":material/call:", query_params={"call_id": r.call_id})
