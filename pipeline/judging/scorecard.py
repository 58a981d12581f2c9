"""Scorecards: versioned YAML files that say what an operator must and must not say.

A criterion names who must say it, phrases (matched on lemmas and, for
recognition errors, fuzzily), example paraphrases (matched by sentence
similarity), where in the call it belongs (``window``), which criteria it must
follow (``after``), its weight and whether failing it is critical. Forbidden
phrases are their own list, grouped by category, and so are the customer's
escalation phrases (a flag, not a score).

A scorecard is validated when it is loaded: an unknown key (a typo), an unknown
criterion kind or a reference to a criterion that does not exist fails loudly
with the file and field named, instead of silently judging every call wrong.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Literal, Mapping

import yaml

from pipeline.text.patterns import PATTERNS
from pipeline.yaml_checks import YamlChecker

CriterionKind = Literal["required", "forbidden", "detect"]
Party = Literal["operator", "customer"]
MatchMethod = Literal["lemma", "fuzzy", "pattern", "semantic"]
METHODS: tuple[MatchMethod, ...] = ("lemma", "fuzzy", "pattern", "semantic")
DEFAULT_SCORECARDS_DIR = Path(__file__).resolve().parents[2] / "scorecards"
FORBIDDEN_ID = "no_forbidden_phrases"
ESCALATION_ID = "escalation"

_TOP_KEYS = {"name", "version", "title", "description", "languages", "max_gap", "low_score_threshold",
             "fuzzy_threshold", "semantic_threshold", "criteria", "forbidden", "escalation", "brands"}
_CRITERION_KEYS = {"id", "title", "description", "kind", "speaker", "weight", "critical", "phrases", "examples",
                   "anchors", "patterns", "parts", "window", "after", "not_with", "methods", "fuzzy_threshold",
                   "semantic_threshold", "paraphrase_except", "brands"}
_PART_KEYS = {"phrases", "examples", "patterns", "brands"}
_LIST_KEYS = {"id", "title", "description", "speaker", "weight", "critical", "categories", "methods",
              "fuzzy_threshold", "semantic_threshold", "anchors"}
_CATEGORY_KEYS = {"phrases", "examples", "except"}
_WINDOW_KEYS = {"first_s", "last_s", "first_turns", "last_turns"}


class ScorecardError(ValueError):
    pass


@dataclass(frozen=True)
class Window:
    """Where in the call a criterion counts; every bound given must hold.

    ``first_s``: within this many seconds of the party's first word;
    ``last_s``: within this many seconds of the end of the conversation;
    ``first_turns`` / ``last_turns``: in the party's first / last N turns.
    """

    first_s: float | None = None
    last_s: float | None = None
    first_turns: int | None = None
    last_turns: int | None = None

    @property
    def anywhere(self) -> bool:
        return self == Window()

    def describe(self) -> str:
        parts = []
        if self.first_s is not None:
            parts.append(f"first {self.first_s:g} s")
        if self.first_turns is not None:
            parts.append(f"first {self.first_turns} turn(s)")
        if self.last_s is not None:
            parts.append(f"last {self.last_s:g} s")
        if self.last_turns is not None:
            parts.append(f"last {self.last_turns} turn(s)")
        return ", ".join(parts) or "anywhere"


@dataclass(frozen=True)
class PhraseSet:
    """One category of phrases: what to look for, paraphrase examples, and exceptions."""

    category: str
    phrases: Mapping[str, tuple[str, ...]]  # language -> phrases
    examples: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    # A hit is dismissed when the same sentence also holds one of these
    # ("не знаю, но сейчас уточню" is not a refusal to help).
    exceptions: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    # Grammatical patterns that also count (pipeline/text/patterns.py), e.g. "person_name".
    patterns: tuple[str, ...] = ()


@dataclass(frozen=True)
class Criterion:
    id: str
    title: str
    kind: CriterionKind
    speaker: Party
    weight: float
    critical: bool
    phrase_sets: tuple[PhraseSet, ...]
    window: Window = Window()
    after: tuple[str, ...] = ()
    methods: tuple[MatchMethod, ...] = METHODS
    fuzzy_threshold: float = 88.0
    semantic_threshold: float | None = None
    description: str = ""
    # A paraphrase found by similarity only counts when it holds one of these words (any form):
    # "чем могу помочь" sits close to "чем ещё могу помочь", and only "ещё" tells them apart.
    anchors: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    # A paraphrase does not count in a sentence that holds one of these: "My name is Linda" sits
    # close to "May I have your name?", but the operator names themselves. Listed phrases still count.
    paraphrase_except: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    # Every phrase set must be heard (``parts``: e.g. the operator's name AND the company).
    match_all: bool = False
    # Hits that are the evidence of these criteria do not count here ("May I have your name?" is a
    # question, but it is identification, not needs discovery).
    not_with: tuple[str, ...] = ()

    @property
    def phrases(self) -> Mapping[str, tuple[str, ...]]:
        """All phrases of all categories, per language."""
        out: dict[str, tuple[str, ...]] = {}
        for ps in self.phrase_sets:
            for lang, items in ps.phrases.items():
                out[lang] = out.get(lang, ()) + items
        return out

    def languages(self) -> set[str]:
        return {lang for ps in self.phrase_sets for lang in (*ps.phrases, *ps.examples)}


@dataclass(frozen=True)
class Scorecard:
    name: str
    version: int
    title: str
    languages: tuple[str, ...]
    max_gap: int
    low_score_threshold: float
    criteria: tuple[Criterion, ...]  # scored: required ones and the forbidden list
    escalation: Criterion | None = None  # detected on the customer's side, raises a flag
    source: str = ""
    # language -> the names of the company and its products as said on calls ("Городской Телеком"):
    # phrases of every part marked `brands: true`, and a hint to recognition.
    brands: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    # sha256 of the YAML text: the same name@version must always mean the same rules.
    digest: str = ""
    text: str = ""

    @property
    def label(self) -> str:
        return f"{self.name}@{self.version}"

    def brand_hint(self, language: str) -> str:
        """The centre's brands as a recognition hint: Whisper cannot know "Городской Телеком" and
        writes "город с культелетом" on a poor line unless it is told the name."""
        return ", ".join(self.brands.get(language, ()))

    def vocabulary(self, language: str, per_criterion: int = 3) -> str:
        """The required phrases of ``language`` as a decoding hint for ASR.

        Forbidden phrases are left out on purpose: biasing recognition towards
        them would make the system hear what it is meant to catch.
        """
        phrases: list[str] = []
        for c in self.criteria:
            if c.kind == "required":
                phrases += [p for p in c.phrases.get(language, ())[:per_criterion] if p not in phrases]
        return ", ".join(phrases)

    def criterion(self, criterion_id: str) -> Criterion:
        for c in self.criteria:
            if c.id == criterion_id:
                return c
        raise KeyError(criterion_id)


def split_label(label: str) -> tuple[str, int | None]:
    """``"inbound_support@2"`` -> ("inbound_support", 2); no ``@`` -> (label, None)."""
    name, _, version = label.partition("@")
    if not version:
        return name, None
    if not version.isdigit():
        raise ScorecardError(f"scorecard version must be a number: {label!r}")
    return name, int(version)


def resolve_scorecard_path(name: str, scorecards_dir: str | os.PathLike | None = None) -> Path:
    """``name`` is a path to a YAML file, ``NAME`` in ``scorecards_dir``, or ``NAME@VERSION``.

    Older versions live in ``scorecards_dir/archive/NAME@VERSION.yaml``.
    """
    candidate = Path(name)
    if candidate.suffix in {".yaml", ".yml"} and candidate.is_file():
        return candidate
    directory = Path(scorecards_dir) if scorecards_dir else DEFAULT_SCORECARDS_DIR
    base, version = split_label(name)
    names = [f"{base}"] if version is None else [f"archive/{base}@{version}", f"{base}@{version}", base]
    for stem in names:
        for suffix in (".yaml", ".yml"):
            path = directory / f"{stem}{suffix}"
            if path.is_file() and (version is None or _version_of(path) == version):
                return path
    available = sorted(p.stem for p in directory.glob("*.y*ml")) if directory.is_dir() else []
    archived = (
        sorted(p.stem for p in (directory / "archive").glob("*.y*ml")) if (directory / "archive").is_dir() else []
    )
    raise ScorecardError(
        f"scorecard {name!r} not found in {directory} (available: {', '.join(available + archived) or 'none'})"
    )


def _version_of(path: Path) -> int | None:
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError:
        return None
    return raw.get("version") if isinstance(raw, dict) else None


def load_scorecard(name: str, scorecards_dir: str | os.PathLike | None = None) -> Scorecard:
    path = resolve_scorecard_path(name, scorecards_dir)
    return parse_scorecard_text(path.read_text(encoding="utf-8"), source=str(path))


def parse_scorecard_text(text: str, source: str = "<scorecard>") -> Scorecard:
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as err:
        raise ScorecardError(f"{source}: invalid YAML: {err}") from err
    card = parse_scorecard(raw, source=source)
    return _with_text(card, text)


def _with_text(card: Scorecard, text: str) -> Scorecard:
    return replace(card, text=text, digest=hashlib.sha256(text.encode("utf-8")).hexdigest())


class _Parser(YamlChecker):
    error = ScorecardError

    def __init__(self, source: str, languages: tuple[str, ...]):
        super().__init__(source)
        self.languages = languages
        self.brands: dict[str, tuple[str, ...]] = {}

    def per_language(self, where: str, value: object, field_name: str, required: bool) -> dict[str, tuple[str, ...]]:
        if value is None and not required:
            return {}
        if not isinstance(value, dict) or (required and not value):
            raise self.fail(f"{where}: '{field_name}' must map a language to a list of phrases")
        out: dict[str, tuple[str, ...]] = {}
        for lang, items in value.items():
            if lang not in self.languages:
                raise self.fail(
                    f"{where}: {field_name} for language {lang!r} not in the scorecard's languages {self.languages}"
                )
            if not isinstance(items, list) or not all(isinstance(p, str) and p.strip() for p in items):
                raise self.fail(f"{where}: {field_name}.{lang} must be a list of non-empty strings")
            out[lang] = tuple(p.strip() for p in items)
        return out

    def number(self, where: str, item: dict, key: str, default, minimum: float = 0, integer: bool = False):
        value = item.get(key, default)
        if value is None:
            return None
        if (
            isinstance(value, bool)
            or not isinstance(value, (int, float))
            or value < minimum
            or (integer and not isinstance(value, int))
        ):
            kind = "an integer" if integer else "a number"
            raise self.fail(f"{where}: {key} must be {kind} >= {minimum:g}, not {value!r}")
        return value

    def methods(self, where: str, item: dict, default: tuple[MatchMethod, ...]) -> tuple[MatchMethod, ...]:
        value = item.get("methods")
        if value is None:
            return default
        if not isinstance(value, list) or not value or any(m not in METHODS for m in value):
            raise self.fail(f"{where}: methods must be a non-empty list of {', '.join(METHODS)}; got {value!r}")
        return tuple(value)

    def speaker(self, where: str, item: dict, default: Party) -> Party:
        speaker = item.get("speaker", default)
        if speaker not in ("operator", "customer"):
            raise self.fail(f"{where}: speaker must be 'operator' or 'customer', not {speaker!r}")
        return speaker

    def window(self, where: str, value: object) -> Window:
        if value is None:
            return Window()
        if not isinstance(value, dict):
            raise self.fail(f"{where}: window must be a mapping with any of {', '.join(sorted(_WINDOW_KEYS))}")
        self.check_keys(f"{where}.window", value, _WINDOW_KEYS)
        return Window(
            first_s=self.number(where, value, "first_s", None),
            last_s=self.number(where, value, "last_s", None),
            first_turns=self.number(where, value, "first_turns", None, minimum=1, integer=True),
            last_turns=self.number(where, value, "last_turns", None, minimum=1, integer=True),
        )

    def criterion(self, i: int, item: object, defaults: dict) -> Criterion:
        if not isinstance(item, dict) or "id" not in item:
            raise self.fail(f"criteria[{i}]: each criterion needs an 'id'")
        cid = str(item["id"])
        where = f"criterion '{cid}'"
        self.check_keys(where, item, _CRITERION_KEYS)
        kind = item.get("kind", "required")
        if kind not in ("required", "forbidden"):
            raise self.fail(f"{where}: kind must be 'required' or 'forbidden', not {kind!r}")
        parts = item.get("parts")
        if parts is not None:
            if "phrases" in item or "examples" in item or "patterns" in item:
                raise self.fail(f"{where}: give either 'parts' or phrases/examples/patterns, not both")
            if not isinstance(parts, dict) or not parts:
                raise self.fail(f"{where}: 'parts' must map a part name to its phrases")
            sets = []
            for name, body in parts.items():
                pwhere = f"{where} part '{name}'"
                if not isinstance(body, dict):
                    raise self.fail(f"{pwhere}: must be a mapping with phrases, examples or patterns")
                self.check_keys(pwhere, body, _PART_KEYS)
                sets.append(self.phrase_set(pwhere, str(name), body))
        else:
            sets = [self.phrase_set(where, cid, item)]
        after = item.get("after") or []
        if not isinstance(after, list) or not all(isinstance(a, str) for a in after):
            raise self.fail(f"{where}: after must be a list of criterion ids")
        not_with = item.get("not_with") or []
        if not isinstance(not_with, list) or not all(isinstance(a, str) for a in not_with):
            raise self.fail(f"{where}: not_with must be a list of criterion ids")
        return Criterion(
            id=cid,
            title=str(item.get("title", cid)),
            description=str(item.get("description", "")),
            kind=kind,
            speaker=self.speaker(where, item, "operator"),
            weight=float(self.number(where, item, "weight", 1)),
            critical=bool(item.get("critical", False)),
            phrase_sets=tuple(sets),
            match_all=parts is not None,
            not_with=tuple(not_with),
            window=self.window(where, item.get("window")),
            after=tuple(after),
            methods=self.methods(where, item, METHODS if kind == "required" else ("lemma", "fuzzy")),
            fuzzy_threshold=float(self.number(where, item, "fuzzy_threshold", defaults["fuzzy_threshold"])),
            semantic_threshold=self.number(where, item, "semantic_threshold", defaults["semantic_threshold"]),
            anchors=self.per_language(where, item.get("anchors"), "anchors", required=False),
            paraphrase_except=self.per_language(where, item.get("paraphrase_except"), "paraphrase_except",
                                                required=False),
        )

    def phrase_set(self, where: str, name: str, body: dict) -> PhraseSet:
        patterns = body.get("patterns") or []
        if not isinstance(patterns, list) or any(p not in PATTERNS for p in patterns):
            raise self.fail(f"{where}: patterns must be a list of {', '.join(PATTERNS)}; got {patterns!r}")
        with_brands = body.get("brands", False)
        if not isinstance(with_brands, bool):
            raise self.fail(f"{where}: brands must be true or false (whether the scorecard's brands count here)")
        if with_brands and not self.brands:
            raise self.fail(f"{where}: brands: true, but the scorecard lists no brands")
        phrases = self.per_language(where, body.get("phrases"), "phrases", required=not (patterns or with_brands))
        if with_brands:
            phrases = {lang: phrases.get(lang, ()) + self.brands.get(lang, ()) for lang in {*phrases, *self.brands}}
        examples = self.per_language(where, body.get("examples"), "examples", required=False)
        return PhraseSet(name, phrases, examples, patterns=tuple(patterns))

    def phrase_list(self, key: str, item: object, defaults: dict, default_id: str, kind: CriterionKind,
                    default_speaker: Party) -> Criterion:
        where = f"'{key}'"
        if not isinstance(item, dict):
            raise self.fail(f"{where}: must be a mapping with 'categories'")
        self.check_keys(where, item, _LIST_KEYS)
        categories = item.get("categories")
        if not isinstance(categories, dict) or not categories:
            raise self.fail(f"{where}: 'categories' must map a category name to its phrases")
        sets = []
        for name, body in categories.items():
            cwhere = f"{where} category '{name}'"
            if not isinstance(body, dict):
                raise self.fail(f"{cwhere}: must be a mapping with 'phrases'")
            self.check_keys(cwhere, body, _CATEGORY_KEYS)
            sets.append(PhraseSet(
                str(name),
                self.per_language(cwhere, body.get("phrases"), "phrases", required=True),
                self.per_language(cwhere, body.get("examples"), "examples", required=False),
                self.per_language(cwhere, body.get("except"), "except", required=False),
            ))
        cid = str(item.get("id", default_id))
        return Criterion(
            id=cid,
            title=str(item.get("title", cid)),
            description=str(item.get("description", "")),
            kind=kind,
            speaker=self.speaker(where, item, default_speaker),
            weight=float(self.number(where, item, "weight", 0 if kind == "detect" else 1)),
            critical=bool(item.get("critical", False)),
            phrase_sets=tuple(sets),
            methods=self.methods(where, item, ("lemma", "fuzzy")),
            fuzzy_threshold=float(self.number(where, item, "fuzzy_threshold", defaults["fuzzy_threshold"])),
            semantic_threshold=self.number(where, item, "semantic_threshold", defaults["semantic_threshold"]),
            anchors=self.per_language(where, item.get("anchors"), "anchors", required=False),
        )


def _check_no_cycles(p: _Parser, deps: dict[str, tuple[str, ...]]) -> None:
    """``after`` / ``not_with`` judge other criteria first: they must not go round in a circle."""
    state: dict[str, int] = {}

    def visit(cid: str, path: list[str]) -> None:
        if state.get(cid) == 2:
            return
        if state.get(cid) == 1:
            raise p.fail(f"criteria depend on each other in a circle: {' -> '.join(path + [cid])}")
        state[cid] = 1
        for dep in deps.get(cid, ()):
            visit(dep, path + [cid])
        state[cid] = 2

    for cid in deps:
        visit(cid, [])


def parse_scorecard(raw: object, source: str = "<scorecard>") -> Scorecard:
    if not isinstance(raw, dict):
        raise ScorecardError(f"{source}: expected a mapping at the top level")
    languages = tuple(raw.get("languages") or ("ru", "en"))
    p = _Parser(source, languages)
    p.check_keys("top level", raw, _TOP_KEYS)
    for key in ("name", "version", "criteria"):
        if key not in raw:
            raise p.fail(f"missing required field '{key}'")
    if not isinstance(raw["version"], int) or isinstance(raw["version"], bool) or raw["version"] < 1:
        raise p.fail("'version' must be a positive integer")
    if not isinstance(raw["criteria"], list) or not raw["criteria"]:
        raise p.fail("'criteria' must be a non-empty list")
    defaults = {
        "fuzzy_threshold": p.number("top level", raw, "fuzzy_threshold", 88),
        "semantic_threshold": p.number("top level", raw, "semantic_threshold", None),
    }

    p.brands = p.per_language("top level", raw.get("brands"), "brands", required=False)
    criteria = [p.criterion(i, item, defaults) for i, item in enumerate(raw["criteria"])]
    if "forbidden" in raw:
        criteria.append(p.phrase_list("forbidden", raw["forbidden"], defaults, FORBIDDEN_ID, "forbidden", "operator"))
    escalation = None
    if "escalation" in raw:
        escalation = p.phrase_list("escalation", raw["escalation"], defaults, ESCALATION_ID, "detect", "customer")

    ids = [c.id for c in criteria]
    for cid in ids:
        if ids.count(cid) > 1:
            raise p.fail(f"criterion '{cid}': duplicate id")
    for c in criteria:
        for dep in c.not_with:
            if dep not in ids or dep == c.id:
                raise p.fail(f"criterion '{c.id}': not_with refers to unknown criterion '{dep}'")
        for dep in c.after:
            if dep not in ids:
                raise p.fail(f"criterion '{c.id}': after refers to unknown criterion '{dep}'")
            if dep == c.id:
                raise p.fail(f"criterion '{c.id}': cannot come after itself")
        if c.semantic_threshold is not None and not 0 < c.semantic_threshold < 1:
            raise p.fail(f"criterion '{c.id}': semantic_threshold must be between 0 and 1")
        if not 0 < c.fuzzy_threshold <= 100:
            raise p.fail(f"criterion '{c.id}': fuzzy_threshold must be in (0, 100]")
    _check_no_cycles(p, {c.id: (*c.after, *c.not_with) for c in criteria})
    if sum(c.weight for c in criteria) <= 0:
        raise p.fail("the criteria's weights add up to zero")
    return Scorecard(
        name=str(raw["name"]),
        version=int(raw["version"]),
        title=str(raw.get("title", raw["name"])),
        languages=languages,
        max_gap=int(raw.get("max_gap", 2)),
        low_score_threshold=float(raw.get("low_score_threshold", 70)),
        criteria=tuple(criteria),
        escalation=escalation,
        source=source,
        brands=p.brands,
    )
