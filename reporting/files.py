"""The reports folder: one sub-folder per period, one HTML page and one workbook per group.

    reports/week/2026-W47/all.html, all.xlsx, team-support-1.html, site-unassigned.xlsx, ...

A period's report for a group always has the same path, so generating it again replaces
it (written to a temporary file first, then renamed: a reader never sees half a file).
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from reporting.model import UNASSIGNED, ReportPeriod, ReportScope

FORMATS = ("html", "xlsx")


def scope_slug(scope: ReportScope) -> str:
    """A file name for the group: "all", "team-support-1", "site-unassigned"; names with other
    characters get a short hash, so "Support 1" and "support-1" never share a file."""
    if scope.kind == "all":
        return "all"
    value = scope.value or UNASSIGNED
    safe = "".join(c if c.isalnum() or c in "._-" else "-" for c in value).strip(".") or "-"
    if safe != value:
        safe += "-" + hashlib.sha1(value.encode("utf-8")).hexdigest()[:6]
    return f"{scope.kind}-{safe}"


def period_dir(reports_dir: Path, period: ReportPeriod) -> Path:
    return Path(reports_dir) / period.kind / period.label


def report_path(reports_dir: Path, period: ReportPeriod, scope: ReportScope, fmt: str) -> Path:
    return period_dir(reports_dir, period) / f"{scope_slug(scope)}.{fmt}"


def write_atomically(path: Path, content: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        tmp.write_bytes(content)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


@dataclass(frozen=True)
class StoredReport:
    """One group's report of one period, as found in the folder (either file may be missing)."""

    period_kind: str
    period_label: str
    name: str  # the group's file name without extension: "all", "team-support-1"
    html: Path | None
    xlsx: Path | None
    modified: datetime  # when last written, in UTC


def list_reports(reports_dir: Path) -> list[StoredReport]:
    """Every report in the folder: the most recently written period first, in it "all", then by name."""
    found: dict[tuple[str, str, str], dict[str, Path]] = {}
    root = Path(reports_dir)
    if not root.is_dir():
        return []
    for fmt in FORMATS:
        for path in root.glob(f"*/*/*.{fmt}"):
            if path.name.startswith("."):
                continue
            key = (path.parent.parent.name, path.parent.name, path.stem)
            found.setdefault(key, {})[fmt] = path
    out = [
        StoredReport(kind, label, name, files.get("html"), files.get("xlsx"),
                     datetime.fromtimestamp(max(p.stat().st_mtime for p in files.values()), tz=timezone.utc))
        for (kind, label, name), files in found.items()
    ]
    written: dict[tuple[str, str], datetime] = {}
    for r in out:
        written[(r.period_kind, r.period_label)] = max(
            r.modified, written.get((r.period_kind, r.period_label), r.modified)
        )
    out.sort(key=lambda r: (r.name != "all", r.name))
    out.sort(key=lambda r: (written[(r.period_kind, r.period_label)], r.period_label), reverse=True)
    return out
