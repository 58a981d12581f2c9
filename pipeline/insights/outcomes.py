"""How the call ended: resolved, follow-up promised, order placed, transferred, or unresolved.

Judged on the closing turns (the last ``CLOSING_TURNS`` segments, and everything in the last
``CLOSING_SHARE`` of the call), mostly the operator's: each outcome has lemma cues per language
(word forms and a filler word or two in between don't matter; a negated cue does not count:
"не работает" is no "работает") and a vote by sentence similarity (:class:`SemanticVote`) to
12-16 example sentences per outcome and language (:mod:`pipeline.insights.outcome_examples`), which
catches wordings the cues miss: each closing sentence votes once, for the outcome whose nearest
examples it is closest to, unless it is nearer to neutral lines (thanks, goodbye, "one moment").
Every hit adds its weight, more for later turns and for the operator's words; the outcome with the
most weight wins, and the sentence that gave it most is the evidence. No hit at all: ``resolved``
at low confidence (most calls end with the question answered, and a call that did not usually says
so) — weak evidence, hence the confidence 0.3.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Sequence

import numpy as np

from models.embeddings import SentenceEncoder
from models.nlp import load_lemmatizer
from pipeline.insights.outcome_examples import EXAMPLES, NEUTRAL
from pipeline.records import Evidence, Transcript
from pipeline.text.matching import PhraseMatcher, sentence_units
from pipeline.text.negation import DENIALS, negation_near

OUTCOMES = ("resolved", "follow_up", "order_placed", "transferred", "unresolved")
METHOD = "closing_cues"
CLOSING_TURNS = 6
CLOSING_SHARE = 0.35
SPEAKER_WEIGHT: dict[str, float] = {"operator": 1.0, "unknown": 0.85, "customer": 0.7}
# When two outcomes tie, the more specific one: a transfer or an order says more than "resolved".
PRIORITY = ("transferred", "order_placed", "follow_up", "unresolved", "resolved")

# (phrase, weight). Weight 2: says the outcome on its own; 1: points to it.
CUES: dict[str, dict[str, tuple[tuple[str, float], ...]]] = {
    "transferred": {
        "ru": (
            ("соединяю вас", 2),
            ("соединю вас", 2),
            ("переключаю вас", 2),
            ("переключу вас", 2),
            ("перевожу ваш звонок", 2),
            ("переведу ваш звонок", 2),
            ("перевожу вас", 2),
            ("переведу вас", 2),
            ("оставайтесь на линии", 1.5),
            ("не кладите трубку", 1),
            ("передаю трубку", 2),
            ("передам трубку", 2),
            ("переключаю на", 1.5),
            ("переключу на", 1.5),
            ("соединяю с", 1.5),
            ("соединю с", 1.5),
        ),
        "en": (
            ("transfer you", 2),
            ("transferring you", 2),
            ("put you through", 2),
            ("connect you to", 2),
            ("connecting you", 2),
            ("stay on the line", 1.5),
            ("hold the line", 1),
            ("pass you to", 2),
            ("pass you over", 2),
        ),
    },
    "order_placed": {
        "ru": (
            ("оформил заказ", 2),
            ("заказ оформлен", 2),
            ("оформила заказ", 2),
            ("заказ принят", 2),
            ("ваш заказ оформлен", 2),
            ("оформил доставку", 1.5),
            ("заказ создан", 2),
            ("оформил покупку", 2),
            ("заказ на сумму", 1.5),
            ("оформлю заказ", 1),
            ("оформил новую", 1.5),
            ("оформил вам новую", 1.5),
        ),
        "en": (
            ("placed order", 2),
            ("order is placed", 2),
            ("order has been placed", 2),
            ("placed the order", 2),
            ("placed your order", 2),
            ("order is confirmed", 2),
            ("order confirmed", 2),
            ("booked the delivery", 1.5),
            ("purchase is complete", 2),
            ("i've ordered", 1.5),
            ("put the purchase through", 2),
            ("order number for the new", 1),
        ),
    },
    "follow_up": {
        "ru": (
            ("перезвоним", 2),
            ("позвонят", 1.5),
            ("перезвонят", 2),
            ("перезвоню", 2),
            ("перезвонит", 2),
            ("свяжемся с вами", 2),
            ("свяжется с вами", 2),
            ("создал заявку", 2),
            ("оформил заявку", 2),
            ("заявка создана", 2),
            ("зарегистрировал обращение", 2),
            ("номер заявки", 1.5),
            ("номер обращения", 1.5),
            ("передал специалистам", 1.5),
            ("передам специалистам", 1.5),
            ("мастер приедет", 1.5),
            ("мастер придет", 1.5),
            ("в течение", 0.5),
            ("рабочих дней", 1),
            ("сообщим вам", 1.5),
            ("пришлем ответ", 1.5),
        ),
        "en": (
            ("call you back", 2),
            ("ring you back", 2),
            ("phone you back", 2),
            ("logged a case", 2),
            ("get back to you", 2),
            ("opened a ticket", 2),
            ("raised a ticket", 2),
            ("ticket number", 1.5),
            ("reference number", 1.5),
            ("case number", 1.5),
            ("escalated", 1.5),
            ("technician will", 1.5),
            ("engineer will", 1.5),
            ("within 24 hours", 1),
            ("working days", 1),
            ("will let you know", 1.5),
            ("will contact you", 2),
            ("will email you", 1.5),
            ("follow up", 1.5),
        ),
    },
    "unresolved": {
        "ru": (
            ("не могу помочь", 2),
            ("ничем не могу", 2),
            ("ничего не могу", 2),
            ("не знаю", 1.5),
            ("информации нет", 1.5),
            ("нет информации", 1.5),
            ("не ко мне", 2),
            ("звоните сами", 2),
            ("звоните в", 1),
            ("обратитесь в", 1),
            ("к сожалению ничего", 2),
            ("не получится", 1.5),
            ("нельзя", 1.5),
            ("не дает", 1.5),
            ("бесполезно", 1.5),
            ("так и не", 1.5),
            ("буду жаловаться", 1.5),
            ("ничего не решили", 2),
            ("не решили", 1.5),
        ),
        "en": (
            ("can't help", 2),
            ("cannot help", 2),
            ("nothing i can do", 2),
            ("don't know", 1.5),
            ("no idea", 1.5),
            ("don't have any information", 1.5),
            ("nothing i can", 2),
            ("on your own", 2),
            ("not my problem", 2),
            ("call them", 1),
            ("unfortunately we can't", 2),
            ("not possible", 1),
            ("useless", 1.5),
            ("still not solved", 2),
            ("still not resolved", 2),
            ("complain", 1),
            ("waste of time", 1.5),
            ("won't let me", 1.5),
            ("try again later", 1),
        ),
    },
    "resolved": {
        "ru": (
            ("готово", 1.5),
            ("все сделал", 1.5),
            ("исправил", 1.5),
            ("работает", 1),
            ("заработал", 1.5),
            ("восстановлен", 1),
            ("восстановят", 1),
            ("разблокировал", 1.5),
            ("подключил", 1.5),
            ("отключил", 1.5),
            ("отменил", 1.5),
            ("изменил", 1.5),
            ("поменял", 1.5),
            ("вернули", 1),
            ("сбросил", 1.5),
            ("получилось", 1.5),
            ("все понятно", 1),
            ("теперь все", 1),
            ("привезет", 1),
            ("доставят", 1),
        ),
        "en": (
            ("all done", 1.5),
            ("it's done", 1.5),
            ("fixed", 1.5),
            ("works again", 2),
            ("working again", 2),
            ("is working", 1),
            ("i've changed", 1.5),
            ("i've updated", 1.5),
            ("i've reset", 1.5),
            ("unblocked", 1.5),
            ("cancelled", 1),
            ("refunded", 1.5),
            ("sorted", 1.5),
            ("that worked", 1.5),
            ("it works", 1.5),
            ("all set", 1.5),
            ("will arrive", 1),
            ("restored", 1),
        ),
    },
}

@dataclass(frozen=True)
class SemanticVote:
    """How a closing sentence votes by similarity to the outcome examples: its score for an outcome
    is the mean of its ``top_k`` best similarities to that outcome's examples (a neighbourhood, so
    one odd example can't decide alone); it votes for its best outcome if that score reaches
    ``threshold`` and beats the neutral lines, with ``weight`` × score. Chosen on the dev split
    (benchmarks/outcome_tuning.py)."""

    threshold: float = 0.4
    weight: float = 0.5
    top_k: int = 3


@dataclass(frozen=True)
class CallOutcome:
    outcome: str
    confidence: float
    method: str
    evidence: Evidence | None
    scores: dict[str, float]


@dataclass(frozen=True)
class _Hit:
    outcome: str
    weight: float
    evidence: Evidence
    semantic: bool = False


@lru_cache(maxsize=4)
def _matchers(language: str) -> dict[str, tuple[PhraseMatcher, dict[str, float]]]:
    lemmatizer = load_lemmatizer(language)
    out = {}
    for outcome, per_language in CUES.items():
        weights = dict(per_language[language])
        out[outcome] = (PhraseMatcher(lemmatizer, list(weights), max_gap=1), weights)
    return out


def closing_window(transcript: Transcript) -> list[int]:
    """Indices of the closing segments: the last few, and all in the call's last stretch."""
    segments = transcript.segments
    if not segments:
        return []
    end = segments[-1].end
    start = segments[0].start
    cut = end - CLOSING_SHARE * (end - start)
    first = min(max(0, len(segments) - CLOSING_TURNS),
                next((i for i, s in enumerate(segments) if s.end >= cut), len(segments)))
    return list(range(first, len(segments)))


class OutcomeJudge:
    """``cues=False`` judges by similarity alone (to calibrate ``semantic`` without the cues)."""

    def __init__(self, encoder: SentenceEncoder | None, semantic: SemanticVote = SemanticVote(),
                 cues: bool = True) -> None:
        self.encoder = encoder
        self.semantic = semantic
        self.cues = cues
        # Per language: the outcome examples' vectors, their outcomes, and the neutral lines' vectors.
        self._examples: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]] = {}
        if encoder is not None:
            for language in ("ru", "en"):
                texts = [(o, e) for o, per_language in EXAMPLES.items() for e in per_language[language]]
                self._examples[language] = (encoder.encode([e for _, e in texts]),
                                            np.array([OUTCOMES.index(o) for o, _ in texts]),
                                            encoder.encode(list(NEUTRAL[language])))

    def judge(self, transcript: Transcript) -> CallOutcome:
        window = closing_window(transcript)
        language = transcript.language if transcript.language in ("ru", "en") else "en"
        hits = (self._cue_hits(transcript, window, language) if self.cues else []) + \
            self._semantic_hits(transcript, window, language)
        scores = {o: 0.0 for o in OUTCOMES}
        for h in hits:
            scores[h.outcome] += h.weight
        ranked = sorted(OUTCOMES, key=lambda o: (-scores[o], PRIORITY.index(o)))
        best, second = ranked[0], ranked[1]
        if scores[best] <= 0:
            return CallOutcome("resolved", 0.3, f"{METHOD}:default", None, scores)
        evidence = max((h for h in hits if h.outcome == best), key=lambda h: h.weight).evidence
        margin = scores[best] - scores[second]
        confidence = min(0.95, 0.5 + 0.45 * margin / scores[best]) if margin > 0 else 0.5
        by_cue = any(h.outcome == best and not h.semantic for h in hits)
        return CallOutcome(best, round(confidence, 3), METHOD if by_cue else f"{METHOD}:semantic", evidence, scores)

    def _recency(self, position: int, window: Sequence[int]) -> float:
        return 0.6 + 0.4 * (window.index(position) + 1) / len(window)

    def _cue_hits(self, transcript: Transcript, window: Sequence[int], language: str) -> list[_Hit]:
        lemmatizer = load_lemmatizer(language)
        hits = []
        for i in window:
            seg = transcript.segments[i]
            tokens = lemmatizer.tokens(seg.text)
            factor = SPEAKER_WEIGHT.get(seg.speaker, 0.85) * self._recency(i, window)
            for outcome, (matcher, weights) in _matchers(language).items():
                for m in matcher.find_all(tokens):
                    # A denial just before the cue, or right after it ("сделать ничего нельзя").
                    denied = negation_near(tokens, m.first_token, m.last_token, before=2, after=2,
                                           words=DENIALS, by_lemma=True)
                    if denied and outcome != "unresolved":
                        continue
                    quote = _sentence_around(seg.text, tokens[m.first_token].start, tokens[m.last_token].end)
                    hits.append(_Hit(outcome, weights[m.phrase] * factor,
                                     Evidence(seg.start, seg.end, quote, seg.speaker)))
        return hits

    def _semantic_hits(self, transcript: Transcript, window: Sequence[int], language: str) -> list[_Hit]:
        if self.encoder is None or not self._examples:
            return []
        # A sentence and its clauses: (segment, sentence number, text); one vote per sentence, its best unit's.
        units: list[tuple[int, int, tuple[int, int]]] = []
        for i in window:
            sentence, span = -1, (0, -1)
            for a, b in sentence_units(transcript.segments[i].text, min_words=2):  # a sentence, then its clauses
                if not (span[0] <= a and b <= span[1]):
                    sentence, span = sentence + 1, (a, b)
                units.append((i, sentence, (a, b)))
        if not units:
            return []
        vectors, outcome_of, neutral = self._examples[language]
        encoded = self.encoder.encode([transcript.segments[i].text[a:b] for i, _, (a, b) in units])
        sims = encoded @ vectors.T
        neutral_sims = np.sort(encoded @ neutral.T, axis=1)[:, ::-1]
        k = self.semantic.top_k
        votes: dict[tuple[int, int], _Hit] = {}
        for (i, sentence, (a, b)), row, near_neutral in zip(units, sims, neutral_sims):
            per_outcome = [float(np.mean(np.sort(row[outcome_of == n])[::-1][:k])) for n in range(len(OUTCOMES))]
            best = int(np.argmax(per_outcome))
            score = per_outcome[best]
            if score < self.semantic.threshold or score <= float(np.mean(near_neutral[:k])):
                continue
            seg = transcript.segments[i]
            factor = SPEAKER_WEIGHT.get(seg.speaker, 0.85) * self._recency(i, window)
            hit = _Hit(OUTCOMES[best], self.semantic.weight * score * factor,
                       Evidence(seg.start, seg.end, seg.text[a:b], seg.speaker), semantic=True)
            if (i, sentence) not in votes or hit.weight > votes[(i, sentence)].weight:
                votes[(i, sentence)] = hit
        return list(votes.values())


def _sentence_around(text: str, start: int, end: int) -> str:
    """The sentence of ``text`` that holds [start, end)."""
    for a, b in sentence_units(text):
        if a <= start and end <= b:
            return text[a:b]
    return text.strip()
