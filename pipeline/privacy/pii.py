"""Redaction of personal data in transcripts, on what Whisper really writes.

Detection works on recognised speech, not on tidy forms: digits broken by spaces, dashes,
brackets and Whisper's stray commas ("+7 (916) 123-45-67", "8 ,916 ,123 ,4567,",
"8.916.123.45.67"), and numbers said as words in either language ("восемь девятьсот
шестнадцать...", "four two seven six"). Runs of number atoms become one digit string
(``pipeline.privacy.numbers``), then are classified by length and checks:

- card: 13-19 digits passing the Luhn check;
- phone: 10-15 digits ("+" / "плюс" / "plus" in front, or none);
- account: 16-20 digits that are no card (a 20-digit bank account, or a card with a misheard
  digit: masked either way, since leaking it costs more than hiding a contract number);
- a longer run is several numbers said back to back (a card read twice, two phones): it is
  cut at its atoms into cards and phones, and masked whole when what is left is 6+ digits;
- passport: a 10-digit run, or 4 digits + "номер" + 6 digits, near "паспорт" / "серия";
  English "passport number" + 8-9 letters and digits;
- cvv, expiry, birth_date, snils, inn, account by the words said before them
  (``pipeline.privacy.context``: "CVV 321", "срок 12/27", "дата рождения пятого мая...");
- email: ``name@example.com`` as written, or spoken ("ivan петров собака mail точка ru",
  "john dot smith at gmail dot com") when it ends in a known top-level domain;
- name and address with an offline named-entity model (``pipeline.privacy.entities``).

Ordinary numbers are left alone: amounts (a currency word follows), dates and times
("12.05.2024", "14:30"), years and order numbers (too short).

A number dictated with pauses, or across the other party's short reply ("повторите,
пожалуйста"), spans several segments; one speaker's segments close in time are therefore
searched as one text, and a span is cut back into per-segment pieces. The original text
is never kept: a ``PiiSpan`` holds only its kind and audio times.
"""

from __future__ import annotations

import re
from dataclasses import replace
from functools import lru_cache
from typing import Sequence

from pipeline.privacy.context import keyed_numbers
from pipeline.privacy.entities import (
    addresses,
    answered_addresses,
    entities_for,
    kept_spans,
    names,
    without_kept,
)
from pipeline.privacy.numbers import (
    NumberRun,
    TextToken,
    number_runs,
    number_words,
    tokenize,
)
from pipeline.records import PiiKind, PiiSpan, Segment, Word

TAGS: dict[str, str] = {
    "phone": "[PHONE]", "card": "[CARD]", "passport": "[PASSPORT]", "email": "[EMAIL]", "account": "[ACCOUNT]",
    "cvv": "[CODE]", "expiry": "[EXPIRY]", "birth_date": "[BIRTH_DATE]", "snils": "[SNILS]", "inn": "[INN]",
    "name": "[NAME]", "address": "[ADDRESS]",
}
_EMAIL_WRITTEN = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")

# Segments of one speaker at most this far apart are searched as one text (dictation pauses);
# up to TURN_GAP_S when only a short reply of the other party came between ("да", "повторите").
CHAIN_GAP_S = 3.0
TURN_GAP_S = 12.0
REPLY_WORDS = 8


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


def _amount_follows(tokens: list[TextToken], last: int) -> bool:
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
    if 16 <= n <= 20:
        return "account"
    return None


def _piece_kinds(digits: str, plus: bool) -> list[PiiKind]:
    """What a piece of a long run certainly is, if anything: a +country or Russian phone, a
    card (Luhn; 16 digits is the usual length), a 20-digit account."""
    out: list[PiiKind] = []
    if (plus and 10 <= len(digits) <= 15) or (len(digits) == 11 and digits[0] in "78"):
        out.append("phone")
    if 13 <= len(digits) <= 19 and luhn_valid(digits):
        out.append("card")
    if len(digits) == 20:
        out.append("account")
    return out


# Which piece wins where several start at one atom: a phone's prefix is far more telling than
# a Luhn pass (one in ten random digit strings passes), and most cards have 16 digits.
def _piece_rank(kind: PiiKind, length: int) -> tuple[int, int]:
    return ({"phone": 0, "card": 1 if length == 16 else 2, "account": 3}[kind], -length)


def _last_atom_before(tokens: list[TextToken], index: int) -> int:
    while tokens[index].kind == "punct":
        index -= 1
    return index


# What may stay visible of a long run once its cards and phones are masked ("5679" said again).
_LEFTOVER_DIGITS = 6


def _classify_run(tokens: list[TextToken], run: NumberRun) -> list[tuple[PiiKind, int, int]]:
    """Spans (kind, first token, last token) in one run."""
    if _amount_follows(tokens, run.last):
        return []
    kind = _classify(run.digits, run.plus)
    if kind != "account" and len(run.digits) <= 20 or len(run.digits) == 20:
        return [(kind, run.first, run.last)] if kind is not None else []
    # No card and 16+ digits, or longer than any one number: several numbers said back to back
    # (a phone and an order number, a card read twice). At each atom take the best card, phone
    # or account starting there; the run is masked whole unless what is left over is short.
    cuts = run.boundaries + [(run.last + 1, len(run.digits))]
    out: list[tuple[PiiKind, int, int]] = []
    leftover = 0
    a = 0
    while a < len(cuts) - 1:
        pieces = [
            (_piece_rank(kind, cuts[b][1] - cuts[a][1]), b, kind)
            for b in range(a + 1, len(cuts))
            for kind in _piece_kinds(run.digits[cuts[a][1] : cuts[b][1]], run.plus and a == 0)
        ]
        found = min(pieces)[1:] if pieces else None
        if found is None:
            leftover += cuts[a + 1][1] - cuts[a][1]
            a += 1
            continue
        b, kind = found
        out.append((kind, run.first if a == 0 else cuts[a][0], _last_atom_before(tokens, cuts[b][0] - 1)))
        a = b
    if not out or leftover >= _LEFTOVER_DIGITS:
        return [("account", run.first, run.last)]
    if leftover and (len(run.digits) > 20 or any(kind != "phone" for kind, _, _ in out)):
        # Only a phone and a short number said after it ("89161234567 12345") leave digits
        # visible; beside a card, or in a run longer than any number, the rest is dictation too.
        out.append(("account", run.first, run.last))
    return out


# ---------------------------------------------------------------- passports

_PASSPORT_SERIES = {"серия", "серии", "серию", "серией"}
_PASSPORT_NUMBER_WORDS = {"номер", "номера", "number", "no", "и", "паспорта", "паспорт"}
_PASSPORT_CONTEXT_WORDS = 8  # words between the keyword and the number at most
_PHONE_STEMS = ("телефон", "мобильн", "сотов", "phone", "mobile", "cell")
_EN_PASSPORT_FILLERS = {"number", "no", "num", "is", "it", "s", "was", "my", "the", "it's"}


def _is_passport_keyword(tok: TextToken) -> bool:
    return tok.kind == "word" and (
        tok.norm.startswith("паспорт") or tok.norm in ("passport", "passports") or tok.norm in _PASSPORT_SERIES
    )


def _passports(tokens: list[TextToken], runs: list[NumberRun]) -> list[tuple[PiiKind, int, int]]:
    keyword_at = [i for i, t in enumerate(tokens) if _is_passport_keyword(t)]
    if not keyword_at:
        return []
    out: list[tuple[PiiKind, int, int]] = []

    def near_keyword(index: int) -> bool:
        for k in keyword_at:
            between = [t for t in tokens[k + 1 : index] if t.kind != "punct"]
            # "паспорт потеряла, запишите телефон 9161234567": the phone word is nearer.
            if (
                k < index
                and len(between) <= _PASSPORT_CONTEXT_WORDS
                and not any(t.norm.startswith(_PHONE_STEMS) for t in between)
            ):
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
            words = [t for t in between if t.kind != "punct"]
            # "номер" between series and number, or one word Whisper made of it ("умер").
            if len(nxt.digits) == 6 and (all(t.norm in _PASSPORT_NUMBER_WORDS for t in words) or len(words) == 1):
                out.append(("passport", run.first, nxt.last))
    out.extend(_english_passports(tokens, runs, keyword_at))
    return out


def _english_passports(
    tokens: list[TextToken], runs: list[NumberRun], keyword_at: list[int]
) -> list[tuple[PiiKind, int, int]]:
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
        while (
            i < len(tokens)
            and tokens[i].kind == "word"
            and tokens[i].text.isupper()
            and len(letters + tokens[i].text) <= 2
        ):
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


def _joiner(tok: TextToken) -> bool:
    return tok.norm in _DOT_WORDS or tok.norm in _DASH_WORDS or tok.norm in _UNDERSCORE_WORDS


def _email_atom(tok: TextToken) -> bool:
    return tok.kind in ("word", "digits") and tok.norm not in _AT_WORDS and not _joiner(tok)


def _loose_gap(text: str, left: TextToken, right: TextToken) -> bool:
    return text[left.end : right.start].strip(" ,") == ""


def _joins(text: str, left: TextToken, joiner: TextToken, right: TextToken) -> bool:
    """``left joiner right`` reads as one address part: a spoken joiner ("точка", "dot")
    between spaces, a written one (".", "-", "_") with no spaces ("mail.ru"), so the full
    stop ending a sentence never glues it to the next one."""
    if not (_joiner(joiner) and _email_atom(left) and _email_atom(right)):
        return False
    if joiner.kind == "punct":
        return left.end == joiner.start and joiner.end == right.start
    return _loose_gap(text, left, joiner) and _loose_gap(text, joiner, right)


def _spoken_emails(text: str, tokens: list[TextToken]) -> list[tuple[PiiKind, int, int]]:
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
                # "ivan петров": a Latin name heard as Russian (or back) inside one address
                or (prev.kind == tokens[s].kind == "word" and prev.text.isascii() and not tokens[s].text.isascii())
            ):
                s -= 1
            else:
                break
        out.append(("email", s, end))
    return out


# ---------------------------------------------------------------- text


def find_pii(text: str, language: str, keep: Sequence[str] = ()) -> list[tuple[PiiKind, int, int]]:
    """Spans of personal data in ``text`` as (kind, char_start, char_end), in order, not overlapping.
    ``keep``: the centre's own names (the scorecard's brands), never masked as a name or address."""
    found: list[tuple[PiiKind, int, int]] = [("email", m.start(), m.end()) for m in _EMAIL_WRITTEN.finditer(text)]
    tokens = tokenize(text)
    if tokens:
        words = number_words(language)
        runs = number_runs(text, tokens, words, english=True)
        by_tokens: list[tuple[PiiKind, int, int]] = _spoken_emails(text, tokens) + _passports(tokens, runs)
        by_tokens += keyed_numbers(text, tokens, runs, words, lambda last: _amount_follows(tokens, last))
        for run in runs:
            by_tokens.extend(_classify_run(tokens, run))
        found.extend((kind, tokens[a].start, tokens[b].end) for kind, a, b in by_tokens)
        entities = entities_for(text, language)
        atoms = {i for run in runs for i in range(run.first, run.last + 1) if tokens[i].kind != "punct"}
        entity_finds = (
            addresses(text, tokens, entities, language, atoms)
            + answered_addresses(text, tokens, entities, atoms)
            + names(text, tokens, entities, language)
        )
        found.extend(without_kept(entity_finds, kept_spans(text, keep)) if keep else entity_finds)
    return merge_spans(found)


def merge_spans(found: Sequence[tuple[PiiKind, int, int]]) -> list[tuple[PiiKind, int, int]]:
    """Overlapping finds become one span (nothing any detector found may leak); its kind is
    the earlier find's (``find_pii`` lists emails, then passports, then numbers...)."""
    ranked = sorted(((start, end, rank, kind) for rank, (kind, start, end) in enumerate(found)))
    merged: list[tuple[int, int, int, PiiKind]] = []  # (start, end, rank, kind)
    for start, end, rank, kind in ranked:
        if merged and start < merged[-1][1]:
            last_start, last_end, last_rank, last_kind = merged[-1]
            if rank < last_rank:
                last_rank, last_kind = rank, kind
            merged[-1] = (last_start, max(last_end, end), last_rank, last_kind)
        else:
            merged.append((start, end, rank, kind))
    return [(kind, start, end) for start, end, _, kind in merged]


def _replace_spans(text: str, spans: Sequence[tuple[str, int, int]]) -> str:
    out, pos = [], 0
    for kind, s, e in sorted(spans, key=lambda x: x[1]):
        out.append(text[pos:s])
        out.append(TAGS[kind])
        pos = e
    out.append(text[pos:])
    return "".join(out)


def redact_text(text: str, language: str, keep: Sequence[str] = ()) -> tuple[str, list[tuple[PiiKind, int, int]]]:
    """``text`` with each span of personal data replaced by its tag, and the spans
    (kind, char_start, char_end) in the *original* text."""
    redacted, spans = _redact_text_cached(text, language, tuple(keep))
    return redacted, list(spans)


@lru_cache(maxsize=8192)
def _redact_text_cached(
    text: str, language: str, keep: tuple[str, ...]
) -> tuple[str, tuple[tuple[PiiKind, int, int], ...]]:
    # The app masks every line it shows on each rerun (in case redaction was off): the
    # entity model makes that worth remembering.
    spans = find_pii(text, language, keep)
    return (_replace_spans(text, spans) if spans else text), tuple(spans)


# ---------------------------------------------------------------- segments


def _chains(segments: Sequence[Segment]) -> list[list[int]]:
    """Indices of segments searched together: one speaker (and channel), gaps up to
    CHAIN_GAP_S, or up to TURN_GAP_S over a short reply of the other party."""
    chains: list[list[int]] = []
    open_chain: dict[tuple[str, int | None], list[int]] = {}
    for i, seg in enumerate(segments):
        key = (seg.speaker, seg.channel)
        chain = open_chain.get(key)
        if chain is not None and _continues(segments, chain[-1], i):
            chain.append(i)
        else:
            chain = [i]
            chains.append(chain)
            open_chain[key] = chain
    return chains


def _continues(segments: Sequence[Segment], prev: int, i: int) -> bool:
    gap = segments[i].start - segments[prev].end
    if gap <= CHAIN_GAP_S:
        return True
    return (
        gap <= TURN_GAP_S
        and sum(len(s.text.split()) for s in _others_between(segments, i, segments[prev].end)) <= REPLY_WORDS
    )


def _others_between(segments: Sequence[Segment], i: int, since: float) -> list[Segment]:
    """The other party's segments said between ``since`` and segment ``i`` (by time, not list order)."""
    me = segments[i]
    return [s for s in segments if s.speaker != me.speaker and since <= s.start < me.start]


# What the other party said just before (a question such as "назовите код с обратной стороны")
# is read as context: it tells what the dictated number is, though it is not masked with it.
CONTEXT_WORDS = 40


def _context(segments: Sequence[Segment], first: int, since: float | None = None) -> str:
    start = segments[first].start - TURN_GAP_S
    asked = _others_between(segments, first, start if since is None else max(start, since))
    words = " ".join(s.text for s in sorted(asked, key=lambda s: s.start)).split()
    return " ".join(words[-CONTEXT_WORDS:])


def _find_in_texts(texts: list[str], language: str, context: str = "",
                   keep: Sequence[str] = ()) -> list[list[tuple[PiiKind, int, int]]]:
    """Spans per text, searching consecutive texts as one (a number may run across them),
    after ``context`` (searched too, so its keywords count, but never masked here)."""
    lead = context + " " if context else ""
    joined = lead + " ".join(texts)
    per_text: list[list[tuple[PiiKind, int, int]]] = [[] for _ in texts]
    spans = find_pii(joined, language, keep)
    if not spans:
        return per_text
    offset = len(lead)
    # A span that starts in the context is the other party's: it never runs on into this text
    # (the operator's "Okay," after the caller's address is not part of it).
    spans = [(kind, s, e) for kind, s, e in spans if s >= offset]
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


def _find_in_chain(segments: Sequence[Segment], chain: list[int], texts: list[str],
                   language: str, keep: Sequence[str]) -> list[list[tuple[PiiKind, int, int]]]:
    """Spans per text of a chain: the chain searched as one after the question that opened
    it, and each later segment also after the question just before it ("Какая у вас почта?"
    between a card and an e-mail said by one customer)."""
    spans = _find_in_texts(texts, language, _context(segments, chain[0]), keep)
    for pos, i in enumerate(chain[1:], start=1):
        context = _context(segments, i, since=segments[chain[pos - 1]].start)
        if context:
            alone = _find_in_texts([texts[pos]], language, context, keep)[0]
            spans[pos] = merge_spans(spans[pos] + alone) if alone else spans[pos]
    return spans


def redact_segments(segments: Sequence[Segment], language: str,
                    keep: Sequence[str] = ()) -> tuple[tuple[Segment, ...], tuple[PiiSpan, ...]]:
    """Segments with personal data replaced by tags in ``text`` and ``words``, and where it was said.

    Segments without personal data come back as the same objects. Times come from the
    words a span covers; a segment without words gets times by position in its text.
    """
    out = list(segments)
    pii: list[PiiSpan] = []
    for chain in _chains(segments):
        texts = [segments[i].text for i in chain]
        word_texts = [
            " ".join(w.text for w in segments[i].words) if segments[i].words else segments[i].text for i in chain
        ]
        text_spans = _find_in_chain(segments, chain, texts, language, keep)
        # Usually the text is the words joined by spaces; when not, search the words on their own.
        word_spans = text_spans if word_texts == texts else _find_in_chain(segments, chain, word_texts, language, keep)
        for pos, i in enumerate(chain):
            seg = segments[i]
            if not text_spans[pos] and not word_spans[pos]:
                continue
            text = _replace_spans(seg.text, text_spans[pos])
            words, times = _redact_words(seg.words, word_spans[pos]) if seg.words else (seg.words, [])
            if not times:  # no words (or none under the span): times by position in the text
                duration, length = seg.end - seg.start, max(len(seg.text), 1)
                times = [
                    (k, seg.start + duration * s / length, seg.start + duration * e / length)
                    for k, s, e in text_spans[pos]
                ]
            out[i] = replace(seg, text=text, words=words)
            pii.extend(PiiSpan(kind, start, end, i) for kind, start, end in times)
    pii.sort(key=lambda p: (p.start, p.segment_index))
    return tuple(out), tuple(pii)
