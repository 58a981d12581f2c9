"""Calibration: how often reviewers agree with the automatic verdicts, per criterion, and the
calls where they did not."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from qa_app import auth, data, periods, ui
from qa_app.i18n import _, plural

auth.require()  # also when a view is reached without the entrypoint
db = str(data.database_path())
st.title(_("Calibration"))
st.page_link("views/calibration_sessions.py", label=_("Reviewers with each other: calibration sessions"),
             icon=":material/groups:")

options = data.filter_options(db)
since, until = periods.period_input("calibration_period", options.first, options.last, days=90)
table = data.agreement(db, since, until)
if table.empty:
    st.info(_("No reviewed verdicts in this period: calibration needs reviewers to confirm or override verdicts."))
    st.stop()

total = int(table["reviewed"].sum())
agreed = float((table["agreement"] * table["reviewed"]).sum() / max(total, 1))
a, b, c = st.columns(3)
a.metric(_("Reviewed verdicts"), ui.words().integer(total))
b.metric(_("Agreement"), ui.percent(agreed))
c.metric(_("Overturned"), ui.words().integer(int(table["overturned"].sum())))

# Shares as 0-100 numbers for the columns' "%" format; a criterion with no fail on either side has no
# precision or recall: the cell stays empty (Streamlit draws NaN as an empty cell). The table's column
# names are its headers, in the reader's words.
CRITERION, REVIEWED, AGREEMENT = _("Criterion"), _("Reviewed"), _("Agreement")
PRECISION, RECALL, OVERTURNED = _("Fail precision"), _("Fail recall"), _("Overturned")
view = pd.DataFrame({
    CRITERION: [ui.criterion(x) for x in table["criterion_id"]],
    REVIEWED: table["reviewed"].astype(int),
    AGREEMENT: (table["agreement"].astype(float) * 100).round(0),
    PRECISION: (table["fail_precision"].astype(float) * 100).round(0),
    RECALL: (table["fail_recall"].astype(float) * 100).round(0),
    OVERTURNED: table["overturned"].astype(int),
})
st.dataframe(
    view, hide_index=True, width="stretch", key="agreement_table", placeholder="–",
    column_config={
        CRITERION: st.column_config.TextColumn(width="large"),
        REVIEWED: st.column_config.NumberColumn(format="%d", help=_("verdicts a reviewer judged")),
        AGREEMENT: st.column_config.ProgressColumn(min_value=0, max_value=100, format="%.0f%%", width="medium"),
        PRECISION: st.column_config.NumberColumn(format="%.0f%%", help=_("automatic fails the reviewer upheld")),
        RECALL: st.column_config.NumberColumn(format="%.0f%%", help=_("reviewer's fails the product found")),
        OVERTURNED: st.column_config.NumberColumn(format="%d", help=_("verdicts the reviewer changed")),
    },
)

st.subheader(_("Most often overturned"))
overturned = table.set_index("criterion_id")["overturned"]
ids = [x for x in table.sort_values("overturned", ascending=False)["criterion_id"] if int(overturned[x]) > 0]
if not ids:
    st.caption(_("Reviewers upheld every automatic verdict."))
    st.stop()
criterion = st.selectbox(
    _("Criterion"), ids, key="calibration_criterion",
    format_func=lambda x: _("{criterion} ({count})").format(
        criterion=ui.criterion(x), count=plural("{n} overturned", "{n} overturned", int(overturned[x]))))
calls = data.overturned_calls(db, since, until, criterion)
for r in calls.itertuples(index=False):
    label = _("{recording} · {operator} · automatic: {automatic} → reviewer: {reviewer}").format(
        recording=ui.md(r.file_name), operator=ui.md(r.operator_id or "–"), automatic=ui.verdict(r.auto_result),
        reviewer=ui.verdict(r.review_verdict))
    st.page_link("views/call.py", label=label, icon=":material/call:", query_params={"call_id": r.call_id})
