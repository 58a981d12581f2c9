"""The layer rule, read from the imports: a wrong arrow between packages fails here.

    callqa (the CLI)                     top: may import everything below
    flows (Prefect)   qa_app (Streamlit)   api (FastAPI)   none imports another, nor the CLI
    usecases          what the product does: plain functions, no Prefect, no Streamlit, no HTTP server
    storage           the only code that reads or writes DuckDB
    reporting         periodic report records and their HTML/Excel rendering
    pipeline          the stages: audio -> segments -> verdicts -> insights
    models            weights resolved offline, and the models that use them

Inside ``pipeline`` the subpackages are ordered the same way (a recording's path through them),
and every record that crosses a stage lives in ``pipeline.records``, which imports no stage.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent

# Rank of each top-level package: a module may import packages of its own rank or lower.
LAYERS: dict[str, int] = {
    "models": 0,
    "pipeline": 1,
    "reporting": 2,
    "storage": 3,
    "usecases": 4,
    "flows": 5,
    "qa_app": 5,
    "api": 5,
    "callqa": 6,
}
# Same rank does not mean allowed: the three front ends on top of the use cases stay apart.
FORBIDDEN_SIDEWAYS = {(a, b) for a in ("flows", "qa_app", "api") for b in ("flows", "qa_app", "api") if a != b}

# pipeline's own order. The base modules are shared by every stage; analyze.py composes the stages.
PIPELINE_BASE = {"records", "errors", "intervals", "record_codec", "yaml_checks"}
PIPELINE_ORDER = ["text", "intake", "speech", "privacy", "judging", "insights", "stats"]
PIPELINE_COMPOSER = {"analyze"}

# Frameworks that only the layer wrapping them may import: the stages and use cases know nothing of them.
FRAMEWORKS: dict[str, set[str]] = {
    "prefect": {"flows", "callqa"},
    "prefect_dask": {"flows", "callqa"},
    "dask": {"flows", "callqa"},
    "streamlit": {"qa_app", "callqa"},
    "uvicorn": {"flows", "callqa"},  # the CLI serves the API with it (`callqa api`)
    "fastapi": {"api", "callqa"},
    "starlette": {"api", "callqa"},
}
# Speaking HTTP (a webhook POST, a download) is the use cases' business or above, never a stage's.
HTTP_CLIENTS: dict[str, set[str]] = {
    name: {"usecases", "flows", "qa_app", "api", "callqa"}
    for name in ("urllib.request", "http.client", "http.server", "requests", "httpx", "aiohttp")
}


@dataclass(frozen=True)
class Arrow:
    source: str  # the importing module, dotted
    target: str  # the imported module, dotted
    line: int

    def __str__(self) -> str:
        return f"{self.source}:{self.line} imports {self.target}"


def module_name(root: Path, path: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def arrows(root: Path, packages: list[str]) -> list[Arrow]:
    """Every import (top-level or inside a function) made by the modules of ``packages``."""
    found: list[Arrow] = []
    for package in packages:
        for path in sorted((root / package).rglob("*.py")):
            source = module_name(root, path)
            is_package = path.name == "__init__.py"
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
                if isinstance(node, ast.Import):
                    found.extend(Arrow(source, alias.name, node.lineno) for alias in node.names)
                elif isinstance(node, ast.ImportFrom):
                    if node.level:  # relative: resolve against the importing module's package
                        base = source.split(".")
                        base = base[: len(base) - node.level + (1 if is_package else 0)]
                        target = ".".join(base + ([node.module] if node.module else []))
                    else:
                        target = node.module or ""
                    found.append(Arrow(source, target, node.lineno))
    return found


def _pipeline_rank(module: str) -> float | None:
    """Rank inside pipeline: base 0, the stages 1..n in order, the composer above them all."""
    parts = module.split(".")
    if len(parts) < 2 or parts[0] != "pipeline":
        return None
    name = parts[1]
    if name in PIPELINE_BASE:
        return 0
    if name in PIPELINE_ORDER:
        return 1 + PIPELINE_ORDER.index(name)
    if name in PIPELINE_COMPOSER:
        return len(PIPELINE_ORDER) + 1
    return None


def violations(root: Path) -> list[str]:
    """Arrows that break the layer rule, as readable lines."""
    wrong: list[str] = []
    for arrow in arrows(root, list(LAYERS)):
        here = arrow.source.split(".")[0]
        there = arrow.target.split(".")[0]
        if there in FRAMEWORKS and here not in FRAMEWORKS[there]:
            wrong.append(f"{arrow}: {there} belongs to {', '.join(sorted(FRAMEWORKS[there]))} only")
        for client, allowed in HTTP_CLIENTS.items():
            if (arrow.target == client or arrow.target.startswith(client + ".")) and here not in allowed:
                wrong.append(f"{arrow}: HTTP belongs to {', '.join(sorted(allowed))}")
        if there not in LAYERS or there == here:
            if here == there == "pipeline":
                mine, theirs = _pipeline_rank(arrow.source), _pipeline_rank(arrow.target)
                if arrow.source != "pipeline" and mine is None:
                    wrong.append(f"{arrow.source}: a pipeline module outside the known subpackages")
                elif mine is not None and theirs is not None and theirs > mine:
                    wrong.append(f"{arrow}: pipeline's order is base < {' < '.join(PIPELINE_ORDER)} < analyze")
            continue
        if LAYERS[there] > LAYERS[here] or (here, there) in FORBIDDEN_SIDEWAYS:
            wrong.append(f"{arrow}: {here} may not import {there}")
    return wrong


def test_no_import_points_up():
    assert violations(REPO) == []


def _assigns_all(node: ast.stmt) -> bool:
    if isinstance(node, ast.Assign):
        return any(getattr(target, "id", "") == "__all__" for target in node.targets)
    return isinstance(node, ast.AnnAssign) and getattr(node.target, "id", "") == "__all__"


def test_every_package_says_what_it_is():
    """Each package opens with a docstring and a public API (``__all__``)."""
    missing: list[str] = []
    for package in LAYERS:
        for init in [REPO / package / "__init__.py", *sorted((REPO / package).glob("*/__init__.py"))]:
            if not init.exists():
                missing.append(f"{init.parent.relative_to(REPO)}: no __init__.py")
                continue
            tree = ast.parse(init.read_text(encoding="utf-8"))
            if not ast.get_docstring(tree):
                missing.append(f"{init.relative_to(REPO)}: no docstring")
            if not any(_assigns_all(n) for n in tree.body):
                missing.append(f"{init.relative_to(REPO)}: no __all__")
    assert missing == []


def _tree(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


def test_the_rule_catches_wrong_arrows(tmp_path):
    """The checker itself: each kind of wrong arrow in a small tree is reported, right ones are not."""
    root = _tree(tmp_path, {
        "models/asr.py": "import numpy\n",
        "pipeline/records.py": "from pipeline.judging.scoring import x\n",  # base importing a stage
        "pipeline/speech/transcribe.py": "from pipeline.records import Segment\nfrom models.asr import load\n",
        "pipeline/judging/scoring.py": "from ..speech import transcribe\nfrom ..insights.reasons import y\n",
        "pipeline/insights/reasons.py": "from pipeline.judging import scoring\n",
        "pipeline/stats/alerts.py": "import urllib.parse\nimport urllib.request\n",  # a stage speaking HTTP
        "storage/calls.py": "from usecases.settings import Settings\n",  # storage pointing up
        "usecases/nightly.py": "import prefect\nfrom storage.calls import write\n",  # a framework in use cases
        "flows/nightly.py": "from prefect import flow\nfrom usecases import nightly\nimport qa_app.data\n",
        "qa_app/data.py": "import streamlit as st\nfrom storage import calls\n",
        "callqa/main.py": "from flows import nightly\nfrom qa_app import data\n",
    })
    found = violations(root)
    expected = [
        "pipeline.records:1 imports pipeline.judging.scoring",
        "pipeline.judging.scoring:2 imports pipeline.insights.reasons",
        "storage.calls:1 imports usecases.settings",
        "pipeline.stats.alerts:2 imports urllib.request",
        "usecases.nightly:1 imports prefect",
        "flows.nightly:3 imports qa_app.data",
    ]
    for line in expected:
        assert any(f.startswith(line) for f in found), (line, found)
    assert len(found) == len(expected), found
