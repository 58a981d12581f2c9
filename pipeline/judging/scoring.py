"""Judging a transcript against a scorecard: verdicts with evidence, a score, flags.

For each criterion: take the speech of the party who must say it, keep what
lies in the criterion's window, and look for it by lemmas, then fuzzily, then
by sentence similarity (:mod:`pipeline.text.matching`); the first method that finds
it decides, and the verdict records that method, the quote and its times.

Fairness rules: a criterion is only failed on evidence. When the words that
would decide it were recognised with low confidence, when the party's speech
inside its window was detected but not transcribed (:mod:`pipeline.speech.heard_speech`),
or nobody could be identified as the operator, the verdict is ``unknown``, never
``fail``. A forbidden phrase is never pinned on the operator from speech nobody
could attribute.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, replace
from typing import Callable, Sequence

import numpy as np

from models.embeddings import SentenceEncoder
from models.nlp import Lemmatizer, Token
from pipeline.judging.scorecard import Criterion, PhraseSet, Scorecard
from pipeline.records import (
    CriterionResult,
    Detection,
    Evidence,
    PhraseHit,
    Score,
    Segment,
    Transcript,
    Verdict,
)
from pipeline.speech.heard_speech import HeardSpeech, clock, heard_speech
from pipeline.text.matching import FuzzyMatcher, PhraseMatcher, SemanticMatcher
from pipeline.text.negation import is_negation, negation_near
from pipeline.text.patterns import FINDERS

# Below this mean word probability a transcript is too unreliable to fail anyone on.
MIN_ASR_CONFIDENCE = 0.5
# A phrase heard with lower word probability than this does not count as said.
MIN_MATCH_CONFIDENCE = 0.35
# Evidence found in speech nobody could attribute counts, but with this much less confidence.
UNATTRIBUTED_FACTOR = 0.5
# Flag a call for review when this share of its speech could not be attributed to a party.
UNASSIGNED_FLAG_SHARE = 0.1
# Flag a call for review when recognised words cover less than this share of its detected speech.
HEARD_FLAG_SHARE = 0.75
UNTRANSCRIBED_FLAG = "untranscribed_speech"
# A party's segments closer than this are matched as one utterance.
TURN_JOIN_S = 3.0
# How much a grammatical pattern (not a listed phrase) is trusted.
PATTERN_SCORE = 0.8


@dataclass(frozen=True)
class Utterance:
    """One party's turn with its tokens; ``turn`` counts that party's turns from 0."""

    segment: Segment
    tokens: list[Token]
    # Character span of each of the segment's words in its text (empty when they don't line up).
    word_spans: list[tuple[int, int]]
    turn: int = 0
    turns: int = 1
    # The transcript segments joined into this turn: (index in the transcript, where its text starts here).
    sources: tuple[tuple[int, int], ...] = ()


@dataclass(frozen=True)
class Hit:
    method: str  # lemma | fuzzy | semantic
    phrase: str
    category: str
    utterance: Utterance
    evidence: Evidence
    word_confidence: float
    match_score: float
    # Where the quote sits in the utterance's text.
    char_start: int = 0
    char_end: int = 0

    @property
    def confidence(self) -> float:
        return self.word_confidence * self.match_score * self.utterance.segment.speaker_confidence


def speaker_turns(segments: Sequence[Segment], max_pause_s: float = TURN_JOIN_S) -> list[Segment]:
    """Join each party's consecutive segments that are close in time into one utterance.

    A phrase split by a recognition pause, or by a word of the other party timed
    in between ("Есть" | "Ладно" | "ли у вас ещё вопросы?"), is still one phrase.
    """
    return [turn for turn, _ in joined_turns(segments, max_pause_s)]


def joined_turns(segments: Sequence[Segment], max_pause_s: float = TURN_JOIN_S
                 ) -> list[tuple[Segment, tuple[tuple[int, int], ...]]]:
    """:func:`speaker_turns`, each turn with the segments it joins: (index in ``segments``, where that
    segment's text starts in the turn's text), so a phrase found in a turn can be shown in its segment."""
    last: dict[str, int] = {}
    out: list[Segment] = []
    sources: list[list[tuple[int, int]]] = []
    for index, seg in sorted(enumerate(segments), key=lambda p: (p[1].start, p[1].end)):
        i = last.get(seg.speaker)
        if i is not None and seg.start - out[i].end <= max_pause_s and seg.channel == out[i].channel:
            prev = out[i]
            sources[i].append((index, len(prev.text) + 1))
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
            sources.append([(index, 0)])
    return [(turn, tuple(src)) for turn, src in zip(out, sources)]


def tokenize_segments(segments: Sequence[Segment], lemmatizer: Lemmatizer,
                      sources: Sequence[tuple[tuple[int, int], ...]] = ()) -> list[Utterance]:
    counts = Counter(seg.speaker for seg in segments)
    seen: Counter[str] = Counter()
    out = []
    for i, seg in enumerate(segments):
        out.append(
            Utterance(seg, lemmatizer.tokens(seg.text), _word_char_spans(seg), seen[seg.speaker], counts[seg.speaker],
                      sources[i] if i < len(sources) else ())
        )
        seen[seg.speaker] += 1
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


def _char_evidence(u: Utterance, a: int, b: int) -> tuple[Evidence, float]:
    """Evidence for characters [a, b) of the utterance, timed by the words they cover."""
    seg = u.segment
    idx = [i for i, (s, e) in enumerate(u.word_spans) if s < b and a < e]
    quote = seg.text[a:b]
    if idx:
        words = seg.words[idx[0] : idx[-1] + 1]
        return Evidence(words[0].start, words[-1].end, quote, seg.speaker), float(
            np.mean([w.probability for w in words])
        )
    return Evidence(seg.start, seg.end, quote, seg.speaker), seg.asr_confidence


def _char_hit(method: str, phrase: str, category: str, u: Utterance, a: int, b: int, score: float) -> Hit:
    evidence, conf = _char_evidence(u, a, b)
    return Hit(method, phrase, category, u, evidence, conf, score, a, b)


def _token_hit(method: str, phrase: str, category: str, u: Utterance, first: int, last: int, score: float) -> Hit:
    return _char_hit(method, phrase, category, u, u.tokens[first].start, u.tokens[last].end, score)


class CriterionMatcher:
    """Matchers for one criterion in one language, built once per scorecard (not per call)."""

    def __init__(self, criterion: Criterion, language: str, lemmatizer: Lemmatizer, max_gap: int,
                 encoder: SentenceEncoder | None):
        self.criterion = criterion
        self.language = language
        self.sets: list[
            tuple[PhraseSet, PhraseMatcher, FuzzyMatcher | None, SemanticMatcher | None, PhraseMatcher | None]
        ] = []
        for ps in criterion.phrase_sets:
            phrases = ps.phrases.get(language, ())
            examples = ps.examples.get(language, ())
            if not phrases and not examples and not ps.patterns:
                continue
            lemma = PhraseMatcher(lemmatizer, phrases, max_gap=max_gap)
            fuzzy = FuzzyMatcher(phrases, criterion.fuzzy_threshold) if "fuzzy" in criterion.methods else None
            semantic = None
            if "semantic" in criterion.methods and encoder is not None and criterion.semantic_threshold is not None:
                # Examples of every language: the encoder is multilingual, so an English example
                # also recognises its Russian paraphrase. Phrases of 1-2 words make poor examples:
                # short texts sit close to their opposites ("карта заблокирована" / "разблокирована").
                all_examples = [e for lang_examples in ps.examples.values() for e in lang_examples]
                all_examples += [p for p in phrases if len(p.split()) >= 3]
                semantic = SemanticMatcher(encoder, all_examples, criterion.semantic_threshold)
            exceptions = ps.exceptions.get(language, ())
            unless = PhraseMatcher(lemmatizer, exceptions, max_gap=max_gap) if exceptions else None
            self.sets.append((ps, lemma, fuzzy, semantic, unless))
        not_paraphrase = criterion.paraphrase_except.get(language, ())
        self.paraphrase_unless = PhraseMatcher(lemmatizer, not_paraphrase, max_gap=max_gap) if not_paraphrase else None
        anchors = criterion.anchors.get(language, ())
        self.anchor_lemmas = frozenset().union(*(t.lemmas for a in anchors for t in lemmatizer.tokens(a)))

    @property
    def usable(self) -> bool:
        return bool(self.sets)

    @property
    def parts(self) -> list[str]:
        return [ps.category for ps, *_ in self.sets]

    def search(self, utterances: Sequence[Utterance], method: str, part: str | None = None,
               min_confidence: float = MIN_MATCH_CONFIDENCE, every: bool = False) -> list[Hit]:
        hits: list[Hit] = []
        for ps, lemma, fuzzy, semantic, unless in self.sets:
            if part is not None and ps.category != part:
                continue
            for u in utterances:
                if method == "lemma":
                    found = [_token_hit("lemma", m.phrase, ps.category, u, m.first_token, m.last_token, 1.0)
                             for m in lemma.find_all(u.tokens, every=every)]
                elif method == "pattern" and ps.patterns:
                    found = [_token_hit("pattern", name, ps.category, u, a, b, PATTERN_SCORE)
                             for name in ps.patterns for a, b in FINDERS[name](u.tokens, u.segment.text, self.language)]
                elif method == "fuzzy" and fuzzy is not None:
                    found = [_token_hit("fuzzy", m.phrase, ps.category, u, m.first_token, m.last_token, m.score)
                             for m in fuzzy.find_all(u.tokens)]
                elif method == "semantic" and semantic is not None:
                    found = []
                    for m in semantic.find_all(u.segment.text):
                        if self.anchor_lemmas and not any(
                            t.lemmas & self.anchor_lemmas for t in u.tokens if m.char_start <= t.start < m.char_end
                        ):
                            continue
                        strength = 0.6 + 0.4 * (m.score - semantic.threshold) / (1 - semantic.threshold)
                        found.append(_char_hit("semantic", m.example, ps.category, u, m.char_start, m.char_end,
                                               min(1.0, strength)))
                    if self.paraphrase_unless is not None:
                        found = [h for h in found if not _excused(h, self.paraphrase_unless)]
                else:
                    found = []
                if unless is not None:
                    found = [h for h in found if not _excused(h, unless)]
                hits += found
        return [h for h in hits if h.word_confidence >= min_confidence]


def _excused(hit: Hit, unless: PhraseMatcher) -> bool:
    """True when the sentence holding the hit also holds an exception phrase."""
    text = hit.utterance.segment.text
    a = max(text.rfind(ch, 0, hit.char_start) for ch in ".!?") + 1
    ends = [i for i in (text.find(ch, hit.char_end) for ch in ".!?") if i >= 0]
    b = min(ends) if ends else len(text)
    sentence_tokens = [t for t in hit.utterance.tokens if a <= t.start < b]
    return bool(unless.find_all(sentence_tokens))


@dataclass(frozen=True)
class CallContext:
    """What windows are measured against."""

    first_start: dict[str, float]  # party -> start of its first utterance
    end: float  # end of the last speech


def _context(utterances: Sequence[Utterance]) -> CallContext:
    first: dict[str, float] = {}
    for u in utterances:
        first.setdefault(u.segment.speaker, u.segment.start)
    end = max((u.segment.end for u in utterances), default=0.0)
    return CallContext(first, end)


def _in_window(hit: Hit, criterion: Criterion, ctx: CallContext) -> bool:
    return _window_allows(hit.utterance, hit.evidence.start, hit.evidence.end, criterion, ctx)


def _window_allows(u: Utterance, start: float, end: float, criterion: Criterion, ctx: CallContext) -> bool:
    """Whether speech of ``u`` from ``start`` to ``end`` lies in the criterion's window."""
    w = criterion.window
    if u.segment.speaker == "unknown":  # nobody knows whose first words these are: count from the first speech
        first = min(ctx.first_start.values(), default=0.0)
    else:
        first = ctx.first_start.get(u.segment.speaker, 0.0)
    if w.first_s is not None and start > first + w.first_s:
        return False
    if w.last_s is not None and end < ctx.end - w.last_s:
        return False
    if w.first_turns is not None and u.turn >= w.first_turns:
        return False
    if w.last_turns is not None and u.turn < u.turns - w.last_turns:
        return False
    return True


def _words_confidence(utterances: Sequence[Utterance]) -> float:
    words = [w for u in utterances for w in u.segment.words]
    if not words:
        return 0.0
    return float(np.mean([w.probability for w in words]))


def _result(criterion: Criterion, verdict: Verdict, confidence: float, method: str, reason: str,
            hit: Hit | None = None) -> CriterionResult:
    return CriterionResult(
        id=criterion.id,
        result=verdict,
        confidence=float(confidence),
        method=method,
        evidence=hit.evidence if hit else None,
        weight=criterion.weight,
        critical=criterion.critical,
        reason=reason,
    )


def _window_utterances(utterances: Sequence[Utterance], criterion: Criterion, ctx: CallContext) -> list[Utterance]:
    """Utterances that can hold an in-window hit (for the recognition-confidence check)."""
    return [u for u in utterances if _window_allows(u, u.segment.start, u.segment.end, criterion, ctx)]


@dataclass
class _PartSearch:
    found: Hit | None = None
    method: str = ""
    early: Hit | None = None
    outside: Hit | None = None
    # In the window and in order, but in words recognised below MIN_MATCH_CONFIDENCE: maybe said.
    uncertain: Hit | None = None


def _search_part(criterion: Criterion, matcher: CriterionMatcher, own: Sequence[Utterance],
                 unattributed: Sequence[Utterance], ctx: CallContext, not_before: float | None,
                 excluded: Sequence[Evidence], part: str | None) -> _PartSearch:
    result = _PartSearch()
    for pool, suffix in ((own, ""), (unattributed, "_unattributed")):
        for method in criterion.methods:
            if suffix and method == "pattern":
                continue  # a question or a verb form says nothing about who spoke: only phrases count
            found = [h for h in matcher.search(pool, method, part, min_confidence=0.0)
                     if not any(_overlaps(h.evidence, e) for e in excluded)]
            hits = [h for h in found if h.word_confidence >= MIN_MATCH_CONFIDENCE]
            if result.uncertain is None and method in ("lemma", "fuzzy"):
                result.uncertain = next((h for h in found if h.word_confidence < MIN_MATCH_CONFIDENCE
                                         and _in_window(h, criterion, ctx)
                                         and (not_before is None or h.evidence.start >= not_before)), None)
            in_window = [h for h in hits if _in_window(h, criterion, ctx)]
            if result.outside is None and method in ("lemma", "fuzzy"):
                result.outside = next((h for h in hits if h not in in_window), None)
            ordered = [h for h in in_window if not_before is None or h.evidence.start >= not_before]
            if in_window and not ordered and result.early is None:
                result.early = max(in_window, key=lambda h: h.confidence)
            if ordered:
                result.found = max(ordered, key=lambda h: h.confidence)
                result.method = method + suffix
                return result
    return result


def _overlaps(a: Evidence, b: Evidence) -> bool:
    return a.start < b.end and b.start < a.end


def _describe(hit: Hit) -> str:
    if hit.method == "semantic":
        return f"paraphrase of: {hit.phrase} ({hit.match_score:.2f})"
    if hit.method == "pattern":
        return f"{hit.phrase.replace('_', ' ')}: {hit.evidence.text}"
    return f"said: {hit.phrase}"


def _check_span(criterion: Criterion, own: Sequence[Utterance], ctx: CallContext,
                heard: HeardSpeech) -> tuple[float, float]:
    """Where the criterion's window may lie, measured both from the recognised utterances and from
    the detected speech (when the first or last words were not heard, the two disagree): speech
    unheard anywhere in here may have held what the criterion asks for."""
    w, who = criterion.window, criterion.speaker
    lo, hi = float("-inf"), float("inf")
    if w.first_s is not None:
        origins = [t for t in (ctx.first_start.get(who), heard.first_start(who)) if t is not None]
        hi = max(origins, default=0.0) + w.first_s
    if w.last_s is not None:
        lo = min(ctx.end, heard.last_end() or ctx.end) - w.last_s
    if w.first_turns is not None and len(own) > w.first_turns:
        hi = min(hi, own[w.first_turns - 1].segment.end)
    if w.last_turns is not None and len(own) > w.last_turns:
        lo = max(lo, own[len(own) - w.last_turns].segment.start)
    return lo, hi


def _unheard_reason(criterion: Criterion, own: Sequence[Utterance], ctx: CallContext, heard: HeardSpeech) -> str:
    """Why the criterion cannot fail: the judged party's speech in its window that gave no words ("" if none)."""
    unheard = heard.unheard_of(criterion.speaker, *_check_span(criterion, own, ctx, heard))
    if not unheard:
        return ""
    who = (
        f"{criterion.speaker} speech"
        if all(s.speaker == criterion.speaker for s in unheard)
        else "speech of an unknown speaker"
    )
    spans = ", ".join(s.describe() for s in unheard[:3]) + (f" and {len(unheard) - 3} more" if len(unheard) > 3 else "")
    return f"{who} at {spans} not transcribed"


def judge_required(criterion: Criterion, matcher: CriterionMatcher, utterances: Sequence[Utterance],
                   ctx: CallContext, not_before: float | None, not_before_id: str = "",
                   excluded: Sequence[Evidence] = (), heard: HeardSpeech = HeardSpeech(())) -> CriterionResult:
    verdict = _judge_required(criterion, matcher, utterances, ctx, not_before, not_before_id, excluded)
    if verdict.result != "fail":
        return verdict
    own = [u for u in utterances if u.segment.speaker == criterion.speaker]
    unheard = _unheard_reason(criterion, own, ctx, heard)
    if not unheard:
        return verdict
    return replace(verdict, result="unknown", confidence=0.0, method="none", evidence=None,
                   reason=f"{unheard}; {verdict.reason}")


def _judge_required(criterion: Criterion, matcher: CriterionMatcher, utterances: Sequence[Utterance],
                    ctx: CallContext, not_before: float | None, not_before_id: str = "",
                    excluded: Sequence[Evidence] = ()) -> CriterionResult:
    own = [u for u in utterances if u.segment.speaker == criterion.speaker]
    unattributed = [u for u in utterances if u.segment.speaker == "unknown"]
    who = criterion.speaker
    parts = matcher.parts if criterion.match_all else [None]
    searches = {part: _search_part(criterion, matcher, own, unattributed, ctx, not_before, excluded, part)
                for part in parts}
    hits = [s.found for s in searches.values() if s.found is not None]
    if len(hits) == len(searches):  # every part found
        first = min(hits, key=lambda h: h.evidence.start)
        unattributed_hit = any(s.method.endswith("_unattributed") for s in searches.values())
        factor = UNATTRIBUTED_FACTOR if unattributed_hit else 1.0
        methods = "+".join(dict.fromkeys(s.method for s in searches.values()))
        reason = "; ".join(_describe(h) for h in hits)
        if unattributed_hit:
            reason = f"heard in speech not attributed to a speaker; {reason}"
        return _result(criterion, "pass", min(h.confidence for h in hits) * factor, methods, reason, first)
    missing = [p for p, s in searches.items() if not s.found]
    early = next((searches[p].early for p in missing if searches[p].early), None)
    outside = next((searches[p].outside for p in missing if searches[p].outside), None)
    what = f" ({', '.join(p for p in missing if p is not None)} missing)" if criterion.match_all else ""
    relevant = _window_utterances(own + unattributed, criterion, ctx)
    if early is not None:
        return _result(criterion, "fail", early.confidence, early.method,
                       f"said before {not_before_id}, out of order{what}", early)
    uncertain = next((searches[p].uncertain for p in missing if searches[p].uncertain), None)
    if uncertain is not None:  # maybe said in its window, even if clearly said outside it: not a fail
        ev = uncertain.evidence
        return _result(criterion, "unknown", uncertain.word_confidence, "none",
                       f"maybe said: \"{ev.text}\" at {clock(ev.start)} recognised with low confidence "
                       f"({uncertain.word_confidence:.2f}){what}")
    speech_conf = _words_confidence(relevant)
    if relevant and speech_conf < MIN_ASR_CONFIDENCE:  # the window's words are doubtful: it may be in there
        return _result(criterion, "unknown", speech_conf, "none", f"low recognition confidence ({speech_conf:.2f})")
    if outside is not None:
        return _result(criterion, "fail", outside.confidence, outside.method,
                       f"said outside its window ({criterion.window.describe()}){what}", outside)
    if not relevant:
        return _result(criterion, "unknown", 0.0, "none", f"no {who} speech recognised")
    methods = "/".join(m for m in criterion.methods if m != "semantic" or any(s[3] for s in matcher.sets))
    return _result(criterion, "fail", speech_conf, methods, f"not said by the {who}{what}")


def every_hit(matcher: CriterionMatcher, pool: Sequence[Utterance], methods: Sequence[str],
              keep: Callable[[Hit], bool] = lambda h: True, per_category: bool = False) -> list[Hit]:
    """Every phrase heard in ``pool``, once, in time order: the same words found by two methods (or by
    two overlapping phrases) count once, by the first method, the tightest match (fewest words between the
    phrase's words: "Я же сказал" rather than "мне. Я же сказал"), the longest phrase, the surest;
    ``per_category``: once in each category they belong to."""
    out: list[Hit] = []
    for method in methods:
        found = sorted(matcher.search(pool, method, every=True),
                       key=lambda h: (_gap_words(h), h.char_start - h.char_end, -h.confidence))
        for h in found:
            if keep(h) and not any(o.utterance is h.utterance and o.char_start < h.char_end
                                   and h.char_start < o.char_end and (o.category == h.category or not per_category)
                                   for o in out):
                out.append(h)
    return sorted(out, key=lambda h: (h.evidence.start, h.char_start))


def _gap_words(hit: Hit) -> int:
    """Words of the utterance inside the hit that are not the phrase's own."""
    inside = sum(1 for t in hit.utterance.tokens if hit.char_start <= t.start < hit.char_end)
    return max(inside - len(hit.phrase.split()), 0) if hit.method in ("lemma", "fuzzy") else 0


def phrase_hit(hit: Hit, method: str | None = None, factor: float = 1.0) -> PhraseHit:
    """The record of a hit: its evidence and the segment (and characters in it) where it was said."""
    segment, a, b = None, hit.char_start, hit.char_end
    sources = hit.utterance.sources
    for n, (index, offset) in enumerate(sources):
        if offset <= hit.char_start:
            end = sources[n + 1][1] - 1 if n + 1 < len(sources) else len(hit.utterance.segment.text)
            segment, a, b = index, hit.char_start - offset, min(hit.char_end, end) - offset
    return PhraseHit(hit.category, hit.phrase, hit.evidence, method or hit.method, hit.confidence * factor,
                     segment, a, b)


def _hits_reason(hits: Sequence[Hit]) -> str:
    return "; ".join(f"{h.category}: {h.phrase}" for h in hits)


def judge_forbidden(
    criterion: Criterion, matcher: CriterionMatcher, utterances: Sequence[Utterance]
) -> CriterionResult:
    """Fails on the operator's words; the verdict carries every forbidden phrase heard, its evidence the surest
    of those the first method found. Phrases heard only in unattributed speech make it ``unknown``."""
    own = [u for u in utterances if u.segment.speaker == criterion.speaker]
    unattributed = [u for u in utterances if u.segment.speaker == "unknown"]
    for method in criterion.methods:
        hits = matcher.search(own, method)
        if hits:
            best = max(hits, key=lambda h: h.confidence)
            heard = every_hit(matcher, own, criterion.methods)
            return replace(_result(criterion, "fail", best.confidence, method, _hits_reason(heard), best),
                           hits=tuple(phrase_hit(h) for h in heard))
    for method in criterion.methods:
        hits = matcher.search(unattributed, method)
        if hits:
            best = max(hits, key=lambda h: h.confidence)
            heard = every_hit(matcher, unattributed, criterion.methods)
            return replace(
                _result(criterion, "unknown", best.confidence * UNATTRIBUTED_FACTOR, method + "_unattributed",
                        f"{_hits_reason(heard)}, heard in speech not attributed to a speaker", best),
                hits=tuple(phrase_hit(h, h.method + "_unattributed", UNATTRIBUTED_FACTOR) for h in heard))
    relevant = own + unattributed
    if not relevant:
        return _result(criterion, "unknown", 0.0, "none", f"no {criterion.speaker} speech recognised")
    speech_conf = _words_confidence(relevant)
    if speech_conf < MIN_ASR_CONFIDENCE:
        return _result(criterion, "unknown", speech_conf, "none", f"low recognition confidence ({speech_conf:.2f})")
    return _result(criterion, "pass", speech_conf, "/".join(criterion.methods), "no forbidden phrase heard")


def _negated(hit: Hit) -> bool:
    """"I'm not looking to complain" is no complaint: a negation up to three words before a phrase
    or after it ("жалобу писать не буду") within its clause, or anywhere in a sentence that only
    resembles an example. "Я не шучу, дайте начальника" still escalates."""
    tokens = hit.utterance.tokens
    if hit.method == "semantic":
        return any(is_negation(t) for t in tokens if hit.char_start <= t.start < hit.char_end)
    first = next((i for i, t in enumerate(tokens) if t.start >= hit.char_start), 0)
    last = next((i for i in range(len(tokens) - 1, -1, -1) if tokens[i].end <= hit.char_end), first)
    return negation_near(tokens, first, last, before=3, after=3,
                         clause=(hit.utterance.segment.text, hit.char_start, hit.char_end))


def detect(criterion: Criterion, matcher: CriterionMatcher, utterances: Sequence[Utterance]) -> tuple[Detection, ...]:
    """One detection per category heard from the party (or from unattributed speech), each carrying every
    phrase of its category heard."""
    pool = [u for u in utterances if u.segment.speaker in (criterion.speaker, "unknown")]
    best: dict[str, Hit] = {}
    for method in criterion.methods:
        for h in matcher.search(pool, method):
            if h.category not in best and not _negated(h):
                best[h.category] = h
    if not best:
        return ()
    heard = every_hit(matcher, pool, criterion.methods, keep=lambda h: not _negated(h), per_category=True)
    return tuple(
        Detection(criterion.id, h.category, h.evidence, h.method, h.confidence, h.phrase,
                  hits=tuple(phrase_hit(o) for o in heard if o.category == h.category))
        for h in sorted(best.values(), key=lambda h: h.evidence.start)
    )


def compute_score(results: Sequence[CriterionResult], scorecard: Scorecard, transcript: Transcript,
                  heard: HeardSpeech | None = None) -> Score:
    judged = [r for r in results if r.result in ("pass", "fail")]
    flags: list[str] = []
    value: float | None = None
    if judged and sum(r.weight for r in judged) > 0:
        value = 100.0 * sum(r.weight for r in judged if r.result == "pass") / sum(r.weight for r in judged)
    critical_fail = any(r.critical and r.result == "fail" for r in results)
    if critical_fail:
        value = 0.0
    by_id = {c.id: c for c in scorecard.criteria}
    if any(r.result == "fail" and r.id in by_id and by_id[r.id].kind == "forbidden" for r in results):
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
    share = (heard or heard_speech(transcript)).share
    if share is not None and share < HEARD_FLAG_SHARE:
        flags.append(UNTRANSCRIBED_FLAG)
    speech_s = sum(s.end - s.start for s in transcript.segments)
    unassigned_s = sum(s.end - s.start for s in transcript.segments if s.speaker == "unknown")
    if speech_s > 0 and unassigned_s / speech_s >= UNASSIGNED_FLAG_SHARE:
        flags.append("speakers_unassigned")
    return Score(value, tuple(flags))


@dataclass(frozen=True)
class Judgement:
    criteria: tuple[CriterionResult, ...]
    score: Score
    detections: tuple[Detection, ...]


class ScorecardJudge:
    """A scorecard compiled for judging: matchers are built once and reused for every call."""

    def __init__(
        self, scorecard: Scorecard, lemmatizers: dict[str, Lemmatizer], encoder: SentenceEncoder | None = None
    ):
        self.scorecard = scorecard
        self.lemmatizers = lemmatizers
        self.encoder = encoder
        self._matchers: dict[tuple[str, str], CriterionMatcher] = {}

    def matcher(self, criterion: Criterion, language: str) -> CriterionMatcher:
        key = (criterion.id, language)
        if key not in self._matchers:
            self._matchers[key] = CriterionMatcher(
                criterion, language, self.lemmatizers[language], self.scorecard.max_gap, self.encoder
            )
        return self._matchers[key]

    def judge(self, transcript: Transcript) -> Judgement:
        language = transcript.language
        lemmatizer = self.lemmatizers.get(language)
        if lemmatizer is None or language not in self.scorecard.languages:
            not_applicable = tuple(
                _result(c, "na", 1.0, "none", f"the scorecard has no phrases for language {language!r}")
                for c in self.scorecard.criteria
            )
            score = compute_score(not_applicable, self.scorecard, transcript)
            return Judgement(not_applicable, replace(score, flags=score.flags + ("unsupported_language",)), ())
        turns = joined_turns(transcript.segments)
        utterances = tokenize_segments([t for t, _ in turns], lemmatizer, [src for _, src in turns])
        ctx = _context(utterances)
        heard = heard_speech(transcript)
        results: dict[str, CriterionResult] = {}

        def judge_one(c: Criterion) -> CriterionResult:
            if c.id in results:
                return results[c.id]
            matcher = self.matcher(c, language)
            if not matcher.usable:
                r = _result(c, "na", 1.0, "none", f"no phrases for language {language}")
            elif c.kind == "forbidden":
                r = judge_forbidden(c, matcher, utterances)
            else:
                not_before, dep_id = None, ""
                for dep in c.after:
                    d = judge_one(self.scorecard.criterion(dep))
                    if (
                        d.result == "pass"
                        and d.evidence is not None
                        and (not_before is None or d.evidence.start > not_before)
                    ):
                        not_before, dep_id = d.evidence.start, dep
                excluded = [e for e in (judge_one(self.scorecard.criterion(o)).evidence for o in c.not_with) if e]
                r = judge_required(c, matcher, utterances, ctx, not_before, dep_id, excluded, heard)
            results[c.id] = r
            return r

        for c in self.scorecard.criteria:
            judge_one(c)
        ordered = tuple(results[c.id] for c in self.scorecard.criteria)
        detections: tuple[Detection, ...] = ()
        if self.scorecard.escalation is not None:
            m = self.matcher(self.scorecard.escalation, language)
            if m.usable:
                detections = detect(self.scorecard.escalation, m, utterances)
        score = compute_score(ordered, self.scorecard, transcript, heard)
        if detections:
            score = replace(score, flags=score.flags + ("escalation",))
        return Judgement(ordered, score, detections)


def judge_transcript(
    transcript: Transcript, scorecard: Scorecard, lemmatizer: Lemmatizer, encoder: SentenceEncoder | None = None
) -> tuple[tuple[CriterionResult, ...], Score]:
    """One-off judging (tests, tools); a batch keeps one :class:`ScorecardJudge`."""
    judgement = ScorecardJudge(scorecard, {lemmatizer.language: lemmatizer}, encoder).judge(transcript)
    return judgement.criteria, judgement.score
