"""Sites & vendors: groups of calls side by side with 95% intervals, and which differences are real
(``pipeline.stats.group_comparison``: tested, corrected for the number of comparisons, never claimed below
a minimum number of calls)."""

from __future__ import annotations

import altair as alt
import pandas as pd
import streamlit as st

from pipeline.stats.group_comparison import Metric, format_value
from qa_app import auth, data, periods, ui
from storage.comparison import Dimension

DIMENSIONS: dict[Dimension, str] = {"vendor": "Vendor", "site": "Site", "team": "Team"}

auth.require()  # also when a view is reached without the entrypoint
db = str(data.database_path())
st.title("Sites & vendors")

options = data.filter_options(db)
by, when = st.columns([2, 2.2], vertical_alignment="bottom")
dimension = by.segmented_control("Compare by", list(DIMENSIONS), format_func=DIMENSIONS.__getitem__, default="vendor",
                                 key="compare_by") or "vendor"
with when:
    since, until = periods.period_input("compare_period", options.first, options.last, days=90)

result = data.comparison(db, dimension, since, until)
if not result.groups:
    st.info("No processed calls in this period.")
    st.stop()
st.caption(" · ".join(f"**{ui.md(g)}** {n} calls" for g, n in zip(result.groups, result.calls)))
for note in result.notes:
    st.caption(f":material/info: {ui.md(note)}")
if len(result.groups) < 2:
    st.stop()


def _cell(metric: Metric, group: str) -> str:
    e = result.estimate(metric.id, group)
    if e.estimate is None:
        return "–"
    if e.low is None:
        return f"{format_value(metric, e.estimate)}  (one call: no interval)"
    return f"{format_value(metric, e.estimate)}  ({format_value(metric, e.low)}–{format_value(metric, e.high)})"


def _status(metric_id: str) -> str:
    mine = [d for d in result.differences if d.metric_id == metric_id]
    if any(d.claimed for d in mine):
        return "differs"
    if mine and all(d.test is None for d in mine):
        return "n too small"
    return "within noise"


# ---- table ------------------------------------------------------------------------------------
st.subheader("Side by side")
table = pd.DataFrame({"Metric": [m.label for m in result.metrics]})
for group in result.groups:
    table[group] = [_cell(m, group) for m in result.metrics]
    table[f"n {group}"] = [result.estimate(m.id, group).n for m in result.metrics]
table["Verdict"] = [_status(m.id) for m in result.metrics]
st.dataframe(table, hide_index=True, width="stretch", key="comparison_table")
st.caption(f"Estimate (95% confidence interval); n: calls with a value. {result.rule}")

# ---- chart ------------------------------------------------------------------------------------
st.subheader("With error bars")
claimed_first = sorted(result.metrics, key=lambda m: _status(m.id) != "differs")
labels = {m.id: m for m in result.metrics}
shown = st.selectbox("Metric", [m.id for m in claimed_first], format_func=lambda i: labels[i].label,
                     key="compare_metric")
metric = labels[shown]
scale = 100 if metric.unit == "share" else 1
points = pd.DataFrame([
    {"group": e.group, "n": e.n, "estimate": e.estimate * scale,
     "low": None if e.low is None else e.low * scale, "high": None if e.high is None else e.high * scale}
    for e in result.estimates if e.metric_id == metric.id and e.estimate is not None
])
if points.empty:
    st.caption("No values of this metric in this period.")
else:
    title = f"{metric.label}{' (%)' if metric.unit == 'share' else ' (s)' if metric.unit == 'seconds' else ''}"
    base = alt.Chart(points).encode(y=alt.Y("group:N", title=None, sort=list(result.groups)))
    bars = (base.transform_filter("isValid(datum.low)").mark_errorbar(ticks=True, thickness=2)
            .encode(x=alt.X("low:Q", title=title), x2="high:Q"))
    dots = base.mark_point(filled=True, size=90).encode(
        x="estimate:Q",
        tooltip=["group", "n", alt.Tooltip("estimate:Q", format=".1f"), alt.Tooltip("low:Q", format=".1f"),
                 alt.Tooltip("high:Q", format=".1f")])
    st.altair_chart((bars + dots).properties(height=alt.Step(44)), width="stretch", key="comparison_chart")
    st.caption("The dot is the estimate, the bar its 95% confidence interval. Overlapping bars alone do not "
               "prove there is no difference; the verdicts below test it.")

# ---- verdicts ---------------------------------------------------------------------------------
st.subheader("What the numbers say")
for verdict in sorted(result.verdicts, key=lambda v: not v.claimed):
    tag = ui.badge("differs", "red") if verdict.claimed else ui.badge(_status(verdict.metric.id), "gray")
    for sentence in verdict.sentences:
        st.markdown(f"{tag} {ui.quote(sentence)}")
