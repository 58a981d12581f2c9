"""Personal data recognised by the words said just before it.

A bare "321" or "12 27" is no secret; after "CVV" or "срок действия" it is. These
detectors look a few words past a keyword for the number a customer dictates:

- cvv: 3-6 digits after "CVV", "код", "пин", "на обороте" (security codes, PINs, SMS codes);
- expiry: month and year after "срок", "действует", "expires", "valid" ("12/27", "12 27",
  "двенадцать двадцать семь");
- birth_date: the date after "рождения", "родился", "born", "date of birth", in digits or words
  ("пятого мая восемьдесят пятого года", "5 May 1985");
- snils (11 digits), inn (10 or 12 digits) after their names, a digit or two short allowed
  (Whisper drops digits of long dictations), up to 12 words later;
- phone: 7-15 digits up to 12 words after "телефон" / "phone" (a phone with digits lost);
- account: 5+ digits after "счёт", "лицевой", "договор", "account", "contract" (a run
  found as a phone is re-labelled: the number is masked either way);
- email: after "почта" / "email", an "at" word ("собака", "собаками", "at") and the words
  around it within the clause, however garbled ("ольга 60 чупи и собаками илт").

The keyword may be in the other party's question just before ("назовите код с обратной
стороны карты"): ``pipeline.privacy.pii`` searches the customer's answer after it as context.

Each returns (kind, first token, last token) over the tokens of ``pipeline.privacy.numbers``.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Callable, Sequence

from pipeline.privacy.numbers import SENTENCE_END, NumberRun, TextToken
from pipeline.records import PiiKind

Found = tuple[PiiKind, int, int]  # (kind, char start, char end)

# Whisper often writes a preposition and its word as one ("наобороте" for "на обороте"): both are keywords.
_CVV_WORDS = {"cvv", "cvc", "cvv2", "cvc2", "код", "кода", "коду", "кодом", "code", "пин", "pin", "пинкод",
              "обороте", "оборотной", "обратной", "наобороте", "наоборотной", "back", "security"}
# "area code 212", "код города 495" are parts of a phone, not secrets of their own.
_CODE_NOT_BEFORE = {"area", "zip", "postal", "country", "post", "почтовый", "почтового"}
_CODE_NOT_AFTER = {"города", "региона", "страны", "города"}
_EXPIRY_STEMS = ("срок", "expir", "годн", "действ")
_EXPIRY_WORDS = {"valid", "exp", "thru", "through"}
_BIRTH_STEMS = ("рожд", "родил", "birth", "born")
_BIRTH_WORDS = {"dob", "др"}
_ACCOUNT_STEMS = ("счет", "лицев", "account", "договор", "contract", "iban")
_PHONE_STEMS = ("телефон", "мобильн", "сотов", "phone", "mobile", "cell")
_EMAIL_STEMS = ("почт", "email", "мейл", "имейл", "емейл", "электронк", "e-mail")
_AT_STEMS = ("собак", "собач", "@")
_AT_EXACT = {"at", "эт"}
# Words that lead into an address, not part of it ("it's", "пишите на").
_EMAIL_LEAD = {
    "is",
    "it",
    "s",
    "its",
    "my",
    "the",
    "email",
    "address",
    "sure",
    "yes",
    "yeah",
    "so",
    "это",
    "мой",
    "моя",
    "мое",
    "вот",
    "да",
    "пишите",
    "записывайте",
    "на",
    "адрес",
    "почта",
    "электронная",
    "у",
    "меня",
    "так",
}
_WINDOW_WORDS = 6  # words between the keyword and the number at most
# Long numbers are unambiguous: after their keyword a customer may say a sentence first
# ("да, секунду, сейчас найду... 8 916...").
_LONG_WINDOW_WORDS = 12

_MONTH_STEMS = ("январ", "феврал", "март", "апрел", "мая", "май", "мае", "июн", "июл", "август", "сентябр",
                "октябр", "ноябр", "декабр", "january", "february", "march", "april", "may", "june", "july",
                "august", "september", "october", "november", "december")
_YEAR_WORDS = {"год", "года", "году", "г", "year", "th", "st", "nd", "rd", "of"}
_EN_ORDINALS = {"first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth", "ninth", "tenth",
                "eleventh", "twelfth", "thirteenth", "fourteenth", "fifteenth", "sixteenth", "seventeenth",
                "eighteenth", "nineteenth", "twentieth", "thirtieth"}
_DATE_MARKS = {".", "/", "-", ","}


@lru_cache(maxsize=4096)
def _is_russian_ordinal(word: str) -> bool:
    """ "пятого", "восемьдесят пятого": an ordinal numeral adjective (pymorphy3's Anum)."""
    from pipeline.privacy.numbers import morph

    return any("Anum" in p.tag for p in morph().parse(word))


def _date_word(tok: TextToken, words: dict[str, int]) -> bool:
    if tok.kind == "digits":
        return True
    if tok.kind != "word":
        return False
    n = tok.norm
    return (
        n in words or n in _YEAR_WORDS or n in _EN_ORDINALS or n.startswith(_MONTH_STEMS)
        or (n.endswith(("th", "st", "nd", "rd")) and n[:-2] in words)
        or (len(n) > 3 and not n.isascii() and _is_russian_ordinal(n))
    )


def _keyword(tok: TextToken, stems: tuple[str, ...], exact: set[str] | frozenset[str] = frozenset()) -> bool:
    return tok.kind == "word" and (tok.norm in exact or tok.norm.startswith(stems))


def _runs_after(
    tokens: Sequence[TextToken], runs: Sequence[NumberRun], k: int, window: int = _WINDOW_WORDS
) -> list[int]:
    """Indices of the runs starting within ``window`` words after keyword token ``k``."""
    out = []
    for r, run in enumerate(runs):
        if run.first <= k:
            continue
        between = [t for t in tokens[k + 1 : run.first] if t.kind != "punct"]
        if len(between) > window:
            break
        out.append(r)
    return out


def keyed_numbers(text: str, tokens: Sequence[TextToken], runs: Sequence[NumberRun],
                  words: dict[str, int], amount_follows: Callable[[int], bool]) -> list[Found]:
    """Spans of numbers whose kind the words before them tell."""
    out: list[Found] = []

    def take(
        kind: PiiKind, k: int, accept: Callable[[NumberRun, int], int | None], window: int = _WINDOW_WORDS
    ) -> None:
        for r in _runs_after(tokens, runs, k, window):
            run = runs[r]
            if amount_follows(run.last):
                continue
            last = accept(run, r)
            if last is not None:
                out.append((kind, run.first, last))
                return

    def cvv(run: NumberRun, r: int) -> int | None:
        return run.last if 3 <= len(run.digits) <= 6 else None

    def expiry(run: NumberRun, r: int) -> int | None:
        # MMYY / MMYYYY, or M YY / M YYYY
        month_len = 2 if len(run.digits) in (4, 6) else 1
        if 3 <= len(run.digits) <= 6 and 1 <= int(run.digits[:month_len]) <= 12:
            return run.last
        # "12/27", "12.2027": month and year are two runs with a tight mark between.
        if 1 <= len(run.digits) <= 2 and 1 <= int(run.digits) <= 12 and r + 1 < len(runs):
            nxt = runs[r + 1]
            mark = tokens[run.last + 1 : nxt.first]
            if len(mark) == 1 and mark[0].text in ("/", ".", "-") and len(nxt.digits) in (2, 4):
                return nxt.last
        return None

    def at_least(low: int, high: int) -> Callable[[NumberRun, int], int | None]:
        # Whisper drops a digit or two of a long dictation; still the number asked for.
        return lambda run, r: run.last if low <= len(run.digits) <= high else None

    def account(run: NumberRun, r: int) -> int | None:
        return run.last if len(run.digits) >= 5 else None

    def phone(run: NumberRun, r: int) -> int | None:
        # Whisper drops digits of a long dictation: 7+ digits after "телефон" are still one.
        return run.last if 7 <= len(run.digits) <= 15 else None

    for k, tok in enumerate(tokens):
        if tok.kind != "word":
            continue
        if _keyword(tok, (), _CVV_WORDS) and not (
            (k > 0 and tokens[k - 1].norm in _CODE_NOT_BEFORE)
            or (k + 1 < len(tokens) and tokens[k + 1].norm in _CODE_NOT_AFTER)
        ):
            take("cvv", k, cvv)
        if _keyword(tok, _EXPIRY_STEMS, _EXPIRY_WORDS):
            take("expiry", k, expiry)
        if tok.norm.startswith("снилс") or tok.norm == "страховой":
            take("snils", k, at_least(9, 11), _LONG_WINDOW_WORDS)
        if tok.norm == "инн" or tok.norm == "inn":
            take("inn", k, at_least(9, 12), _LONG_WINDOW_WORDS)
        if _keyword(tok, _ACCOUNT_STEMS):
            take("account", k, account, _LONG_WINDOW_WORDS)
        if _keyword(tok, _PHONE_STEMS):
            take("phone", k, phone, _LONG_WINDOW_WORDS)
        if _keyword(tok, _EMAIL_STEMS):
            span = _email_after(tokens, k)
            if span is not None:
                out.append(("email", *span))
        if _keyword(tok, _BIRTH_STEMS, _BIRTH_WORDS):
            span = _date_after(tokens, k, words)
            if span is not None:
                out.append(("birth_date", *span))
    return out


def _email_after(tokens: Sequence[TextToken], k: int) -> tuple[int, int] | None:
    """An address after "почта" / "email" that Whisper garbled past reading ("ольга 60 чупи и
    собаками илт"): an "at" word within a few words, with up to 4 words before it (Whisper's
    commas included) and 4 after, within the sentence. Only after the keyword: alone, "at" is an
    ordinary word."""
    at = None
    words = 0
    for i in range(k + 1, len(tokens)):
        tok = tokens[i]
        # The sentence may end right after the keyword: the question ("Какая у вас почта?"),
        # then the answer.
        if (tok.kind == "punct" and tok.text in SENTENCE_END and words and i + 1 < len(tokens)
                and tokens[i + 1].start > tok.end):
            return None
        if tok.kind != "punct":
            words += 1
            if words > 10:
                return None
            if tok.norm.startswith(_AT_STEMS) or tok.norm in _AT_EXACT:
                at = i
                break
    if at is None:
        return None

    def reach(step: int) -> int:
        i, taken = at, 0
        while 0 <= i + step < len(tokens) and i + step > k and taken < 4:
            nxt = tokens[i + step]
            if nxt.kind == "punct" and (nxt.text in SENTENCE_END or (nxt.text == "," and step > 0)) and (
                i + step + 1 >= len(tokens) or tokens[i + step + 1].start > nxt.end
            ):
                break  # a sentence or clause ends here (not the dot of "mail.ru")
            i += step
            taken += nxt.kind != "punct"
        return i

    first, last = reach(-1), reach(1)
    while first < at and (tokens[first].kind == "punct" or tokens[first].norm in _EMAIL_LEAD):
        first += 1
    while tokens[last].kind == "punct":
        last -= 1
    return (first, last) if first < at < last else None


def _date_after(tokens: Sequence[TextToken], k: int, words: dict[str, int]) -> tuple[int, int] | None:
    """The date said after a birth keyword: first and last token, or None."""
    i, skipped = k + 1, 0
    while i < len(tokens) and not _date_word(tokens[i], words):
        skipped += tokens[i].kind != "punct"
        if skipped > _WINDOW_WORDS:
            return None
        i += 1
    if i == len(tokens):
        return None
    first = last = i
    atoms = 0
    j = i
    while j < len(tokens):
        tok = tokens[j]
        if _date_word(tok, words):
            if tok.norm not in _YEAR_WORDS:
                atoms += 3 if tok.kind == "digits" and len(tok.text) >= 6 else 1
            last = j
        elif not (tok.kind == "punct" and tok.text in _DATE_MARKS):
            break
        j += 1
    # "1985" alone is a year, not a birth date; a day, month and year make 3+ atoms, a month
    # and a year 2 ("November 1961").
    month = any(tokens[j].norm.startswith(_MONTH_STEMS) for j in range(first, last + 1))
    return (first, last) if atoms >= 3 or (month and atoms >= 2) else None
