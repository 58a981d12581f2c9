"""Why the customer called: the problem statement, and the taxonomy reason it matches.

1. **Problem statement.** The customer states the problem in their first turns, after the
   greetings, the "yes" and the dictated numbers. Candidates are the sentences of the first
   customer turns (in the call's first 60% of segments: closing words are no statement) that
   carry two content words and are not mostly a dictated number. Which segments are the
   customer's: those labelled ``customer``; on a mono call whose roles stayed ``unknown``, every
   segment that does not sound like the operator (the role cues of :mod:`pipeline.speech.speakers`, an
   opening line, a request for a number or a name). On a diarized call a sentence the recogniser
   cut mid-way (no full stop, the next segment goes on in lower case within a second) is joined
   with its continuation whatever that segment's label: diarization often splits a sentence
   between voices (stereo channels never do).
2. **Reason.** Each candidate is embedded with the multilingual sentence encoder and compared
   with every example of every reason (cosine); a reason's similarity is its best example's,
   plus ``keyword_bonus`` when one of its keywords' lemmas is in the sentence. Later candidates
   pay ``POSITION_PENALTY`` per place (the first statement is usually the reason). The best
   candidate and reason win if they reach the taxonomy's ``threshold``; otherwise the call has
   no taxonomy reason and its first candidate is kept (with its vector) for discovering
   reasons the taxonomy lacks (:mod:`pipeline.insights.reason_discovery`).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Sequence

import numpy as np

from models.embeddings import SentenceEncoder
from models.nlp import load_lemmatizer, normalize
from pipeline.insights.taxonomy import Taxonomy
from pipeline.records import Segment, Speaker, Transcript
from pipeline.speech.speakers import cue_scores

METHOD = "use_semantic"
# The customer's first this many turns (after joining continuations) hold the problem statement.
FIRST_TURNS = 4
MAX_CANDIDATES = 4
# A later candidate must beat an earlier one by this much per place: the first statement is the reason.
POSITION_PENALTY = 0.04
CONTINUATION_GAP_S = 1.0
STEREO = "stereo_channels"

# Words that say nothing about the problem: greetings, politeness, yes/no, fillers, numbers.
FILLER = frozenset("""
здравствуйте здравствуй добрый день утро вечер привет алло алле ало да нет ага угу так вот ну хорошо ладно
спасибо пожалуйста девушка молодой человек извините простите слушаю это я меня мой моя мое мне вы вас
номер договор фамилия имя зовут звать сказать подсказать можно скажите вопрос
hello hi hey good morning afternoon evening yes yeah yep no nope ok okay sure right well so thanks thank
you please sorry excuse me i'm i am my is it this that the a an um uh er hmm name number calling call
question speaking here
ноль один два три четыре пять шесть семь восемь девять десять
zero one two three four five six seven eight nine ten oh
""".split())
_NUMBER = re.compile(r"^\d+$|^\[(phone|card|passport|email)\]$", re.IGNORECASE)
_WORD = re.compile(r"\[\w+\]|\w+", re.UNICODE)
_SENTENCE = re.compile(r"[^.!?…]+[.!?…]*")


@dataclass(frozen=True)
class ProblemStatement:
    text: str
    start: float
    end: float
    speaker: Speaker


@dataclass(frozen=True, eq=False)
class ReasonMatch:
    statement: ProblemStatement | None  # None: the customer said nothing substantive
    embedding: np.ndarray | None = field(repr=False)  # the statement's unit vector
    reason_id: str | None  # None: below the threshold (or no statement)
    score: float | None  # similarity of the best reason, bonus included (0..1)
    method: str


@dataclass(frozen=True)
class _Piece:
    """Part of a customer turn: one segment's text with its times."""

    segment: Segment
    offset: int  # where the segment's text starts in the turn's text


def content_words(text: str) -> list[str]:
    return [w for w in (normalize(m) for m in _WORD.findall(text)) if w not in FILLER and not _NUMBER.match(w)]


_NUMBER_WORDS = frozenset("ноль один два три четыре пять шесть семь восемь девять десять zero one two three four "
                          "five six seven eight nine ten oh".split())


def _numbers_share(text: str) -> float:
    words = [normalize(w) for w in _WORD.findall(text)]
    return sum(1 for w in words if _NUMBER.match(w) or w in _NUMBER_WORDS) / max(len(words), 1)


# An operator asking for details, which the role cues of pipeline.speech.speakers do not all cover.
_OPERATOR_ASKS = re.compile(
    r"\b(назовите|продиктуйте|уточните|подскажите ваш|ваш[аеу]? (номер|фамили|дат)|номер (договора|телефона|заказа)"
    r"|can i have|could you (confirm|give)|what'?s the (phone|account|order)|your (account|phone|order) number"
    r"|date of birth|дата рождения|дату рождения|чем могу помочь|слушаю|горячая линия|служба поддержки"
    r"|what can i do for you|how can i help|go ahead|help desk|customer support|you're through to)", re.IGNORECASE)
# The problem is stated in the call's first part; the customer's closing words are no statement.
OPENING_SHARE = 0.6


def _customer_like(segments: Sequence[Segment], language: str) -> list[bool]:
    """Which segments may be the customer's: labelled so; unknown ones in the call's first part
    (the problem is stated early, the closing is no statement) that do not sound like the operator."""
    labelled = any(s.speaker == "customer" for s in segments)
    opening = max(2, math.ceil(OPENING_SHARE * len(segments)))
    out = []
    for i, s in enumerate(segments):
        if i >= opening:
            out.append(False)
        elif s.speaker == "customer":
            out.append(True)
        elif s.speaker == "unknown" and not labelled:
            op, cu = cue_scores([s.text], language) if language in ("ru", "en") else (0.0, 0.0)
            out.append(not (op >= 1.0 and op > cu) and not _OPERATOR_ASKS.search(s.text))
        else:
            out.append(False)
    return out


def _continues(previous: Segment, following: Segment) -> bool:
    """The recogniser cut a sentence: no full stop before, lower case and no pause after."""
    tail = previous.text.rstrip()
    head = following.text.lstrip()
    return (bool(tail) and tail[-1] not in ".!?…" and bool(head) and head[0].islower()
            and following.start - previous.end <= CONTINUATION_GAP_S)


def customer_turns(transcript: Transcript) -> list[list[Segment]]:
    """The customer's turns in order, each a run of segments (continuations joined)."""
    segments = list(transcript.segments)
    eligible = _customer_like(segments, transcript.language)
    # Stereo channels are certain about who spoke: only diarized (or unlabelled) calls split sentences between voices.
    joins = transcript.speaker_method != STEREO
    turns: list[list[Segment]] = []
    i = 0
    while i < len(segments):
        if not eligible[i]:
            i += 1
            continue
        turn = [segments[i]]
        i += 1
        while i < len(segments):
            following = segments[i]
            if eligible[i] and following.start - turn[-1].end <= 2.0:
                turn.append(following)
                i += 1
                continue
            if joins and not eligible[i] and _continues(turn[-1], following):  # its end, heard as another voice
                turn.append(following)
                i += 1
            break
        turns.append(turn)
    return turns


def _time_at(piece: _Piece, char: int, end: bool) -> float:
    """Time of a character of a segment's text: from its words when they line up, else by proportion."""
    seg = piece.segment
    words = seg.text.split()
    if seg.words and len(seg.words) == len(words):
        index = len(seg.text[:char].split()) - (1 if end else 0)
        index = min(max(index, 0), len(seg.words) - 1)
        return seg.words[index].end if end else seg.words[index].start
    share = char / max(len(seg.text), 1)
    return seg.start + share * (seg.end - seg.start)


def turn_sentences(turn: Sequence[Segment]) -> list[ProblemStatement]:
    """The sentences of a turn with their times (a sentence may span the turn's segments)."""
    pieces, texts, offset = [], [], 0
    for seg in turn:
        pieces.append(_Piece(seg, offset))
        texts.append(seg.text.strip())
        offset += len(texts[-1]) + 1
    text = " ".join(texts)
    out = []
    for m in _SENTENCE.finditer(text):
        a, b = m.start(), m.end()
        while a < b and not text[a].isalnum():
            a += 1
        while b > a and not (text[b - 1].isalnum() or text[b - 1] in ".!?…"):
            b -= 1
        if a >= b:
            continue
        first = max((p for p in pieces if p.offset <= a), key=lambda p: p.offset)
        last = max((p for p in pieces if p.offset < b), key=lambda p: p.offset)
        start = _time_at(first, a - first.offset, end=False)
        stop = _time_at(last, b - last.offset, end=True)
        speaker = turn[0].speaker
        out.append(ProblemStatement(text[a:b], round(start, 2), round(max(stop, start), 2), speaker))
    return out


def is_substantive(sentence: str) -> bool:
    """Says something about the problem: two content words, not mostly a dictated number."""
    return len(content_words(sentence)) >= 2 and _numbers_share(sentence) < 0.5


def problem_candidates(transcript: Transcript, first_turns: int = FIRST_TURNS,
                       limit: int = MAX_CANDIDATES) -> list[ProblemStatement]:
    """The substantive sentences of the customer's first turns, in order."""
    out: list[ProblemStatement] = []
    for turn in customer_turns(transcript)[:first_turns]:
        out += [s for s in turn_sentences(turn) if is_substantive(s.text)]
        if len(out) >= limit:
            break
    return out[:limit]


class ReasonMatcher:
    """A taxonomy's examples embedded once; matches problem statements against them."""

    def __init__(self, taxonomy: Taxonomy, encoder: SentenceEncoder) -> None:
        self.taxonomy = taxonomy
        self.encoder = encoder
        self._owner: list[int] = []
        examples: list[str] = []
        for i, reason in enumerate(taxonomy.reasons):
            for example in reason.all_examples:
                examples.append(example)
                self._owner.append(i)
        self._vectors = encoder.encode(examples)
        self._owner_arr = np.asarray(self._owner)
        self._keywords: dict[str, list[tuple[int, frozenset[str]]]] = {}

    def _keyword_sets(self, language: str) -> list[tuple[int, frozenset[str]]]:
        """Per reason, its keywords' lemmas in this language (both languages' keywords, lemmatised here)."""
        if language not in self._keywords:
            lemmatizer = load_lemmatizer(language)
            sets = []
            for i, reason in enumerate(self.taxonomy.reasons):
                words = reason.keywords.get(language, ())
                lemmas = frozenset(lemma for w in words for t in lemmatizer.tokens(w) for lemma in t.lemmas)
                sets.append((i, lemmas))
            self._keywords[language] = sets
        return self._keywords[language]

    def reason_scores(self, texts: Sequence[str], language: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(vectors, similarity per text and reason, keyword hit per text and reason)."""
        vectors = self.encoder.encode(list(texts))
        sims = vectors @ self._vectors.T
        n_reasons = len(self.taxonomy.reasons)
        per_reason = np.full((len(texts), n_reasons), -1.0, dtype=np.float32)
        for r in range(n_reasons):
            per_reason[:, r] = sims[:, self._owner_arr == r].max(axis=1)
        hits = np.zeros_like(per_reason, dtype=bool)
        if language in ("ru", "en"):
            lemmatizer = load_lemmatizer(language)
            for t, text in enumerate(texts):
                lemmas = {lemma for tok in lemmatizer.tokens(text) for lemma in tok.lemmas}
                for r, words in self._keyword_sets(language):
                    hits[t, r] = bool(words & lemmas)
        return vectors, per_reason, hits

    def match(self, transcript: Transcript) -> ReasonMatch:
        candidates = problem_candidates(transcript)
        if not candidates:
            return ReasonMatch(None, None, None, None, f"{METHOD}:no_statement")
        vectors, sims, hits = self.reason_scores([c.text for c in candidates], transcript.language)
        scores = np.clip(sims + hits * self.taxonomy.keyword_bonus, 0.0, 1.0)
        ranked = scores - POSITION_PENALTY * np.arange(len(candidates))[:, None]
        c, r = np.unravel_index(int(np.argmax(ranked)), ranked.shape)
        if scores[c, r] >= self.taxonomy.threshold:
            method = METHOD + ("+keywords" if hits[c, r] else "")
            return ReasonMatch(candidates[c], vectors[c], self.taxonomy.reasons[r].id, float(scores[c, r]), method)
        best_first = float(scores[0].max())
        return ReasonMatch(candidates[0], vectors[0], None, best_first, f"{METHOD}:below_threshold")

