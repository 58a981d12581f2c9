"""Call reasons (Insights): why customers called and how their calls ended, for a period and teams,
and frequent reasons the taxonomy lacks, discovered from the problem statements of the calls that
matched none. Example calls open the call page at the customer's problem statement.
"""

from __future__ import annotations

import altair as alt
import pandas as pd
import streamlit as st

from pipeline.insights.outcomes import OUTCOMES
from qa_app import auth, data, periods, ui
from usecases import masking, users

user = auth.require()
db = str(data.database_path())
show_raw = users.can_see_unredacted(user)
OUTCOME_LABELS = {"resolved": "resolved", "follow_up": "follow-up promised", "order_placed": "order placed",
                  "transferred": "transferred", "unresolved": "unresolved"}
OUTCOME_COLORS = ["#2ca02c", "#1f77b4", "#9467bd", "#ff7f0e", "#d62728"]

st.title("Call reasons")
if data.taxonomy() is None:
    st.warning("The call reason taxonomy cannot be read (see `reasons_taxonomy` in the configuration): "
               "reasons are shown by id.", icon=":material/warning:")

options = data.filter_options(db)
when, teams_col = st.columns([2.2, 3], vertical_alignment="bottom")
with when:
    since, until = periods.period_input("reasons_period", options.first, options.last)
teams = tuple(teams_col.multiselect("Team", options.teams, key="reasons_team"))

counts = data.reason_outcomes(db, since, until, teams)
if counts.empty:
    st.info("No call reasons in this period yet: they are judged by the nightly run (`callqa run`) for every "
            "processed call that still has its transcript.", icon=":material/insights:")
    st.stop()

counts = counts.assign(reason=[data.reason_label(r if isinstance(r, str) else None) for r in counts["reason_id"]],
                       outcome_label=[OUTCOME_LABELS.get(o, o) for o in counts["outcome"]])
total = int(counts["calls"].sum())
matched = int(counts.loc[counts["reason_id"].notna(), "calls"].sum())
row = st.columns(3)
row[0].metric("Calls", f"{total:,}")
row[1].metric("With a taxonomy reason", f"{matched / total:.0%}")
resolved = int(counts.loc[counts["outcome"] == "resolved", "calls"].sum())
row[2].metric("Resolved in the call", f"{resolved / total:.0%}")

st.subheader("Reasons and how the calls ended")
order = counts.groupby("reason")["calls"].sum().sort_values(ascending=False).index.tolist()
chart = (
    alt.Chart(counts)
    .mark_bar()
    .encode(
        y=alt.Y("reason:N", sort=order, title=None),
        x=alt.X("calls:Q", title="calls"),
        color=alt.Color("outcome_label:N", title="outcome",
                        scale=alt.Scale(domain=[OUTCOME_LABELS[o] for o in OUTCOMES], range=OUTCOME_COLORS)),
        order=alt.Order("outcome:N"),
        tooltip=["reason", alt.Tooltip("outcome_label:N", title="outcome"), "calls"],
    )
    .properties(height=max(160, 34 * len(order)))
)
st.altair_chart(chart, width="stretch", key="reasons_chart")

table = counts.pivot_table(index="reason", columns="outcome", values="calls", aggfunc="sum", fill_value=0)
table = table.reindex(columns=[o for o in OUTCOMES if o in table.columns]).reindex(order)
view = pd.DataFrame({"Reason": table.index, "Calls": table.sum(axis=1).astype(int).values})
view["Share"] = (view["Calls"] / total * 100).round(1)
for o in table.columns:
    view[f"{OUTCOME_LABELS[o].capitalize()} %"] = (table[o].values / view["Calls"].values * 100).round(0)
st.dataframe(view, hide_index=True, width="stretch", key="reasons_table",
             column_config={"Share": st.column_config.NumberColumn("Share %", format="%.1f")})

# ---- reasons the taxonomy lacks --------------------------------------------------------------

st.subheader("Frequent reasons not in the taxonomy")
min_size = st.number_input("Smallest group (calls)", min_value=2, max_value=100, value=3, step=1,
                           key="reasons_min_size", width=200)
found = data.discovered_reasons(db, since, until, teams, int(min_size))
unmatched = total - matched
if not found:
    st.caption(f"{unmatched} call(s) of this period matched no taxonomy reason; none of their problem statements "
               f"form a group of {int(min_size)} or more.")
    st.stop()
st.caption(f"{unmatched} call(s) of this period matched no taxonomy reason. Groups of similar problem statements, "
           "biggest first: add a frequent one to the taxonomy (`taxonomy/call_reasons.yaml`) with these words as "
           "examples.")


def _shown(text: str, language: str) -> str:
    return text if show_raw else masking.masked(text, language)


for k, group in enumerate(found, 1):
    with st.container(border=True, key=f"discovered_{k}"):
        said = _shown(group.representative.text, group.representative.language)
        st.markdown(f"**{group.size} calls** · “{ui.quote(said)}”")
        if group.words:
            st.markdown(" ".join(ui.badge(w, "blue") for w in group.words))
        moments = data.statement_moments(db, group.call_ids).set_index("call_id")
        for call_id in group.call_ids:
            if call_id not in moments.index:
                continue
            m = moments.loc[call_id]
            start = float(m["problem_start"]) if pd.notna(m["problem_start"]) else 0.0
            link, quote = st.columns([2.2, 7], vertical_alignment="center")
            with link:
                st.page_link("views/call.py", label=f"{ui.md(m['file_name'])} · {ui.clock(start)}",
                             icon=":material/play_circle:", query_params={"call_id": call_id, "t": f"{start:.1f}"})
            quote.caption(f"“{ui.quote(_shown(m['problem_statement'] or '', group.representative.language))}”")
