"""Finding recordings in an inbox and identifying them by content.

The inbox is a local folder or any fsspec URL (``s3://bucket/calls``, ``file:///mnt/pbx``):
both are walked, checked for files still being written, hashed and read through the same
path-like interface (``pathlib.Path`` or ``upath.UPath``). Models read local files, so a
remote recording is copied to a temporary file for its analysis (``local_copy``).
"""

from __future__ import annotations

import errno
import os
import shutil
import stat
import tempfile
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Iterator, Union, cast

from fsspec.implementations.local import LocalFileSystem
from upath import UPath

from pipeline.intake.identity import call_id_from_sha256, content_sha256

InboxPath = Union[Path, UPath]


def is_url(location: str | os.PathLike | UPath) -> bool:
    return "://" in str(location)


def as_path(location: str | os.PathLike | UPath) -> InboxPath:
    """A local path, or a UPath for an fsspec URL."""
    if isinstance(location, UPath):
        return location
    return UPath(str(location)) if is_url(location) else Path(location)


@dataclass(frozen=True)
class Unreadable:
    """An inbox entry named like a recording that cannot be read: skipped, with why."""

    path: str
    reason: str


@dataclass(frozen=True)
class InboxScan:
    found: list[InboxPath]  # regular, readable audio-named files, sorted
    unreadable: list[Unreadable]  # entries skipped (loops, broken links, no permission, not a file)


def discover(inbox: str | os.PathLike | UPath, extensions: Iterable[str]) -> list[InboxPath]:
    """Audio-named files under ``inbox`` (recursive), sorted; hidden files and links out of the inbox are skipped."""
    return scan(inbox, extensions).found


def scan(inbox: str | os.PathLike | UPath, extensions: Iterable[str]) -> InboxScan:
    """The inbox's audio-named files, and the entries that cannot be read with the reason. One bad
    entry (a symlink loop, a broken link, a folder without permission) never stops the listing."""
    wanted = {e.lower() for e in extensions}
    if is_url(inbox):
        return _scan_url(cast(UPath, as_path(inbox)), wanted)  # as_path makes every URL a UPath
    try:
        # Not a URL: a str, a PathLike, or a local UPath (which is a pathlib.Path).
        root = Path(cast("str | os.PathLike[str]", inbox)).resolve()
    except (OSError, RuntimeError) as err:  # the inbox itself is a symlink loop
        raise FileNotFoundError(f"inbox {inbox} cannot be read: {err}") from err
    if not root.is_dir():
        raise FileNotFoundError(f"inbox {inbox} is not a directory")
    found: list[InboxPath] = []
    unreadable: list[Unreadable] = []

    def folder_error(err: OSError) -> None:
        unreadable.append(Unreadable(str(err.filename or root), f"folder cannot be listed: {err.strerror or err}"))

    for dirpath, dirnames, filenames in os.walk(root, onerror=folder_error):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for name in filenames:
            if name.startswith(".") or Path(name).suffix.lower() not in wanted:
                continue
            path = Path(dirpath) / name
            problem = local_problem(path, root)
            if problem is None:
                found.append(path)
            else:
                unreadable.append(Unreadable(str(path), problem))
    return InboxScan(sorted(found), sorted(unreadable, key=lambda u: u.path))


def local_problem(path: Path, root: Path) -> str | None:
    """Why a local inbox entry cannot be analysed, or None when it is a readable regular file in the inbox."""
    try:
        info = path.stat()  # follows links
    except OSError as err:
        if err.errno == errno.ELOOP:
            return "symbolic link loop"
        if path.is_symlink() and err.errno == errno.ENOENT:
            return f"broken link: its target {os.readlink(path)} does not exist"
        if err.errno == errno.ENOENT:
            return "vanished before it could be read"
        return f"cannot be read: {err.strerror or err}"
    if path.is_symlink() and not Path(os.path.realpath(path)).is_relative_to(root):
        return "link to a file outside the inbox (not followed)"
    if not stat.S_ISREG(info.st_mode):
        return f"not a regular file ({_kind(info.st_mode)})"
    if not os.access(path, os.R_OK):
        return "no permission to read it"
    return None


def _kind(mode: int) -> str:
    for test, name in ((stat.S_ISFIFO, "a named pipe"), (stat.S_ISCHR, "a character device"),
                       (stat.S_ISBLK, "a block device"), (stat.S_ISSOCK, "a socket"), (stat.S_ISDIR, "a folder")):
        if test(mode):
            return name
    return "special file"


def _scan_url(root: UPath, wanted: set[str]) -> InboxScan:
    if not root.is_dir():
        raise FileNotFoundError(f"inbox {root} is not a directory (or the bucket prefix holds nothing)")
    fs, base = root.fs, root.path.rstrip("/")
    local = isinstance(fs, LocalFileSystem)
    real_root = Path(os.path.realpath(base)) if local else None
    found: list[InboxPath] = []
    unreadable: list[Unreadable] = []
    for key, info in fs.find(base, detail=True).items():
        relative = key[len(base):].lstrip("/")
        parts = relative.split("/")
        if any(p.startswith(".") for p in parts) or Path(parts[-1]).suffix.lower() not in wanted:
            continue
        path = root.joinpath(*parts)
        if real_root is not None:  # file://: links, loops, pipes as in a local folder
            problem = local_problem(Path(key), real_root)
        elif info.get("type") == "directory":  # a folder marker in a bucket: nothing to read
            continue
        elif info.get("type") != "file":
            problem = f"not a file (the store says {info.get('type')!r})"
        else:
            problem = None
        if problem is None:
            found.append(path)
        else:
            unreadable.append(Unreadable(str(path), problem))
    return InboxScan(sorted(found, key=str), sorted(unreadable, key=lambda u: u.path))


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
