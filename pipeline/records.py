"""Typed records that flow between the pipeline's stages.

audio -> ``DecodedAudio`` -> ``Segment`` list -> ``CriterionResult`` list -> ``CallAnalysis``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable, Literal

import numpy as np

from pipeline.intervals import Interval

Speaker = Literal["operator", "customer", "unknown"]
Verdict = Literal["pass", "fail", "unknown", "na"]
SPEAKERS: tuple[Speaker, ...] = ("operator", "customer", "unknown")
# Where conversation metrics took the speech timeline and who-speaks-when from (ConversationMetrics).
TimelineSource = Literal["vad", "segments"]
PartySource = Literal["vad_channels", "segments", "none"]


@dataclass(frozen=True)
class DecodedAudio:
    """A recording decoded to float32 PCM at the models' sample rate.

    ``samples`` has shape (channels, frames); values are in [-1, 1].
    """

    samples: np.ndarray
    sample_rate: int
    source_sample_rate: int
    source_channels: int
    codec: str

    @property
    def channels(self) -> int:
        return int(self.samples.shape[0])

    @property
    def duration_s(self) -> float:
        return self.samples.shape[1] / self.sample_rate

    def channel(self, index: int) -> np.ndarray:
        return self.samples[index]

    def mono(self) -> np.ndarray:
        return self.samples.mean(axis=0) if self.channels > 1 else self.samples[0]


@dataclass(frozen=True)
class Word:
    start: float
    end: float
    text: str
    probability: float


@dataclass(frozen=True)
class Segment:
    """One speaker's stretch of speech, with its words and who said it."""

    speaker: Speaker
    start: float
    end: float
    text: str
    words: tuple[Word, ...] = ()
    channel: int | None = None
    # Mean recognition probability of the words (0..1).
    asr_confidence: float = 0.0
    # How sure the speaker label is (1.0 for a known stereo channel).
    speaker_confidence: float = 0.0

    def to_json(self) -> dict:
        return {
            "speaker": self.speaker,
            "start": round(self.start, 2),
            "end": round(self.end, 2),
            "text": self.text,
        }


@dataclass(frozen=True)
class Transcript:
    language: str
    segments: tuple[Segment, ...]
    asr_model: str
    speaker_method: str  # how speakers were assigned, e.g. "stereo_channels", "mono_unassigned"
    # Recognised stretches removed by the hallucination guards (text the audio did not support).
    dropped_segments: int = 0
    # Seconds spent per stage (vad, asr, speakers), for benchmarks and run reports.
    timings_s: dict[str, float] = field(default_factory=dict)
    # Where voice activity detection heard speech, per channel of the recording (stereo:
    # left, right; mono: one), as (start, end) seconds of the original audio. Conversation
    # metrics (silence, holds, overtalk) are measured on these, not on the words.
    speech_regions: tuple[tuple[tuple[float, float], ...], ...] = ()

    def channel_roles(self) -> dict[Speaker, int] | None:
        """Which stereo channel is the operator's and which the customer's, read off the labelled segments
        (so a reviewer's role flip carries over); None when that cannot be told."""
        votes = {0: {"operator": 0, "customer": 0}, 1: {"operator": 0, "customer": 0}}
        for seg in self.segments:
            if seg.channel in votes and seg.speaker in ("operator", "customer"):
                votes[seg.channel][seg.speaker] += 1
        decided: dict[int, Speaker] = {}
        for channel, v in votes.items():
            if v["operator"] != v["customer"]:
                decided[channel] = "operator" if v["operator"] > v["customer"] else "customer"
        if len(decided) == 1:  # one channel never spoke (or was never recognised): it is the other party
            (channel, role), = decided.items()
            decided[1 - channel] = "customer" if role == "operator" else "operator"
        if len(decided) != 2 or decided[0] == decided[1]:
            return None
        return {role: channel for channel, role in decided.items()}

    @property
    def asr_confidence(self) -> float:
        """Duration-weighted mean word probability over the whole call."""
        words = [w for s in self.segments for w in s.words]
        if not words:
            return 0.0
        weights = np.array([max(w.end - w.start, 0.01) for w in words])
        probs = np.array([w.probability for w in words])
        return float((weights * probs).sum() / weights.sum())


@dataclass(frozen=True)
class Evidence:
    start: float
    end: float
    text: str
    speaker: Speaker = "unknown"

    def to_json(self) -> dict:
        return {"start": round(self.start, 2), "end": round(self.end, 2), "text": self.text}


@dataclass(frozen=True)
class PhraseHit:
    """One listed phrase heard in a call (a forbidden phrase, a customer's escalation) and where.

    ``segment`` is the index of the transcript segment holding its first word, ``char_start`` /
    ``char_end`` where the quote sits in that segment's text (what the app highlights); a quote that
    runs on into the next segment (a phrase split by a pause) ends at its segment's end.
    """

    category: str  # the scorecard's category: dismissive, rudeness... / manager, complaint...
    phrase: str  # the scorecard's phrase (or example) it matched
    evidence: Evidence
    method: str
    confidence: float
    segment: int | None = None
    char_start: int = 0
    char_end: int = 0

    def to_json(self) -> dict:
        return {
            "category": self.category,
            "phrase": self.phrase,
            **self.evidence.to_json(),
            "segment": self.segment,
            "method": self.method,
            "confidence": round(self.confidence, 3),
        }


@dataclass(frozen=True)
class CriterionResult:
    id: str
    result: Verdict
    confidence: float
    method: str
    evidence: Evidence | None = None
    weight: float = 0.0
    critical: bool = False
    reason: str = ""
    # Every phrase of a list criterion heard (forbidden phrases), in time order; ``evidence`` is the surest.
    hits: tuple[PhraseHit, ...] = ()

    def to_json(self) -> dict:
        return {
            "id": self.id,
            "result": self.result,
            "evidence": self.evidence.to_json() if self.evidence else None,
            "hits": [h.to_json() for h in self.hits],
            "confidence": round(self.confidence, 3),
            "method": self.method,
            "reason": self.reason,
        }


@dataclass(frozen=True)
class Detection:
    """Something noticed in the call that is not scored, e.g. a customer escalating."""

    kind: str  # "escalation"
    category: str  # e.g. "manager", "complaint", "regulator", "legal", "cancellation"
    evidence: Evidence
    method: str
    confidence: float
    phrase: str = ""
    # Every phrase of this category heard, in time order (one detection per category raises the flag).
    hits: tuple[PhraseHit, ...] = ()

    def to_json(self) -> dict:
        return {
            "kind": self.kind,
            "category": self.category,
            "evidence": self.evidence.to_json(),
            "hits": [h.to_json() for h in self.hits],
            "method": self.method,
            "confidence": round(self.confidence, 3),
        }


@dataclass(frozen=True)
class Score:
    value: float | None  # 0-100; None when nothing could be judged
    flags: tuple[str, ...]


@dataclass(frozen=True)
class CallAnalysis:
    call_id: str
    source_path: str
    duration_s: float
    channels: int
    sample_rate: int
    transcript: Transcript
    criteria: tuple[CriterionResult, ...]
    score: Score
    scorecard_name: str
    scorecard_version: int
    timings_s: dict[str, float] = field(default_factory=dict)
    detections: tuple[Detection, ...] = ()
    metrics: ConversationMetrics | None = None
    sentiment: CallSentiment | None = None
    pii: tuple[PiiSpan, ...] = ()

    @property
    def language(self) -> str:
        return self.transcript.language

    @property
    def segments(self) -> tuple[Segment, ...]:
        return self.transcript.segments

    def to_json(self) -> dict:
        """The ``callqa analyze --json`` contract."""
        return {
            "call_id": self.call_id,
            "duration_s": round(self.duration_s, 2),
            "channels": self.channels,
            "language": self.language,
            "segments": [s.to_json() for s in self.segments],
            "criteria": [c.to_json() for c in self.criteria],
            "score": None if self.score.value is None else round(self.score.value, 1),
            "flags": list(self.score.flags),
            "scorecard": {"name": self.scorecard_name, "version": self.scorecard_version},
            "asr_model": self.transcript.asr_model,
            "speaker_method": self.transcript.speaker_method,
            "escalations": [d.to_json() for d in self.detections if d.kind == "escalation"],
            "sentiment": self.sentiment.to_json() if self.sentiment else None,
            "metrics": self.metrics.to_json() if self.metrics else None,
            "pii": [p.to_json() for p in self.pii],
        }


# Records of the later stages: every record that crosses a stage lives in this module,
# so the stages import it and it imports none of them.

PiiKind = Literal["phone", "card", "passport", "email", "account", "cvv", "expiry", "birth_date", "snils", "inn",
                  "name", "address"]


@dataclass(frozen=True)
class ConversationMetrics:
    handle_time_s: float
    conversation_s: float
    speech_s: float
    silence_s: float
    dead_air_s: float
    longest_silence_s: float
    hold_s: float
    holds: tuple[Interval, ...]  # announced holds, (start, end)
    long_silences: tuple[Interval, ...]  # what the long_silence flag is raised on
    # Party metrics: None where the parties cannot be told apart (or a ratio has no denominator).
    operator_talk_s: float | None
    customer_talk_s: float | None
    overtalk_s: float | None
    interruptions_by_operator: int | None
    interruptions_by_customer: int | None
    talk_listen_ratio: float | None
    operator_wpm: float | None
    customer_wpm: float | None
    timeline_source: TimelineSource
    party_source: PartySource
    # Share of the detected speech that recognised words cover (pipeline.speech.heard_speech); None without
    # speech regions. Low: words were lost, and the verdicts rest on part of the call.
    speech_heard_share: float | None = None

    @property
    def hold_count(self) -> int:
        return len(self.holds)

    def to_json(self) -> dict:
        def r(value: float | None, digits: int = 2) -> float | None:
            return None if value is None else round(value, digits)

        def spans(items: Iterable[Interval]) -> list[list[float]]:
            return [[round(s, 2), round(e, 2)] for s, e in items]

        return {
            "handle_time_s": r(self.handle_time_s),
            "conversation_s": r(self.conversation_s),
            "speech_s": r(self.speech_s),
            "silence_s": r(self.silence_s),
            "dead_air_s": r(self.dead_air_s),
            "longest_silence_s": r(self.longest_silence_s),
            "hold_count": self.hold_count,
            "hold_s": r(self.hold_s),
            "holds": spans(self.holds),
            "long_silences": spans(self.long_silences),
            "operator_talk_s": r(self.operator_talk_s),
            "customer_talk_s": r(self.customer_talk_s),
            "overtalk_s": r(self.overtalk_s),
            "interruptions_by_operator": self.interruptions_by_operator,
            "interruptions_by_customer": self.interruptions_by_customer,
            "talk_listen_ratio": r(self.talk_listen_ratio, 3),
            "operator_wpm": r(self.operator_wpm, 1),
            "customer_wpm": r(self.customer_wpm, 1),
            "timeline_source": self.timeline_source,
            "party_source": self.party_source,
            "speech_heard_share": r(self.speech_heard_share, 3),
        }


@dataclass(frozen=True)
class PiiSpan:
    """Where personal data was said: audio seconds, for muting. Never the text itself."""

    kind: PiiKind
    start: float
    end: float
    segment_index: int

    def to_json(self) -> dict:
        return {"kind": self.kind, "start": round(self.start, 2), "end": round(self.end, 2)}


@dataclass(frozen=True)
class CallSentiment:
    customer_start: float | None
    customer_end: float | None
    operator_mean: float | None
    # One score per input segment, in order (0.0 for "unknown" speaker segments, which are not scored).
    segment_scores: tuple[float, ...]

    def to_json(self) -> dict:
        """The ``sentiment`` object of ``callqa analyze --json``."""

        def rounded(value: float | None) -> float | None:
            return None if value is None else round(value, 3)

        return {
            "customer_start": rounded(self.customer_start),
            "customer_end": rounded(self.customer_end),
            "operator_mean": rounded(self.operator_mean),
        }
