"""Judging a transcript against a scorecard: verdicts with evidence, a score, flags.

Fairness rules: a criterion is only failed on evidence. When the words that
would decide it were recognised with low confidence, or nobody could be
identified as the operator, the verdict is ``unknown``, never ``fail``.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Sequence

import numpy as np

from models.nlp import Lemmatizer, Token
from pipeline.matching import PhraseMatch, PhraseMatcher
from pipeline.records import CriterionResult, Evidence, Score, Segment, Transcript
from pipeline.scorecard import Criterion, Scorecard

# Below this mean word probability a transcript is too unreliable to fail anyone on.
MIN_ASR_CONFIDENCE = 0.5
# A phrase heard with lower word probability than this does not count as said.
MIN_MATCH_CONFIDENCE = 0.35
# Evidence found in speech nobody could attribute counts, but with this much less confidence.
UNATTRIBUTED_FACTOR = 0.5
# Flag a call for review when this share of its speech could not be attributed to a party.
UNASSIGNED_FLAG_SHARE = 0.1
# A party's segments closer than this are matched as one utterance.
TURN_JOIN_S = 3.0


@dataclass(frozen=True)
class TokenizedSegment:
    segment: Segment
    tokens: list[Token]
    # For each token, the index range of the segment's words it overlaps.
    token_words: list[tuple[int, int]]


@dataclass(frozen=True)
class Found:
    match: PhraseMatch
    segment: TokenizedSegment
    evidence: Evidence
    word_confidence: float


def speaker_turns(segments: Sequence[Segment], max_pause_s: float = TURN_JOIN_S) -> list[Segment]:
    """Join each party's consecutive segments that are close in time into one utterance.

    A phrase split by a recognition pause, or by a word of the other party timed
    in between ("Есть" | "Ладно" | "ли у вас ещё вопросы?"), is still one phrase.
    """
    last: dict[str, int] = {}
    out: list[Segment] = []
    for seg in sorted(segments, key=lambda s: (s.start, s.end)):
        i = last.get(seg.speaker)
        if i is not None and seg.start - out[i].end <= max_pause_s and seg.channel == out[i].channel:
            prev = out[i]
            words = prev.words + seg.words
            out[i] = replace(
                prev,
                end=max(prev.end, seg.end),
                text=f"{prev.text} {seg.text}",
                words=words,
                asr_confidence=float(np.mean([w.probability for w in words])) if words else prev.asr_confidence,
                speaker_confidence=min(prev.speaker_confidence, seg.speaker_confidence),
            )
        else:
            last[seg.speaker] = len(out)
            out.append(seg)
    return out


def tokenize_segments(segments: Sequence[Segment], lemmatizer: Lemmatizer) -> list[TokenizedSegment]:
    out = []
    for seg in segments:
        tokens = lemmatizer.tokens(seg.text)
        spans = _word_char_spans(seg)
        token_words = []
        for tok in tokens:
            idx = [i for i, (a, b) in enumerate(spans) if a < tok.end and tok.start < b]
            token_words.append((idx[0], idx[-1]) if idx else (-1, -1))
        out.append(TokenizedSegment(seg, tokens, token_words))
    return out


def _word_char_spans(seg: Segment) -> list[tuple[int, int]]:
    """Character span of each word in ``seg.text`` (the text is the words joined by spaces)."""
    spans, pos = [], 0
    for word in seg.words:
        start = seg.text.find(word.text, pos)
        if start < 0:
            return []
        spans.append((start, start + len(word.text)))
        pos = start + len(word.text)
    return spans


def _found(match: PhraseMatch, ts: TokenizedSegment) -> Found:
    seg = ts.segment
    first_word = ts.token_words[match.first_token][0]
    last_word = ts.token_words[match.last_token][1]
    tokens = ts.tokens
    quote = seg.text[tokens[match.first_token].start : tokens[match.last_token].end]
    if first_word >= 0 and last_word >= 0 and seg.words:
        words = seg.words[first_word : last_word + 1]
        start, end = words[0].start, words[-1].end
        confidence = float(np.mean([w.probability for w in words]))
    else:
        start, end, confidence = seg.start, seg.end, seg.asr_confidence
    return Found(match, ts, Evidence(start, end, quote, seg.speaker), confidence)


def _search(matcher: PhraseMatcher, segments: Sequence[TokenizedSegment]) -> list[Found]:
    found = []
    for ts in segments:
        for m in matcher.find_all(ts.tokens):
            found.append(_found(m, ts))
    return found


def _speech_confidence(segments: Sequence[TokenizedSegment]) -> float:
    words = [w for ts in segments for w in ts.segment.words]
    if not words:
        return 0.0
    return float(np.mean([w.probability for w in words]))


def judge_criterion(
    criterion: Criterion,
    language: str,
    segments: Sequence[TokenizedSegment],
    lemmatizer: Lemmatizer,
    max_gap: int,
) -> CriterionResult:
    base = dict(id=criterion.id, weight=criterion.weight, critical=criterion.critical)
    phrases = criterion.phrases.get(language)
    if not phrases:
        return CriterionResult(result="na", confidence=1.0, method="none", reason=f"no phrases for language {language}", **base)

    matcher = PhraseMatcher(lemmatizer, phrases, max_gap=max_gap)
    own = [ts for ts in segments if ts.segment.speaker == criterion.speaker]
    unattributed = [ts for ts in segments if ts.segment.speaker == "unknown"]
    hits_own = [f for f in _search(matcher, own) if f.word_confidence >= MIN_MATCH_CONFIDENCE]
    hits_unattributed = [f for f in _search(matcher, unattributed) if f.word_confidence >= MIN_MATCH_CONFIDENCE]
    relevant = own + unattributed
    speech_conf = _speech_confidence(relevant)
    who = criterion.speaker

    # A phrase heard from the criterion's speaker decides at once: pass if required, fail if forbidden.
    said_verdict, absent_verdict = ("pass", "fail") if criterion.kind == "required" else ("fail", "pass")
    if hits_own:
        best = max(hits_own, key=lambda f: f.word_confidence)
        return CriterionResult(
            result=said_verdict,
            confidence=best.word_confidence * best.segment.segment.speaker_confidence,
            method="lemma",
            evidence=best.evidence,
            reason=f"said: {best.match.phrase}",
            **base,
        )
    if hits_unattributed:
        # Heard, but nobody knows who said it: a greeting still counts (with less confidence);
        # a forbidden phrase is never pinned on the operator without knowing it was theirs.
        best = max(hits_unattributed, key=lambda f: f.word_confidence)
        return CriterionResult(
            result="pass" if criterion.kind == "required" else "unknown",
            confidence=best.word_confidence * UNATTRIBUTED_FACTOR,
            method="lemma_unattributed",
            evidence=best.evidence,
            reason=f"heard in speech not attributed to a speaker: {best.match.phrase}",
            **base,
        )
    # Not heard: that only means "not said" when there is enough well-recognised speech.
    if not relevant:
        return CriterionResult(result="unknown", confidence=0.0, method="lemma", reason=f"no {who} speech recognised", **base)
    if speech_conf < MIN_ASR_CONFIDENCE:
        return CriterionResult(
            result="unknown", confidence=speech_conf, method="lemma", reason=f"low recognition confidence ({speech_conf:.2f})", **base
        )
    return CriterionResult(
        result=absent_verdict, confidence=speech_conf, method="lemma", reason=f"no such phrase from the {who}", **base
    )


def compute_score(results: Sequence[CriterionResult], scorecard: Scorecard, transcript: Transcript) -> Score:
    judged = [r for r in results if r.result in ("pass", "fail")]
    flags: list[str] = []
    value: float | None = None
    if judged and sum(r.weight for r in judged) > 0:
        value = 100.0 * sum(r.weight for r in judged if r.result == "pass") / sum(r.weight for r in judged)
    critical_fail = any(r.critical and r.result == "fail" for r in results)
    if critical_fail:
        value = 0.0
    by_id = {c.id: c for c in scorecard.criteria}
    if any(r.result == "fail" and by_id[r.id].kind == "forbidden" for r in results):
        flags.append("forbidden_phrase")
    if critical_fail:
        flags.append("critical_fail")
    if value is not None and value < scorecard.low_score_threshold:
        flags.append("low_score")
    if not transcript.segments:
        flags.append("no_speech")
    elif transcript.asr_confidence < MIN_ASR_CONFIDENCE:
        flags.append("low_asr_confidence")
    if any(r.result == "unknown" for r in results):
        flags.append("unjudged_criteria")
    speech_s = sum(s.end - s.start for s in transcript.segments)
    unassigned_s = sum(s.end - s.start for s in transcript.segments if s.speaker == "unknown")
    if speech_s > 0 and unassigned_s / speech_s >= UNASSIGNED_FLAG_SHARE:
        flags.append("speakers_unassigned")
    return Score(value, tuple(flags))


def judge_transcript(
    transcript: Transcript, scorecard: Scorecard, lemmatizer: Lemmatizer
) -> tuple[tuple[CriterionResult, ...], Score]:
    segments = tokenize_segments(speaker_turns(transcript.segments), lemmatizer)
    results = tuple(
        judge_criterion(c, transcript.language, segments, lemmatizer, scorecard.max_gap) for c in scorecard.criteria
    )
    return results, compute_score(results, scorecard, transcript)
