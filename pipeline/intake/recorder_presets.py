"""What the common PBX recorders put in a recording's name and folders, read without a regular expression
of one's own: ``recorder_preset = "asterisk" | "freeswitch" | "3cx"`` ("" = none).

Each preset reads, where the recorder writes them, the operator (the agent's extension), the direction
(``inbound``, ``outbound``, ``internal``), the queue, the call's start, the customer's number (hashed
downstream like any other) and ``external_id`` (the PBX's own id of the call, which call detail records
carry too), and says which stereo channel holds the operator for the call's direction
(:func:`operator_channel`). A name that does not fit gives no fields: the call is still analysed, with
its metadata unknown (or taken from ``filename_pattern``, a manifest or a sidecar, which win field by field).

An extension is told from a customer's number by its length: digits only and at most
``EXTENSION_MAX_DIGITS`` (5) long. Russian and most European extensions are 2-5 digits; a customer's
number (a city number without its code) has at least 6.

**Asterisk / FreePBX (MixMonitor).** FreePBX's ``sub-record-check`` names a recording
``${ARG1}-${ARG2}-${FROMEXTEN}-${TIMESTR}-${UNIQUEID}`` under ``${MIXMON_DIR}YYYY/MM/DD/``, where ``TIMESTR``
is ``YYYYMMDD-HHMMSS``, ``FROMEXTEN`` the calling extension (else the caller's number) and ``UNIQUEID``
Asterisk's ``uniqueid`` (``1700000000.123``: the epoch second and a channel counter) - the same value as
the ``uniqueid`` column of the CDR (FreePBX's ``callrecording`` and ``core`` modules, e.g. the dialplan in
github.com/escomputers/freepbx-docker; Issabel writes the same shape, e.g. ``force-0821XXXX8663-3201-20250327-
092517-1743042317.12206.wav`` described at diditho.com/2025/04/23/understanding-issabel-asterisk-call-
recording-file-format). ``ARG1`` is the kind of call and ``ARG2`` its destination:

==========  ========================  ===================  =========================================
kind        ARG2                      FROMEXTEN            read as
==========  ========================  ===================  =========================================
``in``      the DID or extension      the caller's number  inbound; the operator when ARG2 is an extension
``out``     the number dialled        the agent's ext.     outbound; operator = FROMEXTEN
``external`` the number dialled       the agent's ext.     outbound (as ``out``)
``q``       the queue's number        the caller's number  inbound; queue = ARG2 (the agent is not named)
``rg``      the ring group's number   the caller's number  inbound; queue = ARG2
``exten``   the extension called      the caller           inbound from outside, internal between extensions
``force``   either side               either side          by which side is an extension
==========  ========================  ===================  =========================================

MixMonitor writes one mono file (both parties mixed: diarized like any mono call) unless asked for two
channels: its ``D`` option interleaves what it reads from the recorded channel (left) and what it writes to
it (right). FreePBX starts MixMonitor on the calling channel, so the caller is on the left: the customer on
inbound calls, the agent on outbound ones (the same rule as FreeSWITCH). Its ``r()``/``t()`` options write
the two directions as two mono files instead; this preset does not join such pairs (name one leg in the inbox).

**FreeSWITCH (record_session).** ``RECORD_STEREO=true`` records leg A (the caller) on the left channel and
leg B (the callee) on the right (developer.signalwire.com, Channel Variables Catalog, RECORD_STEREO): the
customer on the left on inbound calls, the agent on the left on outbound ones. Two namings are read:

- FusionPBX's archive, ``.../archive/YYYY/Mon/DD/${uuid}.wav`` (FusionPBX links a recording to its call
  detail record by this name: github.com/fusionpbx/fusionpbx issue 2028): the call's UUID only;
- the naming this project recommends, which carries the rest::

    <action application="export" data="execute_on_answer=record_session $${recordings_dir}/
      ${strftime(%Y%m%d-%H%M%S)}_${call_direction}_${caller_id_number}_${destination_number}_${uuid}.wav"/>

  (one line in the dialplan)

  e.g. ``20261120-091500_inbound_79161234567_2001_a1b2c3d4-0f1e-4a5b-9c8d-7e6f5a4b3c2d.wav``
  (``call_direction`` is FusionPBX's inbound/outbound/local; ``local`` is read as internal).

**3CX.** Recordings lie under ``.../Data/Recordings/EXTENSION/`` (``/var/lib/3cxpbx/Instance1/Data/Recordings``
on Linux) named ``[NAME]_CALLER-CALLEE_YYYYMMDDHHMMSS(CALLID).wav``, where NAME is the other party's
display name, often empty or the number; e.g. ``[Zinhle Phungula]_201-0114627554_20190219120918(380).wav``
(outbound from extension 201), ``[27836826436]_27836826436-100_20190211124743(3).wav`` (inbound to 100):
examples from a recorder integration's mover script, github.com/sashintulsiram/callcabinet ``3cxmoverecdata.sh``.
The extension is the side that is an extension (the folder's name when it is one); CALLID is 3CX's call id.
3CX records a call mixed to one channel: no stereo rule.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import PurePath
from typing import Callable, Literal, get_args

__all__ = ["EXTENSION_MAX_DIGITS", "PRESETS", "RecorderPreset", "RecorderPresetName", "is_extension",
           "operator_channel", "preset_fields"]

RecorderPresetName = Literal["", "asterisk", "freeswitch", "3cx"]
EXTENSION_MAX_DIGITS = 5
Fields = dict[str, str]


def is_extension(number: str) -> bool:
    return number.isdigit() and 1 <= len(number) <= EXTENSION_MAX_DIGITS


def _iso(text: str, fmt: str) -> str | None:
    try:
        return datetime.strptime(text, fmt).isoformat()
    except ValueError:  # 20261340-999999: the name fits the shape, not the calendar
        return None


def _sides(caller: str, callee: str) -> Fields:
    """Direction, operator and customer from which of the two parties is an extension."""
    caller_ext, callee_ext = is_extension(caller), is_extension(callee)
    if caller_ext and callee_ext:
        return {"direction": "internal", "operator": callee}
    if caller_ext:
        return {"direction": "outbound", "operator": caller, "customer_number": callee}
    if callee_ext:
        return {"direction": "inbound", "operator": callee, "customer_number": caller}
    return {}  # two outside numbers (a forwarded call): nothing certain


def _clean(fields: dict[str, str | None]) -> Fields:
    return {k: v for k, v in fields.items() if v and v not in ("unknown", "anonymous")}


# ---------------------------------------------------------------- Asterisk / FreePBX

_ASTERISK = re.compile(
    r"^(?P<kind>in|out|external|q|rg|exten|force|conf|ext)-(?P<dest>[^-]*)-(?P<source>[^-]*)-"
    r"(?P<date>\d{8})-(?P<time>\d{6})-(?P<uniqueid>\d{9,11}\.\d+)$", re.IGNORECASE)


def _asterisk(path: PurePath) -> Fields:
    m = _ASTERISK.match(path.stem)
    if not m:
        return {}
    kind, dest, source = m["kind"].lower(), m["dest"], m["source"]
    values: dict[str, str | None] = {"external_id": m["uniqueid"],
                                     "started_at": _iso(m["date"] + m["time"], "%Y%m%d%H%M%S")}
    if kind in ("out", "external"):
        values.update(direction="outbound", operator=source if is_extension(source) else None, customer_number=dest)
    elif kind in ("q", "rg"):
        values.update(direction="inbound", queue=dest, customer_number=None if is_extension(source) else source)
    elif kind == "in":
        values.update(direction="inbound", operator=dest if is_extension(dest) else None,
                      customer_number=None if is_extension(source) else source)
    else:  # exten, force, conf: the sides say it
        values.update(_sides(source, dest))
    return _clean(values)


# ---------------------------------------------------------------- FreeSWITCH

_UUID = r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
_FREESWITCH = re.compile(
    rf"^(?P<date>\d{{8}})-?(?P<time>\d{{6}})_(?P<direction>inbound|outbound|local)_(?P<caller>[^_]*)_"
    rf"(?P<callee>[^_]*)_(?P<uuid>{_UUID})$", re.IGNORECASE)
_FREESWITCH_UUID = re.compile(rf"^(?P<uuid>{_UUID})$")


def _freeswitch(path: PurePath) -> Fields:
    m = _FREESWITCH.match(path.stem)
    if m:
        direction = m["direction"].lower()
        caller, callee = m["caller"], m["callee"]
        values: dict[str, str | None] = {"external_id": m["uuid"].lower(),
                                         "started_at": _iso(m["date"] + m["time"], "%Y%m%d%H%M%S")}
        if direction == "inbound":
            values.update(direction="inbound", operator=callee, customer_number=caller)
        elif direction == "outbound":
            values.update(direction="outbound", operator=caller, customer_number=callee)
        else:
            values.update(direction="internal", operator=callee)
        return _clean(values)
    m = _FREESWITCH_UUID.match(path.stem)
    if not m:
        return {}
    return {"external_id": m["uuid"].lower()}  # the day is in the folders, the time in the file's mtime


# ---------------------------------------------------------------- 3CX

_3CX = re.compile(r"^\[(?P<name>[^\]]*)\]_(?P<caller>[^-_]*)-(?P<callee>[^_]*)_(?P<when>\d{14})\((?P<callid>[^)]+)\)$")


def _3cx(path: PurePath) -> Fields:
    m = _3CX.match(path.stem)
    if not m:
        return {}
    caller, callee = m["caller"], m["callee"]
    values: dict[str, str | None] = {"external_id": m["callid"], "started_at": _iso(m["when"], "%Y%m%d%H%M%S")}
    values.update(_sides(caller, callee))
    folder = path.parent.name
    if is_extension(folder) and folder in (caller, callee):  # Recordings/EXT/: the recorded extension
        values["operator"] = folder
        other = callee if folder == caller else caller
        if not is_extension(other):
            values.update(direction="outbound" if folder == caller else "inbound", customer_number=other)
    return _clean(values)


@dataclass(frozen=True)
class RecorderPreset:
    name: str
    read: Callable[[PurePath], Fields]
    # Stereo files: the caller is on the left (FreeSWITCH RECORD_STEREO, MixMonitor's D option on the calling
    # channel), so the operator is on the right on inbound calls and on the left on outbound ones.
    caller_left: bool


PRESETS: dict[str, RecorderPreset] = {
    "asterisk": RecorderPreset("asterisk", _asterisk, caller_left=True),
    "freeswitch": RecorderPreset("freeswitch", _freeswitch, caller_left=True),
    "3cx": RecorderPreset("3cx", _3cx, caller_left=False),
}
assert set(PRESETS) == set(get_args(RecorderPresetName)) - {""}


def preset_fields(preset: str, recording: PurePath) -> Fields:
    """The call's fields as ``preset``'s recorder names them (``call_meta.FIELDS`` names, values as text);
    {} for a name the recorder would not write."""
    if not preset:
        return {}
    if preset not in PRESETS:
        raise ValueError(f"unknown recorder_preset {preset!r}: use one of {', '.join(PRESETS)} (or empty)")
    return PRESETS[preset].read(recording)


def operator_channel(preset: str, direction: str | None) -> Literal["left", "right"] | None:
    """The stereo channel of the operator on a call of ``direction`` recorded by ``preset``; None when the
    preset says nothing (mixed recordings, an unknown direction, an internal call): the global setting holds."""
    rule = PRESETS.get(preset)
    if rule is None or not rule.caller_left:
        return None
    if direction == "inbound":
        return "right"
    if direction == "outbound":
        return "left"
    return None
