"""Drawing the coaching workflow, shared by the training page and the operator dashboard: why an operator has
no topic, assignments with their note, due date, status and before/after, status changes and the undo."""

from __future__ import annotations

from datetime import date, timedelta

import altair as alt
import pandas as pd
import streamlit as st

from qa_app import data, ui
from qa_app.i18n import N_, _, plural
from storage.coaching import MISS_MARK, PASS_MARK, CoachingRule, CoachingTopic
from storage.training import WORKFLOW, Assignment
from usecases.coaching_assignments import RESULT_MIN_CALLS, CoachingResult, FailRate, NoTopic
from usecases.users import User

STATUS_LABELS: dict[str, str] = {"assigned": N_("Assigned"), "in_progress": N_("In progress"), "done": N_("Done"),
                                 "cancelled": N_("Cancelled")}
# Blue: waiting; orange: under way; green: done; grey: withdrawn.
STATUS_COLORS = {"assigned": "blue", "in_progress": "orange", "done": "green", "cancelled": "gray"}
FLASH = "coaching_flash"
# Days until an assignment is due, unless the trainer picks another day.
DEFAULT_DUE_DAYS = 14


def status_label(status: str) -> str:
    return _(STATUS_LABELS[status]) if status in STATUS_LABELS else ui.label(status)


def status_badge(status: str) -> str:
    return ui.badge(status_label(status), STATUS_COLORS.get(status, "gray"))


def overdue(a: Assignment, today: date | None = None) -> bool:
    return a.due_on is not None and a.status in ("assigned", "in_progress") and a.due_on < (today or date.today())


def due_text(a: Assignment) -> str:
    if a.due_on is None:
        return _("no due date")
    if overdue(a):
        return _("{day}, overdue").format(day=ui.day(a.due_on))
    return ui.day(a.due_on)


def default_due() -> date:
    return date.today() + timedelta(days=DEFAULT_DUE_DAYS)


def result_text(side: FailRate | None, after: bool) -> str:
    """``40% (5 calls)``, or why there is no rate yet; never a bare None."""
    if side is None:
        return _("once the assignment is stored")
    calls = plural("{n} judged call", "{n} judged calls", side.calls)
    if side.rate is None:
        return (_("not enough calls yet ({calls})") if after else _("not enough calls ({calls})")).format(calls=calls)
    return _("{rate} ({calls})").format(rate=ui.percent(side.rate), calls=calls)


def rule_text(rule: CoachingRule) -> str:
    """The rule that makes a topic, in the reader's words: k of the last n judged calls, not a single miss."""
    return plural("A topic is a criterion the operator missed in at least {{k}} of their last {n} judged call on it, "
                  "not once.",
                  "A topic is a criterion the operator missed in at least {{k}} of their last {n} judged calls on it, "
                  "not once.", rule.recent_calls).format(k=ui.number(rule.min_misses, 0))


def streak_line(t: CoachingTopic) -> str:
    """Markdown: the last n outcomes, oldest first (red ✗ missed, green ✓ passed), and how many were missed."""
    marks = "".join(f":red[**{MISS_MARK}**]" if c.missed else f":green[**{PASS_MARK}**]" for c in t.streak)
    missed = plural("missed {{misses}} of the last {n} judged call", "missed {{misses}} of the last {n} judged calls",
                    t.recent_calls).format(misses=ui.number(t.misses, 0))
    return _("{marks} {missed} (oldest first)").format(marks=marks, missed=missed)


def no_topic_lines(missing: list[NoTopic]) -> list[str]:
    """Markdown: for each operator red on the heatmap without a topic, which criteria and why (not repeated)."""
    lines = []
    for m in missing:
        rule = plural("a topic needs at least {{needed}} misses in the last {n} judged call on the criterion",
                      "a topic needs at least {{needed}} misses in the last {n} judged calls on the criterion",
                      m.window).format(needed=ui.number(m.needed, 0))
        had = plural("this operator missed {{misses}} of their last {n} judged call",
                     "this operator missed {{misses}} of their last {n} judged calls",
                     m.recent_calls).format(misses=ui.number(m.misses, 0))
        lines.append(_("**{operator}** · {criteria}: {rule}; {had}.").format(
            operator=ui.md(m.operator_id), criteria=", ".join(ui.criterion(c) for c in m.criteria), rule=rule,
            had=had))
    return lines


def show_flash() -> None:
    """The last coaching action's message, with an undo for a new assignment."""
    flash = st.session_state.pop(FLASH, None)
    if not flash:
        return
    if flash["kind"] == "error":
        st.error(flash["text"])
        return
    box, undo = st.columns([5, 1], vertical_alignment="center")
    box.success(flash["text"])
    if flash.get("undo"):
        undo.button(_("Undo"), key="coaching_undo", icon=":material/undo:", on_click=cancel,
                    args=(flash["db"], flash["undo"], flash["by"]))


def _journal_note(stored: bool) -> str:
    return "" if stored else " " + _("(kept in the journal while the nightly load holds the database)")


def _not_saved(err: Exception) -> str:
    reason = err.in_words(ui.words()) if isinstance(err, data.DatabaseUnavailable) else str(err)
    return _("Not saved: {reason}").format(reason=ui.md(reason))


def assign(db: str, operator_id: str, criterion_id: str, user: User, note: str, due_on: date | None) -> None:
    try:
        saved = data.assign_coaching(db, operator_id, criterion_id, user.name, note, due_on)
    except data.DatabaseUnavailable as err:
        st.session_state[FLASH] = {"kind": "error", "text": _not_saved(err)}
        return
    text = _("{criterion} assigned to {operator}.").format(criterion=ui.criterion(criterion_id),
                                                          operator=ui.md(operator_id))
    st.session_state[FLASH] = {"kind": "success", "text": text + _journal_note(saved.stored), "undo": saved.row_id,
                               "db": db, "by": user.name}


def cancel(db: str, assignment_id: str, by: str) -> None:
    try:
        saved = data.cancel_coaching(db, assignment_id, by)
    except (data.DatabaseUnavailable, ValueError) as err:
        st.session_state[FLASH] = {"kind": "error", "text": _not_saved(err)}
        return
    st.session_state[FLASH] = {"kind": "success",
                               "text": _("Assignment cancelled; its history is kept.") + _journal_note(saved.stored)}


def _status_changed(db: str, assignment_id: str, by: str, statuses: dict[str, str]) -> None:
    status = statuses[st.session_state[f"status_{assignment_id}"]]
    try:
        saved = data.set_coaching_status(db, assignment_id, status, by)
    except (data.DatabaseUnavailable, ValueError) as err:
        st.session_state[FLASH] = {"kind": "error", "text": _not_saved(err)}
        return
    st.session_state[FLASH] = {"kind": "success", "text": _("Status set to “{status}”.").format(
        status=status_label(status)) + _journal_note(saved.stored)}


def assignments_table(assignments: list[Assignment], results: dict[str, CoachingResult],
                      with_operator: bool = True) -> pd.DataFrame:
    """One row per assignment, every cell words (no None, no ids)."""
    rows = []
    for a in assignments:
        r = results.get(a.assignment_id)
        row = {
            _("Operator"): a.operator_id, _("Criterion"): ui.criterion(a.criterion_id),
            _("Status"): status_label(a.status), _("Due"): due_text(a), _("Assigned"): ui.day(a.assigned_at),
            _("By"): a.assigned_by, _("Note"): a.note or "–",
            _("Fail rate before"): result_text(r.before if r else None, after=False),
            _("Fail rate after"): result_text(r.after if r else None, after=True),
        }
        if not with_operator:
            row.pop(_("Operator"))
        rows.append(row)
    return pd.DataFrame(rows)


def pick_assignment(listed: list[Assignment], key: str) -> Assignment:
    """A selectbox over ``listed`` whose options are the labels the reader sees; the chosen assignment."""
    labels = [_("{operator} · {criterion} · {status} · {day}").format(
        operator=a.operator_id, criterion=ui.criterion(a.criterion_id), status=status_label(a.status),
        day=ui.day(a.assigned_at)) for a in listed]
    chosen = st.selectbox(_("Assignment"), labels, key=key)
    return listed[labels.index(chosen)] if chosen in labels else listed[0]


def assignment_panel(db: str, a: Assignment, result: CoachingResult | None, user: User, may_change: bool) -> None:
    """One assignment: note, due date, status (changeable), the undo, before/after, history and trend."""
    with st.container(border=True, key=f"assignment_{a.assignment_id}"):
        st.markdown(_("**{operator}** · {criterion} {status}").format(
            operator=ui.md(a.operator_id), criterion=ui.criterion(a.criterion_id), status=status_badge(a.status)))
        st.caption(_("Assigned by {by} on {day}; due: {due}.").format(by=ui.md(a.assigned_by),
                                                                       day=ui.day(a.assigned_at), due=due_text(a)))
        if a.pending:
            st.caption(_("Kept in the journal while the nightly load holds the database; stored after it."))
        st.markdown(_("Note: {note}").format(note=ui.md(a.note)) if a.note else _("No note."))
        if may_change and a.active:
            change, undo = st.columns([3, 1], vertical_alignment="bottom")
            # Options are the words themselves (no format_func), so the widget's value is what the reader sees.
            labels = [status_label(s) for s in WORKFLOW]
            change.selectbox(_("Status"), labels, index=WORKFLOW.index(a.status) if a.status in WORKFLOW else 0,
                             key=f"status_{a.assignment_id}", on_change=_status_changed,
                             args=(db, a.assignment_id, user.name, dict(zip(labels, WORKFLOW))))
            undo.button(_("Cancel assignment"), key=f"cancel_{a.assignment_id}", icon=":material/undo:",
                        on_click=cancel, args=(db, a.assignment_id, user.name))
        before, after = st.columns(2)
        change_pp = result.change if result else None
        # The rate as the metric, the calls behind it (or why there is none yet) below it: a metric's big
        # figure cuts a sentence off.
        for column, label, side, is_after in ((before, _("Fail rate before"), result.before if result else None, False),
                                              (after, _("Fail rate after"), result.after if result else None, True)):
            rate = side.rate if side is not None else None
            column.metric(label, ui.percent(rate),
                          delta=None if not is_after or change_pp is None
                          else _("{pp} pp").format(pp=ui.number(change_pp * 100, 0)),
                          delta_color="inverse")  # fewer failures after is good: green
            column.caption(result_text(side, after=is_after))
        st.caption(plural("Before: up to {n} judged call on this criterion just before the assignment; after: up to "
                          "{n} since.",
                          "Before: up to {n} judged calls on this criterion just before the assignment; after: up to "
                          "{n} since.", data.COACHING_COMPARE_CALLS)
                   + " " + plural("A rate needs at least {n} call.", "A rate needs at least {n} calls.",
                                  RESULT_MIN_CALLS))
        with st.expander(_("History")):
            for step in data.coaching_history(db, a.assignment_id):
                st.markdown(_("{when} · {who}: {status}").format(when=ui.when(step.changed_at),
                                                                  who=ui.md(step.changed_by),
                                                                  status=status_label(step.status)))
        _trend(db, a)


def _trend(db: str, a: Assignment) -> None:
    at = a.assigned_at
    weekly = data.weekly_fail_rate(db, a.operator_id, a.criterion_id, at - timedelta(days=90), at + timedelta(days=90))
    if weekly.empty:
        st.caption(_("No judged calls around the assignment yet."))
        return
    fail_rate, calls, week = _("Fail rate"), _("Calls"), _("Week")
    weekly = weekly.assign(week=[ui.words().local(w.to_pydatetime()).replace(tzinfo=None) for w in weekly["week"]])
    line = alt.Chart(weekly).mark_line(point=True, color="#d62728").encode(
        x=alt.X("week:T", title=None, axis=alt.Axis(format=date_axis_format())),
        y=alt.Y("fail_rate:Q", axis=alt.Axis(format="%"), title=fail_rate, scale=alt.Scale(domain=[0, 1])),
        tooltip=[alt.Tooltip("week:T", title=week, format=date_axis_format()),
                 alt.Tooltip("fail_rate:Q", format=".0%", title=fail_rate),
                 alt.Tooltip("calls:Q", format="d", title=calls)])
    local_at = ui.words().local(at).replace(tzinfo=None)
    rule = alt.Chart(pd.DataFrame({"at": [local_at]})).mark_rule(color="gray", strokeDash=[4, 3]).encode(x="at:T")
    st.altair_chart((line + rule).properties(height=200), width="stretch", key=f"trend_{a.assignment_id}")
    st.caption(_("Weekly fail rate on this criterion; the dashed line marks the assignment."))


def date_axis_format() -> str:
    """A chart's date labels in the reader's order (d3 format)."""
    return "%d.%m" if ui.words().locale == "ru" else "%b %d"

