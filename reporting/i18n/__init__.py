"""The words people read, in their language: gettext catalogues (Babel), and dates, numbers and ids in words.

The English text is written in the code, marked ``_("...")`` (or ``N_("...")`` where it is only
named and translated later); ``locale/ru/LC_MESSAGES/callqa.po`` holds the Russian. Babel reads
the catalogue and compiles it in memory on first use, so nothing is built at install time.
``make messages`` extracts the marked strings and merges them into the catalogue, and a test fails
while one has no translation.

``Words`` is one reader's language and time zone: ``w("Review queue")``, ``w.plural(...)`` for plurals,
``w.when(moment)`` for a stored UTC time in the site's zone, ``w.number(x, 1)``, ``w.verdict("fail")``.
"""

from __future__ import annotations

import gettext
import io
from dataclasses import dataclass
from datetime import date, datetime, timezone
from functools import lru_cache
from pathlib import Path
from typing import Literal, get_args
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel import dates as babel_dates
from babel import numbers as babel_numbers
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

__all__ = [
    "CATALOGUE",
    "DOMAIN",
    "LOCALES",
    "Locale",
    "N_",
    "WordedError",
    "Words",
    "MISSING",
    "catalogue_path",
    "reasons",
    "known_messages",
    "translations",
    "zone",
]

Locale = Literal["ru", "en"]
LOCALES: tuple[Locale, ...] = get_args(Locale)
DOMAIN = "callqa"
CATALOGUE = Path(__file__).resolve().parent / "locale"


def N_(message: str) -> str:  # noqa: N802 - gettext's name for "marked, translated later"
    """Marks ``message`` for the catalogue without translating it (a table of labels translated on display)."""
    return message


def catalogue_path(locale: str) -> Path:
    return CATALOGUE / locale / "LC_MESSAGES" / f"{DOMAIN}.po"


@lru_cache(maxsize=None)
def translations(locale: str) -> gettext.NullTranslations:
    """The compiled catalogue of ``locale``; English (the source language) and unknown locales translate nothing."""
    path = catalogue_path(locale)
    if locale == "en" or not path.exists():
        return gettext.NullTranslations()
    with path.open("rb") as po:
        catalog = read_po(po, locale=locale, domain=DOMAIN)
    compiled = io.BytesIO()
    write_mo(compiled, catalog, use_fuzzy=False)
    compiled.seek(0)
    return gettext.GNUTranslations(compiled)


@lru_cache(maxsize=None)
def known_messages(locale: str) -> frozenset[str]:
    """The messages ``locale``'s catalogue translates (empty and fuzzy ones do not count)."""
    path = catalogue_path(locale)
    if not path.exists():
        return frozenset()
    with path.open("rb") as po:
        catalog = read_po(po, locale=locale, domain=DOMAIN)
    known = set()
    for message in catalog:
        text = message.string
        translated = all(text) if isinstance(text, (tuple, list)) else bool(text)
        if message.id and translated and not message.fuzzy:
            known.add(message.id[0] if isinstance(message.id, (tuple, list)) else message.id)
    return frozenset(known)


# Messages asked for in a language whose catalogue lacks them, as (locale, message): a page walk in
# the tests reads it, so a string the extraction missed (built in an f-string) still fails a test.
MISSING: set[tuple[str, str]] = set()


def zone(name: str) -> ZoneInfo:
    """The IANA time zone ``name``; ValueError naming it when this machine does not know it."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as err:
        raise ValueError(f"{name!r} is not a time zone (use an IANA name such as Europe/Moscow or UTC)") from err


# ---------------------------------------------------------------- ids in words

VERDICTS = {"pass": N_("passed"), "fail": N_("failed"), "na": N_("not applicable"), "unknown": N_("not heard")}
FLAGS = {
    "critical_fail": N_("Critical fail"),
    "forbidden_phrase": N_("Forbidden phrase"),
    "escalation": N_("Escalation"),
    "low_score": N_("Low score"),
    "no_speech": N_("No speech"),
    "low_asr_confidence": N_("Low recognition confidence"),
    "unjudged_criteria": N_("Criteria not judged"),
    "untranscribed_speech": N_("Speech not transcribed"),
    "speakers_unassigned": N_("Speakers not told apart"),
    "unsupported_language": N_("Language not supported"),
    "long_silence": N_("Long silence"),
    "negative_customer_end": N_("Customer unhappy at the end"),
}
# How a verdict was reached (pipeline/judging/scoring.py), and how an outcome or reason was found
# (pipeline/insights): the part before ":" or "+" names the method.
METHODS = {
    "lemma": N_("phrase"),
    "fuzzy": N_("phrase, recognition error allowed"),
    "semantic": N_("meaning"),
    "pattern": N_("pattern"),
    "none": N_("nothing found"),
    "closing_cues": N_("closing words"),
    "use_semantic": N_("meaning"),
    "review": N_("reviewer"),
}
SPEAKERS = {"operator": N_("operator"), "customer": N_("customer"), "unknown": N_("unknown speaker")}
OUTCOMES = {
    "resolved": N_("Resolved"),
    "follow_up": N_("Follow-up needed"),
    "order_placed": N_("Order placed"),
    "transferred": N_("Transferred"),
    "unresolved": N_("Unresolved"),
}
RUN_STATUSES = {"running": N_("running"), "completed": N_("completed"), "failed": N_("ended with an error"),
                "interrupted": N_("interrupted")}
CALL_STATUSES = {"processed": N_("processed"), "quarantined": N_("quarantined"), "failed": N_("analysis failed"),
                 "purged": N_("deleted")}
LANGUAGES = {"ru": N_("Russian"), "en": N_("English")}
KINDS: dict[str, dict[str, str]] = {
    "verdict": VERDICTS, "flag": FLAGS, "method": METHODS, "speaker": SPEAKERS, "outcome": OUTCOMES,
    "run_status": RUN_STATUSES, "call_status": CALL_STATUSES, "language": LANGUAGES,
}

# The scorecards' phrase categories (forbidden phrases, customer escalations: scorecards/*.yaml). Here rather
# than as titles in the YAML: a category is an id stored with each phrase heard, like a flag, and titles in the
# file would change its digest and force a new scorecard version for words that judge nothing. A category a
# site adds reads as its id made readable until it is given words here.
PHRASE_CATEGORIES = {
    "dismissive": N_("Dismissive"),
    "rudeness": N_("Rudeness"),
    "profanity": N_("Profanity or insult"),
    "manager": N_("Asks for a manager"),
    "complaint": N_("Complaint"),
    "regulator": N_("Regulator"),
    "legal": N_("Legal action"),
    "cancellation": N_("Cancellation"),
}
KINDS["phrase_category"] = PHRASE_CATEGORIES


def _humane(identifier: str) -> str:
    """An id nobody gave words to (a site's own flag): ``long_queue_wait`` -> ``Long queue wait``."""
    text = identifier.replace("_", " ").replace(".", " ").strip()
    return text[:1].upper() + text[1:]


class WordedError(Exception):
    """An error people read: ``message`` an English template marked for the catalogue (``N_``) and ``values``
    filling it; ``in_words`` says it in the reader's language, ``str()`` in English for logs and the CLI."""

    def __init__(self, message: str, **values: object) -> None:
        self.message = message
        self.values = values
        super().__init__(message.format(**values))

    def in_words(self, words: Words) -> str:
        return words(self.message).format(**self.values)


@dataclass(frozen=True)
class Words:
    """One reader's language (``ru``/``en``) and time zone: text, plurals, dates, numbers and ids in words."""

    locale: str = "ru"
    time_zone: str = "UTC"

    def __call__(self, message: str) -> str:
        if self.locale != "en" and message not in known_messages(self.locale):
            MISSING.add((self.locale, message))
        return translations(self.locale).gettext(message)

    def plural(self, singular: str, plural: str, count: int) -> str:
        """The form for ``count`` (Russian has three: 1 звонок, 2 звонка, 5 звонков); ``{n}`` is the count."""
        if self.locale != "en" and singular not in known_messages(self.locale):
            MISSING.add((self.locale, singular))
        return translations(self.locale).ngettext(singular, plural, count).format(n=self.integer(count))

    # ---- ids ----
    def of(self, kind: str, identifier: str | None) -> str:
        """An id of ``kind`` (verdict, flag, method, speaker, outcome...) in words; "–" for none."""
        if identifier is None or identifier == "":
            return "–"
        table = KINDS.get(kind, {})
        if kind == "method" and "/" in identifier:  # every method tried, none found it: "lemma/fuzzy/semantic"
            parts = [self.of(kind, part) for part in identifier.split("/") if part]
            return ", ".join(dict.fromkeys(parts))
        known = table.get(identifier)
        if known is None and kind == "method":  # "closing_cues:semantic", "use_semantic+keywords"
            known = table.get(identifier.split(":")[0].split("+")[0])
        return self(known) if known is not None else _humane(identifier)

    def verdict(self, result: str | None) -> str:
        return self.of("verdict", result)

    def flag(self, flag: str) -> str:
        return self.of("flag", flag)

    def title(self, bilingual: str) -> str:
        """A scorecard title written "Русский / English": the reader's half (both when not written so)."""
        halves = [h.strip() for h in bilingual.split(" / ")]
        if len(halves) != 2 or not all(halves):
            return bilingual
        return halves[0] if self.locale == "ru" else halves[1]

    # ---- numbers ----
    def number(self, value: float | None, digits: int = 0) -> str:
        if value is None or value != value:  # None or NaN
            return "–"
        pattern = "#,##0" + ("." + "0" * digits if digits > 0 else "")
        return babel_numbers.format_decimal(value, format=pattern, locale=self.locale)

    def integer(self, value: int | None) -> str:
        return self.number(value, 0)

    def percent(self, share: float | None, digits: int = 0) -> str:
        if share is None or share != share:
            return "–"
        pattern = "#,##0" + ("." + "0" * digits if digits > 0 else "") + "%"
        return babel_numbers.format_percent(share, format=pattern, locale=self.locale)

    # ---- times ----
    @property
    def tz(self) -> ZoneInfo:
        return zone(self.time_zone)

    def local(self, moment: datetime) -> datetime:
        """A stored time (naive = UTC, as the database keeps them) in the site's zone."""
        aware = moment if moment.tzinfo is not None else moment.replace(tzinfo=timezone.utc)
        return aware.astimezone(self.tz)

    def when(self, moment: datetime | None) -> str:
        """``07.12.2026, 08:51`` / ``12/7/26, 8:51 AM``: a stored time in the site's zone, to the minute."""
        if moment is None:
            return "–"
        return babel_dates.format_datetime(self.local(moment), "short", locale=self.locale)

    def day(self, value: date | datetime | None) -> str:
        """``07.12.2026`` / ``Dec 7, 2026``."""
        if value is None:
            return "–"
        if isinstance(value, datetime):
            value = self.local(value).date()
        return babel_dates.format_date(value, "medium" if self.locale == "en" else "short", locale=self.locale)

    @property
    def date_format(self) -> str:
        """How a date input writes days (Streamlit's ``format``): the locale's order."""
        return "DD.MM.YYYY" if self.locale == "ru" else "YYYY-MM-DD"

    @property
    def datetime_format(self) -> str:
        """A table's date-time column format (moment.js tokens) in the locale's order."""
        return "DD.MM.YYYY HH:mm" if self.locale == "ru" else "YYYY-MM-DD HH:mm"
