"""Install a site's own Whisper weights into ``models_dir``, checked, and check them again later.

``callqa models add /srv/weights/faster-whisper-large-v3-turbo`` copies a CTranslate2 folder to
``<models_dir>/faster-whisper-<name>/`` (the faster-whisper backend); an openai ``.pt`` checkpoint
goes to ``<models_dir>/openai-whisper-<name>.pt`` (the openai-whisper backend). Nothing is copied
when the model has a problem it cannot run with; the copy is made in a staging folder and renamed,
so a full disk or a crash leaves no half model. A manifest beside the copy records the sha256 of
every file, the shapes, and where it came from: ``callqa models`` re-hashes against it.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import tempfile
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from models.weights import file_sha256
from models.whisper_inspect import (
    DEFAULT_N_MELS,
    NotAWhisperModel,
    WhisperModelInfo,
    alignment_heads_for,
    configured_n_mels,
    inspect_whisper,
)

MANIFEST = "callqa-weights.json"  # inside a CTranslate2 folder; an openai checkpoint's sits beside it as <stem>.json
_NAME = re.compile(r"^[a-z0-9][a-z0-9._-]{0,63}$")


class ImportRefused(ValueError):
    """The weights were not installed; the message says why and what to do."""


@dataclass(frozen=True)
class InstalledWeights:
    name: str  # what asr_model is set to
    backend: str  # what asr_backend is set to
    path: Path
    manifest: Path
    info: WhisperModelInfo
    notes: tuple[str, ...]  # what was done beyond copying (a preprocessor config written...)
    seconds: float


def manifest_path(installed: Path) -> Path:
    return installed / MANIFEST if installed.is_dir() else installed.with_suffix(".json")


def _copy_hashing(source: Path, target: Path) -> str:
    digest = hashlib.sha256()
    with open(source, "rb") as src, open(target, "wb") as out:
        while block := src.read(1 << 22):
            digest.update(block)
            out.write(block)
        out.flush()
        os.fsync(out.fileno())
    return digest.hexdigest()


def _default_name(info: WhisperModelInfo) -> str:
    name = info.architecture
    if not _NAME.match(name):
        raise ImportRefused(f"these weights are {name}: give them a name with --name (it becomes asr_model)")
    return name


def install_whisper(source: str | os.PathLike, models_dir: str | os.PathLike, name: str | None = None,
                    replace: bool = False) -> InstalledWeights:
    """Check the model at ``source`` and copy it into ``models_dir`` under ``name`` (default: its architecture)."""
    started = time.perf_counter()
    try:
        info = inspect_whisper(source)
    except NotAWhisperModel as err:
        raise ImportRefused(str(err)) from err
    name = name or _default_name(info)
    if not _NAME.match(name):
        raise ImportRefused(f"name {name!r}: use lower-case letters, digits, '.', '_' or '-' (it becomes asr_model)")
    models_dir = Path(models_dir)
    models_dir.mkdir(parents=True, exist_ok=True)
    if info.format == "ctranslate2":
        return _install_ct2(info, models_dir, name, replace, started)
    return _install_openai(info, models_dir, name, replace, started)


def _install_ct2(info: WhisperModelInfo, models_dir: Path, name: str, replace: bool,
                 started: float) -> InstalledWeights:
    # A 128-mel model without a preprocessor config is the one problem the copy can mend: say the mel count.
    mendable = not (info.path / "preprocessor_config.json").exists() and info.dims["n_mels"] != DEFAULT_N_MELS
    blocking = [p for p in info.problems if not (mendable and "mel bins" in p)]
    if blocking:
        raise ImportRefused(f"{info.path} was not installed:\n  - " + "\n  - ".join(blocking))
    target = models_dir / f"faster-whisper-{name}"
    _refuse_existing(target, replace)
    staging = Path(tempfile.mkdtemp(prefix=f".add-{name}-", dir=models_dir))
    staging.chmod(0o777 & ~_umask())  # mkdtemp makes it private; the installed folder is an ordinary one
    notes = []
    try:
        files = {}
        for member in sorted(info.path.iterdir()):
            if member.is_file() and member.name != MANIFEST:
                files[member.name] = _copy_hashing(member, staging / member.name)
        if mendable:
            config = {"feature_size": info.dims["n_mels"], "sampling_rate": 16000, "hop_length": 160,
                      "chunk_length": 30, "n_fft": 400}
            (staging / "preprocessor_config.json").write_text(json.dumps(config, indent=2) + "\n")
            files["preprocessor_config.json"] = file_sha256(staging / "preprocessor_config.json")
            notes.append(f"wrote preprocessor_config.json (feature_size {info.dims['n_mels']}): the folder had none, "
                         "and faster-whisper would have computed 80 mel bins")
        _write_manifest(staging / MANIFEST, name, info, files, {})
        _swap_in(staging, target)
    finally:
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)
    installed = WhisperModelInfo(**{**info.__dict__, "path": target, "problems": ()})
    return InstalledWeights(name, "faster-whisper", target, manifest_path(target), installed, tuple(notes),
                            time.perf_counter() - started)


def _install_openai(info: WhisperModelInfo, models_dir: Path, name: str, replace: bool,
                    started: float) -> InstalledWeights:
    if info.problems:
        raise ImportRefused(f"{info.path} was not installed:\n  - " + "\n  - ".join(info.problems))
    target = models_dir / f"openai-whisper-{name}.pt"
    _refuse_existing(target, replace)
    extra: dict[str, object] = {}
    notes = []
    if info.alignment_heads is None:
        heads = alignment_heads_for(info)
        if heads is not None:
            extra["alignment_heads"] = heads
            notes.append(f"word-alignment heads of {info.architecture} recorded in the manifest "
                         "(the checkpoint carries none)")
        else:
            notes.append("no word-alignment heads are known for these shapes: word times use openai-whisper's "
                         "default heads, which are less exact")
    fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=models_dir)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        sha = _copy_hashing(info.path, tmp)
        os.chmod(tmp, 0o666 & ~_umask())
        _write_manifest(manifest_path(target), name, info, {target.name: sha}, extra)
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    installed = WhisperModelInfo(**{**info.__dict__, "path": target})
    return InstalledWeights(name, "openai-whisper", target, manifest_path(target), installed, tuple(notes),
                            time.perf_counter() - started)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _refuse_existing(target: Path, replace: bool) -> None:
    if target.exists() and not replace:
        raise ImportRefused(f"{target} already exists: choose another --name, or --replace it")


def _swap_in(staging: Path, target: Path) -> None:
    """Rename the staged copy into place; an old copy is moved aside first and removed after."""
    old = None
    if target.exists():
        old = target.with_name(f".{target.name}.old-{os.getpid()}")
        target.rename(old)
    staging.rename(target)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def _write_manifest(path: Path, name: str, info: WhisperModelInfo, files: dict[str, str],
                    extra: dict[str, object]) -> None:
    manifest = {
        "name": name,
        "format": info.format,
        "architecture": info.architecture,
        "dims": info.dims,
        "parameters": info.parameters,
        "weight_dtype": info.weight_dtype,
        "files": files,
        "source": str(info.path),
        "installed_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        **extra,
    }
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(json.dumps(manifest, indent=2) + "\n")
    os.replace(tmp, path)


def read_manifest(installed: Path) -> dict | None:
    path = manifest_path(installed)
    if not path.is_file():
        return None
    try:
        return json.loads(path.read_text())
    except ValueError:
        return {"files": {}, "unreadable": True}


def verify_installed(installed: str | os.PathLike) -> list[str]:
    """What differs from the manifest written at install (files changed or gone); empty when all match.

    Weights placed by hand have no manifest: then only the shapes and files are checked
    (:func:`models.whisper_inspect.inspect_whisper`)."""
    installed = Path(installed)
    manifest = read_manifest(installed)
    if manifest is None:
        return []
    if manifest.get("unreadable"):
        return [f"{manifest_path(installed)} cannot be read"]
    base = installed if installed.is_dir() else installed.parent
    mismatches = []
    for file_name, expected in manifest.get("files", {}).items():
        path = base / file_name
        if not path.is_file():
            mismatches.append(f"{file_name} is gone")
        elif file_sha256(path) != expected:
            mismatches.append(f"{file_name} changed since it was installed (sha256 differs)")
    if installed.is_dir() and configured_n_mels(installed) != manifest.get("dims", {}).get("n_mels", DEFAULT_N_MELS):
        mismatches.append("preprocessor_config.json no longer gives the model's mel count")
    return mismatches
