"""Where a call's metadata comes from: file name, a day's CSV manifest, a sidecar; the
customer's number is stored only as a keyed hash."""

from __future__ import annotations

import logging
import os
from datetime import datetime

import pytest

from pipeline.intake.call_meta import read_call_meta
from pipeline.intake.customer_id import customer_hash, load_key, normalise_number
from storage.calls import save_problem
from storage.db import connect
from usecases.settings import load_settings
from usecases.sources import SourceReader

MANIFEST = """file,operator_id,team,queue,direction,started_at,customer_number
a.wav,op.ivanova,support-1,billing,inbound,2026-11-20T09:15:00,8 (916) 123-45-67
b.wav,op.petrov,support-2,,outbound,2026-11-20T10:00:00,
"""


def test_manifest_sidecar_and_file_name_combine_field_by_field(tmp_path):
    (tmp_path / "day.csv").write_text(MANIFEST, encoding="utf-8")
    for name in ("a.wav", "b.wav", "c_op.sidorov.wav"):
        (tmp_path / name).write_bytes(b"RIFF")
    (tmp_path / "b.meta.json").write_text('{"queue": "internet", "operator": "op.petrova"}', encoding="utf-8")
    a = read_call_meta(tmp_path / "a.wav")
    assert (a.operator, a.team, a.queue, a.direction, a.started_at, a.customer_number) == (
        "op.ivanova", "support-1", "billing", "inbound", datetime(2026, 11, 20, 9, 15), "8 (916) 123-45-67")
    b = read_call_meta(tmp_path / "b.wav")
    assert (b.operator, b.team, b.queue, b.direction) == (
        "op.petrova",
        "support-2",
        "internet",
        "outbound",
    )  # sidecar wins
    c = read_call_meta(tmp_path / "c_op.sidorov.wav", r"c_(?P<operator>[\w.]+)")
    assert c.operator == "op.sidorov" and c.team is None


def test_the_customer_number_is_kept_only_as_a_keyed_hash(tmp_path):
    assert normalise_number("8 (916) 123-45-67") == normalise_number("+7 916 123 45 67") == "79161234567"
    with pytest.raises(ValueError):
        normalise_number("n/a")
    key = load_key(tmp_path)
    assert oct((tmp_path / "customer.key").stat().st_mode & 0o777) == "0o600"
    assert load_key(tmp_path) == key  # created once
    assert customer_hash("8 916 123-45-67", key) == customer_hash("+79161234567", key)
    assert customer_hash("+79161234567", key) != customer_hash("+79161234567", os.urandom(32))

    (tmp_path / "inbox").mkdir()
    (tmp_path / "inbox" / "day.csv").write_text(MANIFEST, encoding="utf-8")
    (tmp_path / "inbox" / "a.wav").write_bytes(b"RIFF")
    settings = load_settings(db=tmp_path / "db.duckdb", inbox=tmp_path / "inbox")
    source = SourceReader(settings, logging.getLogger("test")).source(tmp_path / "inbox" / "a.wav", "a1", "sha", 4)
    assert source.customer_hash == customer_hash("+79161234567", key) and source.direction == "inbound"
    with connect(settings.storage.db) as con:
        save_problem(con, source, "quarantined", "not audio")
        row = con.execute("SELECT operator_id, direction, customer_hash FROM calls").fetchone()
        text = " ".join(str(v) for v in con.execute("SELECT * FROM calls").fetchone())
    assert row == ("op.ivanova", "inbound", source.customer_hash)
    assert "9161234567" not in text


def test_a_broken_manifest_is_skipped_with_a_warning(tmp_path, caplog):
    (tmp_path / "day.csv").write_bytes(b"file,operator_id\n\xff\xfe broken")
    (tmp_path / "a.wav").write_bytes(b"RIFF")
    settings = load_settings(db=tmp_path / "db.duckdb", inbox=tmp_path)
    with caplog.at_level(logging.WARNING):
        source = SourceReader(settings, logging.getLogger("test")).source(tmp_path / "a.wav", "a1", "sha", 4)
    assert source.operator_id is None and "not a readable CSV manifest" in caplog.text


def test_site_and_vendor_travel_from_metadata_to_the_calls_table(tmp_path):
    from storage.results_store import ProcessingResult, ResultsStore

    (tmp_path / "day.csv").write_text("file,operator_id,contact_center,outsourcer\n"
                                      "a.wav,op.ivanova,Tver,ContactPro\nb.wav,op.petrov,Kazan,CallNorth\n",
                                      encoding="utf-8")
    for name in ("a.wav", "b.wav", "Omsk_c.wav"):
        (tmp_path / name).write_bytes(b"RIFF")
    (tmp_path / "b.meta.json").write_text('{"site": "Kazan-2"}', encoding="utf-8")  # the sidecar wins
    a, b = read_call_meta(tmp_path / "a.wav"), read_call_meta(tmp_path / "b.wav")
    assert (a.site, a.vendor, b.site, b.vendor) == ("Tver", "ContactPro", "Kazan-2", "CallNorth")
    c = read_call_meta(tmp_path / "Omsk_c.wav", r"(?P<site>[A-Za-z]+)_")
    assert (c.site, c.vendor) == ("Omsk", None)

    settings = load_settings(db=tmp_path / "db.duckdb", inbox=tmp_path)
    source = SourceReader(settings, logging.getLogger("test")).source(tmp_path / "b.wav", "b1", "sha", 4)
    assert (source.site, source.vendor) == ("Kazan-2", "CallNorth")
    store = ResultsStore(tmp_path / "results")  # a worker hands it to the loader through the results store
    store.put(ProcessingResult(source, "quarantined", reason="not audio"))
    loaded = store.get("b1").source
    assert loaded == source
    with connect(settings.storage.db) as con:
        save_problem(con, loaded, "quarantined", "not audio")
        assert con.execute("SELECT site, vendor FROM calls").fetchone() == ("Kazan-2", "CallNorth")


def test_the_calls_own_id_elsewhere_travels_from_name_manifest_or_sidecar_to_the_calls_table(tmp_path):
    """The PBX's unique id (in the file name or a ``uniqueid`` column) or the CRM's id (a sidecar) is kept."""
    from storage.results_store import ProcessingResult, ResultsStore

    (tmp_path / "day.csv").write_text("file,agent,uniqueid\na.wav,op.ivanova,1700000000.42\n", encoding="utf-8")
    for name in ("a.wav", "b.wav", "q-500-1700000123.7.wav", "d.wav"):
        (tmp_path / name).write_bytes(b"RIFF")
    (tmp_path / "b.meta.json").write_text('{"external_id": "CRM-7781"}', encoding="utf-8")
    assert read_call_meta(tmp_path / "a.wav").external_id == "1700000000.42"
    assert read_call_meta(tmp_path / "b.wav").external_id == "CRM-7781"
    named = read_call_meta(tmp_path / "q-500-1700000123.7.wav", r"q-(?P<queue>\d+)-(?P<external_id>\d+\.\d+)$")
    assert (named.queue, named.external_id) == ("500", "1700000123.7")
    assert read_call_meta(tmp_path / "d.wav").external_id is None

    settings = load_settings(db=tmp_path / "db.duckdb", inbox=tmp_path)
    source = SourceReader(settings, logging.getLogger("test")).source(tmp_path / "b.wav", "b1", "sha", 4)
    store = ResultsStore(tmp_path / "results")
    store.put(ProcessingResult(source, "quarantined", reason="not audio"))
    with connect(settings.storage.db) as con:
        save_problem(con, store.get("b1").source, "quarantined", "not audio")
        assert con.execute("SELECT external_id FROM calls WHERE call_id = 'b1'").fetchone() == ("CRM-7781",)
