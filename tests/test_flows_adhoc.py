"""Runs besides the night's: `callqa run` on one recording, re-judging stored calls (`callqa rescore`),
and backfilling a period."""

from __future__ import annotations

import shutil

import pytest

from storage.db import connect

pytestmark = pytest.mark.slow


def test_run_command_stores_a_recording_once(prefect_harness, samples_dir, settings, tmp_path, monkeypatch, capsys):
    from callqa.cli import main

    monkeypatch.setenv("CALLQA_MODELS_DIR", str(settings.asr.models_dir))
    monkeypatch.setenv("CALLQA_SETTLE_S", "0")
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    shutil.copyfile(samples_dir / "ru_mono_partial.flac", inbox / "ru_mono_partial.flac")
    shutil.copyfile(samples_dir / "ru_mono_partial.meta.json", inbox / "ru_mono_partial.meta.json")
    db = tmp_path / "db.duckdb"

    def run() -> str:
        assert main(["run", "--inbox", str(inbox), "--db", str(db), "--no-progress"]) == 0
        return capsys.readouterr().out

    assert "1 recordings, 1 processed, 0 quarantined, 0 failed, 0 already known" in run()
    assert "1 recordings, 0 processed, 0 quarantined, 0 failed, 1 already known" in run()  # same content: nothing to do
    with connect(db, read_only=True) as con:
        assert con.execute("SELECT count(*), any_value(operator_id) FROM calls").fetchone() == (1, "op.andreev")
        assert con.execute("SELECT flow, status, processed FROM runs ORDER BY started_at").fetchall() == [
            ("nightly", "completed", 1), ("nightly", "completed", 0)]
    (inbox / "notes.mp3").write_text("not audio")
    assert "2 recordings, 0 processed, 1 quarantined, 0 failed, 1 already known" in run()
    with connect(db, read_only=True) as con:
        assert con.execute("SELECT status FROM calls WHERE file_name = 'notes.mp3'").fetchone() == ("quarantined",)


def test_rescore_command_rejudges_stored_calls_with_an_older_version(flow_db, tmp_path, capsys):
    import json

    from callqa.cli import main

    db = tmp_path / "copy.duckdb"
    shutil.copyfile(flow_db["db"], db)
    assert main(["rescore", "--scorecard", "inbound_support@1", "--db", str(db), "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["scorecard"] == "inbound_support@1" and summary["calls"] == flow_db["summary"].processed
    with connect(db, read_only=True) as con:
        assert con.execute("SELECT DISTINCT scorecard_version FROM calls WHERE status = 'processed'").fetchall() == [
            (1,)
        ]


def test_backfill_takes_only_the_calls_of_its_period(prefect_harness, samples_dir, settings, tmp_path, monkeypatch):
    from datetime import datetime

    from flows.nightly import backfill

    monkeypatch.setenv("CALLQA_MODELS_DIR", str(settings.asr.models_dir))
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
