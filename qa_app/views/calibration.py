"""Calibration: how often reviewers agree with the automatic verdicts, per criterion, and the
calls where they did not."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from qa_app import auth, data, periods, ui

auth.require()  # also when a view is reached without the entrypoint
db = str(data.database_path())
st.title("Calibration")

options = data.filter_options(db)
since, until = periods.period_input("calibration_period", options.first, options.last, days=90)
table = data.agreement(db, since, until)
if table.empty:
    st.info("No reviewed verdicts in this period: calibration needs reviewers to confirm or override verdicts.")
    st.stop()

total = int(table["reviewed"].sum())
agreed = float((table["agreement"] * table["reviewed"]).sum() / max(total, 1))
a, b, c = st.columns(3)
a.metric("Reviewed verdicts", total)
b.metric("Agreement", f"{agreed:.0%}")
c.metric("Overturned", int(table["overturned"].sum()))

st.dataframe(
    pd.DataFrame({
        "Criterion": [ui.criterion(x) for x in table["criterion_id"]], "Reviewed": table["reviewed"],
        "Agreement": table["agreement"] * 100, "Fail precision": table["fail_precision"] * 100,
        "Fail recall": table["fail_recall"] * 100, "Overturned": table["overturned"],
    }),
    hide_index=True, width="stretch", key="agreement_table",
    column_config={
        "Agreement": st.column_config.ProgressColumn(min_value=0, max_value=100, format="%.0f%%"),
        "Fail precision": st.column_config.NumberColumn(format="%.0f%%", help="automatic fails the reviewer upheld"),
        "Fail recall": st.column_config.NumberColumn(format="%.0f%%", help="reviewer's fails the product found"),
    },
)

st.subheader("Most often overturned")
ids = [x for x in table.sort_values("overturned", ascending=False)["criterion_id"] if
       int(table.set_index("criterion_id").loc[x, "overturned"]) > 0]
if not ids:
    st.caption("Reviewers upheld every automatic verdict.")
    st.stop()
criterion = st.selectbox("Criterion", ids, format_func=ui.label, key="calibration_criterion")
calls = data.overturned_calls(db, since, until, criterion)
for r in calls.itertuples(index=False):
    st.page_link("views/call.py", label=f"{ui.md(r.file_name)} · {ui.md(r.operator_id)} · automatic {r.auto_result} → "
                                        f"reviewer {r.review_verdict}",
                 icon=":material/call:", query_params={"call_id": r.call_id})
