"""The call-reason taxonomy (``taxonomy/call_reasons.yaml``): loading and validation.

A reason has an ``id``, ``labels`` in Russian and English, a ``description``, example
customer phrasings per language (what the problem statement is compared with) and optional
lemma ``keywords``. The file's digest goes into every stored insight's version, so an edited
taxonomy recomputes the calls it could change.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

import yaml

from pipeline.judging.scorecard import unknown_key

DEFAULT_TAXONOMY = Path(__file__).resolve().parents[2] / "taxonomy" / "call_reasons.yaml"
LANGUAGES = ("ru", "en")
_ID = re.compile(r"^[a-z][a-z0-9_]*$")
_TOP_KEYS = {"version", "threshold", "keyword_bonus", "reasons"}
_REASON_KEYS = {"id", "labels", "description", "examples", "keywords"}


class TaxonomyError(ValueError):
    """The taxonomy file is missing or malformed; the message names the file and the place."""


@dataclass(frozen=True)
class Reason:
    id: str
    labels: dict[str, str]
    description: str
    examples: dict[str, tuple[str, ...]]
    keywords: dict[str, tuple[str, ...]]

    def label(self, language: str = "en") -> str:
        return self.labels.get(language) or self.labels["en"]

    @property
    def all_examples(self) -> tuple[str, ...]:
        return tuple(e for lang in LANGUAGES for e in self.examples.get(lang, ()))


@dataclass(frozen=True)
class Taxonomy:
    version: int
    threshold: float
    keyword_bonus: float
    reasons: tuple[Reason, ...]
    digest: str  # sha256 of the file's text, first 12 hex digits
    source: str

    def reason(self, reason_id: str) -> Reason | None:
        return next((r for r in self.reasons if r.id == reason_id), None)

    def label(self, reason_id: str | None, language: str = "en") -> str:
        found = self.reason(reason_id) if reason_id else None
        return found.label(language) if found else (reason_id or "no taxonomy reason")


def load_taxonomy(path: Path | str | None = None) -> Taxonomy:
    """The taxonomy at ``path`` (default: the one shipped in ``taxonomy/``), validated."""
    path = Path(path) if path else DEFAULT_TAXONOMY
    if not path.is_file():
        raise TaxonomyError(f"call reason taxonomy not found: {path}")
    return parse_taxonomy(path.read_text(encoding="utf-8"), source=str(path))


def parse_taxonomy(text: str, source: str = "<taxonomy>") -> Taxonomy:
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as err:
        raise TaxonomyError(f"{source}: not valid YAML: {err}") from None
    check = _Checker(source)
    if not isinstance(raw, dict):
        raise check.fail("the file must be a mapping with 'reasons'")
    check.keys("top level", raw, _TOP_KEYS)
    version = raw.get("version", 1)
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise check.fail("version must be a whole number, 1 or more")
    threshold = check.share("threshold", raw.get("threshold", 0.45))
    bonus = check.share("keyword_bonus", raw.get("keyword_bonus", 0.0))
    items = raw.get("reasons")
    if not isinstance(items, list) or not items:
        raise check.fail("'reasons' must be a non-empty list")
    reasons, seen = [], set()
    for n, item in enumerate(items, 1):
        reason = check.reason(n, item)
        if reason.id in seen:
            raise check.fail(f"reason {n}: id '{reason.id}' is used twice")
        seen.add(reason.id)
        reasons.append(reason)
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()[:12]
    return Taxonomy(version, threshold, bonus, tuple(reasons), digest, source)


class _Checker:
    def __init__(self, source: str) -> None:
        self.source = source

    def fail(self, message: str) -> TaxonomyError:
        return TaxonomyError(f"{self.source}: {message}")

    def keys(self, where: str, item: dict, allowed: set[str]) -> None:
        problem = unknown_key(where, item, allowed)
        if problem:
            raise self.fail(problem)

    def share(self, name: str, value: object) -> float:
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= 1:
            raise self.fail(f"{name} must be a number between 0 and 1, not {value!r}")
        return float(value)

    def reason(self, n: int, item: object) -> Reason:
        if not isinstance(item, dict):
            raise self.fail(f"reason {n}: must be a mapping with id, labels, description, examples")
        rid = item.get("id")
        where = f"reason '{rid}'" if isinstance(rid, str) else f"reason {n}"
        self.keys(where, item, _REASON_KEYS)
        for key in ("id", "labels", "description", "examples"):
            if key not in item:
                raise self.fail(f"{where}: '{key}' is missing")
        if not isinstance(rid, str) or not _ID.match(rid):
            raise self.fail(f"{where}: id must be lower_snake_case letters and digits, not {rid!r}")
        labels = item["labels"]
        if not isinstance(labels, dict) or set(labels) != set(LANGUAGES) or \
                not all(isinstance(v, str) and v.strip() for v in labels.values()):
            raise self.fail(f"{where}: labels must give a non-empty 'ru' and 'en' label")
        description = item["description"]
        if not isinstance(description, str) or not description.strip():
            raise self.fail(f"{where}: description must be a non-empty text")
        examples = self.per_language(f"{where} examples", item["examples"], required=True)
        keywords = self.per_language(f"{where} keywords", item.get("keywords") or {}, required=False)
        return Reason(rid, {k: labels[k].strip() for k in LANGUAGES}, description.strip(), examples, keywords)

    def per_language(self, where: str, value: object, required: bool) -> dict[str, tuple[str, ...]]:
        if not isinstance(value, dict):
            raise self.fail(f"{where}: must map languages (ru, en) to lists of phrases")
        unknown = set(value) - set(LANGUAGES)
        if unknown:
            raise self.fail(f"{where}: unknown language {sorted(unknown)[0]!r} (languages: ru, en)")
        out = {}
        for lang in LANGUAGES:
            phrases = value.get(lang)
            if phrases is None and not required:
                continue
            if not isinstance(phrases, list) or not phrases or \
                    not all(isinstance(p, str) and p.strip() for p in phrases):
                raise self.fail(f"{where}: '{lang}' must be a non-empty list of phrases")
            out[lang] = tuple(p.strip() for p in phrases)
        return out
