"""The results store and its single loader: workers' per-call results reach DuckDB exactly once."""

from __future__ import annotations

import json
import logging
import shutil
from dataclasses import replace

import pytest

from pipeline.intake.identity import call_id_from_sha256, content_sha256
from pipeline.record_codec import decode, encode
from pipeline.records import CallAnalysis, Score
from storage.calls import SourceFile
from storage.db import connect
from storage.results_store import ProcessingResult, ResultsStore, UnreadableResult
from usecases.load import load_results

LOG = logging.getLogger("test")


@pytest.fixture(scope="module")
def sample_outcome(analyzer, samples_dir) -> ProcessingResult:
    path = samples_dir / "en_stereo_good.flac"
    sha = content_sha256(path)
    source = SourceFile(str(path), sha, call_id_from_sha256(sha), path.stat().st_size, "op.carter", "support-en")
    return ProcessingResult(source, "processed", analyzer.analyze(path, sha256=sha), analysis_s=1.5, worker="host:1")


def test_an_analysis_survives_the_round_trip_through_json_unchanged(sample_outcome):
    analysis = sample_outcome.analysis
    back = decode(CallAnalysis, json.loads(json.dumps(encode(analysis))))
    assert back == analysis
    assert back.transcript.segments[0].words == analysis.transcript.segments[0].words
    with pytest.raises(ValueError):  # a field this version does not know is refused, not dropped
        decode(CallAnalysis, {**encode(analysis), "surprise": 1})


@pytest.mark.parametrize("location", ["local", "memory://callqa-results-test"])
def test_store_puts_lists_reads_and_removes_results(sample_outcome, tmp_path, location):
    store = ResultsStore(tmp_path / "results" if location == "local" else location)
    call_id = sample_outcome.source.call_id
    assert store.pending() == [] and not store.has(call_id)
    store.put(sample_outcome)
    store.put(sample_outcome)  # a retried task writes the same result again: still one
    assert store.pending() == [call_id] and store.has(call_id)
    assert store.get(call_id) == sample_outcome
    store.remove(call_id)
    assert store.pending() == []


def test_an_unreadable_result_is_set_aside_and_its_call_left_for_analysis(sample_outcome, tmp_path):
    settings_db = tmp_path / "callqa.duckdb"
    store = ResultsStore(tmp_path / "results")
    (tmp_path / "results" / "0123456789abcdef0123.json").write_text('{"format": 1, "outcome": {"sourc')
    with pytest.raises(UnreadableResult):
        store.get("0123456789abcdef0123")
    from usecases.settings import load_settings

    settings = load_settings(db=settings_db)
    assert load_results(settings, None, LOG) == []
    assert store.pending() == [] and (tmp_path / "results" / "rejected" / "0123456789abcdef0123.json").is_file()


def test_the_loader_stores_each_result_once_and_removes_its_file(sample_outcome, tmp_path):
    from usecases.settings import load_settings

    settings = load_settings(db=tmp_path / "callqa.duckdb")
    store = ResultsStore(settings.storage.results_dir)
    store.put(sample_outcome)
    assert [o.source.call_id for o in load_results(settings, "run1", LOG)] == [sample_outcome.source.call_id]
    # The same result again (a loader killed after storing, before removing the file): nothing doubles.
    store.put(replace(sample_outcome, analysis=replace(sample_outcome.analysis, score=Score(1.0, ()))))
    assert load_results(settings, "run2", LOG) == []
    with connect(settings.storage.db, read_only=True) as con:
        calls = con.execute("SELECT count(*), min(run_id), min(operator_id) FROM calls").fetchone()
        segments = con.execute("SELECT count(*) FROM segments").fetchone()[0]
        score = con.execute("SELECT score FROM scores").fetchall()
    assert calls == (1, "run1", "op.carter")
    assert segments == len(sample_outcome.analysis.segments)
    assert score == [(pytest.approx(sample_outcome.analysis.score.value),)]
    assert store.pending() == []


def test_a_call_failing_in_max_attempts_runs_is_quarantined_with_its_last_error(sample_outcome, tmp_path):
    from usecases.settings import load_settings

    inbox = tmp_path / "inbox"
    inbox.mkdir()
    recording = inbox / "hangs.flac"
    shutil.copy(sample_outcome.source.path, recording)
    settings = load_settings(db=tmp_path / "callqa.duckdb", inbox=inbox)
    assert settings.intake.max_attempts == 3
    store = ResultsStore(settings.storage.results_dir)
    failed = ProcessingResult(replace(sample_outcome.source, path=str(recording)), "failed",
                         reason="timed out: the analysis took longer than 1800 s; stopped")
    statuses = []
    for run in ("r1", "r2", "r3"):
        store.put(failed)
        (stored,) = load_results(settings, run, LOG)
        statuses.append(stored.status)
    assert statuses == ["failed", "failed", "quarantined"]
    with connect(settings.storage.db, read_only=True) as con:
        status, error, attempts = con.execute("SELECT status, error, attempts FROM calls").fetchone()
    assert (status, attempts) == ("quarantined", 3) and error.startswith("failed in 3 runs; last error: timed out")
    moved = list(settings.intake.quarantine_dir.glob("*-hangs.flac"))
    assert not recording.exists() and len(moved) == 1
    assert "timed out" in moved[0].with_name(moved[0].name + ".reason.txt").read_text()


def test_results_a_killed_run_left_are_loaded_by_the_next_run_not_analysed_again(
        sample_outcome, prefect_harness, tmp_path, monkeypatch, settings):
    from flows.nightly import nightly
    from usecases.settings import load_settings

    inbox = tmp_path / "inbox"
    inbox.mkdir()
    shutil.copy(sample_outcome.source.path, inbox / "en_stereo_good.flac")
    db = tmp_path / "callqa.duckdb"
    monkeypatch.setenv("CALLQA_MODELS_DIR", str(settings.asr.models_dir))
    monkeypatch.setenv("CALLQA_SETTLE_S", "0")
    # What a worker had analysed when the flow was killed; the marker score shows where the stored row came from.
    marked = replace(sample_outcome, analysis=replace(sample_outcome.analysis, score=Score(42.0, ())))
    ResultsStore(load_settings(db=db).storage.results_dir).put(marked)
    summary = nightly(inbox=str(inbox), db=str(db))
    assert (summary.processed, summary.new_calls, summary.skipped) == (1, 0, 1)
    with connect(db, read_only=True) as con:
        assert con.execute("SELECT score FROM scores").fetchall() == [(42.0,)]
