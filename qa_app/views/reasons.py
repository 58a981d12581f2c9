"""Call reasons (Insights): why customers called and how their calls ended, for a period and teams,
and frequent reasons the taxonomy lacks, discovered from the problem statements of the calls that
matched none. Example calls open the call page at the customer's problem statement.

Reasons by the taxonomy's label in the reader's language, outcomes in words, counts on whole-number
axes, and colours as QA reads them: resolved green, unresolved red.
"""

from __future__ import annotations

import altair as alt
import pandas as pd
import streamlit as st

from pipeline.insights.outcomes import OUTCOMES
from qa_app import auth, data, periods, ui
from qa_app.i18n import _, plural
from usecases import masking, users

user = auth.require()
db = str(data.database_path())
show_raw = users.can_see_unredacted(user)
w = ui.words()
# The written reports' colours (reporting/charts.py): good green, waiting amber, neutral blue and purple, bad red.
OUTCOME_COLORS = {"resolved": "#2da44e", "follow_up": "#bf8700", "order_placed": "#1f6feb",
                  "transferred": "#8250df", "unresolved": "#cf222e"}


def outcome(o: str) -> str:
    return w.of("outcome", o)


def reason(reason_id: str | None) -> str:
    """The taxonomy's label in the reader's language; an id it lacks, made readable (never the raw id)."""
    if reason_id is None:
        return _("no taxonomy reason")
    return data.reason_name(reason_id, w.locale) or ui.label(reason_id)


st.title(_("Call reasons"))
if data.taxonomy() is None:
    st.warning(_("The call reason taxonomy cannot be read (see `reasons_taxonomy` in the configuration): "
                 "reasons are named by their ids."), icon=":material/warning:")

options = data.filter_options(db)
when, teams_col = st.columns([2.2, 3], vertical_alignment="bottom")
with when:
    since, until = periods.period_input("reasons_period", options.first, options.last)
teams = tuple(teams_col.multiselect(_("Team"), options.teams, key="reasons_team", placeholder=_("All teams")))

counts = data.reason_outcomes(db, since, until, teams)
if counts.empty:
    st.info(_("No call reasons in this period yet: they are judged by the nightly run (`callqa run`) for every "
              "processed call that still has its transcript."), icon=":material/insights:")
    st.stop()

known = [o for o in OUTCOMES if o in set(counts["outcome"])] + sorted(set(counts["outcome"]) - set(OUTCOMES))
counts = counts.assign(reason=[reason(r if isinstance(r, str) else None) for r in counts["reason_id"]],
                       outcome_label=[outcome(o) for o in counts["outcome"]],
                       outcome_rank=[known.index(o) for o in counts["outcome"]])
total = int(counts["calls"].sum())
matched = int(counts.loc[counts["reason_id"].notna(), "calls"].sum())
row = st.columns(3)
row[0].metric(_("Calls"), w.integer(total))
row[1].metric(_("With a taxonomy reason"), w.percent(matched / total))
resolved = int(counts.loc[counts["outcome"] == "resolved", "calls"].sum())
row[2].metric(_("Resolved in the call"), w.percent(resolved / total))

st.subheader(_("Reasons and how the calls ended"))
order = counts.groupby("reason")["calls"].sum().sort_values(ascending=False).index.tolist()
chart = (
    alt.Chart(counts)
    .mark_bar()
    .encode(
        y=alt.Y("reason:N", sort=order, title=None),
        # Whole calls: ticks at integers only, never "2.5 calls".
        x=alt.X("calls:Q", title=_("calls"), axis=alt.Axis(format="d", tickMinStep=1)),
        color=alt.Color("outcome_label:N", title=_("Outcome"), sort=[outcome(o) for o in known],
                        scale=alt.Scale(domain=[outcome(o) for o in known],
                                        range=[OUTCOME_COLORS.get(o, "#8c959f") for o in known])),
        order=alt.Order("outcome_rank:Q"),
        tooltip=[alt.Tooltip("reason:N", title=_("Reason")), alt.Tooltip("outcome_label:N", title=_("Outcome")),
                 alt.Tooltip("calls:Q", title=_("Calls"), format="d")],
    )
    .properties(height=max(160, 34 * len(order)))
)
st.altair_chart(chart, width="stretch", key="reasons_chart")

table = counts.pivot_table(index="reason", columns="outcome", values="calls", aggfunc="sum", fill_value=0)
table = table.reindex(columns=[o for o in known if o in table.columns]).reindex(order)
calls_in = table.sum(axis=1).astype(int).values
view = pd.DataFrame({_("Reason"): table.index, _("Calls"): calls_in})
view[_("Share")] = [w.percent(n / total, 1) for n in calls_in]
for o in table.columns:  # how the reason's calls ended, as shares of them
    view[outcome(o)] = [w.percent(n / c) for n, c in zip(table[o].values, calls_in)]
st.dataframe(view, hide_index=True, width="stretch", key="reasons_table")

# ---- reasons the taxonomy lacks --------------------------------------------------------------

st.subheader(_("Frequent reasons not in the taxonomy"))
min_size = st.number_input(_("Smallest group (calls)"), min_value=2, max_value=100, value=3, step=1,
                           key="reasons_min_size", width=200)
found = data.discovered_reasons(db, since, until, teams, int(min_size))
unmatched = total - matched
unmatched_calls = plural("{n} call of this period matched no taxonomy reason.",
                         "{n} calls of this period matched no taxonomy reason.", unmatched)
if not found:
    st.caption(unmatched_calls + " " + _("Their problem statements form no group of {size} or more.").format(
        size=w.integer(int(min_size))))
    st.stop()
st.caption(unmatched_calls + " " + _("Groups of similar problem statements, biggest first: add a frequent one to "
                                     "the taxonomy (`taxonomy/call_reasons.yaml`) with these words as examples."))


def _shown(text: str, language: str) -> str:
    return text if show_raw else masking.masked(text, language)


for k, group in enumerate(found, 1):
    with st.container(border=True, key=f"discovered_{k}"):
        said = _shown(group.representative.text, group.representative.language)
        size = plural("{n} call", "{n} calls", group.size)
        st.markdown(f"**{size}** · “{ui.quote(said)}”")
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
