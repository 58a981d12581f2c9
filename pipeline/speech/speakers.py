"""Speaker labels for mono recordings: diarization, words to voices, voices to roles.

1. The call is diarized (:mod:`models.diarization`: pyannote's pipeline,
   2 voices by default, the ``num_speakers`` setting; 0 estimates the count).
2. Each recognised word goes to the voice whose turn it overlaps most (turn
   boundaries are sorted, so a bisection finds the candidates), and ASR segments
   are split wherever the voice changes: ASR happily merges two parties into
   one segment, diarization does not.
3. Roles come from evidence, not from order alone: operator phrases (names the
   company, introduces themself, offers help, asks for the order or phone
   number, thanks for the call) and customer phrases (states an order or a
   problem) per voice, matched on lemmas, with who speaks first as weak
   evidence. When the evidence is thin or contradictory, the voices' segments
   stay ``unknown``: guessing would blame the operator for the customer's words.
   ``speaker_confidence`` carries the role confidence.

Fewer than two voices with enough speech leaves the call ``mono_unassigned``.
"""

from __future__ import annotations

import bisect
import math
from dataclasses import dataclass, replace
from functools import lru_cache
from typing import Sequence

import numpy as np

from models.diarization import Diarization, Diarizer, SpeakerTurn, load_diarizer
from models.nlp import load_lemmatizer
from models.sample_rate import SAMPLE_RATE
from pipeline.records import Segment, Speaker, Word
from pipeline.speech.timeline import SpeechTimeline
from pipeline.text.matching import PhraseMatcher

METHOD = "pyannote_diarization"
UNASSIGNED = "mono_unassigned"


@dataclass(frozen=True)
class MonoSpeakerOptions:
    num_speakers: int | None = 2  # None: estimate the count
    diarization_pipeline: str | None = None  # a local official pyannote pipeline; None: the bundled one
    # A voice with less speech than this is not a party to the call (a cough, a crosstalk blip).
    min_voice_s: float = 1.0
    # A word that overlaps no turn takes the nearest turn within this distance.
    max_word_gap_s: float = 0.5
    # Below this role confidence the voices' segments stay "unknown".
    min_role_confidence: float = 0.75


# Scorecard-free cues, (phrase, weight). Operator cues are what an agent says on any inbound line;
# customer cues state an order or a problem. Greetings count little: both parties greet.
OPERATOR_CUES: dict[str, tuple[tuple[str, float], ...]] = {
    "ru": (
        ("компания", 1.0), ("меня зовут", 1.0), ("чем могу помочь", 1.5), ("слушаю вас", 1.0),
        ("уточните", 1.0), ("ваш номер", 1.0), ("номер вашего заказа", 1.0), ("спасибо за обращение", 1.5),
        ("спасибо что обратились", 1.5), ("что-нибудь еще", 1.0), ("оператор", 0.5), ("ваш заказ", 1.0),
        ("здравствуйте", 0.5), ("добрый день", 0.5), ("всего доброго", 0.5), ("всего хорошего", 0.5),
    ),
    "en": (
        ("thank you for calling", 1.5), ("how can i help", 1.5), ("how may i help", 1.5), ("my name is", 1.0),
        ("your phone number", 1.0), ("your order number", 1.0), ("your account number", 1.0), ("your order", 1.0),
        ("can i have your", 1.0), ("anything else", 1.0), ("speaking", 0.5), ("hello", 0.5), ("good morning", 0.5),
        ("good afternoon", 0.5), ("bye", 0.5),
    ),
}
CUSTOMER_CUES: dict[str, tuple[tuple[str, float], ...]] = {
    "ru": (
        ("я заказывал", 1.5), ("я заказал", 1.5), ("мой заказ", 1.0), ("не привезли", 1.0), ("не пришел", 1.0),
        ("не работает", 1.0), ("у меня проблема", 1.5), ("я хочу", 0.5), ("вы можете", 0.5), ("буду ждать", 1.0),
    ),
    "en": (
        ("i ordered", 1.5), ("my order", 1.0), ("still not", 1.0), ("not delivered", 1.0), ("not working", 1.0),
        ("i have a problem", 1.5), ("i want", 0.5), ("i would like", 0.5), ("can you", 0.5), ("i will wait", 1.0),
    ),
}
FIRST_SPEAKER_WEIGHT = 0.5  # on an inbound line the operator answers, but not every recording starts there



# ---- words to voices -------------------------------------------------------------------------


class TurnIndex:
    """Non-overlapping speaker turns, sorted, for O(log n) look-ups of the turn under a time span."""

    def __init__(self, turns: Sequence[SpeakerTurn]) -> None:
        self.turns = sorted(turns, key=lambda t: (t.start, t.end))
        self.starts = [t.start for t in self.turns]
        self.ends = [t.end for t in self.turns]  # sorted too: the turns do not overlap

    def speaker_at(self, start: float, end: float, max_gap_s: float = 0.5) -> tuple[str | None, bool]:
        """The voice that overlaps [start, end] most (and True), else the nearest within ``max_gap_s`` (and False)."""
        if not self.turns:
            return None, False
        first = bisect.bisect_right(self.ends, start)  # first turn ending after the span starts
        last = bisect.bisect_left(self.starts, end)  # turns from here on start after the span ends
        best, best_overlap = None, 0.0
        for i in range(first, last):
            overlap = min(end, self.ends[i]) - max(start, self.starts[i])
            if overlap > best_overlap:
                best, best_overlap = self.turns[i].speaker, overlap
        if best is not None:
            return best, True
        middle = (start + end) / 2
        candidates = [i for i in (first - 1, first, last - 1, last) if 0 <= i < len(self.turns)]
        i = min(candidates, key=lambda i: max(self.starts[i] - middle, middle - self.ends[i], 0.0))
        gap = max(self.starts[i] - end, start - self.ends[i], 0.0)
        return (self.turns[i].speaker, False) if gap <= max_gap_s else (None, False)


def assign_words(words: Sequence[Word], index: TurnIndex, max_gap_s: float = 0.5) -> list[tuple[str | None, bool]]:
    """Per word: (voice or None, whether a turn actually overlaps it)."""
    return [index.speaker_at(w.start, max(w.end, w.start + 0.01), max_gap_s) for w in words]


@dataclass(frozen=True)
class VoicedSegment:
    segment: Segment
    voice: str | None
    attributed: float  # share of the words that overlap a turn of that voice


def split_by_voice(segments: Sequence[Segment], index: TurnIndex, max_gap_s: float = 0.5) -> list[VoicedSegment]:
    """Each segment's words grouped into runs of one voice; words with no voice join their neighbours' run."""
    out: list[VoicedSegment] = []
    for seg in segments:
        if not seg.words:
            voice, direct = index.speaker_at(seg.start, seg.end, max_gap_s)
            out.append(VoicedSegment(seg, voice, 1.0 if direct else 0.0))
            continue
        found = assign_words(seg.words, index, max_gap_s)
        voices = [v for v, _ in found]
        known = [i for i, v in enumerate(voices) if v is not None]
        if not known:
            out.append(VoicedSegment(seg, None, 0.0))
            continue
        for i, v in enumerate(voices):  # unattributed words take the nearest attributed word's voice
            if v is None:
                voices[i] = voices[min(known, key=lambda k: abs(k - i))]
        runs: list[list[int]] = [[0]]
        for i in range(1, len(voices)):
            if voices[i] != voices[i - 1]:
                runs.append([])
            runs[-1].append(i)
        for run in runs:
            words = tuple(seg.words[i] for i in run)
            attributed = sum(1 for i in run if found[i][1] and found[i][0] == voices[i]) / len(run)
            piece = seg if len(runs) == 1 else replace(
                seg,
                start=words[0].start,
                end=words[-1].end,
                text=" ".join(w.text for w in words),
                words=words,
                asr_confidence=float(np.mean([w.probability for w in words])),
            )
            out.append(VoicedSegment(piece, voices[run[0]], attributed))
    return out


# ---- voices to roles -------------------------------------------------------------------------


@dataclass(frozen=True)
class RoleDecision:
    operator: str | None  # the operator's voice; None: undecided
    confidence: float
    evidence: dict[str, float]  # voice -> operator score


@lru_cache(maxsize=4)
def _cue_matchers(language: str) -> tuple[PhraseMatcher, dict[str, float], PhraseMatcher, dict[str, float]]:
    lemmatizer = load_lemmatizer(language)
    op, cu = dict(OPERATOR_CUES[language]), dict(CUSTOMER_CUES[language])
    return PhraseMatcher(lemmatizer, list(op), max_gap=1), op, PhraseMatcher(lemmatizer, list(cu), max_gap=1), cu


def cue_scores(texts: Sequence[str], language: str) -> tuple[float, float]:
    """(operator cue weight, customer cue weight) found in the utterances (each phrase once per utterance)."""
    op_matcher, op_weights, cu_matcher, cu_weights = _cue_matchers(language)
    lemmatizer = load_lemmatizer(language)
    op = cu = 0.0
    for text in texts:
        tokens = lemmatizer.tokens(text)
        op += sum(op_weights[m.phrase] for m in op_matcher.find_all(tokens))
        cu += sum(cu_weights[m.phrase] for m in cu_matcher.find_all(tokens))
    return op, cu


def decide_roles(voiced: Sequence[VoicedSegment], voices: Sequence[str], language: str) -> RoleDecision:
    """Which voice is the operator, and how sure: operator cues for a voice, customer cues against it."""
    scores: dict[str, float] = {}
    for voice in voices:
        op, cu = cue_scores([v.segment.text for v in voiced if v.voice == voice], language)
        scores[voice] = op - cu
    first = next((v.voice for v in sorted(voiced, key=lambda v: v.segment.start) if v.voice in voices), None)
    if first is not None:
        scores[first] += FIRST_SPEAKER_WEIGHT
    ranked = sorted(voices, key=lambda v: scores[v], reverse=True)
    margin = scores[ranked[0]] - scores[ranked[1]]
    # Each point of net evidence halves the doubt: one strong cue ~0.8, two ~0.9; first speaker alone 0.7.
    confidence = 1.0 - 0.5 * math.exp(-margin) if margin > 0 else 0.5
    return RoleDecision(ranked[0] if margin > 0 else None, confidence, scores)


# ---- the stage -------------------------------------------------------------------------------


def diarize_mono(
    audio: np.ndarray, sample_rate: int, options: MonoSpeakerOptions, diarizer: Diarizer | None = None
) -> Diarization:
    from pipeline.speech.audio import resample

    if sample_rate != SAMPLE_RATE:
        audio = resample(audio, sample_rate, SAMPLE_RATE)
    diarizer = diarizer or load_diarizer(options.diarization_pipeline)
    return diarizer.diarize(audio, num_speakers=options.num_speakers)


def diarize_speech(
    packed: np.ndarray, timeline: SpeechTimeline, options: MonoSpeakerOptions, diarizer: Diarizer | None = None
) -> Diarization:
    """Diarize only the detected speech (``packed`` at the models' rate) and give the turns original times.

    The segmentation model slides over every second it is given: on a recording that is mostly
    silence or hold music it spent minutes on nothing (20 min with one minute of talk: 55 of 79 s).
    """
    packed_turns = diarize_mono(packed, SAMPLE_RATE, options, diarizer)
    return Diarization(
        _turns_to_original(packed_turns.turns, timeline),
        _turns_to_original(packed_turns.exclusive_turns, timeline),
        timeline.total_s,
    )


def _turns_to_original(turns: Sequence[SpeakerTurn], timeline: SpeechTimeline) -> tuple[SpeakerTurn, ...]:
    return tuple(SpeakerTurn(a, b, t.speaker) for t in turns for a, b in timeline.original_spans(t.start, t.end))


def label_mono_speakers(
    audio: np.ndarray,
    sample_rate: int,
    segments: Sequence[Segment],
    language: str,
    diarizer: Diarizer | None = None,
    options: MonoSpeakerOptions | None = None,
    timeline: SpeechTimeline | None = None,
) -> tuple[list[Segment], str]:
    """Return the segments split by voice with roles assigned, and the method that assigned them.

    Given the speech's ``timeline``, ``audio`` is that speech packed (silence cut out) at the models'
    rate, and only it is diarized.
    """
    segments = list(segments)
    if not segments:
        return segments, UNASSIGNED
    options = options or MonoSpeakerOptions()
    if timeline is not None:
        diarization = diarize_speech(audio, timeline, options, diarizer)
    else:
        diarization = diarize_mono(audio, sample_rate, options, diarizer)
    return assign_roles(segments, diarization, language, options)


def assign_roles(
    segments: Sequence[Segment],
    diarization: Diarization,
    language: str,
    options: MonoSpeakerOptions = MonoSpeakerOptions(),
) -> tuple[list[Segment], str]:
    voices = [v for v in diarization.speakers if diarization.speech_s(v) >= options.min_voice_s]
    if len(voices) < 2:
        return list(segments), UNASSIGNED
    index = TurnIndex([t for t in diarization.exclusive_turns if t.speaker in voices])
    voiced = split_by_voice(segments, index, options.max_word_gap_s)
    decision = decide_roles(voiced, voices, language)
    sure = decision.operator is not None and decision.confidence >= options.min_role_confidence
    out = []
    for v in voiced:
        role: Speaker = "unknown"
        if sure and v.voice is not None:
            role = "operator" if v.voice == decision.operator else "customer"
        confidence = decision.confidence * (0.5 + 0.5 * v.attributed) if v.voice is not None else 0.0
        out.append(replace(v.segment, speaker=role, speaker_confidence=float(round(confidence, 3))))
    return out, METHOD
