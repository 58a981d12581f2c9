"""Blind scoring for a calibration session (``?session=ID``): the call to hear and read, and one verdict per
criterion of its scorecard. Blind on purpose: this page shows no automatic verdict, evidence, flag or score,
and no other reviewer's answer; it reads only the criteria's ids and the reviewer's own answers
(usecases.calibration_sessions.blind_sheet). The transcript is masked and the recording's personal data
muted for everyone, admins included. Without ``session``: the open sessions waiting for this reviewer.
"""

from __future__ import annotations

import streamlit as st

from qa_app import auth, data, links, player, ui
from qa_app.i18n import _, plural
from usecases import masking, recording, users

user = auth.require(users.can_review)
db = str(data.database_path())
st.title(_("Blind scoring"))

FLASH_KEY = "calibration_scoring_flash"
_asked = links.text("session", st.query_params.get("session"))
if _asked.problem:
    st.warning(_asked.problem, icon=":material/link_off:")
session_id = _asked.value or ""

if not session_id:
    waiting = [s for s in data.calibration_sessions_for(db, user) if user.name in s.reviewers and not s.closed]
    if not waiting:
        st.info(_("No open calibration session is waiting for your answers."))
    for s in waiting:
        st.page_link("views/calibration_scoring.py", icon=":material/rate_review:",
                     query_params={"session": s.session_id},
                     label=_("{name} · {calls}").format(name=ui.md(s.name),
                                                        calls=plural("{n} call", "{n} calls", s.calls)))
    st.stop()

try:
    sheet = data.calibration_sheet(db, session_id, user)
except data.CalibrationRefused as err:
    st.error(err.in_words(ui.words()), icon=":material/lock:")
    st.stop()

session = sheet.session
st.page_link("views/calibration_sessions.py", label=_("The session"), icon=":material/arrow_back:",
             query_params={"session": session.session_id})
st.header(ui.md(session.name))
flash = st.session_state.pop(FLASH_KEY, None)
if flash is not None:
    kind, message = flash
    {"success": st.success, "warning": st.warning}.get(kind, st.error)(message)
if session.closed:
    st.info(_("This session is closed: your answers are kept and the results are on the session's page."))

done = sum(1 for c in sheet.calls if sheet.answered(c.call_id) >= len(sheet.criteria.get(c.call_id, [])))
st.caption(_("Calls answered: {done} of {total}. Judge by what you hear and read; nobody's verdicts are shown "
             "here, and nobody sees yours until the session closes.").format(
    done=ui.words().integer(done), total=ui.words().integer(len(sheet.calls))))
if not sheet.calls:
    st.stop()

VERDICTS = list(data.calibration_verdicts)
CALL_KEY = f"calibration_call_{session.session_id}"
positions = list(range(len(sheet.calls)))
if st.session_state.get(CALL_KEY) not in positions:
    st.session_state[CALL_KEY] = next(
        (i for i, c in enumerate(sheet.calls) if sheet.answered(c.call_id) < len(sheet.criteria.get(c.call_id, []))), 0)


def _call_label(i: int) -> str:
    c = sheet.calls[i]
    mark = " ✓" if sheet.answered(c.call_id) >= len(sheet.criteria.get(c.call_id, [])) else ""
    return _("Call {number} of {total}").format(number=i + 1, total=len(sheet.calls)) + mark


position = st.selectbox(_("Call"), positions, key=CALL_KEY, format_func=_call_label)
current = sheet.calls[position]
asked = sheet.criteria.get(current.call_id, [])


def _save() -> None:
    chosen = {k: st.session_state.get(f"blind_{current.call_id}_{k}") for k in asked}
    verdicts = {k: v for k, v in chosen.items() if v is not None}
    if len(verdicts) < len(asked):
        st.session_state[FLASH_KEY] = ("warning", _("Choose a verdict for every criterion before saving."))
        return
    try:
        closed = data.answer_calibration(db, session.session_id, current.call_id, user, verdicts)
    except data.CalibrationRefused as err:
        st.session_state[FLASH_KEY] = ("error", err.in_words(ui.words()))
        return
    except data.DatabaseUnavailable as err:
        st.session_state[FLASH_KEY] = ("error", ui.md(err.in_words(ui.words())))
        return
    message = _("Your answers on call {number} are saved.").format(number=position + 1)
    if closed:
        message += " " + _("Every reviewer has now answered: the lead can read the results and close the session.")
    st.session_state[FLASH_KEY] = ("success", message)
    if position + 1 < len(sheet.calls):
        st.session_state[CALL_KEY] = position + 1


call = data.call(db, current.call_id)
if call is None:
    st.warning(_("This call is no longer in the database."))
    st.stop()
st.caption(_("{recording} · {duration}").format(recording=ui.md(call.file_name), duration=ui.clock(call.duration_s)))

# The recording with every moment of personal data muted, for everyone (admins too: the scoring is the same for
# all reviewers); it goes inside the session's own messages, never as a /media URL (usecases/recording.py).
masked = tuple((s, e) for _kind, s, e in data.pii_spans(db, current.call_id))
with st.container(key="blind_player"):
    if call.audio_exists:
        try:
            with st.spinner(_("Preparing the recording…")):
                audio = player.recording_url(call.source_path, masked, ui.mtime(call.source_path))
            st.audio(audio, format=recording.MIME)
        except Exception as err:  # an unreadable file now: the transcript still lets the reviewer score
            st.warning(_("The recording cannot be played ({reason}).").format(reason=ui.md(err)))
    else:
        st.warning(_("The recording is no longer there: score from the transcript."))

with st.expander(_("Transcript"), expanded=True), st.container(key="blind_transcript", height=360):
    for line in data.segments(db, current.call_id):
        st.markdown(f"`{ui.clock(line.start)}` {ui.speaker_badge(line.speaker)} "
                    f"{ui.md(masking.masked(line.text, call.language))}")

st.subheader(_("Your verdicts"))
if not asked:
    st.caption(_("This call has no criteria to score."))
readonly = session.closed
with st.form(f"blind_form_{current.call_id}", border=True):
    for k in asked:
        given = sheet.mine.get((current.call_id, k))  # the reviewer's own earlier answer, nobody else's
        st.radio(ui.criterion(k), VERDICTS, key=f"blind_{current.call_id}_{k}", horizontal=True,
                 index=VERDICTS.index(given) if given in VERDICTS else None, format_func=ui.verdict, disabled=readonly)
    st.form_submit_button(_("Save my answers"), on_click=_save, type="primary", disabled=readonly or not asked)
