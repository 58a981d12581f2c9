"""Recorder presets on the file names the recorders write (examples from their docs and integrations), malformed
names (no crash, metadata unknown), the precedence of filename_pattern/manifest/sidecar, and the operator's
channel per call from the preset and the direction."""

from __future__ import annotations

import json
import logging
from datetime import datetime
from pathlib import Path, PurePath

import pytest

from pipeline.intake.call_meta import CallMetaError, read_call_meta
from pipeline.intake.recorder_presets import operator_channel, preset_fields
from usecases.settings import load_settings
from usecases.sources import SourceReader

UUID = "a1b2c3d4-0f1e-4a5b-9c8d-7e6f5a4b3c2d"


@pytest.mark.parametrize("name, expected", [
    # FreePBX sub-record-check: ${ARG1}-${ARG2}-${FROMEXTEN}-${TIMESTR}-${UNIQUEID}
    ("in-2001-79161234567-20261120-091500-1700000000.123.wav",
     {"direction": "inbound", "operator": "2001", "customer_number": "79161234567",
      "started_at": "2026-11-20T09:15:00", "external_id": "1700000000.123"}),
    ("in-74951234567-79161234567-20261120-091500-1700000000.124.wav",  # to a DID: the agent is not named
     {"direction": "inbound", "customer_number": "79161234567", "started_at": "2026-11-20T09:15:00",
      "external_id": "1700000000.124"}),
    ("out-79161234567-2001-20261120-101010-1700000001.5.wav",
     {"direction": "outbound", "operator": "2001", "customer_number": "79161234567",
      "started_at": "2026-11-20T10:10:10", "external_id": "1700000001.5"}),
    ("external-84951234567-305-20261120-101010-1700000001.6.wav",
     {"direction": "outbound", "operator": "305", "customer_number": "84951234567",
      "started_at": "2026-11-20T10:10:10", "external_id": "1700000001.6"}),
    ("q-600-79161234567-20261120-111111-1700000002.77.wav",
     {"direction": "inbound", "queue": "600", "customer_number": "79161234567",
      "started_at": "2026-11-20T11:11:11", "external_id": "1700000002.77"}),
    ("rg-601-79161234567-20261120-111111-1700000002.78.wav",
     {"direction": "inbound", "queue": "601", "customer_number": "79161234567",
      "started_at": "2026-11-20T11:11:11", "external_id": "1700000002.78"}),
    ("exten-2001-2002-20261120-121212-1700000003.9.wav",  # extension to extension
     {"direction": "internal", "operator": "2001", "started_at": "2026-11-20T12:12:12", "external_id": "1700000003.9"}),
    ("exten-2001-79161234567-20261120-121212-1700000003.10.wav",
     {"direction": "inbound", "operator": "2001", "customer_number": "79161234567",
      "started_at": "2026-11-20T12:12:12", "external_id": "1700000003.10"}),
    # Issabel's example (diditho.com): the masked number stays a number, the extension is the operator
    ("force-0821XXXX8663-3201-20250327-092517-1743042317.12206.wav",
     {"direction": "outbound", "operator": "3201", "customer_number": "0821XXXX8663",
      "started_at": "2025-03-27T09:25:17", "external_id": "1743042317.12206"}),
])
def test_asterisk_freepbx_names(name, expected):
    assert preset_fields("asterisk", PurePath("/var/spool/asterisk/monitor/2026/11/20") / name) == expected


@pytest.mark.parametrize("name, expected", [
    (f"20261120-091500_inbound_79161234567_2001_{UUID}.wav",
     {"direction": "inbound", "operator": "2001", "customer_number": "79161234567",
      "started_at": "2026-11-20T09:15:00", "external_id": UUID}),
    (f"20261120-091500_outbound_2001_79161234567_{UUID.upper()}.wav",
     {"direction": "outbound", "operator": "2001", "customer_number": "79161234567",
      "started_at": "2026-11-20T09:15:00", "external_id": UUID}),
    (f"20261120-091500_local_2001_2002_{UUID}.wav",
     {"direction": "internal", "operator": "2002", "started_at": "2026-11-20T09:15:00", "external_id": UUID}),
    (f"{UUID}.wav", {"external_id": UUID}),  # FusionPBX's archive: the UUID only
])
def test_freeswitch_names(name, expected):
    folder = PurePath("/var/lib/freeswitch/recordings/pbx.example.ru/archive/2026/Nov/20")
    assert preset_fields("freeswitch", folder / name) == expected


@pytest.mark.parametrize("folder, name, expected", [
    ("201", "[Zinhle Phungula]_201-0114627554_20190219120918(380).wav",
     {"direction": "outbound", "operator": "201", "customer_number": "0114627554",
      "started_at": "2019-02-19T12:09:18", "external_id": "380"}),
    ("100", "[27836826436]_27836826436-100_20190211124743(3).wav",
     {"direction": "inbound", "operator": "100", "customer_number": "27836826436",
      "started_at": "2019-02-11T12:47:43", "external_id": "3"}),
    ("100", "[]_100-0836826436_20190211124709(2).wav",
     {"direction": "outbound", "operator": "100", "customer_number": "0836826436",
      "started_at": "2019-02-11T12:47:09", "external_id": "2"}),
    ("Recordings", "[Иван Петров]_105-106_20261120091500(77).wav",  # internal, not in an extension's folder
     {"direction": "internal", "operator": "106", "started_at": "2026-11-20T09:15:00", "external_id": "77"}),
])
def test_3cx_names(folder, name, expected):
    assert preset_fields("3cx", PurePath("/var/lib/3cxpbx/Instance1/Data/Recordings") / folder / name) == expected


@pytest.mark.parametrize("preset", ["asterisk", "freeswitch", "3cx"])
@pytest.mark.parametrize("name", [
    "call.wav", "", "in-2001.wav", "in-2001-79161234567-2026-091500-1700000000.1.wav",
    "out-1-2-20261340-256161-1700000000.1.wav",  # the shape, not the calendar: no time, the rest kept
    "[unclosed_201-0114627554_20190219120918(380).wav", f"20261120-091500_sideways_1_2_{UUID}.wav",
    "q---20261120-111111-.wav", "ÿ\u0000\u202e.wav", "a" * 5000 + ".wav",
])
def test_malformed_names_give_no_crash_and_no_time(preset, name):
    fields = preset_fields(preset, PurePath("/inbox") / name)
    assert "started_at" not in fields
    assert set(fields) <= {"direction", "operator", "customer_number", "queue", "external_id"}


def test_an_unknown_preset_is_a_clear_error():
    with pytest.raises(ValueError, match="unknown recorder_preset 'avaya'"):
        preset_fields("avaya", PurePath("x.wav"))
    with pytest.raises(ValueError, match="recorder_preset"):
        load_settings(recorder_preset="avaya")


def test_operator_channel_follows_the_direction():
    # The caller on the left (FreeSWITCH RECORD_STEREO, MixMonitor D on the calling channel)
    for preset in ("freeswitch", "asterisk"):
        assert operator_channel(preset, "inbound") == "right"
        assert operator_channel(preset, "outbound") == "left"
        assert operator_channel(preset, "internal") is None and operator_channel(preset, None) is None
    assert operator_channel("3cx", "inbound") is None  # mixed to mono: the global setting holds
    assert operator_channel("", "inbound") is None


def test_pattern_manifest_and_sidecar_win_field_by_field(tmp_path):
    name = "in-2001-79161234567-20261120-091500-1700000000.123"
    recording = tmp_path / f"{name}.wav"
    recording.write_bytes(b"RIFF")
    meta = read_call_meta(recording, recorder_preset="asterisk")
    assert (meta.operator, meta.direction, meta.external_id, meta.operator_channel) == (
        "2001", "inbound", "1700000000.123", "right")
    assert meta.started_at == datetime(2026, 11, 20, 9, 15)
    # filename_pattern where set wins over the preset
    meta = read_call_meta(recording, r"^in-(?P<operator>\d+)-", recorder_preset="asterisk")
    assert meta.operator == "2001"
    meta = read_call_meta(recording, r"^(?P<direction>in)-(?P<team>\d)", recorder_preset="asterisk")
    assert (meta.team, meta.direction, meta.operator_channel) == ("2", "in", None)  # "in": no rule, the setting
    # a manifest, then a sidecar
    (tmp_path / "day.csv").write_text(f"file,agent,direction\n{name}.wav,ivanova,outbound\n", encoding="utf-8")
    meta = read_call_meta(recording, recorder_preset="asterisk")
    assert (meta.operator, meta.direction, meta.operator_channel, meta.customer_number) == (
        "ivanova", "outbound", "left", "79161234567")
    (tmp_path / f"{name}.meta.json").write_text(json.dumps({"operator_channel": "Right"}), encoding="utf-8")
    assert read_call_meta(recording, recorder_preset="asterisk").operator_channel == "right"
    (tmp_path / f"{name}.meta.json").write_text(json.dumps({"operator_channel": "middle"}), encoding="utf-8")
    with pytest.raises(CallMetaError, match="operator_channel 'middle'"):
        read_call_meta(recording, recorder_preset="asterisk")


def test_the_source_file_carries_the_preset_fields_and_hashes_the_number(tmp_path):
    inbox = tmp_path / "inbox" / "201"
    inbox.mkdir(parents=True)
    recording = inbox / f"20261120-091500_inbound_79161234567_2001_{UUID}.wav"
    recording.write_bytes(b"RIFF....")
    settings = load_settings(inbox=tmp_path / "inbox", db=tmp_path / "callqa.duckdb", recorder_preset="freeswitch")
    source = SourceReader(settings, logging.getLogger("test")).source(recording, "c" * 20, "d" * 64, 8)
    assert (source.operator_id, source.direction, source.external_id, source.operator_channel) == (
        "2001", "inbound", UUID, "right")
    assert source.customer_hash and "79161234567" not in source.customer_hash
    # A malformed name: the call is still read, its metadata unknown (time: the file's)
    odd = Path(inbox / "garbage name.wav")
    odd.write_bytes(b"RIFF")
    source = SourceReader(settings, logging.getLogger("test")).source(odd, "e" * 20, "f" * 64, 4)
    assert source.operator_id is None and source.external_id is None and source.operator_channel is None
    assert source.started_at is not None
