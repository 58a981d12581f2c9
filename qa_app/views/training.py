"""Training needs: where operators fail more than their team (and why a red operator has no topic), topics
to coach (criteria missed in k of the operator's last n judged calls) with the streak and the missed calls,
assigning a topic with a note and due date (trainers and admins), and the assignments' status, undo and
before/after."""

from __future__ import annotations

import altair as alt
import streamlit as st

from qa_app import auth, coaching, data, downloads, periods, ui
from qa_app.i18n import _, plural
from usecases import users

db = str(data.database_path())
user = auth.require()
may_assign = users.can_assign_coaching(user)
st.title(_("Training needs"))

options = data.filter_options(db)
when, teams = st.columns([2.2, 3], vertical_alignment="bottom")
with when:
    since, until = periods.period_input("training_period", options.first, options.last, days=30)
chosen_teams = tuple(teams.multiselect(_("Team"), options.teams, key="training_teams", placeholder=_("All teams")))

coaching.show_flash()
needs = data.training_needs(db, since, until, chosen_teams)
rule = needs.rule

# ---- heatmap ---------------------------------------------------------------------------------
st.subheader(_("Failure rate against the team"))
cells = needs.cells
if cells.empty:
    st.info(_("No judged calls with a known operator in this period."))
else:
    cells = cells.assign(criterion=[ui.criterion(c) for c in cells["criterion_id"]],
                         team_name=[t if isinstance(t, str) and t else _("no team") for t in cells["team"]],
                         fail_pct=cells["fail_rate"] * 100, diff_pp=cells["difference"] * 100,
                         team_pct=cells["team_fail_rate"] * 100, enough=cells["calls"] >= rule.min_misses)
    limit = max(abs(cells["diff_pp"].min()), abs(cells["diff_pp"].max()), 1)
    heat = (
        alt.Chart(cells).mark_rect()
        .encode(
            x=alt.X("criterion:N", title=None, axis=alt.Axis(labelLimit=0, labelAngle=-30, labelOverlap=False)),
            y=alt.Y("operator_id:N", title=None, axis=alt.Axis(labelLimit=0)),
            # Red: fails more often than the team (bad); blue: less often.
            color=alt.Color("diff_pp:Q", title=_("pp vs team"),
                            scale=alt.Scale(scheme="redblue", reverse=True, domain=[-limit, limit])),
            opacity=alt.condition(alt.datum.enough, alt.value(1.0), alt.value(0.35)),
            tooltip=[alt.Tooltip("operator_id:N", title=_("Operator")),
                     alt.Tooltip("team_name:N", title=_("Team")),
                     alt.Tooltip("criterion:N", title=_("Criterion")),
                     alt.Tooltip("fail_pct:Q", format=".0f", title=_("Fail rate, %")),
                     alt.Tooltip("team_pct:Q", format=".0f", title=_("Team fail rate, %")),
                     alt.Tooltip("calls:Q", format="d", title=_("Judged calls")),
                     alt.Tooltip("failed:Q", format="d", title=_("Failed")),
                     alt.Tooltip("misses:Q", format="d", title=_("Missed in the last calls")),
                     alt.Tooltip("recent_calls:Q", format="d", title=_("Last calls judged"))],
        )
        .properties(height=alt.Step(26))
    )
    st.altair_chart(heat, width="stretch", key="training_heatmap")
    st.caption(plural("Red: the operator fails this criterion more often than their team; blue: less often. "
                      "Pale cells rest on fewer than {n} judged call: too few for a coaching topic.",
                      "Red: the operator fails this criterion more often than their team; blue: less often. "
                      "Pale cells rest on fewer than {n} judged calls: too few for a coaching topic.",
                      rule.min_misses))
    if needs.no_topic:
        with st.container(border=True, key="no_topic"):
            st.markdown(_("**Red, but not a coaching topic yet**"))
            for line in coaching.no_topic_lines(needs.no_topic):
                st.markdown("- " + line)

# ---- ranked topics ----------------------------------------------------------------------------
st.subheader(_("Coaching topics"))
topics = needs.topics
head, export = st.columns([4, 1], vertical_alignment="bottom")
with export:
    downloads.download_button(_("Coaching plan CSV"), lambda: data.coaching_plan_csv(db, since, until),
                              file_name="coaching_plan.csv", mime="text/csv", key="export_plan")
rule_text = coaching.rule_text(rule)
if not topics:
    head.caption(_("No coaching topics in this period.") + " " + rule_text)
elif needs.total_topics > len(topics):
    head.caption(_("The {shown} topics with the most misses, of {total}; the coaching plan CSV lists all.")
                 .format(shown=ui.number(len(topics), 0), total=ui.number(needs.total_topics, 0)) + " " + rule_text)
else:
    head.caption(rule_text)
active = {(a.operator_id, a.criterion_id): a for a in reversed(data.coaching_list(db))}  # the newest wins


def _assign(operator_id: str, criterion_id: str) -> None:
    if not may_assign:
        st.session_state[coaching.FLASH] = {"kind": "error", "text": _("Your role cannot assign coaching.")}
        return
    key = f"{operator_id}_{criterion_id}"
    coaching.assign(db, operator_id, criterion_id, user, st.session_state.get(f"note_{key}", ""),
                    st.session_state.get(f"due_{key}"))


for t in topics:
    key = f"{t.operator_id}_{t.criterion_id}"
    with st.container(border=True, key=f"topic_{key}"):
        what, examples, action = st.columns([3, 3, 2.4], vertical_alignment="center")
        what.markdown(f"**{ui.md(t.operator_id)}** · {ui.criterion(t.criterion_id)}")
        what.markdown(coaching.streak_line(t))
        what.caption(_("in the period: fails {rate} of {calls} (team {team_rate}); {excess} more failures than a "
                       "team-average operator").format(rate=ui.percent(t.fail_rate),
                                                       calls=plural("{n} judged call", "{n} judged calls", t.calls),
                                                       team_rate=ui.percent(t.team_fail_rate),
                                                       excess=ui.number(t.excess_failures, 1)))
        with examples:
            st.caption(_("Missed calls, latest first:"))
            for e in t.examples:
                name = _("{recording} · {when}").format(recording=ui.md(e.recording), when=ui.when(e.call_at))
                if e.at_s is None:
                    st.page_link("views/call.py", label=name, icon=":material/play_circle:",
                                 query_params={"call_id": e.call_id})
                else:
                    moment = _("{call} at {moment}").format(call=name, moment=ui.clock(e.at_s))
                    st.page_link("views/call.py", label=moment, icon=":material/play_circle:",
                                 query_params={"call_id": e.call_id, "t": f"{e.at_s:.1f}"})
        current = active.get((t.operator_id, t.criterion_id))
        if current is not None:
            action.markdown(coaching.status_badge(current.status))
            action.caption(_("Due: {due}").format(due=coaching.due_text(current)))
        elif may_assign:
            action.text_input(_("Note"), key=f"note_{key}", placeholder=_("what to practise (optional)"))
            action.date_input(_("Due"), value=coaching.default_due(), key=f"due_{key}",
                              format=ui.words().date_format)
            action.button(_("Assign"), key=f"assign_{key}", on_click=_assign, args=(t.operator_id, t.criterion_id),
                          type="primary")
        else:
            action.caption(_("not assigned"))

# ---- assignments: status, undo, before / after ---------------------------------------------------
st.subheader(_("Assignments"))
show_cancelled = st.checkbox(_("Show cancelled assignments"), key="coaching_show_cancelled")
listed = data.coaching_list(db, include_cancelled=show_cancelled)
if not listed:
    st.caption(_("No topics assigned yet."))
else:
    results = data.coaching_results(db)
    st.dataframe(coaching.assignments_table(listed, results), hide_index=True, width="stretch",
                 key="assignments_table")
    chosen = coaching.pick_assignment(listed, key="coached_pick")
    coaching.assignment_panel(db, chosen, results.get(chosen.assignment_id), user, may_assign)
