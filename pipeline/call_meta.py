"""Who handled a call and when: read from the recording's metadata.

Call-centre recorders name files after the agent and the time, or write a
sidecar file. Two sources, in order:

1. a sidecar ``NAME.meta.json`` next to ``NAME.wav`` with any of
   ``{"operator": "...", "team": "...", "queue": "...", "started_at": "2026-11-20T09:15:00"}``;
2. the file name matched against ``filename_pattern`` (a regular expression with
   named groups ``operator``, ``team``, ``queue``, ``started_at``), e.g.
   ``(?P<operator>[^_]+)_(?P<started_at>\\d{8}T\\d{6})``.

Without either, the operator is unknown and the call time is the file's
modification time (recorders write a file when the call ends).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

FIELDS = ("operator", "team", "queue", "started_at")
_TIME_FORMATS = ("%Y%m%dT%H%M%S", "%Y%m%d-%H%M%S", "%Y%m%d_%H%M%S", "%Y-%m-%d_%H-%M-%S", "%Y%m%d%H%M%S")


class CallMetaError(ValueError):
    pass


@dataclass(frozen=True)
class CallMeta:
    operator: str | None = None
    team: str | None = None
    queue: str | None = None
    started_at: datetime | None = None


def parse_time(value: str) -> datetime:
    value = value.strip()
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00")).replace(tzinfo=None)
    except ValueError:
        pass
    for fmt in _TIME_FORMATS:
        try:
            return datetime.strptime(value, fmt)
        except ValueError:
            continue
    raise CallMetaError(f"unrecognised call time {value!r} (use ISO 8601, e.g. 2026-11-20T09:15:00)")


def sidecar_path(recording: Path) -> Path:
    return recording.with_name(recording.stem + ".meta.json")


def read_call_meta(recording: str | Path, filename_pattern: str | None = None) -> CallMeta:
    """Metadata of one recording; a malformed sidecar raises :class:`CallMetaError` naming the file."""
    recording = Path(recording)
    values: dict[str, str] = {}
    if filename_pattern:
        m = re.search(filename_pattern, recording.stem)
        if m:
            values.update({k: v for k, v in m.groupdict().items() if k in FIELDS and v})
    sidecar = sidecar_path(recording)
    if sidecar.is_file():
        try:
            raw = json.loads(sidecar.read_text(encoding="utf-8"))
        except (OSError, ValueError) as err:
            raise CallMetaError(f"{sidecar}: not readable JSON: {err}") from err
        if not isinstance(raw, dict):
            raise CallMetaError(f"{sidecar}: expected a JSON object")
        values.update({k: str(v) for k, v in raw.items() if k in FIELDS and v not in (None, "")})
    started = parse_time(values["started_at"]) if "started_at" in values else None
    if started is None and recording.exists():
        started = datetime.fromtimestamp(recording.stat().st_mtime)
    return CallMeta(values.get("operator"), values.get("team"), values.get("queue"), started)
