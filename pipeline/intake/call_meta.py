"""Who handled a call and when: read from the recording's metadata.

Call-centre recorders name files after the agent and the time, write a sidecar
file, or a CSV manifest per day. Four sources; a later one wins field by field:

0. a recorder preset (``recorder_preset``: Asterisk/FreePBX, FreeSWITCH, 3CX; ``pipeline.intake.recorder_presets``),
   which also says which stereo channel holds the operator for the call's direction;
1. the file name matched against ``filename_pattern`` (a regular expression with
   named groups ``operator``, ``team``, ``queue``, ``site``, ``vendor``, ``started_at``,
   ``direction``, ``customer_number``, ``external_id``), e.g. ``(?P<operator>[^_]+)_(?P<started_at>\\d{8}T\\d{6})``;
2. a CSV manifest in the recording's folder (any ``*.csv`` with a ``file`` column):
   ``file,operator_id,team,queue,site,vendor,direction,started_at,customer_number``;
3. a sidecar ``NAME.meta.json`` next to ``NAME.wav`` with any of
   ``{"operator": "...", "team": "...", "queue": "...", "site": "Tver", "vendor": "ContactPro",
   "direction": "inbound", "started_at": "2026-11-20T09:15:00", "customer_number": "+7 ...",
   "external_id": "1700000000.42", "operator_channel": "right"}``; the REST API writes ``customer_hash``
   (the number hashed as below) instead of ``customer_number``.

``operator_channel`` (``left`` or ``right``; manifest column or sidecar key) is the stereo channel of the
operator on this call; without it the preset's rule for the call's direction decides, and without that the
global ``operator_channel`` setting.

``external_id`` is the call's id in the systems around us: the PBX's unique id (Asterisk's
``uniqueid``; a manifest column ``uniqueid``, ``call_ref`` or ``crm_call_id`` means it too) or the
CRM's own id. Call detail records and CRM requests find the call by it.

``site`` is the contact-centre site that handled the call and ``vendor`` the outsourcing
company running it (none: in-house); the site and vendor comparison groups calls by them.

The customer's number is returned as read; the flow hashes it (``pipeline.intake.customer_id``)
before anything is stored.

Without any of them, the operator is unknown and the call time is the file's
modification time (recorders write a file when the call ends).
"""

from __future__ import annotations

import csv
import json
import os
import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path, PurePath

from upath import UPath

from pipeline.intake.recorder_presets import operator_channel as preset_operator_channel
from pipeline.intake.recorder_presets import preset_fields

FIELDS = ("operator", "team", "queue", "site", "vendor", "started_at", "direction", "customer_number", "external_id",
          "customer_hash", "operator_channel")
CHANNELS = ("left", "right")
# Manifest columns that mean a field of FIELDS.
_MANIFEST_ALIASES = {"operator_id": "operator", "agent": "operator", "agent_id": "operator", "phone": "customer_number",
                     "customer_phone": "customer_number", "start": "started_at", "start_time": "started_at",
                     "contact_center": "site", "contact_centre": "site", "call_center": "site", "call_centre": "site",
                     "site_id": "site", "location": "site",
                     "outsourcer": "vendor", "vendor_id": "vendor", "vendor_name": "vendor", "bpo": "vendor",
                     "uniqueid": "external_id", "unique_id": "external_id", "call_ref": "external_id",
                     "crm_call_id": "external_id", "external_call_id": "external_id"}
_TIME_FORMATS = ("%Y%m%dT%H%M%S", "%Y%m%d-%H%M%S", "%Y%m%d_%H%M%S", "%Y-%m-%d_%H-%M-%S", "%Y%m%d%H%M%S")


class CallMetaError(ValueError):
    pass


@dataclass(frozen=True)
class CallMeta:
    operator: str | None = None
    team: str | None = None
    queue: str | None = None
    started_at: datetime | None = None
    direction: str | None = None
    customer_number: str | None = None
    site: str | None = None
    vendor: str | None = None
    external_id: str | None = None  # the PBX's or the CRM's own id of the call
    # The number already hashed (pipeline.intake.customer_id): the REST API writes this into its sidecars, so
    # a submitted number never lies on disk in clear.
    customer_hash: str | None = None
    operator_channel: str | None = None  # left | right on a stereo call; None: the global setting


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


def sidecar_path(recording: Path | UPath) -> Path | UPath:
    return recording.with_name(recording.stem + ".meta.json")


def manifest_rows(folder: Path | UPath) -> dict[str, dict[str, str]]:
    """Recording file name -> its fields, from every CSV manifest in ``folder``."""
    rows: dict[str, dict[str, str]] = {}
    manifests: list[Path | UPath] = list(folder.glob("*.csv"))
    for manifest in sorted(manifests, key=lambda csv_path: csv_path.name):  # all in one folder: by name
        try:
            with manifest.open(newline="", encoding="utf-8-sig") as handle:  # a Path or an fsspec UPath
                reader = csv.DictReader(handle)
                if not reader.fieldnames or "file" not in [f.strip().lower() for f in reader.fieldnames]:
                    continue
                for row in reader:
                    fields = {_MANIFEST_ALIASES.get(k.strip().lower(), k.strip().lower()): (v or "").strip()
                              for k, v in row.items() if k}
                    name = fields.pop("file", "")
                    if name:
                        rows[Path(name).name] = {k: v for k, v in fields.items() if k in FIELDS and v}
        except (OSError, UnicodeDecodeError, csv.Error) as err:
            raise CallMetaError(f"{manifest}: not a readable CSV manifest: {err}") from err
    return rows


def read_call_meta(recording: str | Path | UPath, filename_pattern: str | None = None,
                   manifests: dict[str, dict[str, str]] | None = None, recorder_preset: str = "") -> CallMeta:
    """Metadata of one recording; a malformed sidecar raises :class:`CallMetaError` naming the file.
    ``manifests``: the folder's manifest rows when the caller read them already (one read per folder)."""
    # A UPath (an fsspec URL) is not os.PathLike, and is read the same way as a local Path.
    recording = Path(recording) if isinstance(recording, (str, os.PathLike)) else recording
    values: dict[str, str] = dict(preset_fields(recorder_preset, PurePath(str(recording)))) if recorder_preset else {}
    if filename_pattern:
        m = re.search(filename_pattern, recording.stem)
        if m:
            values.update({k: v for k, v in m.groupdict().items() if k in FIELDS and v})
    rows = manifest_rows(recording.parent) if manifests is None else manifests
    values.update(rows.get(recording.name, {}))
    sidecar = sidecar_path(recording)
    if sidecar.is_file():
        try:
            raw = json.loads(sidecar.read_text(encoding="utf-8"))
        except (OSError, ValueError) as err:
            raise CallMetaError(f"{sidecar}: not readable JSON: {err}") from err
        if not isinstance(raw, dict):
            raise CallMetaError(f"{sidecar}: expected a JSON object")
        values.update({k: str(v) for k, v in raw.items() if k in FIELDS and v not in (None, "")})
    channel = values.get("operator_channel", "").strip().lower() or None
    if channel is not None and channel not in CHANNELS:
        raise CallMetaError(f"{recording.name}: operator_channel {values['operator_channel']!r}, "
                            "expected left or right")
    if channel is None and recorder_preset:
        channel = preset_operator_channel(recorder_preset, values.get("direction"))
    started = parse_time(values["started_at"]) if "started_at" in values else None
    if started is None and recording.exists():
        mtime = recording.stat().st_mtime
        started = datetime.fromtimestamp(mtime) if mtime else None  # some object stores report none
    return CallMeta(values.get("operator"), values.get("team"), values.get("queue"), started,
                    values.get("direction"), values.get("customer_number"), values.get("site"), values.get("vendor"),
                    values.get("external_id"), values.get("customer_hash"), channel)
