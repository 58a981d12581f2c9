"""The other flows: one file now (process_file) and re-judging stored calls (rescore)."""

from __future__ import annotations

import shutil

import pytest

from storage.db import connect

pytestmark = pytest.mark.slow


def test_process_file_stores_one_call_once(prefect_harness, samples_dir, settings, tmp_path, monkeypatch):
    from flows.process_file import process_file

    monkeypatch.setenv("CALLQA_MODELS_DIR", str(settings.models_dir))
    recording = tmp_path / "ru_mono_partial.flac"
    shutil.copyfile(samples_dir / "ru_mono_partial.flac", recording)
    shutil.copyfile(samples_dir / "ru_mono_partial.meta.json", tmp_path / "ru_mono_partial.meta.json")
    db = tmp_path / "db.duckdb"
    outcome = process_file(str(recording), db=str(db))
    assert outcome.status == "processed" and outcome.analysis.transcript.segments
    assert process_file(str(recording), db=str(db)) == "processed"  # same content again: nothing to do
    with connect(db, read_only=True) as con:
        assert con.execute("SELECT count(*), any_value(operator_id) FROM calls").fetchone() == (1, "op.andreev")
        assert con.execute("SELECT flow, status, processed FROM runs").fetchall() == [("process_file", "completed", 1)]
    bad = tmp_path / "notes.mp3"
    bad.write_text("not audio")
    assert process_file(str(bad), db=str(db)).status == "quarantined"


def test_rescore_flow_rejudges_stored_calls_with_an_older_version(prefect_harness, flow_db, tmp_path):
    from flows.rescore import rescore_flow

    db = tmp_path / "copy.duckdb"
    shutil.copyfile(flow_db["db"], db)
    summary = rescore_flow("inbound_support@1", db=str(db))
    assert summary.scorecard == "inbound_support@1" and summary.calls == flow_db["summary"].processed
    with connect(db, read_only=True) as con:
        assert con.execute("SELECT DISTINCT scorecard_version FROM calls WHERE status = 'processed'").fetchall() == [
            (1,)
        ]


def test_backfill_takes_only_the_calls_of_its_period(prefect_harness, samples_dir, settings, tmp_path, monkeypatch):
    from datetime import datetime

    from flows.nightly import backfill

    monkeypatch.setenv("CALLQA_MODELS_DIR", str(settings.models_dir))
    monkeypatch.setenv("CALLQA_SETTLE_S", "0")
    inbox = tmp_path / "archive"
    inbox.mkdir()
    for name in ("ru_stereo_good", "en_stereo_good"):  # 2026-11-20 09:15 and 12:30 (their sidecars)
        shutil.copyfile(samples_dir / f"{name}.flac", inbox / f"{name}.flac")
        shutil.copyfile(samples_dir / f"{name}.meta.json", inbox / f"{name}.meta.json")
    db = tmp_path / "db.duckdb"
    morning = backfill(datetime(2026, 11, 20, 0, 0), datetime(2026, 11, 20, 12, 0), inbox=str(inbox), db=str(db))
    assert (morning.discovered, morning.processed) == (1, 1)
    day = backfill(datetime(2026, 11, 20), datetime(2026, 11, 21), inbox=str(inbox), db=str(db))
    assert (day.discovered, day.processed, day.skipped) == (2, 1, 1)  # the morning's call is already stored
    with connect(db, read_only=True) as con:
        assert con.execute("SELECT flow, status FROM runs ORDER BY started_at").fetchall() == [
            ("backfill", "completed"), ("backfill", "completed")]
    with pytest.raises(ValueError, match="empty"):
        backfill(datetime(2026, 11, 21), datetime(2026, 11, 20), inbox=str(inbox), db=str(db))


def test_backfill_command_refuses_an_empty_period(tmp_path, capsys):
    from callqa.cli import main

    assert (
        main(["backfill", "--since", "2026-11-21", "--until", "2026-11-20", "--db", str(tmp_path / "db.duckdb")]) == 2
    )
    assert "backfill needs --since and a later --until" in capsys.readouterr().err
    assert not (tmp_path / "db.duckdb").exists()
