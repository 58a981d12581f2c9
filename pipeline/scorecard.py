"""Scorecards: versioned YAML files that say what an operator must and must not say.

A scorecard is validated when it is loaded, so a typo fails loudly with the
file and field named instead of silently judging every call wrong.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, Mapping

import yaml

CriterionKind = Literal["required", "forbidden"]
DEFAULT_SCORECARDS_DIR = Path(__file__).resolve().parent.parent / "scorecards"


class ScorecardError(ValueError):
    pass


@dataclass(frozen=True)
class Criterion:
    id: str
    title: str
    kind: CriterionKind
    speaker: Literal["operator", "customer"]
    weight: float
    critical: bool
    phrases: Mapping[str, tuple[str, ...]]  # language -> phrases


@dataclass(frozen=True)
class Scorecard:
    name: str
    version: int
    title: str
    languages: tuple[str, ...]
    max_gap: int
    low_score_threshold: float
    criteria: tuple[Criterion, ...]
    source: str = ""

    @property
    def label(self) -> str:
        return f"{self.name}@{self.version}"

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


def resolve_scorecard_path(name: str, scorecards_dir: str | os.PathLike | None = None) -> Path:
    """``name`` is a path to a YAML file, or the name of one in ``scorecards_dir``."""
    candidate = Path(name)
    if candidate.suffix in {".yaml", ".yml"} and candidate.is_file():
        return candidate
    directory = Path(scorecards_dir) if scorecards_dir else DEFAULT_SCORECARDS_DIR
    for suffix in (".yaml", ".yml"):
        path = directory / f"{name}{suffix}"
        if path.is_file():
            return path
    available = sorted(p.stem for p in directory.glob("*.y*ml")) if directory.is_dir() else []
    raise ScorecardError(f"scorecard {name!r} not found in {directory} (available: {', '.join(available) or 'none'})")


def load_scorecard(name: str, scorecards_dir: str | os.PathLike | None = None) -> Scorecard:
    path = resolve_scorecard_path(name, scorecards_dir)
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as err:
        raise ScorecardError(f"{path}: invalid YAML: {err}") from err
    return parse_scorecard(raw, source=str(path))


def parse_scorecard(raw: object, source: str = "<scorecard>") -> Scorecard:
    def fail(msg: str) -> ScorecardError:
        return ScorecardError(f"{source}: {msg}")

    if not isinstance(raw, dict):
        raise fail("expected a mapping at the top level")
    for key in ("name", "version", "criteria"):
        if key not in raw:
            raise fail(f"missing required field '{key}'")
    if not isinstance(raw["version"], int) or raw["version"] < 1:
        raise fail("'version' must be a positive integer")
    languages = tuple(raw.get("languages") or ("ru", "en"))
    if not isinstance(raw["criteria"], list) or not raw["criteria"]:
        raise fail("'criteria' must be a non-empty list")

    criteria: list[Criterion] = []
    seen: set[str] = set()
    for i, item in enumerate(raw["criteria"]):
        where = f"criteria[{i}]"
        if not isinstance(item, dict) or "id" not in item:
            raise fail(f"{where}: each criterion needs an 'id'")
        cid = str(item["id"])
        where = f"criterion '{cid}'"
        if cid in seen:
            raise fail(f"{where}: duplicate id")
        seen.add(cid)
        kind = item.get("kind", "required")
        if kind not in ("required", "forbidden"):
            raise fail(f"{where}: kind must be 'required' or 'forbidden', not {kind!r}")
        speaker = item.get("speaker", "operator")
        if speaker not in ("operator", "customer"):
            raise fail(f"{where}: speaker must be 'operator' or 'customer', not {speaker!r}")
        weight = item.get("weight", 1)
        if not isinstance(weight, (int, float)) or weight < 0:
            raise fail(f"{where}: weight must be a non-negative number")
        phrases_raw = item.get("phrases")
        if not isinstance(phrases_raw, dict) or not phrases_raw:
            raise fail(f"{where}: 'phrases' must map a language to a list of phrases")
        phrases: dict[str, tuple[str, ...]] = {}
        for lang, items in phrases_raw.items():
            if lang not in languages:
                raise fail(f"{where}: phrases for language {lang!r} not in the scorecard's languages {languages}")
            if not isinstance(items, list) or not all(isinstance(p, str) and p.strip() for p in items):
                raise fail(f"{where}: phrases.{lang} must be a list of non-empty strings")
            phrases[lang] = tuple(p.strip() for p in items)
        criteria.append(
            Criterion(
                id=cid,
                title=str(item.get("title", cid)),
                kind=kind,
                speaker=speaker,
                weight=float(weight),
                critical=bool(item.get("critical", False)),
                phrases=phrases,
            )
        )
    if sum(c.weight for c in criteria) <= 0:
        raise fail("the criteria's weights add up to zero")
    return Scorecard(
        name=str(raw["name"]),
        version=int(raw["version"]),
        title=str(raw.get("title", raw["name"])),
        languages=languages,
        max_gap=int(raw.get("max_gap", 2)),
        low_score_threshold=float(raw.get("low_score_threshold", 70)),
        criteria=tuple(criteria),
        source=source,
    )
