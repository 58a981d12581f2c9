"""Call review (deep link ``?call_id=...[&t=SECONDS][&seg=IDX&q=QUERY]``): listen, read, and confirm or override
each verdict. ``t`` starts the player at a moment; ``seg`` and ``q`` (from transcript search) mark the matching
utterance and its words.

Reviewers (and admins) may confirm or override verdicts, flip the roles of the whole call or set who said
one line, and mark the call reviewed; a role change re-judges the call at once from its stored transcript
(usecases.review). Trainers see everything read-only. Non-admins never see personal data: stored
transcripts are redacted, and the text is masked again on display in case redaction was turned off; the
player mutes the masked moments. The player stays in view (qa_app.player_controls: speech bars, the line
being played, keyboard shortcuts).
"""

from __future__ import annotations

import altair as alt
import pandas as pd
import streamlit as st

from pipeline.insights.satisfaction import main_factors
from pipeline.judging.scoring import HEARD_FLAG_SHARE
from qa_app import auth, data, downloads, links, player, queue_nav, ui
from qa_app.i18n import _, plural
from qa_app.player_controls import LANE_COLORS, Lane, Line, Mark, player_controls
from reporting.i18n.reasons import reason_in_words
from usecases import masking, recording, users
from usecases.call_details import CallView, CriterionView, SegmentView
from usecases.satisfaction import describe_factor

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
    st.page_link("views/search.py", label=_("Search results"), icon=":material/arrow_back:",
                 query_params={"q": search_query})
elif call_id:
    queue_nav.draw(db, call_id)  # back to the queue with its filters, previous / next call through it
else:
    st.page_link("views/queue.py", label=_("Review queue"), icon=":material/arrow_back:")
for _problem in (_asked_call.problem, _asked_query.problem):
    if _problem:
        st.warning(_problem, icon=":material/link_off:")

if not call_id:
    st.info(_("No call selected: open one from the review queue."))
    st.stop()

_found = data.call(db, call_id)
if _found is None:
    st.warning(_("There is no call “{call}” in this database.").format(call=ui.md(call_id)))
    st.stop()
call: CallView = _found  # typed as found: the helpers below read it too

PLAY_KEY = f"play_from:{call_id}"
FLASH_KEY = "review_flash"
LINK_KEY = f"link:{call_id}"
REJUDGE_TRIED_KEY = f"rejudge_tried:{call_id}"
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
        st.session_state[FLASH_KEY] = ("warning", _("Choose a verdict for {criterion} before saving.").format(
            criterion=ui.criterion(criterion_id)))
        return
    comment = st.session_state.get(f"comment_{criterion_id}", "")
    action = data.review_action(auto_result, verdict)
    done = (_("{criterion}: confirmed → {verdict}, saved.") if action == "confirm"
            else _("{criterion}: overridden → {verdict}, saved."))
    _report(lambda: data.save_verdict(db, call_id, criterion_id, auto_result, verdict, user.name, comment, user.role),
            done.format(criterion=ui.criterion(criterion_id), verdict=ui.verdict(verdict)))


def _report(write, message: str) -> None:
    if not may_review:
        st.session_state[FLASH_KEY] = ("error", _("Your role cannot change verdicts."))
        return
    try:
        saved = write()
    except data.DatabaseUnavailable as err:
        st.session_state[FLASH_KEY] = ("error", _("Not saved: {reason}").format(
            reason=ui.md(err.in_words(ui.words()))))
        return
    if not saved.stored:
        message += " " + _("(the nightly load holds the database: kept in the journal, stored in a moment)")
    st.session_state[FLASH_KEY] = ("success", message)


def _mark_reviewed() -> None:
    _report(lambda: data.mark_reviewed(db, call_id, user.name, role=user.role), _("Call marked as reviewed."))


def _score_words(score: float | None) -> str:
    return "–" if score is None else ui.number(score, 0)


def _forget_chosen_verdicts() -> None:
    """Re-judged verdicts: each criterion's select box shows its new verdict (or the reviewer's), not the choice
    it held for the old one, which a Save would otherwise store as an override."""
    for key in [k for k in st.session_state if isinstance(k, str) and k.startswith(("verdict_", "comment_"))]:
        del st.session_state[key]


def _roles_changed(change, done: str) -> None:
    """The flash after a flip or a one-line correction: the new score, or why the verdicts wait."""
    if change.rejudged is not None:
        _forget_chosen_verdicts()
    if change.busy:
        st.session_state[FLASH_KEY] = ("warning", done + " " + _(
            "The nightly load holds the database: the change is kept in the journal, and the verdicts are "
            "re-judged as soon as the database is free (open the call again, or press “Re-judge now”)."))
    elif change.rejudged is None:
        st.session_state[FLASH_KEY] = ("success", done + " " + _(
            "This call's transcript is no longer kept, so its verdicts stay as they were."))
    else:
        st.session_state[FLASH_KEY] = ("success", done + " " + _(
            "Verdicts re-judged on the corrected roles in {seconds}: score {before} → {after}.").format(
            seconds=ui.seconds(change.rejudged.wall_s), before=_score_words(change.rejudged.score_before),
            after=_score_words(change.rejudged.score_after)))


def _flip_roles() -> None:
    if not may_review:
        st.session_state[FLASH_KEY] = ("error", _("Your role cannot change verdicts."))
        return
    try:
        change = data.flip_roles_and_rejudge(db, call_id, user.name, role=user.role)
    except data.DatabaseUnavailable as err:
        st.session_state[FLASH_KEY] = ("error", _("Not saved: {reason}").format(
            reason=ui.md(err.in_words(ui.words()))))
        return
    _roles_changed(change, _("Operator and customer swapped."))


def _set_speaker(segment_idx: int, speaker: str, start: float) -> None:
    if not may_review:
        st.session_state[FLASH_KEY] = ("error", _("Your role cannot change verdicts."))
        return
    try:
        change = data.set_speaker(db, call_id, segment_idx, speaker, user.name, role=user.role)
    except data.DatabaseUnavailable as err:
        st.session_state[FLASH_KEY] = ("error", _("Not saved: {reason}").format(
            reason=ui.md(err.in_words(ui.words()))))
        return
    _roles_changed(change, _("The line at {time} is now the {speaker}'s.").format(
        time=ui.clock(start), speaker=ui.speaker(speaker)))


def _rejudge_now() -> None:
    try:
        done = data.rejudge_if_roles_changed(db, call_id)
    except data.DatabaseBusy:
        st.session_state[FLASH_KEY] = ("warning", _(
            "The nightly load still holds the database: the verdicts will be re-judged when it is free."))
        return
    except data.DatabaseUnavailable as err:
        st.session_state[FLASH_KEY] = ("error", ui.md(err))
        return
    if done is not None:
        _forget_chosen_verdicts()
        st.session_state[FLASH_KEY] = ("success", _(
            "Verdicts re-judged on the corrected roles in {seconds}: score {before} → {after}.").format(
            seconds=ui.seconds(done.wall_s), before=_score_words(done.score_before),
            after=_score_words(done.score_after)))


def _shown(text: str) -> str:
    return text if show_raw else masking.masked(text, call.language)


def _shown_marked(text: str, query: str) -> str:
    """Markdown of an utterance with the search query's words highlighted (personal data masked for non-admins)."""
    marks = data.match_spans(db, text, query) if query else ()
    if not show_raw:
        text, marks = masking.redact_marked(text, marks, call.language or "ru")
    return ui.highlight(text, marks)


def _play_button(seconds: float, key: str) -> None:
    st.button(f"▶ {ui.clock(seconds)}", key=key, on_click=_play_from, args=(seconds,), help=_("Play from here"),
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


def _role_name(role: str | None) -> str:
    names = {"reviewer": _("reviewer"), "trainer": _("trainer"), "admin": _("admin")}
    return names.get(role or "", "")


# ---- header ----------------------------------------------------------------------------------

st.title(ui.md(call.file_name))
details = []
if call.processed_at:
    details.append(_("processed {when}").format(when=ui.when(call.processed_at)))
if call.scorecard_name:
    details.append(_("scorecard “{name}”, version {version}").format(
        name=ui.md(call.scorecard_name), version=call.scorecard_version))
if call.asr_model:
    details.append(_("recognised by {model}, speakers told apart by {method}").format(
        model=ui.md(call.asr_model), method=ui.md(ui.words().of("speaker_method", call.speaker_method))))
if details:
    st.caption(" · ".join(details))

if call.status == "purged" and call.purge_reason == "erasure":  # erased on the customer's request
    st.info(_("This call was erased on request: its recording, transcript, verdicts and comments are gone; "
              "see the Runs page."))
    st.stop()
if call.status == "purged":  # a tombstone: retention deleted the call's details
    st.info(_("This call's recording, transcript and verdicts were deleted (retention or erasure); "
              "see the Runs page."))
    st.stop()
if call.status != "processed":
    st.error(_("This recording was {status}: {reason}").format(
        status=ui.words().of("call_status", call.status), reason=ui.md(call.error or _("no reason recorded"))))
    st.stop()



def _open_disputes_note() -> None:
    """Operators' disputes of this call's verdicts still waiting for a reviewer (issue #18), with the way there."""
    try:
        waiting = [d for d in data.call_disputes(db, user, call_id) if d.open]
    except data.DatabaseUnavailable:  # a database from before the disputes' tables: nothing to say
        return
    if not waiting:
        return
    criteria = ", ".join(ui.criterion(d.criterion_id) for d in waiting)
    with st.container(horizontal=True, vertical_alignment="center", key="call_open_disputes"):
        st.warning(plural("The operator disputes {n} verdict:", "The operator disputes {n} verdicts:", len(waiting))
                   + " " + ui.md(criteria), icon=":material/gavel:")
        if users.can_resolve_disputes(user):
            st.page_link("views/disputes.py", label=_("Disputes"), icon=":material/gavel:")


_open_disputes_note()

if may_review and call.scorecard_name and call.scorecard_version is not None:
    data.warm_rejudging(db, call.scorecard_name, call.scorecard_version)  # a flip then takes about a second

# Verdicts judged before the latest role change (journalled while the nightly load held the database):
# re-judge them now, once per visit; the button tries again.
roles_waiting = data.roles_waiting(db, call_id)
if roles_waiting and may_review and not st.session_state.get(REJUDGE_TRIED_KEY):
    st.session_state[REJUDGE_TRIED_KEY] = True
    try:
        with st.spinner(_("Re-judging the verdicts on the corrected roles…")):
            _rejudged = data.rejudge_if_roles_changed(db, call_id)
        if _rejudged is not None:
            _forget_chosen_verdicts()
            _found = data.call(db, call_id)
            call = _found if _found is not None else call
            roles_waiting = False
    except data.DatabaseUnavailable:
        pass  # said below, with the button to try again
if roles_waiting:
    with st.container(horizontal=True, vertical_alignment="center", key="roles_waiting"):
        st.warning(_("The verdicts were judged before the latest change of roles; they are re-judged as soon as "
                     "the database is free."), icon=":material/hourglass_top:")
        if may_review:
            st.button(_("Re-judge now"), key="rejudge_now", on_click=_rejudge_now)

score_col, duration_col, language_col, channels_col, confidence_col = st.columns(5)
score_col.metric(_("Score"), _score_words(call.score))
duration_col.metric(_("Duration"), ui.clock(call.duration_s))
language_col.metric(_("Language"), ui.words().of("language", call.language))
channels_col.metric(_("Channels"),
                    _("stereo (2)") if call.channels == 2 else (_("mono") if call.channels == 1
                                                                else ui.number(call.channels, 0)))
confidence_col.metric(_("Recognition confidence"), ui.percent(call.asr_confidence))
st.markdown(_("**Flags:** {flags}").format(flags=ui.flag_badges(call.flags)))


def _audit_sample_note() -> None:
    """Says the call was drawn in the audit sample: its review counts in the accuracy sheet."""
    try:
        drawn = data.audit_samples_of_call(db, call_id)
    except data.DatabaseUnavailable:  # a database not yet migrated to #18's table
        return
    if drawn:
        first = drawn[0]
        if first.drawn_by == "nightly":
            note = _("In the audit sample: drawn at random by the nightly run {when}. Your verdicts on this call "
                     "count in the accuracy sheet.").format(when=ui.when(first.drawn_at))
        else:
            note = _("In the audit sample: drawn at random by {user} {when}. Your verdicts on this call count in "
                     "the accuracy sheet.").format(user=ui.md(first.drawn_by), when=ui.when(first.drawn_at))
        st.info(note, icon=":material/casino:")


_audit_sample_note()
try:
    satisfaction = data.call_satisfaction(db, call_id)
except data.DatabaseUnavailable:  # a database not yet migrated to #7's tables: the rest of the page still works
    satisfaction = None
if satisfaction is not None:
    why = "; ".join(describe_factor(f, ui.words()) for f in main_factors(satisfaction.factors))
    survey = "" if satisfaction.surveyed is None else " · " + _("customer's survey: **{rating}**").format(
        rating=satisfaction.surveyed)
    st.markdown(_("**Predicted satisfaction:** {predicted} / 5 — {why}").format(
        predicted=ui.number(satisfaction.predicted, 1), why=ui.quote(why or _("no factor stood out"))) + survey)

# Why the customer called and how the call ended (nightly insights), each with the words it was judged on.
insight = data.call_insight(db, call_id)
if insight is not None:
    with st.container(horizontal=True, vertical_alignment="center", key="call_reason"):
        if insight.problem_start is not None:
            _play_button(insight.problem_start, key="reason_play")
        score = (" " + _("(match {share})").format(share=ui.percent(insight.reason_score))
                 if insight.reason_id and insight.reason_score is not None else "")
        said = f" — “{ui.quote(_shown(insight.problem_statement))}”" if insight.problem_statement else ""
        st.markdown(_("**Reason:** {reason}").format(reason=ui.badge(data.reason_label(insight.reason_id), "blue"))
                    + score + said)
    with st.container(horizontal=True, vertical_alignment="center", key="call_outcome"):
        if insight.outcome_evidence_start is not None:
            _play_button(insight.outcome_evidence_start, key="outcome_play")
        how = (" " + _("({method}, confidence {share})").format(
            method=ui.words().of("method", insight.outcome_method), share=ui.percent(insight.outcome_confidence))
            if insight.outcome_confidence is not None else "")
        said = f" — “{ui.quote(_shown(insight.outcome_evidence_text))}”" if insight.outcome_evidence_text else ""
        st.markdown(_("**Outcome:** {outcome}").format(
            outcome=ui.badge(ui.words().of("outcome", insight.outcome), "violet")) + how + said)

history = data.review_history(db, call_id)
done = [h for h in history if h.action == "reviewed"]
status, flip, button, export = st.columns([2.2, 1.2, 1.6, 1.2], vertical_alignment="center")
if not done:
    status.markdown(ui.badge(_("not reviewed yet"), "orange"))
    button.button(_("Mark call reviewed"), key="mark_reviewed", type="primary", on_click=_mark_reviewed,
                  width="stretch", disabled=not may_review)
else:
    last = done[-1]
    status.markdown(ui.badge(_("reviewed"), "green") + " " + _("by {reviewer}, {when}").format(
        reviewer=ui.md(last.reviewer), when=ui.when(last.created_at)))
flip.button(_("Flip roles"), key="flip_roles", on_click=_flip_roles, width="stretch", disabled=not may_review,
            help=_("Operator and customer are the wrong way round for the whole call: swap them and judge "
                   "the call again (stored as a review)."))
with export:
    downloads.download_button(
        _("Verdicts CSV"), lambda: data.verdicts_csv(db, call_id, None if show_raw else call.language or "ru"),
        file_name=f"verdicts_{call_id}.csv", mime="text/csv", key="export_verdicts")
if data.roles_flipped(db, call_id):
    st.info(_("A reviewer flipped operator and customer for this call: the transcript shows the corrected roles."),
            icon=":material/swap_horiz:")
if not may_review:
    st.caption(_("Read-only: your role cannot change verdicts."))

flash = st.session_state.pop(FLASH_KEY, None)
if flash is not None:
    kind, message = flash
    {"success": st.success, "warning": st.warning}.get(kind, st.error)(message)

# ---- player ----------------------------------------------------------------------------------

start = st.session_state.get(PLAY_KEY)
masked = data.pii_spans(db, call_id)
segments = data.segments(db, call_id)
criteria = data.criteria_with_pending(db, call_id)
found = data.detections(db, call_id)


def _moments() -> list[Mark]:
    """The flagged moments on the bars: failed criteria's evidence, escalations, muted personal data."""
    out = [Mark(c.evidence.start, c.evidence.end, "flag",
                _("{criterion}: {verdict} at {time}").format(criterion=ui.criterion(c.id), verdict=ui.verdict(c.result),
                                                            time=ui.clock(c.evidence.start)))
           for c in criteria if c.result == "fail" and c.evidence is not None and c.evidence.start is not None]
    for d in found.itertuples(index=False):
        if d.evidence_start is not None and not pd.isna(d.evidence_start):
            out.append(Mark(float(d.evidence_start), None if pd.isna(d.evidence_end) else float(d.evidence_end),
                            "flag", _("{flag} at {time}").format(flag=ui.label(d.category),
                                                                 time=ui.clock(float(d.evidence_start)))))
    out += [Mark(s, e, "pii", _("personal data muted at {time}").format(time=ui.clock(s)) if not show_raw
                 else _("personal data at {time} (not muted: admin)").format(time=ui.clock(s)))
            for _kind, s, e in masked]
    return out


with st.container(key="call_player"):
    if call.audio_exists:
        # Personal data said aloud is muted for everyone but admins. The recording goes inside the
        # session's own messages, never as a /media URL (usecases/recording.py says why).
        mute = () if show_raw else tuple((s, e) for _kind, s, e in masked)
        audio: str | None
        try:
            with st.spinner(_("Preparing the recording…")):
                audio = player.recording_url(call.source_path, mute, ui.mtime(call.source_path))
        except Exception as err:  # an unreadable file now: show the transcript, never unmuted audio
            audio = None
            st.warning(_("The recording cannot be played ({reason}).").format(reason=ui.md(err)))
        # Start a second early so the moment is heard in context.
        if audio is not None:
            st.audio(
                audio,
                format=recording.MIME,
                start_time=0 if start is None else max(int(start) - 1, 0),
                autoplay=start is not None,
            )
            speakers = [p for p in ("operator", "customer", "unknown") if any(s.speaker == p for s in segments)]
            player_controls(
                key="player_controls",
                duration=float(call.duration_s or max((s.end for s in segments), default=0.0)),
                lines=[Line(s.idx, s.start, s.end, s.speaker, _("{time} · {speaker}").format(
                    time=ui.clock(s.start), speaker=ui.speaker(s.speaker))) for s in segments],
                lanes=[Lane(p, ui.speaker(p), LANE_COLORS[p]) for p in speakers],
                marks=_moments(),
                start=start,
                marks_label=_("flags"),
                keys_help=_("Keys: space play / pause · ← → 5 seconds back / forward · J / K previous / next line · "
                            "click a bar or a line to play from there"),
            )
        notes = []
        if masked:
            notes.append(plural("{n} moment with personal data", "{n} moments with personal data", len(masked)) + " "
                         + (_("(not muted: admin).") if show_raw else _("muted.")))
        if start is not None:
            notes.append(_("Playing from {time}").format(time=ui.clock(start)))
        for note in notes:
            st.caption(note)
    else:
        st.warning(_("The recording is no longer at {path}: the transcript and verdicts are still here.").format(
            path=ui.md(call.source_path)))

# The utterance a search result opened, above the verdicts: what the reviewer came for.
matched = (next((s for s in segments if s.idx == matched_idx), None)
           if matched_idx is not None else None)
if matched_idx is not None and matched is None:
    st.warning(_("The link's `seg` ({index}) was ignored: this call has no utterance {index}.").format(
        index=matched_idx), icon=":material/link_off:")
if matched is not None:
    with st.container(border=True, key="search_match", horizontal=True, vertical_alignment="center"):
        _play_button(matched.start, key="search_match_play")
        speaker = ui.speaker_badge(matched.speaker)
        st.markdown(f"{ui.badge(_('search match'), 'orange')} {speaker} {_shown_marked(matched.text, search_query)}")

# ---- scorecard -------------------------------------------------------------------------------

st.subheader(_("Scorecard"))
if not criteria:
    st.caption(_("No verdicts stored for this call's scorecard."))

COLUMNS = [3, 3.2, 3.8]
head = st.columns(COLUMNS, gap="medium")
head[0].markdown(_("**Criterion · automatic verdict**"))
head[1].markdown(_("**Evidence**"))
head[2].markdown(_("**Reviewer verdict**"))

# Failures first: they are what the reviewer is here for.
ORDER = {"fail": 0, "unknown": 1, "pass": 2, "na": 3}
for c in sorted(criteria, key=lambda c: (ORDER.get(c.result, 4), not c.critical, c.id)):
    with st.container(border=True, key=f"criterion_{c.id}"):
        what, evidence, review = st.columns(COLUMNS, gap="medium")

        critical = " " + ui.badge(_("critical"), "red") if c.critical else ""
        what.markdown(f"**{ui.criterion(c.id)}** {ui.result_badge(c.result)}{critical}")
        judged = [_("found by: {method}").format(method=ui.words().of("method", c.method))]
        if c.confidence is not None:
            judged.append(_("confidence {share}").format(share=ui.percent(c.confidence)))
        if c.weight is not None:
            judged.append(_("weight {weight}").format(weight=ui.number(c.weight, 1 if c.weight % 1 else 0)))
        why = reason_in_words(c.reason, ui.words())
        what.caption(" · ".join(judged) + (f" — {ui.md(why)}" if why else ""))

        if c.hits:
            _hits_evidence(evidence, c)
        elif c.evidence is None:
            evidence.caption(_("no evidence quote"))
        elif c.evidence.start is None:
            evidence.markdown(f"“{ui.quote(_shown(c.evidence.text))}”")
        else:
            with evidence.container(horizontal=True, vertical_alignment="center", wrap=False):
                _play_button(c.evidence.start, key=f"evidence_{c.id}")
                st.markdown(f"“{ui.quote(_shown(c.evidence.text))}”")

        if c.review is not None:
            by = _("{reviewer}, {when}").format(reviewer=ui.md(c.review.reviewer), when=ui.when(c.review.created_at))
            kind = _("confirmed") if c.review.verdict == c.result else _("overridden")
            waiting = " " + ui.badge(_("saving"), "orange") if c.review.pending else ""
            review.markdown(f"{kind} → {ui.result_badge(c.review.verdict)} ({by}){waiting}")
            if c.review.comment:
                review.caption(f"“{ui.md(c.review.comment)}”")
        if not may_review:
            continue
        with review.form(key=f"review_{c.id}", border=False):
            current = c.review.verdict if c.review else c.result
            # Two rows, so a Russian verdict ("не выполнено") and "Сохранить" are never cut.
            select, save = st.columns([2, 1.2], vertical_alignment="bottom")
            select.selectbox(
                _("Verdict"),
                data.VERDICTS,
                index=data.VERDICTS.index(current) if current in data.VERDICTS else None,
                format_func=ui.verdict,
                placeholder=_("choose…"),
                key=f"verdict_{c.id}",
                label_visibility="collapsed",
            )
            st.text_input(
                _("Comment"), key=f"comment_{c.id}", placeholder=_("comment (optional)"), label_visibility="collapsed"
            )
            save.form_submit_button(_("Save"), key=f"save_{c.id}", on_click=_save_verdict, args=(c.id, c.result),
                                    width="stretch")

# ---- escalations, conversation metrics, sentiment ----------------------------------------------

if not found.empty:
    st.subheader(_("Escalation"))
    for d in found.itertuples(index=False):
        category = ui.badge(ui.words().of("phrase_category", d.category), "red")
        phrases = [h for h in heard_phrases if h.criterion_id == "escalation" and h.category == d.category]
        if not phrases:  # stored before every phrase was kept (migration 020): the detection's one quote
            with st.container(horizontal=True, vertical_alignment="center", key=f"escalation_{d.category}"):
                if d.evidence_start is not None and not pd.isna(d.evidence_start):
                    _play_button(float(d.evidence_start), key=f"escalation_play_{d.category}")
                st.markdown(f"{category} “{ui.quote(_shown(d.evidence_text or ''))}” "
                            f"· {ui.md(ui.words().of('method', d.method))}")
            continue
        # Every phrase of the category the customer said, each with its own ▶.
        for n, h in enumerate(phrases):
            with st.container(horizontal=True, vertical_alignment="center", key=f"escalation_{d.category}_{n}"):
                _play_button(h.start, key=f"escalation_play_{d.category}_{n}")
                quote = f"“{ui.quote(_shown(h.text))}”" if h.text else _("(the quote was deleted with the transcript)")
                st.markdown(f"{category} {quote} · {ui.md(ui.words().of('method', h.method))}")

measured = data.analytics(db, call_id) or {}
metrics = measured.get("metrics") or {}
if metrics:
    st.subheader(_("Conversation"))
    row = st.columns(6)
    row[0].metric(_("Handle time"), ui.clock(metrics.get("handle_time_s")))
    row[1].metric(_("Dead air"), ui.seconds(metrics.get("dead_air_s")))
    row[2].metric(_("Holds"), f"{ui.number(metrics.get('hold_count', 0), 0)} · {ui.seconds(metrics.get('hold_s'))}")
    row[3].metric(_("Overtalk"), ui.seconds(metrics.get("overtalk_s")))
    row[4].metric(_("Talk / listen"), ui.number(metrics.get("talk_listen_ratio"), 2))
    row[5].metric(_("Longest silence"), ui.seconds(metrics.get("longest_silence_s")))
    row = st.columns(6)
    row[0].metric(_("Operator words a minute"), ui.number(metrics.get("operator_wpm"), 0))
    row[1].metric(_("Customer words a minute"), ui.number(metrics.get("customer_wpm"), 0))
    row[2].metric(_("Interruptions by operator"), ui.number(metrics.get("interruptions_by_operator"), 0))
    row[3].metric(_("Interruptions by customer"), ui.number(metrics.get("interruptions_by_customer"), 0))
    row[4].metric(_("Operator talk"), ui.seconds(metrics.get("operator_talk_s")))
    row[5].metric(_("Customer talk"), ui.seconds(metrics.get("customer_talk_s")))
    heard = metrics.get("speech_heard_share")
    if heard is not None:
        # Speech the VAD heard but recognition lost: verdicts there are "unknown", and the reviewer should listen.
        note = _("Recognised words cover {share} of the detected speech.").format(share=ui.percent(heard))
        if heard < HEARD_FLAG_SHARE:
            st.warning(note + " " + _("Part of this call was not transcribed: listen before trusting the transcript."),
                       icon=":material/hearing:")
        else:
            st.caption(note)

timeline = pd.DataFrame(
    [{"time_s": s.start, "sentiment": s.sentiment, "party": ui.speaker(s.speaker)}
     for s in segments if s.sentiment is not None]
)
summary = measured.get("sentiment") or {}
if not timeline.empty:
    st.subheader(_("Sentiment"))
    if summary:
        ends = st.columns(3)
        ends[0].metric(_("Customer at the start"), ui.number(summary.get("customer_start"), 2))
        ends[1].metric(_("Customer at the end"), ui.number(summary.get("customer_end"), 2),
                       delta=None if summary.get("customer_end") is None or summary.get("customer_start") is None
                       else round(summary["customer_end"] - summary["customer_start"], 2))
        ends[2].metric(_("Operator mean"), ui.number(summary.get("operator_mean"), 2))
    chart = (
        alt.Chart(timeline)
        .mark_line(point=True)
        .encode(
            x=alt.X("time_s:Q", title=_("seconds into the call")),
            y=alt.Y("sentiment:Q", scale=alt.Scale(domain=[-1, 1]), title=_("sentiment")),
            color=alt.Color("party:N", title=_("speaker"),
                            scale=alt.Scale(domain=[ui.speaker(p) for p in ui.SPEAKER_COLORS],
                                            range=["#1f77b4", "#9467bd", "#7f7f7f"])),
            tooltip=[alt.Tooltip("time_s:Q", title=_("seconds into the call"), format=".0f"),
                     alt.Tooltip("party:N", title=_("speaker")),
                     alt.Tooltip("sentiment:Q", title=_("sentiment"), format=".2f")],
        )
        .properties(height=220)
    )
    st.altair_chart(chart, width="stretch", key="sentiment_chart")

# ---- transcript ------------------------------------------------------------------------------

st.subheader(_("Transcript"))
if not segments:
    st.caption(_("No speech was recognised in this call."))
else:
    if may_review:
        st.caption(_("A line said by the other party: press ⇄ beside it to correct its speaker; the call is "
                     "judged again."))
    with st.container(height=520, key="transcript"):
        for s in segments:
            # Each line is a keyed container: the player controls highlight the one being played.
            with st.container(key=f"line_{s.idx}", horizontal=True, vertical_alignment="center", gap="small"):
                _play_button(s.start, key=f"segment_{s.idx}")
                st.markdown(ui.speaker_badge(s.speaker), width="content")
                if s.idx == matched_idx:
                    st.markdown(f"{ui.badge(_('search match'), 'orange')} {_shown_marked(s.text, search_query)}")
                else:
                    st.markdown(_shown_with_hits(s))
                if not may_review:
                    continue
                others = [p for p in ("operator", "customer") if p != s.speaker]
                if len(others) == 1:
                    st.button("⇄", key=f"swap_speaker_{s.idx}", on_click=_set_speaker,
                              args=(s.idx, others[0], s.start),
                              help=_("Said by the {speaker}: correct this line").format(speaker=ui.speaker(others[0])))
                else:  # an unknown speaker: either party
                    with st.popover("⇄", help=_("Who said this line?")):
                        for p in others:
                            st.button(ui.speaker(p), key=f"set_speaker_{s.idx}_{p}", on_click=_set_speaker,
                                      args=(s.idx, p, s.start))

# ---- review history --------------------------------------------------------------------------


def _history_line(h) -> str:
    """One review in words: when, who (as what), what they did."""
    criterion = ui.criterion(h.criterion_id) if h.criterion_id else ""
    line_at = next((ui.clock(s.start) for s in segments if s.idx == h.segment_idx), "–")
    what = {
        "confirm": _("confirmed “{criterion}” as {verdict}"),
        "override": _("overrode “{criterion}”: {verdict}"),
        "comment": _("commented on “{criterion}”") if criterion else _("commented on the call"),
        "reviewed": _("marked the call reviewed"),
        "flip_roles": _("swapped operator and customer for the whole call"),
        "set_speaker": _("set the speaker of the line at {time} to {speaker}"),
    }.get(h.action, _("reviewed the call"))
    role = _role_name(h.reviewer_role)
    who = (_("{reviewer} ({role})").format(reviewer=ui.md(h.reviewer), role=role) if role else ui.md(h.reviewer))
    text = "**{when}** — {who}: {what}".format(
        when=ui.when(h.created_at), who=who,
        what=what.format(criterion=ui.md(criterion), verdict=ui.verdict(h.verdict), time=line_at,
                         speaker=ui.speaker(h.speaker or "unknown")))
    if h.comment:
        text += f" — “{ui.md(h.comment)}”"
    return text


if history:
    with st.expander(_("Review history ({count})").format(count=len(history))):
        st.markdown("\n".join(f"- {_history_line(h)}" for h in reversed(history)))
