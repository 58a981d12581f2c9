"""Names and addresses in transcripts, found with an offline named-entity model.

- name: every person the model finds (natasha for Russian, spaCy for English), plus what
  Whisper writes in lower case, which the models miss: two or more Russian words in a row
  that pymorphy3 reads first as a first name, surname or patronymic ("иван петров").
- address: a street or house word ("улица", "проспект", "дом", "квартира", "street",
  "apartment") with what belongs to it: the street's name, numbers, places the model found
  next to it ("Санкт-Петербург, Невский проспект, 28, квартира 4"). A city named on its own
  ("живу в Москве") is no address and stays.

The operator's own name is masked too ("меня зовут [NAME]"): judging counts the tag as a
name (``pipeline.text.patterns.person_name``), and the reviewer knows the operator anyway.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Sequence

from models.ner import Entity, load_entity_tagger
from pipeline.privacy.numbers import SENTENCE_END, TextToken, morph
from pipeline.records import PiiKind

Found = tuple[PiiKind, int, int]  # (kind, char start, char end)

_STREET_RU = ("улиц", "проспект", "переул", "шоссе", "бульвар", "набережн", "площад", "проезд", "тупик", "алле",
              "микрорайон", "мкр", "квартал")
_STREET_RU_WORDS = {"ул", "пр", "пер"}
_STREET_EN = {"street", "st", "avenue", "ave", "road", "rd", "lane", "ln", "drive", "dr", "boulevard", "blvd",
              "court", "ct", "way", "place", "square", "highway", "hwy", "terrace", "crescent"}
_HOUSE_WORDS = {"дом", "дома", "доме", "д", "квартира", "квартиры", "квартиру", "квартире", "кв", "корпус", "корп",
                "строение", "стр", "подъезд", "этаж", "офис", "индекс",
                "apartment", "apt", "suite", "unit", "flat", "floor", "zip", "postcode", "zipcode"}
_REGION_WORDS = {"город", "г", "область", "обл", "район", "поселок", "деревня", "село", "край", "республика",
                 "city", "county", "state"}
_JOIN_MARKS = {",", "-", "/", ".", "№"}
_NAME_GRAMMEMES = ("Name", "Surn", "Patr")


def _street_word(tok: TextToken, language: str) -> bool:
    if tok.kind != "word":
        return False
    return (
        tok.norm.startswith(_STREET_RU) or tok.norm in _STREET_RU_WORDS or (tok.norm in _STREET_EN and language == "en")
    )


def _street_name_before(tokens: Sequence[TextToken], j: int, street: int, language: str) -> bool:
    """A lower-case street name before its street word: a Russian adjective ("невский проспект"),
    or English words after a house number ("25 kill drive")."""
    if language == "ru":
        return j == street - 1 and tokens[j].kind == "word" and _adjective(tokens[j].norm)
    return any(tokens[h].kind == "digits" for h in range(max(0, j - 2), j)) or (
        j > 0 and tokens[j - 1].kind == "digits"
    )


@lru_cache(maxsize=4096)
def _adjective(word: str) -> bool:
    return any(p.tag.POS == "ADJF" for p in morph().parse(word)[:2])


def _inside(tok: TextToken, entities: Sequence[Entity], label: str) -> bool:
    return any(e.label == label and e.start <= tok.start and tok.end <= e.end for e in entities)


def addresses(text: str, tokens: Sequence[TextToken], entities: Sequence[Entity], language: str,
              numbers: set[int]) -> list[Found]:
    """Address spans. ``numbers``: indices of tokens that are number atoms (digits, number words)."""
    n = len(tokens)
    part = [False] * n  # token belongs to an address

    def addressy(i: int) -> bool:
        tok = tokens[i]
        return (
            i in numbers or _street_word(tok, language) or tok.norm in _HOUSE_WORDS or tok.norm in _REGION_WORDS
            or _inside(tok, entities, "LOC") or (tok.kind == "word" and len(tok.text) == 1 and i - 1 in numbers)
        )

    anchors = [
        i for i, t in enumerate(tokens)
        if _street_word(t, language) or (t.norm in _HOUSE_WORDS and i + 1 < n and (i + 1) in numbers)
    ]
    for a in anchors:
        part[a] = True
        if _street_word(tokens[a], language):
            # The street's name: up to two words after a Russian street word ("улица Маршала
            # Жукова", "улица ленина"), capitalised words before ("Невский проспект", "West Maple Avenue").
            j = a + 1
            while j < n and j <= a + 2 and tokens[j].kind == "word" and (j == a + 1 or tokens[j].text[:1].isupper()) \
                    and language == "ru" and tokens[j].norm not in _HOUSE_WORDS:
                part[j] = True
                j += 1
            j = a - 1
            while (
                j >= 0
                and j >= a - 3
                and tokens[j].kind == "word"
                and (
                    tokens[j].text[:1].isupper()
                    or _inside(tokens[j], entities, "LOC")
                    or _street_name_before(tokens, j, a, language)
                )
            ):
                part[j] = True
                j -= 1
        # Spread over what an address is made of, across joining marks.
        for step in (1, -1):
            j = a + step
            while 0 <= j < n:
                if part[j] or addressy(j):
                    part[j] = True
                elif not (tokens[j].kind == "punct" and tokens[j].text in _JOIN_MARKS):
                    break
                j += step
    out: list[Found] = []
    i = 0
    while i < n:
        if not part[i]:
            i += 1
            continue
        j = i
        while j + 1 < n and (part[j + 1] or (tokens[j + 1].kind == "punct" and tokens[j + 1].text in _JOIN_MARKS
                                             and j + 2 < n and part[j + 2])):
            j += 1
        # An address has a street or house word and something that says where (a number or a name).
        words = range(i, j + 1)
        if any(
            part[k]
            and tokens[k].kind != "punct"
            and not (
                tokens[k].norm in _HOUSE_WORDS or _street_word(tokens[k], language) or tokens[k].norm in _REGION_WORDS
            )
            for k in words
        ):
            out.append(("address", tokens[i].start, tokens[j].end))
        i = j + 1
    return out


_ADDRESS_WORDS = {"address", "адрес", "адреса", "адресу", "адресом"}
_NOT_POSTAL = {"email", "e", "mail", "электронной", "электронный", "почты", "ip", "web"}
_ADDRESS_LEAD = {"is", "it", "s", "its", "my", "the", "on", "account", "that", "это", "мой", "вот", "такой",
                 "подключения", "доставки", "регистрации", "проживания", "по", "прописке"}
_ADDRESS_MAX_WORDS = 12


def answered_addresses(text: str, tokens: Sequence[TextToken], entities: Sequence[Entity],
                       numbers: set[int]) -> list[Found]:
    """The answer after "address" / "адрес" ("My address is 001", "what's the address? It's 25
    kill drive"): the rest of the sentence, when it holds a number or a place."""
    out: list[Found] = []
    for k, tok in enumerate(tokens):
        if tok.norm not in _ADDRESS_WORDS or (k > 0 and tokens[k - 1].norm in _NOT_POSTAL):
            continue
        i, asked = k + 1, False
        while i < len(tokens) and (tokens[i].norm in _ADDRESS_LEAD or tokens[i].norm in _ADDRESS_WORDS
                                   or tokens[i].kind == "punct"):
            if tokens[i].text in SENTENCE_END:
                if asked:
                    break
                asked = True  # the question ("...your address?"), then the answer
            i += 1
        first = last = None
        taken = 0
        while i < len(tokens) and taken < _ADDRESS_MAX_WORDS:
            t = tokens[i]
            if t.kind == "punct" and t.text in SENTENCE_END and (i + 1 == len(tokens) or tokens[i + 1].start > t.end):
                break
            if t.kind != "punct":
                first = i if first is None else first
                last = i
                taken += 1
            i += 1
        if first is None or last is None:  # set together: no word before the sentence ended
            continue
        span = range(first, last + 1)
        if any(j in numbers or _inside(tokens[j], entities, "LOC") for j in span):
            out.append(("address", tokens[first].start, tokens[last].end))
    return out


@lru_cache(maxsize=8192)
def _name_word(word: str) -> bool:
    """A lower-case Russian word whose likeliest reading is a first name, surname or patronymic."""
    parses = morph().parse(word)
    return bool(parses) and any(g in parses[0].tag for g in _NAME_GRAMMEMES) and parses[0].score >= 0.5


# A company's name right after these words is no person ("компания Ромашка", "банк Левобережный").
_ORG_NOUNS = {"компания", "компании", "компанию", "компанией", "банк", "банка", "банке", "магазин", "магазина",
              "фирма", "фирмы", "сервис", "провайдер", "оператор", "салон", "company", "bank", "store", "shop"}


def _after_org_noun(text: str, e: Entity) -> bool:
    before = text[: e.start].rstrip(" «\"'").split()
    return bool(before) and before[-1].lower().strip(",.") in _ORG_NOUNS


def kept_spans(text: str, keep: Sequence[str]) -> list[tuple[int, int]]:
    """Where the centre's own names ("Harper Valley", "Сеть Плюс") are said: the model may take
    them for a person or a place, but they are no personal data and judging needs them."""
    lowered = text.lower()
    out = []
    for phrase in keep:
        p = phrase.lower().strip()
        start = lowered.find(p) if p else -1
        while start >= 0:
            out.append((start, start + len(p)))
            start = lowered.find(p, start + 1)
    return out


def without_kept(found: list[Found], kept: Sequence[tuple[int, int]]) -> list[Found]:
    return [f for f in found if not any(f[1] < e and s < f[2] for s, e in kept)]


def names(text: str, tokens: Sequence[TextToken], entities: Sequence[Entity], language: str) -> list[Found]:
    out: list[Found] = [
        ("name", e.start, e.end) for e in entities
        if e.label == "PER" and not _is_tag(text, e) and not _after_org_noun(text, e)
        and (language != "ru" or _could_be_a_name(text[e.start : e.end]))
    ]
    if language == "ru":
        i = 0
        while i < len(tokens):
            j = i
            while (
                j < len(tokens)
                and tokens[j].kind == "word"
                and tokens[j].text.islower()
                and len(tokens[j].text) > 2
                and not tokens[j].text.isascii()
                and _name_word(tokens[j].norm)
            ):
                j += 1
            if j - i >= 2:
                out.append(("name", tokens[i].start, tokens[j - 1].end))
            i = max(j, i + 1)
    return out


@lru_cache(maxsize=8192)
def _name_reading(word: str) -> bool:
    """A Russian word that may be a name: pymorphy3 reads it as one, from its dictionary or by
    its ending ("Сидоренко"); a Latin word is left to the model ("John")."""
    return word.isascii() or any(any(g in p.tag for g in _NAME_GRAMMEMES) for p in morph().parse(word))


def _could_be_a_name(span: str) -> bool:
    """The Russian NER model also tags a capitalised verb opening a sentence ("Продиктуйте",
    or Whisper's "Продектуйте"): a person needs at least one word that can be a name."""
    return any(_name_reading(w.lower()) for w in span.replace("-", " ").split() if w.isalpha())


def _is_tag(text: str, e: Entity) -> bool:
    """A tag left by an earlier redaction ("[NAME]") is not a person."""
    return e.start > 0 and text[e.start - 1] == "["


def entities_for(text: str, language: str) -> list[Entity]:
    if language not in ("ru", "en") or not any(ch.isalpha() for ch in text):
        return []
    return load_entity_tagger(language).entities(text)
