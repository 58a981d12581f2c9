"""Call review (deep link ``?call_id=...[&t=SECONDS][&seg=IDX&q=QUERY]``): listen, read, and confirm or override
each verdict. ``t`` starts the player at a moment; ``seg`` and ``q`` (from transcript search) mark the matching
utterance and its words.

Reviewers (and admins) may confirm or override verdicts, flip the roles and mark the
call reviewed; trainers see everything read-only. Non-admins never see personal data:
stored transcripts are redacted, and the text is masked again on display in case
redaction was turned off; the player mutes the masked moments.
"""

from __future__ import annotations

import altair as alt
import pandas as pd
import streamlit as st

from pipeline.insights.satisfaction import describe_factor, main_factors
from pipeline.judging.scoring import HEARD_FLAG_SHARE
from qa_app import auth, data, downloads, links, player, queue_nav, ui
from qa_app.i18n import _
from usecases import masking, recording, users
from usecases.call_details import CallView, CriterionView, SegmentView

db = str(data.database_path())
user = auth.require()
may_review = users.can_review(user)
show_raw = users.can_see_unredacted(user)
# Every query parameter is checked (qa_app.links): a bad one is ignored with a note, never a traceback.
_asked_call = links.text("call_id", st.query_params.get("call_id"))
_asked_query = links.text("q", st.query_params.get("q"))
call_id = _asked_call.value or ""
search_query = _asked_query.value or ""
if search_query:
    st.page_link("views/search.py", label="Search results", icon=":material/arrow_back:",
                 query_params={"q": search_query})
elif call_id:
    queue_nav.draw(db, call_id)  # back to the queue with its filters, previous / next call through it
else:
    st.page_link("views/queue.py", label="Review queue", icon=":material/arrow_back:")
for _problem in (_asked_call.problem, _asked_query.problem):
    if _problem:
        st.warning(_problem, icon=":material/link_off:")

if not call_id:
    st.info("No call selected: open one from the review queue.")
    st.stop()

_found = data.call(db, call_id)
if _found is None:
    st.warning(f"There is no call “{ui.md(call_id)}” in this database.")
    st.stop()
call: CallView = _found  # typed as found: the helpers below read it too

PLAY_KEY = f"play_from:{call_id}"
FLASH_KEY = "review_flash"
LINK_KEY = f"link:{call_id}"
# A link to a moment (``&t=SECONDS``, from training needs, calibration or search) starts the player there,
# once per link: later play buttons move it, and another link into this call (another search match) applies.
_moment = links.moment("t", st.query_params.get("t"), call.duration_s)
_seg = links.index("seg", st.query_params.get("seg"))
for _problem in (_moment.problem, _seg.problem):
    if _problem:
        st.warning(_problem, icon=":material/link_off:")
_link = (st.query_params.get("t"), st.query_params.get("seg"))
if _moment.value is not None and st.session_state.get(LINK_KEY) != _link:
    st.session_state[LINK_KEY] = _link
    st.session_state[PLAY_KEY] = _moment.value
matched_idx = _seg.value


def _play_from(seconds: float) -> None:
    st.session_state[PLAY_KEY] = seconds


def _save_verdict(criterion_id: str, auto_result: str) -> None:
    verdict = st.session_state.get(f"verdict_{criterion_id}")
    if verdict is None:
        st.session_state[FLASH_KEY] = ("warning", f"Choose a verdict for {ui.criterion(criterion_id)} before saving.")
        return
    comment = st.session_state.get(f"comment_{criterion_id}", "")
    action = data.review_action(auto_result, verdict)
    _report(lambda: data.save_verdict(db, call_id, criterion_id, auto_result, verdict, user.name, comment, user.role),
            f"{ui.criterion(criterion_id)}: {action} → {ui.verdict(verdict)} saved.")


def _report(write, message: str) -> None:
    if not may_review:
        st.session_state[FLASH_KEY] = ("error", "Your role cannot change verdicts.")
        return
    try:
        saved = write()
    except data.DatabaseUnavailable as err:
        st.session_state[FLASH_KEY] = ("error", f"Not saved: {ui.md(err)}")
        return
    if not saved.stored:
        message += " (the nightly load holds the database: kept in the journal, stored in a moment)"
    st.session_state[FLASH_KEY] = ("success", message)


def _mark_reviewed() -> None:
    _report(lambda: data.mark_reviewed(db, call_id, user.name, role=user.role), "Call marked as reviewed.")


def _flip_roles() -> None:
    _report(lambda: data.flip_roles(db, call_id, user.name, role=user.role),
            "Operator and customer swapped. Verdicts are re-judged by `callqa rescore --flipped`.")


def _shown(text: str) -> str:
    return text if show_raw else masking.masked(text, call.language)


def _shown_marked(text: str, query: str) -> str:
    """Markdown of an utterance with the search query's words highlighted (personal data masked for non-admins)."""
    marks = data.match_spans(db, text, query) if query else ()
    if not show_raw:
        text, marks = masking.redact_marked(text, marks, call.language or "ru")
    return ui.highlight(text, marks)


def _play_button(seconds: float, key: str) -> None:
    st.button(f"▶ {ui.clock(seconds)}", key=key, on_click=_play_from, args=(seconds,), help="Play from here",
              width="content")


# ---- forbidden: every forbidden phrase and escalation heard, listed in its verdict and marked in the transcript

heard_phrases = data.phrase_hits(db, call_id)


def _hits_evidence(column, c: CriterionView) -> None:
    """A list criterion's evidence: every phrase heard, its category in words, each with its own ▶."""
    for n, h in enumerate(c.hits):
        with column.container(horizontal=True, vertical_alignment="center", wrap=False, key=f"hit_{c.id}_{n}"):
            _play_button(h.start, key=f"hit_play_{c.id}_{n}")
            category = ui.badge(ui.words().of("phrase_category", h.category), "red")
            said = f"“{ui.quote(_shown(h.text))}”" if h.text else _("(the quote was deleted with the transcript)")
            st.markdown(f"{category} {said}")


def _shown_with_hits(s: SegmentView) -> str:
    """Markdown of an utterance with the forbidden phrases and escalations said in it highlighted."""
    marks: list[tuple[int, int]] = []
    for h in sorted(heard_phrases, key=lambda h: (h.char_start or 0)):
        if h.segment_idx != s.idx or h.char_start is None or h.char_end is None or h.char_end <= h.char_start:
            continue
        if not marks or h.char_start >= marks[-1][1]:  # overlapping phrases: one mark
            marks.append((h.char_start, h.char_end))
    if not marks:
        return ui.quote(_shown(s.text))
    text, shown_marks = s.text, tuple(marks)
    if not show_raw:
        text, shown_marks = masking.redact_marked(text, shown_marks, call.language or "ru")
    return ui.highlight(text, shown_marks)


# ---- header ----------------------------------------------------------------------------------

st.title(ui.md(call.file_name))
details = [f"call {ui.md(call.call_id)}"]
if call.processed_at:
    details.append(f"processed {call.processed_at:%Y-%m-%d %H:%M} UTC")
if call.scorecard_name:
    details.append(f"scorecard {ui.md(call.scorecard_name)} v{call.scorecard_version}")
if call.asr_model:
    details.append(f"{ui.md(call.asr_model)}, speakers by {ui.md(call.speaker_method)}")
st.caption(" · ".join(details))

if call.status == "purged" and call.purge_reason == "erasure":  # erased on the customer's request
    st.info("This call was erased on request: its recording, transcript, verdicts and comments are gone; "
            "see the Runs page.")
    st.stop()
if call.status == "purged":  # a tombstone: retention deleted the call's details
    st.info("This call's recording, transcript and verdicts were deleted (retention or erasure); see the Runs page.")
    st.stop()
if call.status != "processed":
    st.error(f"This recording was {ui.md(call.status)}: {ui.md(call.error or 'no reason recorded')}")
    st.stop()

score_col, duration_col, language_col, channels_col, confidence_col = st.columns(5)
score_col.metric("Score", "–" if call.score is None else f"{call.score:.0f}")
duration_col.metric("Duration", ui.clock(call.duration_s))
language_col.metric("Language", call.language or "–")
channels_col.metric("Channels",
                    "stereo (2)" if call.channels == 2 else ("mono" if call.channels == 1 else str(call.channels)))
confidence_col.metric("ASR confidence", "–" if call.asr_confidence is None else f"{call.asr_confidence:.2f}")
st.markdown(f"**Flags:** {ui.flag_badges(call.flags)}")
try:
    satisfaction = data.call_satisfaction(db, call_id)
except data.DatabaseUnavailable:  # a database not yet migrated to #7's tables: the rest of the page still works
    satisfaction = None
if satisfaction is not None:
    why = "; ".join(describe_factor(f.name, f.value, f.contribution) for f in main_factors(satisfaction.factors))
    survey = "" if satisfaction.surveyed is None else f" · customer's survey: **{satisfaction.surveyed}**"
    st.markdown(f"**Predicted satisfaction:** {satisfaction.predicted:.1f} / 5 — "
                f"{ui.quote(why or 'no factor stood out')}{survey}")

# Why the customer called and how the call ended (nightly insights), each with the words it was judged on.
insight = data.call_insight(db, call_id)
if insight is not None:
    with st.container(horizontal=True, vertical_alignment="center", key="call_reason"):
        if insight.problem_start is not None:
            _play_button(insight.problem_start, key="reason_play")
        score = f" ({insight.reason_score:.2f})" if insight.reason_id and insight.reason_score is not None else ""
        said = f" — “{ui.quote(_shown(insight.problem_statement))}”" if insight.problem_statement else ""
        st.markdown(f"**Reason:** {ui.badge(data.reason_label(insight.reason_id), 'blue')}{score}{said}")
    with st.container(horizontal=True, vertical_alignment="center", key="call_outcome"):
        if insight.outcome_evidence_start is not None:
            _play_button(insight.outcome_evidence_start, key="outcome_play")
        how = f" ({insight.outcome_method}, confidence {insight.outcome_confidence:.2f})" \
            if insight.outcome_confidence is not None else ""
        said = f" — “{ui.quote(_shown(insight.outcome_evidence_text))}”" if insight.outcome_evidence_text else ""
        st.markdown(f"**Outcome:** {ui.badge(ui.words().of('outcome', insight.outcome), 'violet')}{how}{said}")

history = data.reviews(db, call_id)
done = history[history["action"] == "reviewed"]
status, flip, button, export = st.columns([3, 1, 1, 1], vertical_alignment="center")
if done.empty:
    status.markdown(ui.badge("not reviewed yet", "orange"))
    button.button("Mark call reviewed", key="mark_reviewed", type="primary", on_click=_mark_reviewed, width="stretch",
                  disabled=not may_review)
else:
    last = done.iloc[-1]
    status.markdown(f"{ui.badge('reviewed', 'green')} by {ui.md(last['reviewer'])} "
                    f"at {last['created_at']:%Y-%m-%d %H:%M} UTC")
flip.button("Flip roles", key="flip_roles", on_click=_flip_roles, width="stretch", disabled=not may_review,
            help="Operator and customer are the wrong way round: swap them (stored as a review).")
with export:
    downloads.download_button(
        "Verdicts CSV", lambda: data.verdicts_csv(db, call_id, None if show_raw else call.language or "ru"),
        file_name=f"verdicts_{call_id}.csv", mime="text/csv", key="export_verdicts")
if data.roles_flipped(db, call_id):
    st.info("A reviewer flipped operator and customer for this call: the transcript shows the corrected roles.",
            icon=":material/swap_horiz:")
if not may_review:
    st.caption("Read-only: your role cannot change verdicts.")

flash = st.session_state.pop(FLASH_KEY, None)
if flash is not None:
    kind, message = flash
    {"success": st.success, "warning": st.warning}.get(kind, st.error)(message)

# ---- player ----------------------------------------------------------------------------------

start = st.session_state.get(PLAY_KEY)
masked = data.pii_spans(db, call_id)
if call.audio_exists:
    # Personal data said aloud is muted for everyone but admins. The recording goes inside the
    # session's own messages, never as a /media URL (usecases/recording.py says why).
    mute = () if show_raw else tuple((s, e) for _, s, e in masked)
    audio: str | None
    try:
        with st.spinner("Preparing the recording…"):
            audio = player.recording_url(call.source_path, mute, ui.mtime(call.source_path))
    except Exception as err:  # an unreadable file now: show the transcript, never unmuted audio
        audio = None
        st.warning(f"The recording cannot be played ({ui.md(err)}).")
    # Start a second early so the moment is heard in context.
    if audio is not None:
        st.audio(
            audio,
            format=recording.MIME,
            start_time=0 if start is None else max(int(start) - 1, 0),
            autoplay=start is not None,
        )
    if masked:
        st.caption(f"{len(masked)} moment(s) with personal data " + ("(not muted: admin)." if show_raw else "muted."))
    if start is not None:
        st.caption(f"Playing from {ui.clock(start)}")
else:
    st.warning(f"The recording is no longer at {ui.md(call.source_path)}: the transcript and verdicts are still here.")

# The utterance a search result opened, above the verdicts: what the reviewer came for.
matched = (next((s for s in data.segments(db, call_id) if s.idx == matched_idx), None)
           if matched_idx is not None else None)
if matched_idx is not None and matched is None:
    st.warning(f"The link's `seg` ({matched_idx}) was ignored: this call has no utterance {matched_idx}.",
               icon=":material/link_off:")
if matched is not None:
    with st.container(border=True, key="search_match", horizontal=True, vertical_alignment="center"):
        _play_button(matched.start, key="search_match_play")
        speaker = ui.badge(matched.speaker, ui.SPEAKER_COLORS.get(matched.speaker, "gray"))
        st.markdown(f"{ui.badge('search match', 'orange')} {speaker} {_shown_marked(matched.text, search_query)}")

# ---- scorecard -------------------------------------------------------------------------------

st.subheader("Scorecard")
criteria = data.criteria_with_pending(db, call_id)
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
        what.markdown(f"**{ui.criterion(c.id)}** {ui.result_badge(c.result)}{critical}")
        judged = [f"`{c.id}`", c.method]
        if c.confidence is not None:
            judged.append(f"confidence {c.confidence:.2f}")
        if c.weight is not None:
            judged.append(f"weight {c.weight:g}")
        what.caption(" · ".join(judged) + (f" — {ui.md(c.reason)}" if c.reason else ""))

        if c.hits:
            _hits_evidence(evidence, c)
        elif c.evidence is None:
            evidence.caption("no evidence quote")
        elif c.evidence.start is None:
            evidence.markdown(f"“{ui.quote(_shown(c.evidence.text))}”")
        else:
            with evidence.container(horizontal=True, vertical_alignment="center", wrap=False):
                _play_button(c.evidence.start, key=f"evidence_{c.id}")
                st.markdown(f"“{ui.quote(_shown(c.evidence.text))}”")

        if c.review is not None:
            by = f"{ui.md(c.review.reviewer)}, {c.review.created_at:%Y-%m-%d %H:%M}"
            kind = "confirmed" if c.review.verdict == c.result else "overridden"
            waiting = " " + ui.badge("saving", "orange") if c.review.pending else ""
            review.markdown(f"{kind} → {ui.result_badge(c.review.verdict)} ({by}){waiting}")
            if c.review.comment:
                review.caption(f"“{ui.md(c.review.comment)}”")
        if not may_review:
            continue
        with review.form(key=f"review_{c.id}", border=False):
            current = c.review.verdict if c.review else c.result
            select, comment, save = st.columns([1.3, 2, 0.9], vertical_alignment="bottom")
            select.selectbox(
                "Verdict",
                data.VERDICTS,
                index=data.VERDICTS.index(current) if current in data.VERDICTS else None,
                format_func=ui.verdict,
                placeholder="choose…",
                key=f"verdict_{c.id}",
                label_visibility="collapsed",
            )
            comment.text_input(
                "Comment", key=f"comment_{c.id}", placeholder="comment (optional)", label_visibility="collapsed"
            )
            save.form_submit_button("Save", key=f"save_{c.id}", on_click=_save_verdict, args=(c.id, c.result),
                                    width="stretch")

# ---- escalations, conversation metrics, sentiment ----------------------------------------------

found = data.detections(db, call_id)
if not found.empty:
    st.subheader("Escalation")
    for d in found.itertuples(index=False):
        with st.container(horizontal=True, vertical_alignment="center", key=f"escalation_{d.category}"):
            if d.evidence_start is not None and not pd.isna(d.evidence_start):
                _play_button(float(d.evidence_start), key=f"escalation_play_{d.category}")
            st.markdown(f"{ui.badge(ui.label(d.category), 'red')} “{ui.quote(_shown(d.evidence_text or ''))}” "
                        f"· {ui.md(d.method)}")

measured = data.analytics(db, call_id) or {}
metrics = measured.get("metrics") or {}
if metrics:
    st.subheader("Conversation")
    row = st.columns(6)
    row[0].metric("Handle time", ui.clock(metrics.get("handle_time_s")))
    row[1].metric("Dead air", ui.seconds(metrics.get("dead_air_s")))
    row[2].metric("Holds", f"{metrics.get('hold_count', 0)} · {ui.seconds(metrics.get('hold_s'))}")
    row[3].metric("Overtalk", ui.seconds(metrics.get("overtalk_s")))
    row[4].metric("Talk / listen", ui.number(metrics.get("talk_listen_ratio"), 2))
    row[5].metric("Longest silence", ui.seconds(metrics.get("longest_silence_s")))
    row = st.columns(6)
    row[0].metric("Operator wpm", ui.number(metrics.get("operator_wpm"), 0))
    row[1].metric("Customer wpm", ui.number(metrics.get("customer_wpm"), 0))
    row[2].metric("Interruptions by operator", ui.number(metrics.get("interruptions_by_operator"), 0))
    row[3].metric("Interruptions by customer", ui.number(metrics.get("interruptions_by_customer"), 0))
    row[4].metric("Operator talk", ui.seconds(metrics.get("operator_talk_s")))
    row[5].metric("Customer talk", ui.seconds(metrics.get("customer_talk_s")))
    heard = metrics.get("speech_heard_share")
    if heard is not None:
        # Speech the VAD heard but recognition lost: verdicts there are "unknown", and the reviewer should listen.
        note = f"Recognised words cover {heard:.0%} of the detected speech."
        if heard < HEARD_FLAG_SHARE:
            st.warning(note + " Part of this call was not transcribed: listen before trusting the transcript.",
                       icon=":material/hearing:")
        else:
            st.caption(note)

segments = data.segments(db, call_id)
timeline = pd.DataFrame(
    [{"time_s": s.start, "sentiment": s.sentiment, "party": s.speaker} for s in segments if s.sentiment is not None]
)
summary = measured.get("sentiment") or {}
if not timeline.empty:
    st.subheader("Sentiment")
    if summary:
        ends = st.columns(3)
        ends[0].metric("Customer at the start", ui.number(summary.get("customer_start"), 2))
        ends[1].metric("Customer at the end", ui.number(summary.get("customer_end"), 2),
                      delta=None if summary.get("customer_end") is None or summary.get("customer_start") is None
                      else round(summary["customer_end"] - summary["customer_start"], 2))
        ends[2].metric("Operator mean", ui.number(summary.get("operator_mean"), 2))
    chart = (
        alt.Chart(timeline)
        .mark_line(point=True)
        .encode(
            x=alt.X("time_s:Q", title="seconds into the call"),
            y=alt.Y("sentiment:Q", scale=alt.Scale(domain=[-1, 1]), title="sentiment"),
            color=alt.Color("party:N", scale=alt.Scale(domain=list(ui.SPEAKER_COLORS),
                                                       range=["#1f77b4", "#9467bd", "#7f7f7f"])),
            tooltip=["time_s", "party", alt.Tooltip("sentiment:Q", format=".2f")],
        )
        .properties(height=220)
    )
    st.altair_chart(chart, width="stretch", key="sentiment_chart")

# ---- transcript ------------------------------------------------------------------------------

st.subheader("Transcript")
if not segments:
    st.caption("No speech was recognised in this call.")
else:
    with st.container(height=520, key="transcript"):
        for s in segments:
            play, who, text = st.columns([0.9, 1.1, 8], vertical_alignment="center")
            with play:
                _play_button(s.start, key=f"segment_{s.idx}")
            who.markdown(ui.badge(s.speaker, ui.SPEAKER_COLORS.get(s.speaker, "gray")))
            if s.idx == matched_idx:
                text.markdown(f"{ui.badge('search match', 'orange')} {_shown_marked(s.text, search_query)}")
            else:
                text.markdown(_shown_with_hits(s))

if not history.empty:
    with st.expander(f"Review history ({len(history)})"):
        st.dataframe(history, hide_index=True, width="stretch", key="review_history")
