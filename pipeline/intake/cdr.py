"""Reading call detail records (CDR) for ``callqa import-cdr``: who waited in which queue, for how long, who
answered and when the call ended. The KPIs over them are ``pipeline.stats.cdr_kpis``.

Two formats:

- ``asterisk``: cdr_csv's ``Master.csv`` (``/var/log/asterisk/cdr-csv/``), no header, every value quoted except
  empty times. The column order is the one ``cdr/cdr_csv.c`` (``build_csv_record``) writes: accountcode, src,
  dst, dcontext, clid, channel, dstchannel, lastapp, lastdata, start, answer, end, duration, billsec,
  disposition, amaflags; then uniqueid when ``cdr.conf`` says ``loguniqueid=yes``, userfield when
  ``loguserfield=yes``, and peeraccount, linkedid, sequence when ``newcdrcolumns=yes``. So a line has 16, 17
  (uniqueid), 18 (uniqueid, userfield) or 21 values; other counts are reported as bad lines. Times are
  ``YYYY-MM-DD HH:MM:SS`` (local time unless ``usegmtime=yes``), an unanswered call's answer time is empty.
  The queue is the first argument of ``lastdata`` when ``lastapp`` is ``Queue`` (``support,t,,,300``), else
  ``dst``; the agent is the peer of ``dstchannel`` (``PJSIP/1001-0000002a`` -> ``1001``). What the KPIs
  take from a line: waiting from ``start`` to ``answer`` (so a dialplan that answers in an IVR before
  ``Queue()`` puts the IVR's answer there: export the queue's own times through the generic CSV then), talk
  from ``answer`` to ``end``.
- ``csv``: any CSV with a header, columns named by a mapping (``CdrMapping``, from a small TOML file): the
  call's id, queue, the times it entered the queue, was answered (empty: not answered) and ended, the agent,
  the disposition, and optionally team, site and vendor. Columns are separated by commas, or by semicolons
  when the header has more of those (as ``pipeline.intake.csat_file``).

Every line is checked; a bad line (wrong number of values, a time that does not parse, an answer after the
hang-up, an unknown disposition) is reported with its line number and skipped, the good ones kept.

Each record gets a ``key`` that is the same whenever the same call is read again, from the same file or an
overlapping export: the PBX's id (with Asterisk's ``sequence``, or the start time, when one channel has several
records), else a digest of the record's own fields.
"""

from __future__ import annotations

import csv
import hashlib
import io
import tomllib
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Literal

from pipeline.intake.spreadsheet_csv import LineProblem, delimiter, read_text

CdrFormat = Literal["asterisk", "csv"]
Outcome = Literal["answered", "abandoned", "failed"]
FORMATS: tuple[CdrFormat, ...] = ("asterisk", "csv")

ASTERISK_COLUMNS = ("accountcode", "src", "dst", "dcontext", "clid", "channel", "dstchannel", "lastapp", "lastdata",
                    "start", "answer", "end", "duration", "billsec", "disposition", "amaflags")
# Values per line -> the optional columns cdr.conf switched on (loguniqueid, loguserfield, newcdrcolumns).
ASTERISK_EXTRA = {16: (), 17: ("uniqueid",), 18: ("uniqueid", "userfield"),
                  21: ("uniqueid", "userfield", "peeraccount", "linkedid", "sequence")}
ASTERISK_TIME = "%Y-%m-%d %H:%M:%S"
RUSSIAN_TIME = "%d.%m.%Y %H:%M:%S"  # as Russian Excel writes a date and time

# Dispositions as PBXs and CRM exports write them (lower case) -> what happened to the caller.
DISPOSITIONS: dict[str, Outcome] = {
    "answered": "answered", "answer": "answered", "connected": "answered", "completed": "answered",
    "отвечен": "answered", "отвечено": "answered", "принят": "answered",
    "no answer": "abandoned", "noanswer": "abandoned", "abandoned": "abandoned", "abandon": "abandoned",
    "lost": "abandoned", "missed": "abandoned", "потерян": "abandoned", "пропущен": "abandoned",
    "не отвечен": "abandoned",
    "busy": "failed", "failed": "failed", "congestion": "failed", "занято": "failed", "ошибка": "failed",
}

# The generic CSV's fields, in the mapping's words: which are required.
REQUIRED_FIELDS = ("queue", "entered", "ended")
OPTIONAL_FIELDS = ("call_id", "answered", "agent", "disposition", "team", "site", "vendor")
FIELDS = REQUIRED_FIELDS + OPTIONAL_FIELDS


class CdrFileError(ValueError):
    """The file as a whole cannot be read (no such columns, a bad mapping, not a CSV)."""


@dataclass(frozen=True)
class CdrRecord:
    """One call's way through a queue. Times are naive local times, as the PBX writes them."""

    line: int
    key: str
    call_ref: str | None  # the PBX's or CRM's id of the call (Asterisk: uniqueid)
    linked_ref: str | None  # Asterisk's linkedid: the id the whole call shares across its channels
    queue: str | None
    agent: str | None
    entered_at: datetime
    answered_at: datetime | None
    ended_at: datetime
    outcome: Outcome
    team: str | None = None
    site: str | None = None
    vendor: str | None = None

    @property
    def wait_s(self) -> float:
        """Seconds in the queue: until answered, or until the caller gave up."""
        return ((self.answered_at or self.ended_at) - self.entered_at).total_seconds()

    @property
    def talk_s(self) -> float | None:
        return None if self.answered_at is None else (self.ended_at - self.answered_at).total_seconds()


@dataclass(frozen=True)
class CdrMapping:
    """Which header names the generic CSV's fields have, and how its times are written."""

    columns: dict[str, str] = field(default_factory=lambda: {f: f for f in FIELDS})
    time_format: str = "iso"  # "iso" (2026-11-02 09:00:05, T or space), "epoch" (Unix seconds), or a strptime format
    dispositions: dict[str, Outcome] = field(default_factory=dict)  # extra values, lower case

    @classmethod
    def from_toml(cls, text: str) -> CdrMapping:
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as err:
            raise CdrFileError(f"the mapping is not TOML: {err}") from None
        columns = data.get("columns", {})
        if not isinstance(columns, dict) or not all(isinstance(v, str) for v in columns.values()):
            raise CdrFileError("the mapping's [columns] table gives each field a header name, e.g. queue = \"Queue\"")
        unknown = sorted(set(columns) - set(FIELDS))
        if unknown:
            raise CdrFileError(f"unknown fields in [columns]: {', '.join(unknown)} (known: {', '.join(FIELDS)})")
        missing = [f for f in REQUIRED_FIELDS if f not in columns]
        if missing:
            raise CdrFileError(f"the mapping's [columns] must name {', '.join(missing)}")
        times = data.get("times", {})
        time_format = times.get("format", "iso") if isinstance(times, dict) else "iso"
        extra = data.get("dispositions", {})
        if not isinstance(extra, dict) or not all(v in ("answered", "abandoned", "failed") for v in extra.values()):
            raise CdrFileError("the mapping's [dispositions] maps a value to answered, abandoned or failed")
        return cls(dict(columns), str(time_format), {str(k).strip().lower(): v for k, v in extra.items()})

    @classmethod
    def from_file(cls, path: str | Path) -> CdrMapping:
        return cls.from_toml(Path(path).read_text(encoding="utf-8"))


@dataclass(frozen=True)
class CdrFile:
    format: CdrFormat
    records: tuple[CdrRecord, ...]  # one per key (the last line for a repeated key)
    errors: tuple[LineProblem, ...]  # lines skipped
    warnings: tuple[LineProblem, ...]  # lines kept, with something to know (a repeated call)
    lines: int  # data lines read (blank lines not counted)


# ---- values ---------------------------------------------------------------------------------------

def _text(value: str) -> str | None:
    value = value.strip()
    return value or None


def parse_time(value: str, time_format: str = "iso") -> datetime | None:
    """A time as the file writes it; None when empty; ValueError with a message for people."""
    value = value.strip()
    if not value:
        return None
    try:
        if time_format == "epoch":
            return datetime.fromtimestamp(float(value.replace(",", ".")))
        if time_format == "iso" or (time_format == ASTERISK_TIME and len(value) == 19):
            # fromisoformat reads Asterisk's "YYYY-MM-DD HH:MM:SS" too, several times faster than strptime
            parsed = datetime.fromisoformat(value)
        elif time_format == RUSSIAN_TIME and len(value) == 19 and value[2] == value[5] == ".":
            parsed = datetime.fromisoformat(f"{value[6:10]}-{value[3:5]}-{value[0:2]}{value[10:]}")  # same, faster
        else:
            parsed = datetime.strptime(value, time_format)
    except (ValueError, OverflowError, OSError):
        raise ValueError(f"time {value!r} does not read as {time_format}") from None
    if parsed.tzinfo is not None:  # an offset given: the same instant in this machine's local time, as the PBX's
        parsed = parsed.astimezone().replace(tzinfo=None)
    return parsed


def _outcome(disposition: str | None, answered_at: datetime | None, extra: dict[str, Outcome]) -> Outcome:
    if disposition is None:
        return "answered" if answered_at is not None else "abandoned"
    outcome = extra.get(disposition.lower()) or DISPOSITIONS.get(disposition.lower())
    if outcome is None:
        raise ValueError(f"unknown disposition {disposition!r} (answered, abandoned, no answer, busy, failed...)")
    if outcome == "answered" and answered_at is None:
        raise ValueError(f"disposition {disposition!r} but no answer time")
    return outcome


def _check_times(entered: datetime | None, answered: datetime | None, ended: datetime | None) -> None:
    if entered is None:
        raise ValueError("no time of entering the queue")
    if ended is None:
        raise ValueError("no hang-up time")
    if ended < entered:
        raise ValueError(f"hang-up {ended:%Y-%m-%d %H:%M:%S} before entering {entered:%Y-%m-%d %H:%M:%S}")
    if answered is not None and not entered <= answered <= ended:
        raise ValueError(f"answer {answered:%Y-%m-%d %H:%M:%S} outside the call "
                         f"({entered:%Y-%m-%d %H:%M:%S} to {ended:%Y-%m-%d %H:%M:%S})")


def _digest(*parts: object) -> str:
    return "h:" + hashlib.sha256("\x1f".join("" if p is None else str(p) for p in parts).encode()).hexdigest()[:32]


def agent_of_channel(channel: str | None) -> str | None:
    """``PJSIP/1001-0000002a`` -> ``1001``; ``Local/1001@agents-00000001;1`` -> ``1001``; ``Agent/7`` -> ``7``."""
    if not channel:
        return None
    peer = channel.split("/", 1)[-1]
    peer = peer.split("@", 1)[0].split(";", 1)[0]
    head, sep, tail = peer.rpartition("-")
    if sep and head and len(tail) >= 6 and all(c in "0123456789abcdef" for c in tail.lower()):
        peer = head  # the channel's unique suffix
    return peer or None


# ---- Asterisk ---------------------------------------------------------------------------------------

def _asterisk_record(line: int, cells: list[str]) -> CdrRecord:
    extra = ASTERISK_EXTRA.get(len(cells))
    if extra is None:
        raise ValueError(f"{len(cells)} values; cdr_csv writes 16, 17, 18 or 21 "
                         "(uniqueid, userfield and newcdrcolumns as cdr.conf sets them)")
    row = dict(zip(ASTERISK_COLUMNS + extra, cells))
    entered = parse_time(row["start"], ASTERISK_TIME)
    answered = parse_time(row["answer"], ASTERISK_TIME)
    ended = parse_time(row["end"], ASTERISK_TIME)
    _check_times(entered, answered, ended)
    assert entered is not None and ended is not None  # _check_times says so
    disposition = _text(row["disposition"])
    outcome = _outcome(disposition, answered, {})
    if outcome != "answered":
        answered = None  # Asterisk may keep the bridge's time on a failed leg: not an answer
    lastapp = (row["lastapp"] or "").strip()
    queue = (_text(row["lastdata"].replace("|", ",").split(",", 1)[0]) if lastapp.lower() == "queue"
             else _text(row["dst"]))
    uniqueid = _text(row.get("uniqueid", ""))
    sequence = _text(row.get("sequence", ""))
    if uniqueid:
        key = f"{uniqueid}#{sequence}" if sequence else f"{uniqueid}@{entered:%Y-%m-%dT%H:%M:%S}"
    else:
        key = _digest("asterisk", row["channel"], row["dstchannel"], row["start"], row["answer"], row["end"],
                      row["src"], row["dst"])
    return CdrRecord(line, key, uniqueid, _text(row.get("linkedid", "")), queue, agent_of_channel(row["dstchannel"]),
                     entered, answered, ended, outcome)


# ---- generic CSV --------------------------------------------------------------------------------------

def _csv_record(line: int, cells: list[str], at: dict[str, int], mapping: CdrMapping) -> CdrRecord:
    def get(name: str) -> str:
        i = at.get(name)
        return cells[i] if i is not None and i < len(cells) else ""

    entered = parse_time(get("entered"), mapping.time_format)
    answered = parse_time(get("answered"), mapping.time_format)
    ended = parse_time(get("ended"), mapping.time_format)
    _check_times(entered, answered, ended)
    assert entered is not None and ended is not None
    outcome = _outcome(_text(get("disposition")), answered, mapping.dispositions)
    if outcome != "answered":
        answered = None
    call_id, queue, agent = _text(get("call_id")), _text(get("queue")), _text(get("agent"))
    key = call_id or _digest("csv", queue, agent, entered.isoformat(), ended.isoformat())
    return CdrRecord(line, key, call_id, None, queue, agent, entered, answered, ended, outcome,
                     _text(get("team")), _text(get("site")), _text(get("vendor")))


def read_cdr_text(text: str, fmt: CdrFormat = "asterisk", mapping: CdrMapping | None = None) -> CdrFile:
    if fmt not in FORMATS:
        raise CdrFileError(f"unknown format {fmt!r}: asterisk or csv")
    text = text.lstrip("\ufeff")
    first = text.split("\n", 1)[0]
    reader = csv.reader(io.StringIO(text), delimiter="," if fmt == "asterisk" else delimiter(first))
    at: dict[str, int] = {}
    mapping = mapping or CdrMapping()
    if fmt == "csv":
        try:
            header = next(reader)
        except StopIteration:
            raise CdrFileError("the file is empty (expected a header)") from None
        except csv.Error as err:
            raise CdrFileError(f"not a readable CSV: {err}") from None
        positions = {name.strip().lower(): i for i, name in enumerate(header)}
        for name, column in mapping.columns.items():
            if column.strip().lower() in positions:
                at[name] = positions[column.strip().lower()]
        missing = [f"{f} ({mapping.columns.get(f, f)!r})" for f in REQUIRED_FIELDS if f not in at]
        if missing:
            raise CdrFileError(f"the header has no column for {', '.join(missing)}; it has: {', '.join(header)}")
    records: dict[str, CdrRecord] = {}
    errors: list[LineProblem] = []
    warnings: list[LineProblem] = []
    lines = 0
    try:
        for cells in reader:
            line = reader.line_num
            if not any(c.strip() for c in cells):
                continue  # blank lines are no data
            lines += 1
            try:
                record = _asterisk_record(line, cells) if fmt == "asterisk" else _csv_record(line, cells, at, mapping)
            except ValueError as err:
                errors.append(LineProblem(line, str(err)))
                continue
            if record.key in records:
                warnings.append(LineProblem(line, f"{record.key} is listed again (first on line "
                                                  f"{records[record.key].line}): this line wins"))
            records[record.key] = record
    except csv.Error as err:
        raise CdrFileError(f"line {reader.line_num}: not readable CSV: {err}") from None
    return CdrFile(fmt, tuple(records.values()), tuple(errors), tuple(warnings), lines)


def read_cdr_file(path: str | Path, fmt: CdrFormat = "asterisk", mapping: CdrMapping | None = None) -> CdrFile:
    return read_cdr_text(read_text(path), fmt, mapping)
