"""Lemma phrase matching: finds a scorecard phrase in an utterance.

A phrase matches when its words appear in order with the same lemmas, with up
to ``max_gap`` other words between consecutive phrase words ("чем могу помочь"
matches "чем я могу вам помочь").
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

from models.nlp import Lemmatizer, Token


@dataclass(frozen=True)
class PhraseMatch:
    phrase: str
    first_token: int
    last_token: int  # inclusive


class PhraseMatcher:
    def __init__(self, lemmatizer: Lemmatizer, phrases: Sequence[str], max_gap: int = 2) -> None:
        self.max_gap = max_gap
        self._patterns = [(p, [t.lemmas for t in lemmatizer.tokens(p)]) for p in phrases]
        self._patterns = [(p, lemmas) for p, lemmas in self._patterns if lemmas]

    def find_all(self, tokens: Sequence[Token]) -> list[PhraseMatch]:
        matches = []
        for phrase, pattern in self._patterns:
            for start, tok in enumerate(tokens):
                if not (tok.lemmas & pattern[0]):
                    continue
                end = self._extend(tokens, start, pattern)
                if end is not None:
                    matches.append(PhraseMatch(phrase, start, end))
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
        return None
