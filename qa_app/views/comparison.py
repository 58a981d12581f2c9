"""Sites & vendors: groups of calls side by side with 95% intervals, and which differences are real
(``pipeline.stats.group_comparison``: tested, corrected for the number of comparisons, never claimed below
a minimum number of calls).

The statistics come as numbers; this page says them in the reader's words: metric names, values in the
locale's format, and the verdict sentences (the pipeline's English ones are for the CLI's JSON).
"""

from __future__ import annotations

from typing import Any

import altair as alt
import pandas as pd
import streamlit as st

from pipeline.stats.group_comparison import REST, Difference, GroupComparison, Metric
from qa_app import auth, data, periods, ui
from qa_app.i18n import N_, _, plural
from storage.cdr import NO_QUEUE, NOT_KNOWN, CdrKpis
from storage.comparison import UNSET, Dimension

DIMENSIONS: dict[Dimension, str] = {"vendor": N_("Vendor"), "site": N_("Site"), "team": N_("Team")}
METRICS = {"qa_score": N_("QA score"), "escalation": N_("Escalation rate"),
           "satisfaction": N_("Predicted satisfaction"), "handle_time": N_("Handle time"),
           "silence_share": N_("Silence share"), "dead_air_share": N_("Dead-air share")}
# The PBX's figures (pipeline.stats.cdr_kpis); service level names its threshold (metric_name).
METRICS.update({"abandonment": N_("Abandonment rate"), "speed_of_answer": N_("Average speed of answer"),
                "talk_time": N_("Average handle time")})
STATUSES = {"differs": N_("differs"), "small": N_("n too small"), "noise": N_("within noise")}

auth.require()  # also when a view is reached without the entrypoint
db = str(data.database_path())
w = ui.words()
st.title(_("Sites & vendors"))

options = data.filter_options(db)
by, when = st.columns([2, 2.2], vertical_alignment="bottom")
dimension = by.segmented_control(_("Compare by"), list(DIMENSIONS), format_func=lambda d: _(DIMENSIONS[d]),
                                 default="vendor", key="compare_by") or "vendor"
with when:
    since, until = periods.period_input("compare_period", options.first, options.last, days=90)

result: GroupComparison = data.comparison(db, dimension, since, until)


# ---- words ------------------------------------------------------------------------------------

def group_name(group: str) -> str:
    """A group as named in the data; the name given to calls without one, in the reader's words."""
    if group == REST:
        return _("the other groups")
    return _(group) if group in UNSET.values() or group in (NO_QUEUE, NOT_KNOWN) else group


def metric_name(metric: Metric) -> str:
    if metric.id == "service_level":
        return _("Service level ({seconds} s)").format(seconds=w.number(cdr.rules.service_level_s, 0))
    if metric.id in METRICS:
        return _(METRICS[metric.id])
    if metric.id.startswith("pass:"):
        return _("{criterion} pass rate").format(criterion=ui.criterion(metric.id.removeprefix("pass:")))
    return metric.label


def value(metric: Metric, x: float | None) -> str:
    if x is None or x != x:
        return "–"
    if metric.unit == "share":
        return w.percent(x)
    if metric.unit == "seconds":
        return _("{value} s").format(value=w.number(x, 0))
    return w.number(x, 2 if metric.unit == "scale" else 1)


def difference(metric: Metric, x: float) -> str:
    """A difference with its sign: ``+12 pp``, ``−3 s``, ``±0.0 points``."""
    if metric.unit == "share":
        size = w.number(abs(x) * 100, 0)
        shown = _("{value} pp").format(value=size)
    elif metric.unit == "seconds":
        size = w.number(abs(x), 0)
        shown = _("{value} s").format(value=size)
    elif metric.unit == "scale":
        size = shown = w.number(abs(x), 2)
    else:
        size = w.number(abs(x), 1)
        shown = _("{value} points").format(value=size)
    zero = all(ch in "0,." for ch in size)
    return ("±" if zero else "+" if x > 0 else "−") + shown


def p_text(p: float) -> str:
    return "p < " + w.number(0.001, 3) if p < 0.001 else "p = " + w.number(p, 3 if p < 0.01 else 2)


def correction(c: GroupComparison) -> str:
    return "Holm" if c.correction == "holm" else "Benjamini-Hochberg"


def sentence(metric: Metric, d: Difference, c: GroupComparison) -> str:
    """One comparison in words: what was found, the figures, and how sure."""
    label = metric_name(metric)
    group, reference = group_name(d.group), group_name(d.reference)
    va, vb = value(metric, d.estimate_group), value(metric, d.estimate_reference)
    if (d.test is None or d.difference is None or d.low is None or d.high is None or d.p_value is None
            or d.p_adjusted is None):
        return _("{metric}: nothing claimed, n too small ({group} {n_group}, {reference} {n_reference}; at least "
                 "{min_n} each needed) — {group} {value} vs {reference} {reference_value}.").format(
            metric=label, group=group, n_group=w.integer(d.n_group), reference=reference,
            n_reference=w.integer(d.n_reference), min_n=w.integer(c.min_n), value=va, reference_value=vb)
    numbers = _("{group} {value} vs {reference} {reference_value}, difference {difference} "
                "(95% CI {low} to {high})").format(
        group=group, value=va, reference=reference, reference_value=vb, difference=difference(metric, d.difference),
        low=difference(metric, d.low), high=difference(metric, d.high))
    corrected = _("{method}-adjusted {p} {comparisons}").format(
        method=correction(c), p=p_text(d.p_adjusted),
        comparisons=plural("over {n} comparison", "over {n} comparisons", c.tests))
    if d.claimed:
        if metric.better is None:
            head = (_("{group} is higher than {reference} on {metric}") if d.difference > 0 else
                    _("{group} is lower than {reference} on {metric}"))
        elif (d.difference > 0) == (metric.better == "higher"):
            head = _("{group} is better than {reference} on {metric}")
        else:
            head = _("{group} is worse than {reference} on {metric}")
        return _("{head}: {numbers}; {p}, {corrected}.").format(
            head=head.format(group=group, reference=reference, metric=label), numbers=numbers, p=p_text(d.p_value),
            corrected=corrected)
    if d.low <= 0 <= d.high:
        return _("{metric}: within noise — {numbers}, the interval includes 0; {p}.").format(
            metric=label, numbers=numbers, p=p_text(d.p_value))
    return _("{metric}: within noise {accounted} — {numbers}; {p}, {corrected}.").format(
        metric=label, numbers=numbers, p=p_text(d.p_value), corrected=corrected,
        accounted=plural("once {n} comparison is accounted for", "once {n} comparisons are accounted for",
                         c.tests))


def sentences(metric: Metric, c: GroupComparison) -> list[str]:
    """What the numbers say about one metric (the choice of sentences is the pipeline's ``_verdict``)."""
    mine = [d for d in c.differences if d.metric_id == metric.id]
    label = metric_name(metric)
    if not mine:
        return [_("{metric}: only one group, nothing to compare.").format(metric=label)]
    claimed = [d for d in mine if d.claimed]
    if len(mine) == 1 or claimed:
        return [sentence(metric, d, c) for d in (mine if len(mine) == 1 else claimed)]
    small = [d for d in mine if d.test is None]
    if len(small) == len(mine):
        return [_("{metric}: nothing claimed, every group has fewer than {min_n} values or is compared with "
                  "fewer.").format(metric=label, min_n=w.integer(c.min_n))]
    untested = (_("; not tested (n too small): {groups}").format(groups=", ".join(group_name(d.group) for d in small))
                if small else "")
    return [_("{metric}: within noise — no group differs from the others after correcting for "
              "{comparisons}{untested}.").format(
        metric=label, untested=untested, comparisons=plural("{n} comparison", "{n} comparisons", c.tests))]


def status(metric_id: str, c: GroupComparison) -> str:
    mine = [d for d in c.differences if d.metric_id == metric_id]
    if any(d.claimed for d in mine):
        return "differs"
    if mine and all(d.test is None for d in mine):
        return "small"
    return "noise"


def rule(c: GroupComparison) -> str:
    """When this page claims a difference."""
    against = _(" Each group is compared with all the others together.") if len(c.groups) > 2 else ""
    if not c.tests:
        return _("No difference was tested: a difference is tested only where each group has at least {min_n} "
                 "values.").format(min_n=w.integer(c.min_n)) + against
    return _("A difference is claimed only when each group has at least {min_n} values and its p value, "
             "{method}-corrected {comparisons}, is under {alpha}.").format(
        min_n=w.integer(c.min_n), method=correction(c), alpha=w.number(c.alpha, 2),
        comparisons=plural("over the {n} comparison made", "over the {n} comparisons made", c.tests)) + against


def cell(metric: Metric, group: str, c: GroupComparison) -> str:
    e = c.estimate(metric.id, group)
    if e.estimate is None:
        return "–"
    if e.low is None:
        return _("{value} (one call: no interval)").format(value=value(metric, e.estimate))
    return "{value} ({low}–{high})".format(value=value(metric, e.estimate), low=value(metric, e.low),
                                            high=value(metric, e.high))


# ---- the PBX's figures: service level, abandoned calls, speed of answer, handle time -------------

cdr: CdrKpis = data.cdr_kpis(db, dimension, since, until)
SOURCES = {"file": N_("the records' own column"), "recording": N_("the matched recording"),
           "agent": N_("the agent's latest call"), "unknown": N_("not known")}


def cdr_rule() -> str:
    """How the PBX's figures are counted (the settings cdr_*), in words."""
    r = cdr.rules
    base = (_("Service level: calls answered within {seconds} s of entering the queue, as a share of answered "
              "and abandoned calls; target {target}.") if r.abandoned == "against" else
            _("Service level: calls answered within {seconds} s of entering the queue, as a share of answered calls "
              "only (abandoned calls left out); target {target}."))
    short = (_("Calls abandoned within {seconds} s are left out of every figure.").format(
        seconds=w.number(r.short_abandon_s, 0)) if r.short_abandon_s > 0 else _("Every abandoned call counts."))
    return " ".join([base.format(seconds=w.number(r.service_level_s, 0), target=w.percent(r.target)), short,
                     _("Busy and failed calls count in none. Handle time runs from the answer to the hang-up (a "
                       "call record has no after-call work).")])


def cdr_section() -> None:
    st.subheader(_("Service level, abandoned calls and handle time (from the PBX)"))
    if cdr.empty:
        st.info(_("No call detail records in this period, so no service level, abandoned calls or handle time "
                  "to show. Import the PBX's records with `callqa import-cdr`."))
        return
    c = cdr.comparison
    found = ", ".join(f"{_(SOURCES[source])} {w.integer(n)}" for source, n in cdr.data.attribution.items() if n)
    st.caption(" ".join([
        plural("{n} call record", "{n} call records", len(cdr.data.values)) + ";",
        plural("{n} matches a recording", "{n} match a recording", cdr.data.matched) + ".",
        _("Group taken from: {sources}.").format(sources=found)]))
    names = [metric_name(m) for m in c.metrics]
    METRIC, VERDICT = _("Metric"), _("Verdict")
    table = pd.DataFrame({METRIC: names})
    for group in c.groups:
        name = group_name(group)
        table[name] = [cell(m, group, c) for m in c.metrics]
        table[_("n {group}").format(group=name)] = [c.estimate(m.id, group).n for m in c.metrics]
    if len(c.groups) > 1:
        table[VERDICT] = [_(STATUSES[status(m.id, c)]) for m in c.metrics]
    st.dataframe(table, hide_index=True, width="stretch", key="cdr_table", placeholder="–")
    counts = pd.DataFrame({
        _(DIMENSIONS[dimension]): [group_name(row.group) for row in cdr.table],
        _("Offered"): [row.offered for row in cdr.table], _("Answered"): [row.answered for row in cdr.table],
        _("Abandoned"): [row.abandoned for row in cdr.table],
        _("Short abandons"): [row.short_abandons for row in cdr.table],
        _("Busy or failed"): [row.failed for row in cdr.table]})
    st.dataframe(counts, hide_index=True, width="stretch", key="cdr_counts")
    st.caption(cdr_rule() + " " + rule(c))
    if len(c.groups) > 1:
        for verdict in sorted(c.verdicts, key=lambda v: not v.claimed):
            found_status = status(verdict.metric.id, c)
            tag = ui.badge(_(STATUSES[found_status]), "orange" if found_status == "differs" else "gray")
            for text in sentences(verdict.metric, c):
                st.markdown(f"{tag} {ui.quote(text)}")


# ---- the groups -------------------------------------------------------------------------------
if not result.groups:
    st.info(_("No processed calls in this period."))
    cdr_section()
    st.stop()

st.caption(" · ".join("**{group}** {calls}".format(group=ui.md(group_name(g)), calls=plural("{n} call", "{n} calls", n))
                      for g, n in zip(result.groups, result.calls)))
for note in result.notes:
    shown = note.in_words(w) if hasattr(note, "in_words") else note  # storage.comparison.Note
    st.caption(f":material/info: {ui.md(shown)}")
if len(result.groups) < 2:
    cdr_section()
    st.stop()


# ---- table ------------------------------------------------------------------------------------
st.subheader(_("Side by side"))
METRIC, VERDICT = _("Metric"), _("Verdict")
table = pd.DataFrame({METRIC: [metric_name(m) for m in result.metrics]})
config: dict[str, Any] = {METRIC: st.column_config.TextColumn(width="large")}
for group in result.groups:
    name = group_name(group)
    n_name = _("n {group}").format(group=name)
    table[name] = [cell(m, group, result) for m in result.metrics]
    table[n_name] = [result.estimate(m.id, group).n for m in result.metrics]
    config[name] = st.column_config.TextColumn(width="medium")
    config[n_name] = st.column_config.NumberColumn(format="%d", help=_("calls with a value"))
table[VERDICT] = [_(STATUSES[status(m.id, result)]) for m in result.metrics]
st.dataframe(table, hide_index=True, width="stretch", key="comparison_table", column_config=config,
             placeholder="–")
st.caption(_("Estimate (95% confidence interval); n: calls with a value.") + " " + rule(result))

# ---- chart ------------------------------------------------------------------------------------
st.subheader(_("With error bars"))
claimed_first = sorted(result.metrics, key=lambda m: status(m.id, result) != "differs")
labels = {m.id: m for m in result.metrics}
shown_id = st.selectbox(_("Metric"), [m.id for m in claimed_first], format_func=lambda i: metric_name(labels[i]),
                        key="compare_metric")
metric = labels[shown_id]
scale = 100 if metric.unit == "share" else 1
points = pd.DataFrame([
    {"group": group_name(e.group), "n": e.n, "estimate": e.estimate * scale,
     "low": None if e.low is None else e.low * scale, "high": None if e.high is None else e.high * scale}
    for e in result.estimates if e.metric_id == metric.id and e.estimate is not None
])
if points.empty:
    st.caption(_("No values of this metric in this period."))
else:
    unit = {"share": _("{metric} (%)"), "seconds": _("{metric} (s)")}.get(metric.unit, "{metric}")
    title = unit.format(metric=metric_name(metric))
    base = alt.Chart(points).encode(y=alt.Y("group:N", title=None, sort=[group_name(g) for g in result.groups],
                                            axis=alt.Axis(labelLimit=320)))
    bars = (base.transform_filter("isValid(datum.low)").mark_errorbar(ticks=True, thickness=2)
            .encode(x=alt.X("low:Q", title=title), x2="high:Q"))
    dots = base.mark_point(filled=True, size=90).encode(
        x="estimate:Q",
        tooltip=[alt.Tooltip("group:N", title=_(DIMENSIONS[dimension])),
                 alt.Tooltip("n:Q", title=_("calls with a value"), format="d"),
                 alt.Tooltip("estimate:Q", format=".1f", title=_("estimate")),
                 alt.Tooltip("low:Q", format=".1f", title=_("interval from")),
                 alt.Tooltip("high:Q", format=".1f", title=_("interval to"))])
    st.altair_chart((bars + dots).properties(height=alt.Step(44)), width="stretch", key="comparison_chart")
    st.caption(_("The dot is the estimate, the bar its 95% confidence interval. Overlapping bars alone do not "
                 "prove there is no difference; the verdicts below test it."))

# ---- verdicts ---------------------------------------------------------------------------------
st.subheader(_("What the numbers say"))
for verdict in sorted(result.verdicts, key=lambda v: not v.claimed):
    found = status(verdict.metric.id, result)
    tag = ui.badge(_(STATUSES[found]), "orange" if found == "differs" else "gray")
    for text in sentences(verdict.metric, result):
        st.markdown(f"{tag} {ui.quote(text)}")

cdr_section()
