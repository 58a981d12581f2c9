"""Numbers as Whisper and people write and say them, for finding personal data.

Text is split into tokens; runs of number atoms (digit groups, number words in Russian and
English, "double five", "oh") become one digit string, remembering where each atom starts
so a long run can be cut back into the numbers said back to back. Both languages' number
words count in every call: a Russian customer may read a card in English and vice versa.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal, cast

# ---------------------------------------------------------------- tokens

TokenKind = Literal["digits", "word", "punct"]
# Each alternative is a group named by its TokenKind: the match's lastgroup is the token's kind.
_TOKEN = re.compile(r"(?P<digits>\d+)|(?P<word>[^\W\d_]+)|(?P<punct>\S)")
# Punctuation tokens that end a sentence (a number, an address or a name does not run past one).
SENTENCE_END = frozenset({".", "!", "?", ";"})


@dataclass(frozen=True)
class TextToken:
    kind: TokenKind
    text: str
    norm: str  # lower case, ё -> е
    start: int
    end: int


def tokenize(text: str) -> list[TextToken]:
    return [
        TextToken(cast(TokenKind, m.lastgroup), m.group(), m.group().lower().replace("ё", "е"), m.start(), m.end())
        for m in _TOKEN.finditer(text)
    ]


# ---------------------------------------------------------------- number words

# Ranks decide composition: a group "hundreds [tens|teen] [unit]" reads as one number
# ("девятьсот шестнадцать" = 916, "сорок пять" = 45); anything else starts a new group.
_ZERO, _UNIT, _TEEN, _TEN, _HUNDRED = 0, 1, 2, 3, 4


def _rank(value: int) -> int:
    if value == 0:
        return _ZERO
    if value < 10:
        return _UNIT
    if value < 20:
        return _TEEN
    return _TEN if value < 100 else _HUNDRED


_RU_CARDINALS = {
    "ноль": 0, "нуль": 0, "один": 1, "два": 2, "три": 3, "четыре": 4, "пять": 5, "шесть": 6, "семь": 7,
    "восемь": 8, "девять": 9, "десять": 10, "одиннадцать": 11, "двенадцать": 12, "тринадцать": 13,
    "четырнадцать": 14, "пятнадцать": 15, "шестнадцать": 16, "семнадцать": 17, "восемнадцать": 18,
    "девятнадцать": 19, "двадцать": 20, "тридцать": 30, "сорок": 40, "пятьдесят": 50, "шестьдесят": 60,
    "семьдесят": 70, "восемьдесят": 80, "девяносто": 90, "сто": 100, "двести": 200, "триста": 300,
    "четыреста": 400, "пятьсот": 500, "шестьсот": 600, "семьсот": 700, "восемьсот": 800, "девятьсот": 900,
}
_EN_CARDINALS = {
    "zero": 0, "nought": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
    "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14,
    "fifteen": 15, "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19, "twenty": 20,
    "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90,
}
_EN_REPEAT = {"double": 2, "triple": 3}
EN_ZERO_LETTERS = {"oh", "o"}  # "oh" is zero only between other digits
_PLUS_WORDS = {"плюс", "plus"}


@lru_cache(maxsize=1)
def morph():  # -> pymorphy3.MorphAnalyzer, imported lazily (slow to load)
    import pymorphy3

    return pymorphy3.MorphAnalyzer(lang="ru")


@lru_cache(maxsize=1)
def _russian_number_forms() -> dict[str, int]:
    """Every case form of the Russian cardinals ("двухсот", "сорока", "одну"), built once from pymorphy3."""
    analyzer = morph()
    forms: dict[str, int] = {}
    for lemma, value in _RU_CARDINALS.items():
        parses = [p for p in analyzer.parse(lemma) if p.normal_form == lemma]
        # "сто" is also read as an abbreviation; take the numeral reading when there is one.
        parses.sort(key=lambda p: (p.tag.POS != "NUMR", p.tag.POS not in ("ADJF", "NOUN")))
        for form in parses[0].lexeme if parses else ():
            forms.setdefault(form.word.replace("ё", "е"), value)
        forms[lemma] = value
    return forms


def number_words(language: str) -> dict[str, int]:
    """Number words of both languages whatever the call's language ("four two seven six" in a
    Russian call is still a card); ``language`` is kept for callers that may narrow it later."""
    return _both_number_words()


@lru_cache(maxsize=1)
def _both_number_words() -> dict[str, int]:
    return {**_russian_number_forms(), **_EN_CARDINALS}


# ---------------------------------------------------------------- number runs

# Between two atoms of one number: spaces and these marks. "," and "." join only with a
# space on one side (dictation: "8 916, 123" or Whisper's "8 ,916 ,123"), so "12.05.2024"
# and "1,5" stay apart; a tight dot joins only in a chain of 4+ groups ("8.916.123.45.67",
# never a date). ":" (times) and "/" never join.
_JOINING_MARKS = {"-", "–", "—", "(", ")", ",", "."}
_MARKS_NEED_SPACE = {",", "."}
_DOTTED_NUMBER = re.compile(r"\d+(?:\.\d+){3,}")


def dotted_number_marks(text: str) -> frozenset[int]:
    """Positions of the dots inside dotted digit chains of 4+ groups: those dots join a number."""
    return frozenset(
        m.start() + i for m in _DOTTED_NUMBER.finditer(text) for i, ch in enumerate(m.group()) if ch == "."
    )


@dataclass
class NumberRun:
    first: int  # token index where the span starts ("+", "плюс", "(" or the first atom)
    last: int  # token index of the last atom
    digits: str
    plus: bool
    # (token index where an atom starts, digits before it) for each atom; splitting long runs.
    boundaries: list[tuple[int, int]]


class _Composer:
    """Turns number atoms into digits: words compose ("сто двадцать три" -> 123), digits append.

    Each step returns the offset in the digit string where the atom's group starts, or
    None when the atom joined the open group (those are the places a long run may split).
    """

    def __init__(self) -> None:
        self.digits: list[str] = []
        self.length = 0
        self.value = 0
        self.rank: int | None = None  # rank of the last word of the open group

    def flush(self) -> None:
        if self.rank is not None:
            self.digits.append(str(self.value))
            self.length += len(self.digits[-1])
            self.rank = None

    def word(self, value: int, tight: bool) -> int | None:
        rank = _rank(value)
        attaches = tight and (
            (self.rank == _HUNDRED and rank in (_UNIT, _TEEN, _TEN)) or (self.rank == _TEN and rank == _UNIT)
        )
        if attaches:
            self.value += value
            self.rank = rank
            return None
        self.flush()
        self.value, self.rank = value, rank
        return self.length

    def hundred(self) -> bool:
        """English "nine hundred": multiplies a lone unit; False when there is none."""
        if self.rank != _UNIT:
            return False
        self.value *= 100
        self.rank = _HUNDRED
        return True

    def literal(self, digits: str) -> int:
        self.flush()
        offset = self.length
        self.digits.append(digits)
        self.length += len(digits)
        return offset

    def text(self) -> str:
        self.flush()
        return "".join(self.digits)


def _gap_joins(text: str, tokens: list[TextToken], left: int, right: int, tight_ok: frozenset[int]) -> bool:
    """Whether tokens strictly between ``left`` and ``right`` are only joining marks."""
    marks = 0
    for tok in tokens[left + 1 : right]:
        if tok.kind != "punct" or tok.text not in _JOINING_MARKS:
            return False
        if tok.text in _MARKS_NEED_SPACE and not (
            tok.end == len(text) or text[tok.end].isspace() or text[tok.start - 1].isspace() or tok.start in tight_ok
        ):
            return False
        marks += 1
    return marks <= 3


def _tight(text: str, tokens: list[TextToken], left: int, right: int) -> bool:
    """Only spaces or a hyphen between two words ("forty-five"): they may form one number."""
    return text[tokens[left].end : tokens[right].start].strip() in ("", "-")


def number_runs(text: str, tokens: list[TextToken], words: dict[str, int], english: bool) -> list[NumberRun]:
    runs: list[NumberRun] = []
    tight_ok = dotted_number_marks(text)
    n = len(tokens)
    i = 0
    while i < n:
        if not _is_atom_start(text, tokens, i, words, english, in_run=False):
            i += 1
            continue
        first = i
        plus = False
        if i > 0 and (tokens[i - 1].text == "+" or tokens[i - 1].norm in _PLUS_WORDS):
            first, plus = i - 1, True
        elif i > 0 and tokens[i - 1].text == "(" and tokens[i - 1].end == tokens[i].start:
            first = i - 1
        composer = _Composer()
        boundaries: list[tuple[int, int]] = []
        last = -1
        j = i
        while j < n:
            if last >= 0:
                while j < n and tokens[j].kind == "punct":
                    j += 1
                if j == n or not (
                    _gap_joins(text, tokens, last, j, tight_ok)
                    and _is_atom_start(text, tokens, j, words, english, True)
                ):
                    break
            tok = tokens[j]
            atom_start = j
            offset: int | None
            if tok.kind == "digits":
                offset = composer.literal(tok.text)
            elif english and tok.norm in _EN_REPEAT:
                j += 1  # the digit being repeated
                nxt = tokens[j]
                digit = (
                    nxt.text if nxt.kind == "digits" else "0" if nxt.norm in EN_ZERO_LETTERS else str(words[nxt.norm])
                )
                offset = composer.literal(digit * _EN_REPEAT[tok.norm])
            elif english and tok.norm in EN_ZERO_LETTERS:
                offset = composer.literal("0")
            elif english and tok.norm == "hundred":
                if not composer.hundred():
                    break
                offset = None
            else:
                offset = composer.word(words[tok.norm], last >= 0 and _tight(text, tokens, last, j))
            if offset is not None:
                boundaries.append((atom_start, offset))
            last = j
            j += 1
        runs.append(NumberRun(first, last, composer.text(), plus, boundaries))
        i = last + 1
    return runs


def _is_atom_start(
    text: str, tokens: list[TextToken], i: int, words: dict[str, int], english: bool, in_run: bool
) -> bool:
    tok = tokens[i]
    if tok.kind == "digits":
        return True
    if tok.kind != "word":
        return False
    if tok.norm in words:
        return True
    if not english:
        return False
    if tok.norm == "hundred":
        return in_run
    nxt = tokens[i + 1] if i + 1 < len(tokens) else None
    close = nxt is not None and text[tok.end : nxt.start].strip() == ""
    if tok.norm in _EN_REPEAT:
        # "double five", "double 5", "double oh": only a single digit can be doubled.
        return close and nxt is not None and (
            (nxt.kind == "digits" and len(nxt.text) == 1)
            or (nxt.norm in words and words[nxt.norm] < 10)
            or nxt.norm in EN_ZERO_LETTERS
        )
    if tok.norm in EN_ZERO_LETTERS:
        # "oh" as zero only among other digits: "five oh two", not "oh, my number is...".
        return in_run or (close and nxt is not None and _is_atom_start(text, tokens, i + 1, words, english, False))
    return False
