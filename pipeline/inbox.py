"""Finding recordings in an inbox and identifying them by content.

The inbox is a local folder or any fsspec URL (``s3://bucket/calls``, ``file:///mnt/pbx``):
both are walked, checked for files still being written, hashed and read through the same
path-like interface (``pathlib.Path`` or ``upath.UPath``). Models read local files, so a
remote recording is copied to a temporary file for its analysis (``local_copy``).
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Iterable, Iterator, Union

from fsspec.implementations.local import LocalFileSystem
from upath import UPath

from pipeline.identity import call_id_from_sha256, content_sha256

InboxPath = Union[Path, UPath]


def is_url(location: str | os.PathLike | UPath) -> bool:
    return "://" in str(location)


def as_path(location: str | os.PathLike | UPath) -> InboxPath:
    """A local path, or a UPath for an fsspec URL."""
    if isinstance(location, UPath):
        return location
    return UPath(str(location)) if is_url(location) else Path(location)


def discover(inbox: str | os.PathLike | UPath, extensions: Iterable[str]) -> list[InboxPath]:
    """Audio-named files under ``inbox`` (recursive), sorted; hidden files and links out of the inbox are skipped."""
    wanted = {e.lower() for e in extensions}
    if is_url(inbox):
        return _discover_url(as_path(inbox), wanted)  # type: ignore[arg-type]
    root = Path(inbox).resolve()
    if not root.is_dir():
        raise FileNotFoundError(f"inbox {inbox} is not a directory")
    found: list[InboxPath] = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for name in filenames:
            if name.startswith(".") or Path(name).suffix.lower() not in wanted:
                continue
            path = Path(dirpath) / name
            if path.is_symlink() and not path.resolve().is_relative_to(root):
                continue
            if path.is_file():
                found.append(path)
    return sorted(found)


def _discover_url(root: UPath, wanted: set[str]) -> list[InboxPath]:
    if not root.is_dir():
        raise FileNotFoundError(f"inbox {root} is not a directory (or the bucket prefix holds nothing)")
    fs, base = root.fs, root.path.rstrip("/")
    local = isinstance(fs, LocalFileSystem)
    real_root = os.path.realpath(base) if local else ""
    found: list[InboxPath] = []
    for key, info in fs.find(base, detail=True).items():
        relative = key[len(base):].lstrip("/")
        parts = relative.split("/")
        if info.get("type") != "file" or any(p.startswith(".") for p in parts):
            continue
        if Path(parts[-1]).suffix.lower() not in wanted:
            continue
        if local and not Path(os.path.realpath(key)).is_relative_to(real_root):  # a file:// link out of the inbox
            continue
        found.append(root.joinpath(*parts))
    return sorted(found, key=str)


def identify(path: InboxPath) -> tuple[str, str, int]:
    """(call_id, sha256, size) of a recording."""
    sha = content_sha256(path)
    return call_id_from_sha256(sha), sha, path.stat().st_size


def settled(paths: list[InboxPath], settle_s: float) -> tuple[list[InboxPath], list[InboxPath]]:
    """(settled, still being written): files whose size and modification time did not change
    over ``settle_s`` seconds. One wait for the whole inbox, not one per file."""

    def snapshot() -> dict[str, tuple[int, float] | None]:
        out: dict[str, tuple[int, float] | None] = {}
        for p in paths:
            try:
                st = p.stat()
                out[str(p)] = (st.st_size, st.st_mtime)
            except OSError:  # gone meanwhile (moved by the PBX): not settled
                out[str(p)] = None
        return out

    if settle_s <= 0 or not paths:
        return list(paths), []
    before = snapshot()
    time.sleep(settle_s)
    after = snapshot()
    stable = [p for p in paths if before[str(p)] is not None and before[str(p)] == after[str(p)]]
    writing = [p for p in paths if before[str(p)] is None or before[str(p)] != after[str(p)]]
    return stable, writing


@contextmanager
def local_copy(path: InboxPath) -> Iterator[Path]:
    """``path`` itself when it is local; else a temporary local copy, removed afterwards."""
    if isinstance(path, Path):
        yield path
        return
    with tempfile.TemporaryDirectory(prefix="callqa-") as tmp:
        target = Path(tmp) / path.name
        with path.open("rb") as src, open(target, "wb") as dst:
            shutil.copyfileobj(src, dst, 1 << 22)
        yield target


def move_file(source: InboxPath, target: InboxPath) -> None:
    """Move a file within or across filesystems (inbox on a bucket, quarantine on disk)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(source, Path) and isinstance(target, Path):
        shutil.move(source, target)
        return
    with source.open("rb") as src, target.open("wb") as dst:
        shutil.copyfileobj(src, dst, 1 << 22)
    source.unlink()
