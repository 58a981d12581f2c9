"""My evaluations (``?call_id=...``): an operator's own calls, their score and verdicts, the transcript with
personal data masked (never unredacted, whatever the role's other rights); they acknowledge an evaluation
or dispute one verdict with a comment, and read how reviewers answered.

Only an operator tied to an operator id opens this page (``users.can_see_own_evaluations``); every read
goes through ``usecases.disputes``, which refuses any call that is not theirs, the same way whether or not
the call exists. No recording player here: the player's muting and delivery live on the staff call page.
"""

from __future__ import annotations

import streamlit as st

from qa_app import auth, data, links, ui
from qa_app.i18n import _
from usecases import masking, users
from usecases.disputes import AlreadyDisputed, Dispute, Evaluation, NotAllowed, OperatorCall

db = str(data.database_path())
user = auth.require(users.can_see_own_evaluations)
FLASH_KEY = "my_calls_flash"

st.title(_("My evaluations"))
st.caption(_("The calls you handled, as the quality team evaluated them. Personal data is masked. Acknowledge an "
             "evaluation once you have read it, or dispute a verdict you think is wrong: a reviewer answers."))

_asked = links.text("call_id", st.query_params.get("call_id"))
if _asked.problem:
    st.warning(_asked.problem, icon=":material/link_off:")

calls: list[OperatorCall] = data.my_calls(db, user)
if not calls:
    st.info(_("No evaluated calls of yours yet."))
    st.stop()


def _call_label(c: OperatorCall) -> str:
    score = "–" if c.score is None else ui.number(c.score, 0)
    seen = " ✓" if c.acknowledged_at is not None else ""
    return _("{when} · {file} · score {score}").format(when=ui.when(c.call_at), file=c.file_name, score=score) + seen


def _outcome_words(d: Dispute) -> str:
    """What became of a dispute, for the operator."""
    if d.resolution is None:
        return ui.badge(_("waiting for a reviewer"), "orange")
    r = d.resolution
    if r.outcome == "overturned":
        head = ui.badge(_("overturned"), "green") + " " + _("the verdict is now {verdict}").format(
            verdict=ui.result_badge(r.new_verdict or ""))
    else:
        head = ui.badge(_("upheld"), "gray") + " " + _("the verdict stands")
    return head + " · " + _("{reviewer}, {when}: “{comment}”").format(  # a reviewer's words may quote the customer
        reviewer=ui.md(r.resolved_by), when=ui.when(r.resolved_at),
        comment=ui.said(None if r.comment is None else masking.masked(r.comment, None)))


by_id = {c.call_id: c for c in calls}
if _asked.value and _asked.value not in by_id:
    # Not theirs, or no such call: the same words either way, and nothing of it is read.
    st.warning(_("That call is not one of yours, so it cannot be shown here."), icon=":material/lock:")
ids = [c.call_id for c in calls]
chosen = _asked.value if _asked.value in by_id else ids[0]
if st.session_state.get("my_call") not in by_id:
    st.session_state["my_call"] = chosen
selected = st.selectbox(_("Call"), ids, key="my_call", format_func=lambda i: _call_label(by_id[i]))
st.query_params["call_id"] = selected

try:
    evaluation: Evaluation = data.evaluation(db, user, selected)
except NotAllowed:
    st.warning(_("That call is not one of yours, so it cannot be shown here."), icon=":material/lock:")
    st.stop()
call = evaluation.call


def _acknowledge() -> None:
    try:
        data.acknowledge(db, user, call.call_id)
    except data.DatabaseUnavailable as err:
        st.session_state[FLASH_KEY] = ("error", _("Not saved: {reason}").format(
            reason=ui.md(err.in_words(ui.words()))))
        return
    st.session_state[FLASH_KEY] = ("success", _("Evaluation acknowledged."))


flash = st.session_state.pop(FLASH_KEY, None)
if flash is not None:
    kind, message = flash
    {"success": st.success, "warning": st.warning}.get(kind, st.error)(message)

st.subheader(ui.md(call.file_name))
score_col, when_col, ack_col = st.columns(3)
score_col.metric(_("Score"), "–" if call.score is None else ui.number(call.score, 0))
when_col.metric(_("Call time"), ui.when(by_id[selected].call_at))
listed = evaluation.acknowledged
with ack_col:
    if listed is not None and listed.acknowledged_at is not None:
        st.success(_("Acknowledged {when}").format(when=ui.when(listed.acknowledged_at)), icon=":material/done:")
    else:
        st.button(_("Acknowledge this evaluation"), key="acknowledge", on_click=_acknowledge, type="primary",
                  icon=":material/done:")

# ---- verdicts ------------------------------------------------------------------------------------

st.markdown("#### " + _("Verdicts"))
disputed = {d.criterion_id: d for d in evaluation.disputes}  # the latest per criterion (oldest first)
for c in evaluation.criteria:
    with st.container(border=True, key=f"my_verdict_{c.id}"):
        now = c.review.verdict if c.review is not None else c.result
        line = f"**{ui.md(ui.criterion(c.id))}** · {ui.result_badge(now)}"
        if c.review is not None and c.review.verdict != c.result:
            line += " · " + _("the machine said {verdict}, a reviewer changed it").format(
                verdict=ui.verdict(c.result))
        elif c.review is not None:
            line += " · " + _("confirmed by a reviewer")
        st.markdown(line)
        if c.evidence is not None and c.evidence.text:
            at = "" if c.evidence.start is None else ui.clock(c.evidence.start) + " · "
            st.caption(at + "“" + ui.quote(c.evidence.text) + "”")
        if c.id in disputed:
            d = disputed[c.id]
            st.markdown(_("**Your dispute** ({when}): “{comment}” — {outcome}").format(
                when=ui.when(d.raised_at), comment=ui.said(d.comment), outcome=_outcome_words(d)))

# ---- dispute one verdict -------------------------------------------------------------------------

open_ids = {d.criterion_id for d in evaluation.disputes if d.open}
can_dispute = [c.id for c in evaluation.criteria if c.id not in open_ids]
st.markdown("#### " + _("Dispute a verdict"))
if not can_dispute:
    st.caption(_("Every verdict of this call already has a dispute waiting for a reviewer."))
else:
    verdict_of = {c.id: (c.review.verdict if c.review is not None else c.result) for c in evaluation.criteria}
    with st.form("dispute_form", clear_on_submit=True):
        criterion = st.selectbox(_("Verdict"), can_dispute, key="dispute_criterion",
                                 format_func=lambda i: f"{ui.criterion(i)} · {ui.verdict(verdict_of[i])}")
        comment = st.text_area(_("Why is it wrong? (required)"), key="dispute_comment", max_chars=2000)
        sent = st.form_submit_button(_("Send the dispute"), key="dispute_submit", icon=":material/gavel:")
    if sent:
        if not (comment or "").strip():
            st.error(_("Say why the verdict is wrong: a dispute needs a comment."))
        else:
            try:
                data.raise_dispute(db, user, call.call_id, criterion, comment)
            except AlreadyDisputed:
                st.warning(_("A dispute of this verdict already waits for a reviewer."))
            except data.DatabaseUnavailable as err:
                st.error(_("Not saved: {reason}").format(reason=ui.md(err.in_words(ui.words()))))
            else:
                st.session_state[FLASH_KEY] = ("success", _("Dispute sent: a reviewer will answer it."))
                st.rerun()

# ---- transcript (masked) -------------------------------------------------------------------------

with st.expander(_("Transcript (personal data masked)")):
    if not evaluation.segments:
        st.caption(_("This call's transcript is no longer kept."))
    for s in evaluation.segments:
        st.markdown(f"`{ui.clock(s.start)}` {ui.speaker_badge(s.speaker)} {ui.quote(s.text)}")

# ---- all my disputes -----------------------------------------------------------------------------

mine = data.my_disputes(db, user)
st.markdown("#### " + _("My disputes"))
if not mine:
    st.caption(_("You have not disputed any verdict yet."))
for d in mine:
    st.markdown(_("{when} · {file} · {criterion}: {outcome}").format(
        when=ui.when(d.raised_at), file=ui.md(d.file_name), criterion=ui.md(ui.criterion(d.criterion_id)),
        outcome=_outcome_words(d)))
