"""Finding recordings in an inbox folder and identifying them by content."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Iterable

from pipeline.identity import call_id_from_sha256, content_sha256


def discover(inbox: str | os.PathLike, extensions: Iterable[str]) -> list[Path]:
    """Audio-named files under ``inbox`` (recursive), sorted; hidden files and links out of the inbox are skipped."""
    root = Path(inbox).resolve()
    if not root.is_dir():
        raise FileNotFoundError(f"inbox {inbox} is not a directory")
    wanted = {e.lower() for e in extensions}
    found = []
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


def identify(path: Path) -> tuple[str, str, int]:
    """(call_id, sha256, size) of a recording."""
    sha = content_sha256(path)
    return call_id_from_sha256(sha), sha, path.stat().st_size


def settled(paths: list[Path], settle_s: float) -> tuple[list[Path], list[Path]]:
    """(settled, still being written): files whose size and modification time did not change
    over ``settle_s`` seconds. One wait for the whole inbox, not one per file."""

    def snapshot() -> dict[Path, tuple[int, int] | None]:
        out: dict[Path, tuple[int, int] | None] = {}
        for p in paths:
            try:
                st = p.stat()
                out[p] = (st.st_size, st.st_mtime_ns)
            except OSError:  # gone meanwhile (moved by the PBX): not settled
                out[p] = None
        return out

    if settle_s <= 0 or not paths:
        return list(paths), []
    before = snapshot()
    time.sleep(settle_s)
    after = snapshot()
    stable = [p for p in paths if before[p] is not None and before[p] == after[p]]
    writing = [p for p in paths if before[p] is None or before[p] != after[p]]
    return stable, writing
