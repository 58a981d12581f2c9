"""The analysis stage: everything after transcription, for one call.

transcript -> PII redacted -> verdicts, escalations (scorecard) -> conversation
metrics -> sentiment -> flags. It needs no audio, so stored transcripts can be
re-judged (``callqa rescore``) with exactly the code that judged them first.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from pipeline.judging.metrics import (
    LONG_SILENCE_FLAG,
    ConversationMetrics,
    conversation_metrics,
    has_long_silence,
)
from pipeline.judging.scoring import ScorecardJudge
from pipeline.judging.sentiment import CALL_NEUTRAL_BAND, CallSentiment, call_sentiment
from pipeline.privacy.pii import PiiSpan, redact_segments
from pipeline.records import CriterionResult, Detection, Score, Transcript

# Flag calls whose customer ends the call negative (beyond the call-level neutral band).
NEGATIVE_END_THRESHOLD = -CALL_NEUTRAL_BAND


@dataclass(frozen=True)
class Assessment:
    transcript: Transcript  # redacted: this is what gets stored and shown
    criteria: tuple[CriterionResult, ...]
    score: Score
    detections: tuple[Detection, ...]
    metrics: ConversationMetrics
    sentiment: CallSentiment
    pii: tuple[PiiSpan, ...]


def assess_transcript(transcript: Transcript, duration_s: float, judge: ScorecardJudge,
                      redact: bool = True) -> Assessment:
    pii: tuple[PiiSpan, ...] = ()
    if redact and transcript.segments:
        # The centre's own names stay: the entity model may take "Harper Valley" for a person.
        brands = judge.scorecard.brands.get(transcript.language, ())
        segments, pii = redact_segments(transcript.segments, transcript.language, keep=brands)
        transcript = replace(transcript, segments=segments)
    judgement = judge.judge(transcript)
    metrics = conversation_metrics(transcript, duration_s)
    sentiment = call_sentiment(transcript.segments, transcript.language)
    flags = list(judgement.score.flags)
    if has_long_silence(metrics):
        flags.append(LONG_SILENCE_FLAG)
    if sentiment.customer_end is not None and sentiment.customer_end <= NEGATIVE_END_THRESHOLD:
        flags.append("negative_customer_end")
    return Assessment(
        transcript=transcript,
        criteria=judgement.criteria,
        score=replace(judgement.score, flags=tuple(flags)),
        detections=judgement.detections,
        metrics=metrics,
        sentiment=sentiment,
        pii=pii,
    )
