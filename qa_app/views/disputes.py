"""Disputes: operators' disputes of a verdict waiting for a reviewer, oldest first. Each shows the call, the
operator, the criterion, the machine's and any reviewer's verdict, the operator's comment and its age; the
reviewer opens the call, then upholds the verdict or overturns it (a reviewer's override, so the call's
current verdict changes everywhere), with a comment the operator reads. Who and when are kept.
"""

from __future__ import annotations

from datetime import datetime, timezone

import streamlit as st

from qa_app import auth, data, ui
from qa_app.i18n import _, plural
from storage.disputes import AlreadyResolved
from usecases import masking, users
from usecases.disputes import Dispute, overturned_verdict

db = str(data.database_path())
user = auth.require(users.can_resolve_disputes)
show_raw = users.can_see_unredacted(user)
FLASH_KEY = "disputes_flash"

st.title(_("Disputes"))
st.caption(_("Operators' disputes of a verdict, oldest first. Open the call, then uphold the verdict or overturn "
             "it; the operator sees your answer and comment."))

flash = st.session_state.pop(FLASH_KEY, None)
if flash is not None:
    kind, message = flash
    {"success": st.success, "warning": st.warning}.get(kind, st.error)(message)

waiting: list[Dispute] = data.open_disputes(db, user)
if not waiting:
    st.info(_("No dispute is waiting for a reviewer."), icon=":material/done_all:")
    st.stop()
st.markdown(plural("{n} dispute waits for a reviewer.", "{n} disputes wait for a reviewer.", len(waiting)))


def _age(raised_at: datetime) -> str:
    seconds = (datetime.now(timezone.utc).replace(tzinfo=None) - raised_at).total_seconds()
    hours = max(0, int(seconds // 3600))
    if hours < 1:
        minutes = max(1, int(seconds // 60))
        return plural("{n} minute", "{n} minutes", minutes)
    if hours < 48:
        return plural("{n} hour", "{n} hours", hours)
    days = hours // 24
    return plural("{n} day", "{n} days", days)


def _comment(text: str | None, language: str | None = None) -> str:
    return ui.said(text if show_raw or text is None else masking.masked(text, language))


def _resolve(d: Dispute) -> None:
    outcome = st.session_state.get(f"outcome_{d.dispute_id}")
    comment = st.session_state.get(f"resolution_comment_{d.dispute_id}", "")
    new_verdict = st.session_state.get(f"new_verdict_{d.dispute_id}") if outcome == "overturned" else None
    if outcome not in ("upheld", "overturned"):
        st.session_state[FLASH_KEY] = ("warning", _("Choose whether the verdict stands or is overturned."))
        return
    if not (comment or "").strip():
        st.session_state[FLASH_KEY] = ("warning", _("Write a comment for the operator: why the verdict stands or "
                                                    "changes."))
        return
    try:
        data.resolve_dispute(db, user, d.dispute_id, outcome, comment, new_verdict)
    except AlreadyResolved:
        st.session_state[FLASH_KEY] = ("warning", _("Another reviewer has already resolved this dispute."))
        return
    except ValueError:
        st.session_state[FLASH_KEY] = ("warning", _("An overturn changes the verdict: choose another one."))
        return
    except data.DatabaseUnavailable as err:
        st.session_state[FLASH_KEY] = ("error", _("Not saved: {reason}").format(
            reason=ui.md(err.in_words(ui.words()))))
        return
    done = (_("{criterion} on {file}: overturned, the verdict is now {verdict}.") if outcome == "overturned"
            else _("{criterion} on {file}: upheld, the verdict stands."))
    st.session_state[FLASH_KEY] = ("success", done.format(criterion=ui.criterion(d.criterion_id), file=d.file_name,
                                                          verdict=ui.verdict(new_verdict)))


def _outcome_choice(outcome: str) -> str:
    return _("Upheld: the verdict stands") if outcome == "upheld" else _("Overturned: change the verdict")


for d in waiting:
    with st.container(border=True, key=f"dispute_{d.dispute_id}"):
        st.markdown(_("**{file}** · operator {operator} · {criterion}").format(
            file=ui.md(d.file_name), operator=ui.md(d.operator_id), criterion=ui.md(ui.criterion(d.criterion_id))))
        reviewer = (ui.result_badge(d.review_verdict) if d.review_verdict is not None
                    else ui.badge(_("not reviewed"), "gray"))
        st.markdown(_("Machine: {machine} · reviewer: {reviewer} · disputed: {disputed} · raised {when} ({age} ago)"
                      ).format(machine=ui.result_badge(d.auto_result or "unknown"), reviewer=reviewer,
                               disputed=ui.result_badge(d.disputed_verdict), when=ui.when(d.raised_at),
                               age=_age(d.raised_at)))
        st.markdown(_("Operator's comment: “{comment}”").format(comment=_comment(d.comment)))
        st.page_link("views/call.py", label=_("Open the call"), icon=":material/call:",
                     query_params={"call_id": d.call_id})
        outcome = st.radio(_("Resolution"), ["upheld", "overturned"], key=f"outcome_{d.dispute_id}", index=None,
                           horizontal=True, format_func=_outcome_choice)
        if outcome == "overturned":
            choices = [v for v in data.VERDICTS if v != d.disputed_verdict]
            st.selectbox(_("New verdict"), choices, key=f"new_verdict_{d.dispute_id}", format_func=ui.verdict,
                         index=choices.index(overturned_verdict(d.disputed_verdict)))
        st.text_area(_("Comment for the operator (required)"), key=f"resolution_comment_{d.dispute_id}",
                     max_chars=2000)
        st.button(_("Resolve"), key=f"resolve_{d.dispute_id}", on_click=_resolve, args=(d,), type="primary",
                  icon=":material/gavel:")
