"""Reviewer calibration sessions (``?session=ID``): a lead picks calls and reviewers; each reviewer scores the
calls blind (views/calibration_scoring.py); once the session is closed, how far the reviewers agree per
criterion (kappa with its interval, percent agreement), where they disagree most, and the machine beside the
reviewers' majority. Only the session's lead, its reviewers and admins can open it (usecases.calibration_sessions
checks; a URL to another session reads as a session that does not exist).
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from qa_app import auth, data, links, ui
from qa_app.i18n import _, plural
from usecases import users

user = auth.require(users.can_review)
db = str(data.database_path())
st.title(_("Calibration sessions"))
st.page_link("views/calibration.py", label=_("Reviewers against the machine"), icon=":material/balance:")

FLASH_KEY = "calibration_session_flash"
_asked = links.text("session", st.query_params.get("session"))
if _asked.problem:
    st.warning(_asked.problem, icon=":material/link_off:")
session_id = _asked.value or ""


def _flash() -> None:
    flash = st.session_state.pop(FLASH_KEY, None)
    if flash is not None:
        kind, message = flash
        {"success": st.success, "warning": st.warning}.get(kind, st.error)(message)


def _status(session) -> str:
    if not session.closed:
        return _("open")
    return _("closed by {who}, {when}").format(who=ui.md(session.closed_by), when=ui.when(session.closed_at))


def _kappa(value: float | None) -> str:
    return "–" if value is None else ui.number(value, 2)


# ---- one session ------------------------------------------------------------------------------------


def _draw_results(session) -> None:
    found = data.calibration_results(db, session.session_id, user)
    st.subheader(_("Agreement per criterion"))
    st.caption(_("Kappa: Cohen's for two reviewers, Fleiss' for three or more (1 = full agreement, 0 = no better "
                 "than chance). The 95% interval comes from a bootstrap over the calls ({resamples} "
                 "resamples, fixed seed {seed}), widened for few calls. Agreement: the share of reviewer pairs "
                 "who gave the same verdict.").format(
        resamples=ui.words().integer(found.resamples), seed=found.seed))
    if found.few_calls:
        st.warning(plural(
            "Only {n} call in this session: the intervals are wide and the kappas say little (under five calls "
            "none is drawn). Ten calls or more give a usable interval.",
            "Only {n} calls in this session: the intervals are wide and the kappas say little (under five calls "
            "none is drawn). Ten calls or more give a usable interval.", len(found.calls)), icon=":material/warning:")
    for reviewer, given in found.left_out.items():
        st.info(_("{reviewer} answered {given} of {questions} questions: left out of the kappa of every criterion "
                  "they did not answer on every call.").format(
            reviewer=ui.md(reviewer), given=ui.words().integer(given), questions=ui.words().integer(found.questions)))
    a, b, c = st.columns(3)
    a.metric(_("Calls"), ui.words().integer(len(found.calls)))
    b.metric(_("Reviewers"), ui.words().integer(len(session.reviewers)))
    c.metric(_("Machine agrees with the majority"),
             ui.percent(found.machine_agrees / found.machine_compared) if found.machine_compared else "–",
             help=_("call × criterion pairs with a majority (no tie) where the automatic verdict is the "
                    "reviewers' majority verdict; an automatic “unknown” counts as not agreeing"))

    CRITERION, KAPPA, INTERVAL, AGREEMENT = _("Criterion"), _("Kappa"), _("95% interval"), _("Agreement")
    RATERS, MACHINE, NOTE = _("Reviewers"), _("Machine = majority"), _("Note")
    rows = []
    for f in found.criteria:
        note = ""
        if f.one_verdict:
            note = _("everyone gave the same verdict on every call: kappa is undefined, agreement is complete")
        elif f.method == "":
            note = _("fewer than two reviewers answered it on every call")
        rows.append({
            CRITERION: ui.criterion(f.criterion_id),
            KAPPA: _kappa(f.kappa) + ("" if f.kappa is None else " " + (_("(Cohen)") if f.method == "cohen"
                                                                         else _("(Fleiss)"))),
            INTERVAL: _("{low} … {high}").format(low=_kappa(f.low), high=_kappa(f.high))
            if f.low is not None and f.high is not None else "–",
            AGREEMENT: ui.percent(f.agreement),
            RATERS: ui.words().integer(len(f.raters)),
            MACHINE: _("{agrees} of {compared}").format(agrees=ui.words().integer(f.machine_agrees),
                                                         compared=ui.words().integer(f.machine_compared)),
            NOTE: note,
        })
    with st.container(key="calibration_kappa_table"):  # a plain table: one row per criterion, read as text
        st.table(pd.DataFrame(rows).set_index(CRITERION))

    st.subheader(_("Most disagreement"))
    split_calls = [d for d in found.calls if d.split_criteria]
    if not split_calls:
        st.success(_("The reviewers gave the same verdicts on every call."))
    for d in split_calls[:5]:
        st.page_link("views/call.py", icon=":material/call:", query_params={"call_id": d.call_id},
                     label=_("{recording}: {share} of reviewer pairs disagree · {criteria}").format(
                         recording=ui.md(d.file_name), share=ui.percent(d.disagreement),
                         criteria=plural("{n} split criterion", "{n} split criteria", d.split_criteria)))
    split_cells = [x for x in found.cells if x.agreement is not None and x.agreement < 1]
    if split_cells:
        st.dataframe(pd.DataFrame([{
            _("Call"): x.file_name,
            CRITERION: ui.criterion(x.criterion_id),
            _("Verdicts"): ", ".join(_("{reviewer}: {verdict}").format(reviewer=r, verdict=ui.verdict(v))
                                     for r, v in sorted(x.verdicts.items())),
            AGREEMENT: ui.percent(x.agreement),
        } for x in split_cells[:20]]), hide_index=True, width="stretch", key="calibration_split_table")

    st.subheader(_("The machine beside the reviewers' majority"))
    st.dataframe(pd.DataFrame([{
        _("Call"): x.file_name,
        CRITERION: ui.criterion(x.criterion_id),
        _("Reviewers' majority"): ui.verdict(x.consensus) if x.consensus is not None else _("tie"),
        _("Machine"): ui.verdict(x.machine) if x.machine is not None else "–",
        _("Same?"): "–" if x.machine_agrees is None else (_("yes") if x.machine_agrees else _("no")),
    } for x in sorted(found.cells, key=lambda x: (x.file_name, x.criterion_id))]),
        hide_index=True, width="stretch", key="calibration_machine_table")


def _close() -> None:
    try:
        data.close_calibration_session(db, session_id, user)
    except data.CalibrationRefused as err:
        st.session_state[FLASH_KEY] = ("error", err.in_words(ui.words()))
    except data.DatabaseUnavailable as err:
        st.session_state[FLASH_KEY] = ("error", ui.md(err.in_words(ui.words())))
    else:
        st.session_state[FLASH_KEY] = ("success", _("Session closed: its reviewers see the results now."))


def _draw_session() -> None:
    try:
        session = data.calibration_session(db, session_id, user)
    except data.CalibrationRefused as err:
        st.error(err.in_words(ui.words()), icon=":material/lock:")
        st.page_link("views/calibration_sessions.py", label=_("All calibration sessions"),
                     icon=":material/arrow_back:")
        st.stop()
    st.page_link("views/calibration_sessions.py", label=_("All calibration sessions"), icon=":material/arrow_back:")
    st.header(ui.md(session.name))
    st.caption(_("Led by {lead}, created {when} · {calls} · {status}").format(
        lead=ui.md(session.created_by), when=ui.when(session.created_at),
        calls=plural("{n} call", "{n} calls", session.calls), status=_status(session)))
    _flash()
    manages = data.calibration_may_manage(user, session)
    if not session.closed:
        if user.name in session.reviewers:
            st.page_link("views/calibration_scoring.py", label=_("Score the calls (blind)"),
                         icon=":material/rate_review:", query_params={"session": session.session_id})
        if manages:
            st.subheader(_("Progress"))
            for p in data.calibration_progress(db, session.session_id, user):
                st.progress(p.answered / p.questions if p.questions else 0.0,
                            text=_("{reviewer}: {answered} of {questions} answers").format(
                                reviewer=ui.md(p.reviewer), answered=ui.words().integer(p.answered),
                                questions=ui.words().integer(p.questions)))
            st.button(_("Close the session"), key="calibration_close", on_click=_close, type="primary",
                      help=_("Reviewers can change their answers until the session is closed; then they see the "
                             "results too."))
        if not data.calibration_may_read_results(db, session, user):
            st.info(_("The results appear when every reviewer has answered (for the lead) or when the lead closes "
                      "the session (for everyone in it)."))
            return
    _draw_results(session)


# ---- the list and a new session ----------------------------------------------------------------------


def _create() -> None:
    name = st.session_state.get("calibration_new_name", "")
    calls = list(st.session_state.get("calibration_new_calls", []))
    reviewers = list(st.session_state.get("calibration_new_reviewers", []))
    try:
        created = data.create_calibration_session(db, name, user, calls, reviewers)
    except data.CalibrationRefused as err:
        st.session_state[FLASH_KEY] = ("error", err.in_words(ui.words()))
        return
    except data.DatabaseUnavailable as err:
        st.session_state[FLASH_KEY] = ("error", ui.md(err.in_words(ui.words())))
        return
    for key in ("calibration_new_name", "calibration_new_calls", "calibration_new_reviewers"):
        st.session_state.pop(key, None)
    st.session_state[FLASH_KEY] = ("success", _("Session “{name}” created: the reviewers find it under "
                                                "“Blind scoring”.").format(name=ui.md(name.strip())))
    st.query_params["session"] = created


def _draw_list() -> None:
    _flash()
    mine = data.calibration_sessions_for(db, user)
    if not mine:
        st.info(_("No calibration session yet that you lead or take part in."))
    for s in mine:
        st.page_link("views/calibration_sessions.py", icon=":material/groups:", query_params={"session": s.session_id},
                     label=_("{name} · {calls} · {reviewers} · {status}").format(
                         name=ui.md(s.name), calls=plural("{n} call", "{n} calls", s.calls),
                         reviewers=plural("{n} reviewer", "{n} reviewers", len(s.reviewers)), status=_status(s)))
    if not users.can_lead_calibration(user):
        return
    st.subheader(_("New session"))
    candidates = data.calibration_candidates(db)
    names = {c.call_id: c for c in candidates}
    reviewers = {u.name: u for u in data.calibration_reviewers()}
    with st.form("calibration_new", border=True):
        st.text_input(_("Name"), key="calibration_new_name", placeholder=_("e.g. Week 12, greetings"))
        st.multiselect(
            _("Calls"), list(names), key="calibration_new_calls",
            format_func=lambda x: _("{recording} · {operator} · {when}").format(
                recording=names[x].file_name, operator=names[x].operator_id or "–", when=ui.when(names[x].call_at)),
            help=_("The latest processed calls; type part of a recording's name to find one."))
        st.multiselect(_("Reviewers taking part"), list(reviewers), key="calibration_new_reviewers",
                       format_func=lambda x: reviewers[x].label,
                       help=_("Each scores every call without seeing the machine's or the others' verdicts."))
        st.form_submit_button(_("Create the session"), on_click=_create, type="primary")


if session_id:
    _draw_session()
else:
    _draw_list()
