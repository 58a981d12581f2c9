"""Retention policy: how long each kind of data is kept, and which files may be deleted.

Four kinds, each with its own term in days counted from the day of the call (0: forever):
audio (recordings and their sidecars), transcripts (segments, words, PII spans, quoted
evidence), verdicts (criteria results, scores, escalations, metrics, reviews) and
aggregates (the anonymous daily counts). Terms end on whole days, so a day's calls go
together and the day's aggregates stay whole.

Deleting a file is refused unless it is a regular file (not a link, never followed) in
the inbox or quarantine folder (its real parent folder, links resolved, is under one of
them), and it still holds the recording the database knows (same size and sha256): a
new recording under an old name is never deleted in its place.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Iterable, Literal

from pipeline.intake.identity import content_sha256

Kind = Literal["audio", "transcripts", "verdicts", "aggregates"]
KINDS: tuple[Kind, ...] = ("audio", "transcripts", "verdicts", "aggregates")


@dataclass(frozen=True)
class RetentionPolicy:
    """Days each kind is kept; 0 keeps it forever."""

    audio_days: int = 90
    transcripts_days: int = 365
    verdicts_days: int = 730
    aggregates_days: int = 0

    def days(self, kind: Kind) -> int:
        return getattr(self, f"{kind}_days")

    def cutoff(self, kind: Kind, today: date) -> datetime | None:
        """Data of calls before this moment (midnight starting the oldest kept day) is past its term;
        None: kept forever."""
        days = self.days(kind)
        if not days:
            return None
        return datetime.combine(today - timedelta(days=days), time())

    def cutoffs(self, today: date) -> dict[Kind, datetime | None]:
        return {kind: self.cutoff(kind, today) for kind in KINDS}

    def describe(self, kind: Kind, today: date) -> str:
        cut = self.cutoff(kind, today)
        return "kept forever" if cut is None else f"term {self.days(kind)} days: calls before {cut:%Y-%m-%d}"


FileState = Literal["delete", "missing", "other", "refused"]


@dataclass(frozen=True)
class FileCheck:
    path: str
    state: FileState  # delete: safe to delete; missing: gone already; other: another file there now; refused
    reason: str = ""


def real_roots(folders: Iterable[str | os.PathLike | None]) -> tuple[Path, ...]:
    return tuple(Path(os.path.realpath(f)) for f in folders if f)


def check_file(path: str, roots: tuple[Path, ...], sha256: str | None = None, size: int | None = None) -> FileCheck:
    """May ``path`` be deleted? Only a regular file whose real folder lies under one of ``roots``;
    with ``sha256``/``size``, only if it still holds that content."""
    if not path or not os.path.isabs(path):
        return FileCheck(path, "refused", "not an absolute path")
    parent = Path(os.path.realpath(os.path.dirname(path)))
    if not any(parent == root or parent.is_relative_to(root) for root in roots):
        return FileCheck(path, "refused", "outside the inbox and quarantine folders")
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        return FileCheck(path, "missing", "already gone")
    except OSError as err:
        return FileCheck(path, "refused", f"cannot be read: {err.strerror or err}")
    if stat.S_ISLNK(st.st_mode):
        return FileCheck(path, "refused", "a symbolic link (never followed)")
    if not stat.S_ISREG(st.st_mode):
        return FileCheck(path, "refused", "not a regular file")
    if size is not None and st.st_size != size:
        return FileCheck(path, "other", "a different file is there now")
    if sha256 is not None:
        try:
            if content_sha256(Path(path)) != sha256:
                return FileCheck(path, "other", "a different file is there now")
        except OSError as err:
            return FileCheck(path, "refused", f"cannot be read: {err.strerror or err}")
    return FileCheck(path, "delete")


def delete_file(check: FileCheck) -> FileCheck:
    """Delete a file ``check_file`` allowed; returns what happened (unlink never follows a link)."""
    if check.state != "delete":
        return check
    try:
        os.unlink(check.path)
    except FileNotFoundError:
        return FileCheck(check.path, "missing", "already gone")
    except OSError as err:
        return FileCheck(check.path, "refused", f"could not be deleted: {err.strerror or err}")
    return check
