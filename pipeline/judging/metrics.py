"""Conversation metrics measured from the audio: silence, holds, overtalk, interruptions, pace.

Pure interval arithmetic over what transcription already produced (no model calls), so
it costs well under a millisecond per call.

Where the times come from
- Speech vs silence: the union of the VAD speech regions of every channel
  (``Transcript.speech_regions``). A transcript without regions (built by hand, or by an
  older version) falls back to the segments' times; ``timeline_source`` says which.
- Who speaks when (``party_source``):
  * stereo (two channels of regions): each party's speech is its own channel's VAD
    regions; which channel is the operator is read off the segments (``Segment.channel``
    with ``Segment.speaker``). This is what makes overtalk and interruptions real: both
    channels are heard separately, so simultaneous speech shows up as overlapping regions.
  * mono, or stereo without regions: each party's speech is the union of its labelled
    segments. ASR segments of one voice are cut wherever diarization hears the other
    voice, so labelled segments hardly ever overlap: on mono, overtalk and interruptions
    are close to 0 by construction (a limitation, not a measurement).
  * nobody labelled (``mono_unassigned``, all ``unknown``): party metrics are ``None``.

Definitions (seconds unless noted)
- ``handle_time_s``: the recording's length (ring, lead-in and tail included).
- ``conversation_s``: first speech start to last speech end. Silence is measured inside
  it only: a recorder started early or left running after the hang-up is not dead air.
- ``speech_s``: anybody speaking; ``silence_s`` = ``conversation_s`` - ``speech_s``.
- Gaps: stretches inside the conversation where nobody speaks. ``longest_silence_s`` is
  the longest gap.
- Holds: a gap of at least ``dead_air_min_s`` announced by the operator: an operator
  segment that ends at most ``HOLD_CUE_WINDOW_S`` before the gap contains a hold phrase
  ("одну минуту", "please hold", ... see ``HOLD_PHRASES``; case-insensitive, whole words,
  ё = е, "пожалуйста"/"please" in between ignored). So "Одну минуту." + "Сейчас проверю."
  still announces it, and the customer may answer in between ("Хорошо, жду."). A hold
  split by a "вы ещё на линии?" check-in is two gaps: the second is dead air unless the
  check-in names a hold phrase again. Where roles are unknown, a cue by an ``unknown``
  speaker counts too: calling it dead air would blame the operator without evidence.
- Dead air: gaps of at least ``dead_air_min_s`` that are not announced pauses. A pause the
  customer announces ("секунду, найду договор") is neither a hold nor dead air.
- ``long_silences``: what the ``long_silence`` flag is raised on: dead-air gaps longer than
  ``long_silence_s``, and announced holds longer than ``long_hold_s`` (asking the customer
  to wait is fine; leaving them on a silent line for over a minute without checking back
  is not).
- ``overtalk_s``: both parties speaking at once; overlaps shorter than
  ``MIN_OVERTALK_S`` are left out (the VAD pads every region by 0.1 s, so a quick turn
  change overlaps by up to 0.2 s without anybody talking over anybody).
- Interruptions: party B cuts in on party A when a stretch of B's speech starts while A
  is mid-utterance (A has been speaking for at least ``MIN_FLOOR_S`` and goes on for at
  least ``MIN_OVERLAP_S`` after B's onset, so a reply that latches onto the end of A's
  sentence is no interruption), and B's stretch lasts at least ``MIN_CUT_IN_S``:
  backchannels ("угу", "да", "mm-hm") are shorter and are not interruptions. Counted
  for the one who cut in. A stretch is one VAD region on stereo (silero bridges pauses
  under 0.3 s), one merged run of segments otherwise.
- ``talk_listen_ratio``: operator talk / customer talk (``None`` if the customer is silent).
- ``speech_heard_share``: the share of the detected speech that recognised words cover
  (:mod:`pipeline.speech.heard_speech`); what is left was heard by the VAD and lost by recognition.
- ``operator_wpm`` / ``customer_wpm``: that party's recognised words per minute of its own
  speaking time (the span of its segments, first word to last word), ``None`` below
  ``MIN_RATE_SPEECH_S`` of speech (a rate from "да" and "нет" says nothing).
"""

from __future__ import annotations

import bisect
import re
from typing import Sequence

from pipeline.intervals import Interval, gaps, intersect, merge_intervals, total
from pipeline.records import ConversationMetrics, PartySource, Segment, TimelineSource, Transcript
from pipeline.speech.heard_speech import heard_speech

HOLD_CUE_WINDOW_S = 5.0  # the hold phrase's segment ends at most this long before the silence
CUE_END_TOLERANCE_S = 0.5  # ASR word ends may run slightly past the VAD region's end
MIN_OVERTALK_S = 0.25
MIN_FLOOR_S = 0.5
MIN_OVERLAP_S = 0.3
MIN_CUT_IN_S = 1.0
MIN_RATE_SPEECH_S = 3.0
LONG_SILENCE_FLAG = "long_silence"

# What an agent says before putting the line on hold, in Russian and English.
HOLD_PHRASES: tuple[str, ...] = (
    "одну минуту", "одну минутку", "минуточку", "минутку", "секунду", "секундочку", "одну секунду",
    "подождите", "оставайтесь на линии", "побудьте на линии", "не кладите трубку",
    "ожидайте", "ожидайте на линии",
    "please hold", "hold on", "hold the line", "stay on the line", "one moment", "just a moment",
    "give me a moment", "bear with me", "one second", "just a second", "one sec",
)
_HOLD_RE = re.compile(r"(?<!\w)(?:" + "|".join(p.replace(" ", r"\s+") for p in HOLD_PHRASES) + r")(?!\w)")
_NON_WORD = re.compile(r"[^\w]+")
_POLITENESS = re.compile(r"(?<!\w)(?:пожалуйста|please)\s+(?!hold)")  # "Оставайтесь, пожалуйста, на линии"


def mentions_hold(text: str) -> bool:
    """Does the utterance contain a hold phrase ("Одну минуту, проверю", "Please hold.")?"""
    words = _NON_WORD.sub(" ", text.lower().replace("ё", "е"))
    return _HOLD_RE.search(_POLITENESS.sub("", words)) is not None


def has_long_silence(metrics: ConversationMetrics) -> bool:
    """Whether the call gets the ``long_silence`` flag: unannounced dead air, or an overlong hold."""
    return bool(metrics.long_silences)


# --- who cut in on whom -------------------------------------------------------------------


def count_cut_ins(by: Sequence[Interval], on: Sequence[Interval]) -> int:
    """How often a stretch of ``by`` starts while ``on`` is mid-utterance (module docstring rule)."""
    on_starts = [s for s, _ in on]
    count = 0
    for start, end in by:
        if end - start < MIN_CUT_IN_S:
            continue  # a backchannel
        i = bisect.bisect_right(on_starts, start) - 1
        if i < 0:
            continue
        on_start, on_end = on[i]
        if start - on_start >= MIN_FLOOR_S and on_end - start >= MIN_OVERLAP_S:
            count += 1
    return count


# --- who speaks when -----------------------------------------------------------------------


_LETTER_OR_DIGIT = re.compile(r"[^\W_]")


def _word_count(seg: Segment) -> int:
    """Recognised words, not punctuation tokens ("—", "...")."""
    tokens = [w.text for w in seg.words] if seg.words else seg.text.split()
    return sum(1 for token in tokens if _LETTER_OR_DIGIT.search(token))


def _party_intervals(
    transcript: Transcript, by_speaker: dict[str, list[Segment]], hi: float
) -> tuple[dict[str, list[Interval]] | None, PartySource]:
    if len(transcript.speech_regions) == 2:
        roles = transcript.channel_roles()
        if roles is not None:
            regions = transcript.speech_regions
            return {role: merge_intervals(regions[ch], 0.0, hi) for role, ch in roles.items()}, "vad_channels"
    if by_speaker["operator"] or by_speaker["customer"]:
        return {
            role: merge_intervals(((s.start, s.end) for s in by_speaker[role]), 0.0, hi)
            for role in ("operator", "customer")
        }, "segments"
    return None, "none"


def _words_per_minute(segments: Sequence[Segment], hi: float) -> float | None:
    speaking_s = total(merge_intervals(((s.start, s.end) for s in segments), 0.0, hi))
    if speaking_s <= 0.0 or speaking_s < MIN_RATE_SPEECH_S:
        return None
    return sum(_word_count(s) for s in segments) / (speaking_s / 60.0)


class _CueFinder:
    """Who announced a pause: a party's segments that end shortly before the gap, looked at lazily."""

    def __init__(self, by_speaker: dict[str, list[Segment]]) -> None:
        self._segments = {who: sorted(segs, key=lambda s: s.end) for who, segs in by_speaker.items()}
        self._ends = {who: [s.end for s in segs] for who, segs in self._segments.items()}

    def announced(self, speaker: str, gap_start: float) -> bool:
        segs, ends = self._segments[speaker], self._ends[speaker]
        first = bisect.bisect_left(ends, gap_start - HOLD_CUE_WINDOW_S)
        last = bisect.bisect_right(ends, gap_start + CUE_END_TOLERANCE_S)
        return any(segs[i].start < gap_start and mentions_hold(segs[i].text) for i in range(first, last))


def conversation_metrics(
    transcript: Transcript,
    duration_s: float,
    *,
    long_silence_s: float = 10.0,
    dead_air_min_s: float = 5.0,
    long_hold_s: float = 60.0,
) -> ConversationMetrics:
    """Silence, holds, overtalk, interruptions, talk/listen and pace of one call (see the module doc)."""
    segments = transcript.segments
    last_seen = max([e for ch in transcript.speech_regions for _, e in ch] + [s.end for s in segments], default=0.0)
    handle_time = float(max(duration_s, last_seen))
    by_speaker: dict[str, list[Segment]] = {"operator": [], "customer": [], "unknown": []}
    for seg in segments:
        by_speaker.get(seg.speaker, by_speaker["unknown"]).append(seg)

    timeline_source: TimelineSource
    if transcript.speech_regions:
        timeline_source = "vad"
        speech = merge_intervals((r for ch in transcript.speech_regions for r in ch), 0.0, handle_time)
    else:
        timeline_source = "segments"
        speech = merge_intervals(((s.start, s.end) for s in segments), 0.0, handle_time)
    speech_s = total(speech)
    conversation_s = speech[-1][1] - speech[0][0] if speech else 0.0

    cues = _CueFinder(by_speaker)
    holds: list[Interval] = []
    dead_air: list[Interval] = []
    for gap in gaps(speech):
        if gap[1] - gap[0] < dead_air_min_s:
            continue
        if cues.announced("operator", gap[0]) or cues.announced("unknown", gap[0]):
            holds.append(gap)
        elif not cues.announced("customer", gap[0]):
            dead_air.append(gap)
    long_silences = sorted(
        [g for g in dead_air if g[1] - g[0] > long_silence_s] + [h for h in holds if h[1] - h[0] > long_hold_s]
    )

    parties, party_source = _party_intervals(transcript, by_speaker, handle_time)
    operator_talk = customer_talk = overtalk = ratio = None
    cut_ins_by_operator = cut_ins_by_customer = None
    if parties is not None:
        operator, customer = parties["operator"], parties["customer"]
        operator_talk, customer_talk = total(operator), total(customer)
        overtalk = sum((e - s for s, e in intersect(operator, customer) if e - s >= MIN_OVERTALK_S), 0.0)
        cut_ins_by_operator = count_cut_ins(operator, customer)
        cut_ins_by_customer = count_cut_ins(customer, operator)
        ratio = operator_talk / customer_talk if customer_talk > 0 else None

    return ConversationMetrics(
        handle_time_s=handle_time,
        conversation_s=conversation_s,
        speech_s=speech_s,
        silence_s=max(conversation_s - speech_s, 0.0),
        dead_air_s=total(dead_air),
        longest_silence_s=max((e - s for s, e in gaps(speech)), default=0.0),
        hold_s=total(holds),
        holds=tuple(holds),
        long_silences=tuple(long_silences),
        operator_talk_s=operator_talk,
        customer_talk_s=customer_talk,
        overtalk_s=overtalk,
        interruptions_by_operator=cut_ins_by_operator,
        interruptions_by_customer=cut_ins_by_customer,
        talk_listen_ratio=ratio,
        operator_wpm=_words_per_minute(by_speaker["operator"], handle_time),
        customer_wpm=_words_per_minute(by_speaker["customer"], handle_time),
        timeline_source=timeline_source,
        party_source=party_source,
        speech_heard_share=heard_speech(transcript).share,
    )
