"""Redaction of personal data in transcripts: phones, card numbers, passports, emails.

Detection works on what Whisper writes, not on tidy forms: digits broken by spaces,
dashes and brackets ("+7 (916) 123-45-67"), and numbers said as words ("восемь девятьсот
шестнадцать сто двадцать три...", "eight nine one six, double five..."). Runs of number
atoms are turned into one digit string, then classified by length and checks:

- passport: a 10-digit run, or a 4-digit run + "номер" + a 6-digit run, near the words
  паспорт / серия / passport; English "passport number" + 8-9 letters and digits;
- card: 13-19 digits passing the Luhn check;
- phone: 10-15 digits ("+" / "плюс" / "plus" in front, or none).
- A 16-19 digit run failing Luhn is left as it is: it cannot be a phone (E.164 numbers
  have at most 15 digits), and without the checksum it cannot be told from an account or
  contract number (a card with a misheard digit stays visible: the price of trusting Luhn).
  Such a run, or any longer one, is still searched at its atom boundaries for phones said
  back to back with something else ("89161234567 12345", two phones in a row);
- email: ``name@example.com`` as written, or spoken ("ivan собака mail точка ru",
  "john dot smith at gmail dot com") when it ends in a known top-level domain.

Ordinary numbers are left alone: amounts (a currency word follows), dates and times
("12.05.2024", "14:30": a dot or colon inside digits ends a run), years and order numbers
(too short). Any other 10-15 digit number (a contract number, an INN) is tagged as a
phone: over-redacting it costs little, leaking a phone costs more.

A phone dictated with pauses spans several segments; segments of one speaker close in
time are therefore searched as one text, and a span is cut back into per-segment pieces.
The original PII text is never kept: a ``PiiSpan`` holds only its kind and audio times.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from functools import lru_cache
from typing import Literal, Sequence

from pipeline.records import Segment, Word

PiiKind = Literal["phone", "card", "passport", "email"]
TAGS: dict[str, str] = {"phone": "[PHONE]", "card": "[CARD]", "passport": "[PASSPORT]", "email": "[EMAIL]"}

# Segments of one speaker at most this far apart are searched as one text (dictation pauses).
CHAIN_GAP_S = 3.0


@dataclass(frozen=True)
class PiiSpan:
    """Where personal data was said: audio seconds, for muting. Never the text itself."""

    kind: PiiKind
    start: float
    end: float
    segment_index: int

    def to_json(self) -> dict:
        return {"kind": self.kind, "start": round(self.start, 2), "end": round(self.end, 2)}


# ---------------------------------------------------------------- tokens

_TOKEN = re.compile(r"(?P<digits>\d+)|(?P<word>[^\W\d_]+)|(?P<punct>\S)")
_EMAIL_WRITTEN = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")


@dataclass(frozen=True)
class _Token:
    kind: Literal["digits", "word", "punct"]
    text: str
    norm: str  # lower case, ё -> е
    start: int
    end: int


def _tokenize(text: str) -> list[_Token]:
    return [
        _Token(m.lastgroup, m.group(), m.group().lower().replace("ё", "е"), m.start(), m.end())  # type: ignore[arg-type]
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
_EN_ZERO_LETTERS = {"oh", "o"}  # "oh" is zero only between other digits
_PLUS_WORDS = {"плюс", "plus"}


@lru_cache(maxsize=1)
def _russian_number_forms() -> dict[str, int]:
    """Every case form of the Russian cardinals ("двухсот", "сорока", "одну"), built once from pymorphy3."""
    import pymorphy3

    morph = pymorphy3.MorphAnalyzer(lang="ru")
    forms: dict[str, int] = {}
    for lemma, value in _RU_CARDINALS.items():
        parses = [p for p in morph.parse(lemma) if p.normal_form == lemma]
        # "сто" is also read as an abbreviation; take the numeral reading when there is one.
        parses.sort(key=lambda p: (p.tag.POS != "NUMR", p.tag.POS not in ("ADJF", "NOUN")))
        for form in parses[0].lexeme if parses else ():
            forms.setdefault(form.word.replace("ё", "е"), value)
        forms[lemma] = value
    return forms


def _number_words(language: str) -> dict[str, int]:
    if language == "ru":
        return _russian_number_forms()
    if language == "en":
        return _EN_CARDINALS
    return _both_number_words()


@lru_cache(maxsize=1)
def _both_number_words() -> dict[str, int]:
    return {**_russian_number_forms(), **_EN_CARDINALS}


# ---------------------------------------------------------------- number runs

# Between two atoms of one number: spaces and these marks; "," and "." only when a space
# follows (dictation), so "12.05.2024" and "1,5" stay apart; ":" (times) and "/" never join.
_JOINING_MARKS = {"-", "–", "—", "(", ")", ",", "."}
_MARKS_NEED_SPACE = {",", "."}


@dataclass
class _Run:
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


def _gap_joins(text: str, tokens: list[_Token], left: int, right: int) -> bool:
    """Whether tokens strictly between ``left`` and ``right`` are only joining marks."""
    marks = 0
    for tok in tokens[left + 1 : right]:
        if tok.kind != "punct" or tok.text not in _JOINING_MARKS:
            return False
        if tok.text in _MARKS_NEED_SPACE and not (tok.end == len(text) or text[tok.end].isspace()):
            return False
        marks += 1
    return marks <= 3


def _tight(text: str, tokens: list[_Token], left: int, right: int) -> bool:
    """Only spaces or a hyphen between two words ("forty-five"): they may form one number."""
    return text[tokens[left].end : tokens[right].start].strip() in ("", "-")


def _number_runs(text: str, tokens: list[_Token], words: dict[str, int], english: bool) -> list[_Run]:
    runs: list[_Run] = []
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
                if j == n or not (_gap_joins(text, tokens, last, j) and _is_atom_start(text, tokens, j, words, english, True)):
                    break
            tok = tokens[j]
            atom_start = j
            offset: int | None
            if tok.kind == "digits":
                offset = composer.literal(tok.text)
            elif english and tok.norm in _EN_REPEAT:
                j += 1  # the digit being repeated
                nxt = tokens[j]
                digit = nxt.text if nxt.kind == "digits" else "0" if nxt.norm in _EN_ZERO_LETTERS else str(words[nxt.norm])
                offset = composer.literal(digit * _EN_REPEAT[tok.norm])
            elif english and tok.norm in _EN_ZERO_LETTERS:
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
        runs.append(_Run(first, last, composer.text(), plus, boundaries))
        i = last + 1
    return runs


def _is_atom_start(text: str, tokens: list[_Token], i: int, words: dict[str, int], english: bool, in_run: bool) -> bool:
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
            or nxt.norm in _EN_ZERO_LETTERS
        )
    if tok.norm in _EN_ZERO_LETTERS:
        # "oh" as zero only among other digits: "five oh two", not "oh, my number is...".
        return in_run or (close and nxt is not None and _is_atom_start(text, tokens, i + 1, words, english, False))
    return False


# ---------------------------------------------------------------- classification


def luhn_valid(digits: str) -> bool:
    total = 0
    for pos, ch in enumerate(reversed(digits)):
        d = int(ch)
        if pos % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


_CURRENCY_STEMS = ("руб", "коп", "доллар", "долл", "бакс", "евро", "юан", "тенге", "dollar", "buck", "euro",
                   "pound", "cent", "usd", "rub", "eur")
_CURRENCY_WORDS = {"р", "₽", "$", "€", "£", "%", "процент", "процента", "процентов", "percent"}


def _amount_follows(tokens: list[_Token], last: int) -> bool:
    nxt = tokens[last + 1] if last + 1 < len(tokens) else None
    if nxt is None:
        return False
    return nxt.norm in _CURRENCY_WORDS or (nxt.kind == "word" and nxt.norm.startswith(_CURRENCY_STEMS))


def _classify(digits: str, plus: bool) -> PiiKind | None:
    n = len(digits)
    if plus:
        return "phone" if 10 <= n <= 15 else None
    if 13 <= n <= 19 and luhn_valid(digits):
        return "card"
    if 10 <= n <= 15:
        return "phone"
    return None


def _strict_phone(digits: str, plus: bool) -> bool:
    """A piece of a long run that is certainly a phone: +country, or Russian 11 digits from 7/8."""
    return (plus and 10 <= len(digits) <= 15) or (len(digits) == 11 and digits[0] in "78")


def _last_atom_before(tokens: list[_Token], index: int) -> int:
    while tokens[index].kind == "punct":
        index -= 1
    return index


def _classify_run(tokens: list[_Token], run: _Run) -> list[tuple[PiiKind, int, int]]:
    """Spans (kind, first token, last token) in one run."""
    if _amount_follows(tokens, run.last):
        return []
    kind = _classify(run.digits, run.plus)
    if kind is not None:
        return [(kind, run.first, run.last)]
    if len(run.digits) <= 15:
        return []
    # Longer than any phone and not a card: two numbers said back to back ("89161234567
    # 12345", two phones). Take phones from the start while they come, then one at the end.
    cuts = run.boundaries + [(run.last + 1, len(run.digits))]
    out: list[tuple[PiiKind, int, int]] = []
    a = 0
    while a < len(cuts) - 1:
        b = next(
            (b for b in range(len(cuts) - 1, a, -1)
             if _strict_phone(run.digits[cuts[a][1] : cuts[b][1]], run.plus and a == 0)),
            None,
        )
        if b is None:
            break
        out.append(("phone", run.first if a == 0 else cuts[a][0], _last_atom_before(tokens, cuts[b][0] - 1)))
        a = b
    tail = next((c for c in range(a + 1, len(cuts) - 1) if _strict_phone(run.digits[cuts[c][1] :], False)), None)
    if tail is not None:
        out.append(("phone", cuts[tail][0], run.last))
    return out


# ---------------------------------------------------------------- passports

_PASSPORT_SERIES = {"серия", "серии", "серию", "серией"}
_PASSPORT_NUMBER_WORDS = {"номер", "номера", "number", "no", "и", "паспорта", "паспорт"}
_PASSPORT_CONTEXT_WORDS = 8  # words between the keyword and the number at most
_PHONE_STEMS = ("телефон", "мобильн", "сотов", "phone", "mobile", "cell")
_EN_PASSPORT_FILLERS = {"number", "no", "num", "is", "it", "s", "was", "my", "the", "it's"}


def _is_passport_keyword(tok: _Token) -> bool:
    return tok.kind == "word" and (
        tok.norm.startswith("паспорт") or tok.norm in ("passport", "passports") or tok.norm in _PASSPORT_SERIES
    )


def _passports(tokens: list[_Token], runs: list[_Run]) -> list[tuple[PiiKind, int, int]]:
    keyword_at = [i for i, t in enumerate(tokens) if _is_passport_keyword(t)]
    if not keyword_at:
        return []
    out: list[tuple[PiiKind, int, int]] = []

    def near_keyword(index: int) -> bool:
        for k in keyword_at:
            between = [t for t in tokens[k + 1 : index] if t.kind != "punct"]
            # "паспорт потеряла, запишите телефон 9161234567": the phone word is nearer.
            if k < index and len(between) <= _PASSPORT_CONTEXT_WORDS and not any(t.norm.startswith(_PHONE_STEMS) for t in between):
                return True
        return False

    for r, run in enumerate(runs):
        if not near_keyword(run.first):
            continue
        if len(run.digits) == 10:
            out.append(("passport", run.first, run.last))
        elif len(run.digits) == 4 and r + 1 < len(runs):
            nxt = runs[r + 1]
            between = tokens[run.last + 1 : nxt.first]
            if len(nxt.digits) == 6 and all(t.kind == "punct" or t.norm in _PASSPORT_NUMBER_WORDS for t in between):
                out.append(("passport", run.first, nxt.last))
    out.extend(_english_passports(tokens, runs, keyword_at))
    return out


def _english_passports(tokens: list[_Token], runs: list[_Run], keyword_at: list[int]) -> list[tuple[PiiKind, int, int]]:
    """ "passport number AB1234567" / "passport number is 123 456 789": 8-9 letters and digits."""
    run_at = {run.first: run for run in runs}
    out: list[tuple[PiiKind, int, int]] = []
    for k in keyword_at:
        if not tokens[k].norm.startswith("passport"):
            continue
        i = k + 1
        skipped = 0
        while i < len(tokens) and skipped < 4 and (tokens[i].kind == "punct" or tokens[i].norm in _EN_PASSPORT_FILLERS):
            skipped += tokens[i].kind != "punct"
            i += 1
        start = i
        letters = ""
        while i < len(tokens) and tokens[i].kind == "word" and tokens[i].text.isupper() and len(letters + tokens[i].text) <= 2:
            letters += tokens[i].text
            i += 1
        run = run_at.get(i)
        if run is None or run.plus:
            continue
        if 8 <= len(letters) + len(run.digits) <= 9 and len(run.digits) >= 6:
            out.append(("passport", start if letters else run.first, run.last))
    return out


# ---------------------------------------------------------------- spoken emails

_AT_WORDS = {"@", "собака", "собачка", "at", "эт"}
_DOT_WORDS = {".", "точка", "dot"}
_DASH_WORDS = {"-", "дефис", "тире", "dash", "hyphen"}
_UNDERSCORE_WORDS = {"_", "underscore", "подчеркивание"}
_TOP_LEVEL_DOMAINS = {
    "ru", "com", "net", "org", "рф", "su", "info", "biz", "io", "me", "uk", "de", "ua", "by", "kz", "edu",
    "gov", "co", "us", "eu", "online", "pro", "ру", "ком", "нет", "орг", "су",
}


def _joiner(tok: _Token) -> bool:
    return tok.norm in _DOT_WORDS or tok.norm in _DASH_WORDS or tok.norm in _UNDERSCORE_WORDS


def _email_atom(tok: _Token) -> bool:
    return tok.kind in ("word", "digits") and tok.norm not in _AT_WORDS and not _joiner(tok)


def _loose_gap(text: str, left: _Token, right: _Token) -> bool:
    return text[left.end : right.start].strip(" ,") == ""


def _joins(text: str, left: _Token, joiner: _Token, right: _Token) -> bool:
    """``left joiner right`` reads as one address part: a spoken joiner ("точка", "dot")
    between spaces, a written one (".", "-", "_") with no spaces ("mail.ru"), so the full
    stop ending a sentence never glues it to the next one."""
    if not (_joiner(joiner) and _email_atom(left) and _email_atom(right)):
        return False
    if joiner.kind == "punct":
        return left.end == joiner.start and joiner.end == right.start
    return _loose_gap(text, left, joiner) and _loose_gap(text, joiner, right)


def _spoken_emails(text: str, tokens: list[_Token]) -> list[tuple[PiiKind, int, int]]:
    out: list[tuple[PiiKind, int, int]] = []
    for a, tok in enumerate(tokens):
        if tok.norm not in _AT_WORDS or a == 0 or a + 1 >= len(tokens):
            continue
        # Domain: atom (joiner atom)+, ending on a known top-level domain.
        end = None
        i = a + 1
        if not (_email_atom(tokens[i]) and _loose_gap(text, tok, tokens[i])):
            continue
        while i + 2 < len(tokens) and _joins(text, tokens[i], tokens[i + 1], tokens[i + 2]):
            if tokens[i + 1].norm in _DOT_WORDS and tokens[i + 2].norm in _TOP_LEVEL_DOMAINS:
                end = i + 2
            i += 2
        if end is None:
            continue
        # Local part: atom, extended left over joiners, over letters spelled one by one,
        # and over a word before digits ("ivan 85").
        s = a - 1
        if not (_email_atom(tokens[s]) and _loose_gap(text, tokens[s], tok)):
            continue
        while s > 0:
            prev = tokens[s - 1]
            if s >= 2 and _joins(text, tokens[s - 2], prev, tokens[s]):
                s -= 2
            elif _email_atom(prev) and text[prev.end : tokens[s].start].isspace() and (
                # spelled letters "i v a n" (not the "s" of "it's")
                (len(prev.text) == 1 == len(tokens[s].text) and prev.kind == tokens[s].kind == "word"
                 and (prev.start == 0 or text[prev.start - 1].isspace()))
                or (prev.kind == "word" and tokens[s].kind == "digits")
            ):
                s -= 1
            else:
                break
        out.append(("email", s, end))
    return out


# ---------------------------------------------------------------- text


def find_pii(text: str, language: str) -> list[tuple[PiiKind, int, int]]:
    """Spans of personal data in ``text`` as (kind, char_start, char_end), in order, not overlapping."""
    found: list[tuple[PiiKind, int, int]] = [("email", m.start(), m.end()) for m in _EMAIL_WRITTEN.finditer(text)]
    tokens = _tokenize(text)
    if tokens:
        words = _number_words(language)
        runs = _number_runs(text, tokens, words, english=language != "ru")
        by_tokens = _spoken_emails(text, tokens) + _passports(tokens, runs)
        for run in runs:
            by_tokens.extend(_classify_run(tokens, run))
        found.extend((kind, tokens[a].start, tokens[b].end) for kind, a, b in by_tokens)
    # Overlapping finds become one span (nothing any detector found may leak); its kind is
    # the earlier detector's: emails, then passports, then numbers.
    ranked = sorted(((start, end, rank, kind) for rank, (kind, start, end) in enumerate(found)))
    merged: list[list] = []  # [start, end, rank, kind]
    for start, end, rank, kind in ranked:
        if merged and start < merged[-1][1]:
            last = merged[-1]
            last[1] = max(last[1], end)
            if rank < last[2]:
                last[2], last[3] = rank, kind
        else:
            merged.append([start, end, rank, kind])
    return [(kind, start, end) for start, end, _, kind in merged]


def _replace_spans(text: str, spans: Sequence[tuple[str, int, int]]) -> str:
    out, pos = [], 0
    for kind, s, e in sorted(spans, key=lambda x: x[1]):
        out.append(text[pos:s])
        out.append(TAGS[kind])
        pos = e
    out.append(text[pos:])
    return "".join(out)


def redact_text(text: str, language: str) -> tuple[str, list[tuple[PiiKind, int, int]]]:
    """``text`` with each span of personal data replaced by its tag, and the spans
    (kind, char_start, char_end) in the *original* text."""
    spans = find_pii(text, language)
    return (_replace_spans(text, spans) if spans else text), spans


# ---------------------------------------------------------------- segments


def _chains(segments: Sequence[Segment]) -> list[list[int]]:
    """Indices of segments searched together: one speaker (and channel), gaps up to CHAIN_GAP_S."""
    chains: list[list[int]] = []
    open_chain: dict[tuple[str, int | None], list[int]] = {}
    for i, seg in enumerate(segments):
        key = (seg.speaker, seg.channel)
        chain = open_chain.get(key)
        if chain is not None and seg.start - segments[chain[-1]].end <= CHAIN_GAP_S:
            chain.append(i)
        else:
            chain = [i]
            chains.append(chain)
            open_chain[key] = chain
    return chains


def _find_in_texts(texts: list[str], language: str) -> list[list[tuple[PiiKind, int, int]]]:
    """Spans per text, searching consecutive texts as one (a number may run across them)."""
    joined = " ".join(texts)
    per_text: list[list[tuple[PiiKind, int, int]]] = [[] for _ in texts]
    spans = find_pii(joined, language)
    if not spans:
        return per_text
    offset = 0
    for t, part in enumerate(texts):
        stop = offset + len(part)
        for kind, s, e in spans:
            a, b = max(s, offset), min(e, stop)
            if a < b and joined[a:b].strip():
                per_text[t].append((kind, a - offset, b - offset))
        offset = stop + 1
    return per_text


def _redact_words(
    words: tuple[Word, ...], spans: list[tuple[PiiKind, int, int]]
) -> tuple[tuple[Word, ...], list[tuple[PiiKind, float, float]]]:
    """Words with each span's words collapsed into one tag word, and each span's times.

    ``spans`` are char offsets in " ".join(word texts). A word only partly inside a span
    keeps the part outside ("ivan@mail.ru," -> "[EMAIL],").
    """
    bounds, pos = [], 0
    for w in words:
        bounds.append((pos, pos + len(w.text)))
        pos += len(w.text) + 1
    times: list[tuple[PiiKind, float, float]] = []
    groups: list[tuple[int, int, list[tuple[PiiKind, int, int]]]] = []  # first word, last word, spans
    for kind, s, e in spans:
        covered = [wi for wi, (ws, we) in enumerate(bounds) if ws < e and we > s]
        if not covered:
            continue
        times.append((kind, words[covered[0]].start, words[covered[-1]].end))
        if groups and covered[0] <= groups[-1][1]:  # shares a word with the previous span
            first, _, members = groups[-1]
            groups[-1] = (first, covered[-1], members + [(kind, s, e)])
        else:
            groups.append((covered[0], covered[-1], [(kind, s, e)]))
    out: list[Word] = []
    done = 0
    for first, last, members in groups:
        out.extend(words[done:first])
        base = bounds[first][0]
        original = " ".join(w.text for w in words[first : last + 1])
        local = [(kind, max(s - base, 0), min(e - base, len(original))) for kind, s, e in members]
        covered_words = words[first : last + 1]
        out.append(
            Word(
                start=covered_words[0].start,
                end=covered_words[-1].end,
                text=_replace_spans(original, local),
                probability=sum(w.probability for w in covered_words) / len(covered_words),
            )
        )
        done = last + 1
    out.extend(words[done:])
    return tuple(out), times


def redact_segments(segments: Sequence[Segment], language: str) -> tuple[tuple[Segment, ...], tuple[PiiSpan, ...]]:
    """Segments with personal data replaced by tags in ``text`` and ``words``, and where it was said.

    Segments without personal data come back as the same objects. Times come from the
    words a span covers; a segment without words gets times by position in its text.
    """
    out = list(segments)
    pii: list[PiiSpan] = []
    for chain in _chains(segments):
        texts = [segments[i].text for i in chain]
        text_spans = _find_in_texts(texts, language)
        word_texts = [" ".join(w.text for w in segments[i].words) if segments[i].words else segments[i].text for i in chain]
        # Usually the text is the words joined by spaces; when not, search the words on their own.
        word_spans = text_spans if word_texts == texts else _find_in_texts(word_texts, language)
        for pos, i in enumerate(chain):
            seg = segments[i]
            if not text_spans[pos] and not word_spans[pos]:
                continue
            text = _replace_spans(seg.text, text_spans[pos])
            words, times = _redact_words(seg.words, word_spans[pos]) if seg.words else (seg.words, [])
            if not times:  # no words (or none under the span): times by position in the text
                duration, length = seg.end - seg.start, max(len(seg.text), 1)
                times = [(k, seg.start + duration * s / length, seg.start + duration * e / length) for k, s, e in text_spans[pos]]
            out[i] = replace(seg, text=text, words=words)
            pii.extend(PiiSpan(kind, start, end, i) for kind, start, end in times)
    pii.sort(key=lambda p: (p.start, p.segment_index))
    return tuple(out), tuple(pii)
