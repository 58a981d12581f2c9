"""The accuracy sheet: per criterion, how good the automatic verdicts are, measured only on reviews of the audit
sample (calls drawn at random, flagged or not), each figure with its 95% interval and a plain note where too few
reviews stand behind it; and the sampled calls a reviewer failed that no flag caught."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from qa_app import auth, data, periods, ui
from qa_app.i18n import N_, _, plural, words
from usecases.accuracy_sheet import MIN_N, CriterionAccuracy, Rate
from usecases.users import can_read_accuracy

auth.require(can_read_accuracy)  # also when a view is reached without the entrypoint
db = str(data.database_path())
st.title(_("Accuracy sheet"))
st.caption(_("How often the automatic verdicts are right, measured on reviews of the audit sample only: calls "
             "drawn at random each night, flagged or not, so the figures are not biased by what the checks "
             "picked. Each figure comes with its 95% interval (Wilson); a fail is the positive case."))

options = data.filter_options(db)
since, until = periods.period_input("accuracy_period", options.first, options.last, days=30)
sheet = data.accuracy_sheet(db, since, until)
w = words()  # the format functions keep this run's language (AppTest calls them outside the run too)
a, b, c = st.columns(3)
a.metric(_("Sampled calls"), w.integer(sheet.coverage.sampled_calls))
b.metric(_("Reviewed calls"), w.integer(sheet.coverage.reviewed_calls))
c.metric(_("Missed by the flags"), w.integer(len(sheet.missed)),
         help=_("sampled calls a reviewer failed on some criterion that no automatic check flagged"))

if not sheet.rows and not sheet.disputes:
    st.info(_("No reviewed verdicts of sampled calls in this period. Reviewers judge the audit sample from the "
              "review queue's “Audit sample” list; the sheet fills as they confirm or change verdicts."))
    st.page_link("views/queue.py", label=_("Audit sample in the review queue"), icon=":material/inbox:",
                 query_params={"list": "sample"})
    st.stop()

SLICES = {"all": N_("All calls"), "language": N_("Per language"), "channels": N_("Stereo or mono")}
CHANNELS = {"stereo": N_("Stereo"), "mono": N_("Mono"), "": N_("Not known")}
VERSION = N_("{scorecard}, version {version}")
versions = sheet.versions()
left, right = st.columns([2, 3], vertical_alignment="bottom")
version = left.selectbox(
    _("Scorecard version"), versions, key="accuracy_version",
    format_func=lambda v: w(VERSION).format(scorecard=ui.label(v[0]), version=v[1]))
shown = right.radio(_("Calls"), list(SLICES), format_func=lambda k: w(SLICES[k]), horizontal=True,
                    key="accuracy_slice")


def figure(r: Rate) -> str:
    """A share with its interval and the count behind it, e.g. «78 % (70–85 %), 45 of 58»."""
    if r.value is None:
        return "–"
    return _("{value} ({low}–{high}), {hits} of {n}").format(
        value=ui.percent(r.value), low=ui.percent(r.low), high=ui.percent(r.high), hits=w.integer(r.hits),
        n=w.integer(r.n)) + (" ⚠" if r.small else "")


def group(r: CriterionAccuracy) -> str:
    if r.slice == "language":
        return w.of("language", r.value) if r.value else _("Not known")
    return w(CHANNELS.get(r.value, N_("Not known")))


rows = sheet.rows_of(version, shown)
CRITERION, GROUP, JUDGED = _("Criterion"), _("Calls of"), _("Judged")
PRECISION, RECALL, AGREEMENT, UNKNOWN = _("Fail precision"), _("Fail recall"), _("Agreement"), _("Unknown")
if not rows:
    st.info(_("No reviewed verdicts of sampled calls of this scorecard version in this period."))
else:
    table = pd.DataFrame({
        CRITERION: [ui.criterion(r.criterion_id) for r in rows],
        **({GROUP: [group(r) for r in rows]} if shown != "all" else {}),
        JUDGED: [r.counts.reviewed for r in rows],
        PRECISION: [figure(r.precision) for r in rows],
        RECALL: [figure(r.recall) for r in rows],
        AGREEMENT: [figure(r.agreement) for r in rows],
        UNKNOWN: [figure(r.unknown_share) for r in rows],
    })
    st.dataframe(
        table, hide_index=True, width="stretch", key="accuracy_table",
        column_config={
            CRITERION: st.column_config.TextColumn(width="medium"),
            JUDGED: st.column_config.NumberColumn(format="%d",
                                                  help=_("verdicts of sampled calls a reviewer judged")),
            PRECISION: st.column_config.TextColumn(help=_("automatic fails the reviewer also failed")),
            RECALL: st.column_config.TextColumn(help=_("reviewer's fails the automatic check also failed")),
            AGREEMENT: st.column_config.TextColumn(help=_("automatic verdicts equal to the reviewer's")),
            UNKNOWN: st.column_config.TextColumn(help=_("automatic verdicts left unknown")),
        },
    )
    small = sum(1 for r in rows if r.small)
    if small:
        st.warning(plural("{n} row is marked ⚠.", "{n} rows are marked ⚠.", small) + " " + _(
            "Fewer than {min_n} judged verdicts stand behind a marked figure: too few to rely on; its wide "
            "interval shows how uncertain it is.").format(min_n=MIN_N), icon=":material/warning:")
    else:
        st.caption(_("Every figure rests on at least {min_n} judged verdicts.").format(min_n=MIN_N))

st.subheader(_("What the flags miss"))
if not sheet.missed:
    st.caption(_("No sampled call that a reviewer failed went unflagged in this period."))
else:
    st.caption(plural("{n} sampled call a reviewer failed had no flag: the review queue's flagged list never "
                      "showed it.",
                      "{n} sampled calls a reviewer failed had no flag: the review queue's flagged list never "
                      "showed them.", len(sheet.missed)))
    for m in sheet.missed:
        label = _("{recording} · {when} · {operator} · failed: {criteria}").format(
            recording=ui.md(m.file_name), when=ui.when(m.call_at), operator=ui.md(m.operator_id or "–"),
            criteria=", ".join(ui.criterion(x) for x in m.failed_criteria))
        st.page_link("views/call.py", label=label, icon=":material/call:",
                     query_params={"call_id": m.call_id, "list": "sample"})

tallies = sheet.disputes_of(version)
if tallies:
    st.subheader(_("Operators' disputes"))
    st.caption(_("Verdicts operators disputed and a reviewer resolved, on calls of the period. Not a sample: "
                 "operators dispute what they think wrong, so these count confirmed errors beside the figures "
                 "above and never enter them."))
    RESOLVED, OVERTURNED, AUTO = _("Resolved"), _("Overturned"), _("Overturned automatic fails")
    st.dataframe(pd.DataFrame({
        CRITERION: [ui.criterion(d.counts.criterion_id) for d in tallies],
        RESOLVED: [d.counts.resolved for d in tallies],
        OVERTURNED: [figure(d.overturned) for d in tallies],
        AUTO: [d.counts.overturned_auto_fails for d in tallies],
    }), hide_index=True, width="stretch", key="accuracy_disputes", column_config={
        RESOLVED: st.column_config.NumberColumn(format="%d"),
        AUTO: st.column_config.NumberColumn(format="%d", help=_("the machine failed the operator, the reviewer "
                                                                "agreed with the operator")),
    })
