"""Call review (deep link ``?call_id=...``): listen, read, and confirm or override each verdict."""

from __future__ import annotations

import streamlit as st

from qa_app import data, ui

db = str(data.database_path())
call_id = st.query_params.get("call_id", "").strip()

st.page_link("pages/queue.py", label="Review queue", icon=":material/arrow_back:")

if not call_id:
    st.info("No call selected: open one from the review queue.")
    st.stop()

call = data.call(db, call_id)
if call is None:
    st.warning(f"There is no call `{call_id}` in this database.")
    st.stop()

PLAY_KEY = f"play_from:{call_id}"
FLASH_KEY = "review_flash"


def _play_from(seconds: float) -> None:
    st.session_state[PLAY_KEY] = seconds


def _save_verdict(criterion_id: str, auto_result: str) -> None:
    verdict = st.session_state.get(f"verdict_{criterion_id}")
    if verdict is None:
        st.session_state[FLASH_KEY] = ("warning", f"Choose a verdict for {ui.label(criterion_id)} before saving.")
        return
    comment = st.session_state.get(f"comment_{criterion_id}", "")
    action = data.review_action(auto_result, verdict)
    try:
        data.save_verdict(db, call_id, criterion_id, auto_result, verdict, data.reviewer_name(), comment)
    except data.DatabaseUnavailable as err:
        st.session_state[FLASH_KEY] = ("error", f"Not saved: {err}")
        return
    st.session_state[FLASH_KEY] = ("success", f"{ui.label(criterion_id)}: {action} → {ui.VERDICT_LABELS[verdict]} saved.")


def _mark_reviewed() -> None:
    try:
        data.mark_reviewed(db, call_id, data.reviewer_name())
    except data.DatabaseUnavailable as err:
        st.session_state[FLASH_KEY] = ("error", f"Not saved: {err}")
        return
    st.session_state[FLASH_KEY] = ("success", "Call marked as reviewed.")


def _play_button(seconds: float, key: str) -> None:
    st.button(f"▶ {ui.clock(seconds)}", key=key, on_click=_play_from, args=(seconds,), help="Play from here", width="content")


# ---- header ----------------------------------------------------------------------------------

st.title(call.file_name)
details = [f"call `{call.call_id}`"]
if call.processed_at:
    details.append(f"processed {call.processed_at:%Y-%m-%d %H:%M} UTC")
if call.scorecard_name:
    details.append(f"scorecard {call.scorecard_name} v{call.scorecard_version}")
if call.asr_model:
    details.append(f"{call.asr_model}, speakers by {call.speaker_method}")
st.caption(" · ".join(details))

if call.status != "processed":
    st.error(f"This recording was {call.status}: {call.error or 'no reason recorded'}")
    st.stop()

score, duration, language, channels, confidence = st.columns(5)
score.metric("Score", "–" if call.score is None else f"{call.score:.0f}")
duration.metric("Duration", ui.clock(call.duration_s))
language.metric("Language", call.language or "–")
channels.metric("Channels", "stereo (2)" if call.channels == 2 else ("mono" if call.channels == 1 else str(call.channels)))
confidence.metric("ASR confidence", "–" if call.asr_confidence is None else f"{call.asr_confidence:.2f}")
st.markdown(f"**Flags:** {ui.flag_badges(call.flags)}")

history = data.reviews(db, call_id)
done = history[history["action"] == "reviewed"]
if done.empty:
    status, button = st.columns([4, 1], vertical_alignment="center")
    status.markdown(ui.badge("not reviewed yet", "orange"))
    button.button("Mark call reviewed", key="mark_reviewed", type="primary", on_click=_mark_reviewed, width="stretch")
else:
    last = done.iloc[-1]
    st.markdown(f"{ui.badge('reviewed', 'green')} by {last['reviewer']} at {last['created_at']:%Y-%m-%d %H:%M} UTC")

flash = st.session_state.pop(FLASH_KEY, None)
if flash is not None:
    kind, message = flash
    {"success": st.success, "warning": st.warning}.get(kind, st.error)(message)

# ---- player ----------------------------------------------------------------------------------

start = st.session_state.get(PLAY_KEY)
if call.audio_exists:
    # Start a second early so the moment is heard in context.
    st.audio(
        call.source_path,
        format=ui.audio_type(call.source_path),
        start_time=0 if start is None else max(int(start) - 1, 0),
        autoplay=start is not None,
    )
    if start is not None:
        st.caption(f"Playing from {ui.clock(start)}")
else:
    st.warning(f"The recording is no longer at `{call.source_path}`: the transcript and verdicts are still here.")

# ---- scorecard -------------------------------------------------------------------------------

st.subheader("Scorecard")
criteria = data.criteria(db, call_id)
if not criteria:
    st.caption("No verdicts stored for this call's scorecard.")

COLUMNS = [3, 3.2, 3.8]
head = st.columns(COLUMNS, gap="medium")
head[0].markdown("**Criterion · automatic verdict**")
head[1].markdown("**Evidence**")
head[2].markdown("**Reviewer verdict**")

# Failures first: they are what the reviewer is here for.
ORDER = {"fail": 0, "unknown": 1, "pass": 2, "na": 3}
for c in sorted(criteria, key=lambda c: (ORDER.get(c.result, 4), not c.critical, c.id)):
    with st.container(border=True, key=f"criterion_{c.id}"):
        what, evidence, review = st.columns(COLUMNS, gap="medium")

        critical = " " + ui.badge("critical", "red") if c.critical else ""
        what.markdown(f"**{ui.label(c.id)}** {ui.result_badge(c.result)}{critical}")
        how = [f"`{c.id}`", c.method]
        if c.confidence is not None:
            how.append(f"confidence {c.confidence:.2f}")
        if c.weight is not None:
            how.append(f"weight {c.weight:g}")
        what.caption(" · ".join(how) + (f" — {c.reason}" if c.reason else ""))

        if c.evidence is None:
            evidence.caption("no evidence quote")
        elif c.evidence.start is None:
            evidence.markdown(f"“{ui.quote(c.evidence.text)}”")
        else:
            with evidence.container(horizontal=True, vertical_alignment="center", wrap=False):
                _play_button(c.evidence.start, key=f"evidence_{c.id}")
                st.markdown(f"“{ui.quote(c.evidence.text)}”")

        if c.review is not None:
            by = f"{c.review.reviewer}, {c.review.created_at:%Y-%m-%d %H:%M}"
            kind = "confirmed" if c.review.verdict == c.result else "overridden"
            review.markdown(f"{kind} → {ui.result_badge(c.review.verdict)} ({by})")
            if c.review.comment:
                review.caption(f"“{c.review.comment}”")
        with review.form(key=f"review_{c.id}", border=False):
            current = c.review.verdict if c.review else c.result
            select, comment, save = st.columns([1.3, 2, 0.9], vertical_alignment="bottom")
            select.selectbox(
                "Verdict",
                data.VERDICTS,
                index=data.VERDICTS.index(current) if current in data.VERDICTS else None,
                format_func=ui.VERDICT_LABELS.get,
                placeholder="choose…",
                key=f"verdict_{c.id}",
                label_visibility="collapsed",
            )
            comment.text_input(
                "Comment", key=f"comment_{c.id}", placeholder="comment (optional)", label_visibility="collapsed"
            )
            save.form_submit_button("Save", key=f"save_{c.id}", on_click=_save_verdict, args=(c.id, c.result), width="stretch")

# ---- transcript ------------------------------------------------------------------------------

st.subheader("Transcript")
segments = data.segments(db, call_id)
if not segments:
    st.caption("No speech was recognised in this call.")
else:
    with st.container(height=520, key="transcript"):
        for s in segments:
            play, who, text = st.columns([0.9, 1.1, 8], vertical_alignment="center")
            with play:
                _play_button(s.start, key=f"segment_{s.idx}")
            who.markdown(ui.badge(s.speaker, ui.SPEAKER_COLORS.get(s.speaker, "gray")))
            text.markdown(ui.quote(s.text))

if not history.empty:
    with st.expander(f"Review history ({len(history)})"):
        st.dataframe(history, hide_index=True, width="stretch", key="review_history")
