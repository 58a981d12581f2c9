"""Finding a scorecard phrase in an utterance, three ways.

- :class:`PhraseMatcher` (lemmas): the phrase's words in order with the same
  lemmas, up to ``max_gap`` other words between them ("чем могу помочь" matches
  "чем я могу вам помочь"). Survives morphology and word order filler.
- :class:`FuzzyMatcher` (rapidfuzz): the phrase against runs of as many
  consecutive words, by edit-distance ratio. Survives recognition errors
  ("здраствуйте", "до свиданья"). Whole words only, so "hell" never matches
  inside "hello"; very short phrases are left to the lemma matcher; first
  letters must agree and a negated run does not count.
- :class:`SemanticMatcher` (sentence embeddings): each sentence and clause of
  the utterance against the criterion's example paraphrases, by cosine
  similarity. Survives paraphrase ("что у вас стряслось?" for "чем могу помочь").
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Sequence

import numpy as np
from rapidfuzz import fuzz

from models.embeddings import SentenceEncoder
from models.nlp import Lemmatizer, Token, normalize
from pipeline.text.negation import GAP_NEGATIONS, NEGATIONS_AND_NO


@dataclass(frozen=True)
class PhraseMatch:
    phrase: str
    first_token: int
    last_token: int  # inclusive
    score: float = 1.0  # 1.0 for lemma matches; similarity in [0, 1] otherwise


class PhraseMatcher:
    def __init__(self, lemmatizer: Lemmatizer, phrases: Sequence[str], max_gap: int = 2) -> None:
        self.max_gap = max_gap
        self._patterns = [(p, [t.lemmas for t in lemmatizer.tokens(p)]) for p in phrases]
        self._patterns = [(p, lemmas) for p, lemmas in self._patterns if lemmas]

    def find_all(self, tokens: Sequence[Token], every: bool = False) -> list[PhraseMatch]:
        """Each phrase's first occurrence (enough for a verdict); ``every``: a match from every word it can
        start at (a list of all that was said: repeats, and "мне. Я же сказал" beside "Я же сказал")."""
        matches = []
        for phrase, pattern in self._patterns:
            for start, tok in enumerate(tokens):
                if not (tok.lemmas & pattern[0]):
                    continue
                end = self._extend(tokens, start, pattern)
                if end is not None:
                    matches.append(PhraseMatch(phrase, start, end))
                    if not every:
                        break  # one occurrence per phrase is enough
        return sorted(matches, key=lambda m: (m.first_token, -(m.last_token - m.first_token)))

    def _extend(self, tokens: Sequence[Token], start: int, pattern: list[frozenset[str]]) -> int | None:
        """Index of the last token when ``pattern`` matches from ``start`` (depth-first, tight matches first)."""
        if len(pattern) == 1:
            return start
        next_lemmas = pattern[1]
        for j in range(start + 1, min(len(tokens), start + self.max_gap + 2)):
            if tokens[j].lemmas & next_lemmas:
                end = self._extend(tokens, j, pattern[1:])
                if end is not None:
                    return end
            if tokens[j].lemmas & GAP_NEGATIONS:  # "я не оформил заявку" is not "я оформил заявку"
                return None
        return None


# Below this many letters a phrase is too short to match fuzzily without false hits.
FUZZY_MIN_CHARS = 6


_CYRILLIC = re.compile(r"[а-яё]")
LONG_PHRASE_CHARS = 12
LONG_PHRASE_BONUS = 3.0


class FuzzyMatcher:
    """Edit-distance matching, word for word, for recognition errors.

    A Russian word of a hit starts with the same letter as the phrase's word, and
    no hit is negated: a one-letter prefix is often the whole meaning in Russian
    ("разблокирована" / "заблокирована") and "не" turns a promise around. English
    prefixes change a word's length ("unblocked"), so there a changed first sound
    is just a recognition error ("account folder" for "account holder").
    """

    def __init__(self, phrases: Sequence[str], threshold: float = 88.0) -> None:
        self.threshold = threshold
        self._patterns = []
        for p in phrases:
            words = re.findall(r"\w+", normalize(p))
            if len("".join(words)) >= FUZZY_MIN_CHARS:
                self._patterns.append((p, words))

    def find_all(self, tokens: Sequence[Token]) -> list[PhraseMatch]:
        if not self._patterns or not tokens:
            return []
        words = [normalize(t.text) for t in tokens]
        matches = []
        for phrase, target in self._patterns:
            n = len(target)
            joined = " ".join(target)
            best: PhraseMatch | None = None
            for start in range(0, len(words) - n + 1):
                run = words[start : start + n]
                if any(a[0] != b[0] and _CYRILLIC.match(b) for a, b in zip(run, target)):
                    continue
                if start > 0 and words[start - 1] in NEGATIONS_AND_NO:
                    continue
                cutoff = self.threshold - LONG_PHRASE_BONUS if len(joined) >= LONG_PHRASE_CHARS else self.threshold
                score = fuzz.ratio(joined, " ".join(run), score_cutoff=cutoff)
                if score and (best is None or score / 100 > best.score):
                    best = PhraseMatch(phrase, start, start + n - 1, score / 100)
            if best is not None:
                matches.append(best)
        return sorted(matches, key=lambda m: -m.score)


_SENTENCE_END = re.compile(r"[.!?;…]+")
_CLAUSE_END = re.compile(r"[,:—–]+|\s-\s")


def sentence_units(text: str, min_words: int = 1) -> list[tuple[int, int]]:
    """Character spans of the sentences of ``text`` and, inside them, of clauses of 2+ words."""
    units: list[tuple[int, int]] = []

    def add(a: int, b: int, min_words: int) -> None:
        while a < b and not text[a].isalnum():
            a += 1
        while b > a and not text[b - 1].isalnum():
            b -= 1
        if b > a and len(re.findall(r"\w+", text[a:b])) >= min_words and (a, b) not in units:
            units.append((a, b))

    start = 0
    for m in [*_SENTENCE_END.finditer(text), None]:
        end = m.start() if m else len(text)
        add(start, end, min_words)
        clause_start = start
        for c in _CLAUSE_END.finditer(text, start, end):
            add(clause_start, c.start(), 2)
            clause_start = c.end()
        if clause_start != start:
            add(clause_start, end, 2)
        start = m.end() if m else len(text)
    return units


@dataclass(frozen=True)
class SemanticMatch:
    example: str
    char_start: int
    char_end: int
    score: float  # cosine similarity


class SemanticMatcher:
    """Nearest example paraphrase for each sentence/clause; a hit above ``threshold``."""

    def __init__(self, encoder: SentenceEncoder, examples: Sequence[str], threshold: float) -> None:
        self.encoder = encoder
        self.examples = list(dict.fromkeys(examples))
        self.threshold = threshold
        self._vectors = encoder.encode(self.examples) if self.examples else None

    def find_all(self, text: str) -> list[SemanticMatch]:
        if self._vectors is None:
            return []
        # One word is too little context to embed ("Thanks" sits close to "thanks for calling");
        # single words are the lemma and fuzzy matchers' job.
        units = sentence_units(text, min_words=2)
        if not units:
            return []
        sims = self.encoder.encode([text[a:b] for a, b in units]) @ self._vectors.T
        out = []
        for (a, b), row in zip(units, sims):
            k = int(np.argmax(row))
            if row[k] >= self.threshold:
                out.append(SemanticMatch(self.examples[k], a, b, float(row[k])))
        return sorted(out, key=lambda m: -m.score)
