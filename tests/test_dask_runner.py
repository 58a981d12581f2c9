"""The analysis on a local Dask cluster of 2 worker processes stores the same results as the
default runner with 2 calls analysed at once: the flow alone writes DuckDB, workers only analyse,
and each analysis computes with the same share of the cores (usecases/parallelism.py)."""

from __future__ import annotations

import shutil
import sys
import types

import pytest

from storage.db import connect
from tests.conftest import write_bad_files
from usecases import analysis_process

pytestmark = pytest.mark.slow
CONTENT = [
    "SELECT file_name, status, coalesce(error, ''), operator_id FROM calls ORDER BY file_name",
    "SELECT c.file_name, s.score, s.flags FROM scores s JOIN calls c USING (call_id) ORDER BY 1",
    "SELECT c.file_name, r.criterion_id, r.result, r.evidence_text"
    " FROM criteria_results r JOIN calls c USING (call_id) ORDER BY 1, 2",
    "SELECT c.file_name, g.idx, g.speaker, g.text FROM segments g JOIN calls c USING (call_id) ORDER BY 1, 2",
]


def _content(db, inbox):
    """Every table's rows, with the inbox's own path taken out of error messages."""
    with connect(db, read_only=True) as con:
        tables = [con.execute(sql).fetchall() for sql in CONTENT]
    return [[tuple(v.replace(str(inbox), "INBOX") if isinstance(v, str) else v for v in row) for row in rows]
            for rows in tables]


def test_two_dask_workers_store_what_the_default_runner_stores(
    prefect_harness, samples_dir, settings, tmp_path, monkeypatch
):
    from flows.nightly import nightly
    from flows.runners import task_runner_for
    from usecases.settings import load_settings

    monkeypatch.setenv("CALLQA_MODELS_DIR", str(settings.asr.models_dir))
    monkeypatch.setenv("CALLQA_SETTLE_S", "0")
    monkeypatch.setenv("CALLQA_WORKERS", "2")  # two calls at once, whatever this machine's cores
    pool = analysis_process.AnalysisPool()  # this test's own analysis processes, counted and stopped below
    monkeypatch.setattr(analysis_process, "_pool", pool)
    # Dask spawns its workers, and spawning re-runs the parent's __main__ file: in a test session
    # that may be a script an earlier AppTest left there. `callqa` itself is a guarded console script.
    monkeypatch.setitem(sys.modules, "__main__", types.ModuleType("__main__"))
    results = {}
    bad = tmp_path / "bad"
    write_bad_files(bad)  # once: random bytes decode to different errors, so both inboxes get the same
    for runner in ("threads", "dask"):
        inbox = tmp_path / runner / "inbox"
        inbox.mkdir(parents=True)
        for name in ("en_stereo_good", "ru_mono_partial"):
            shutil.copyfile(samples_dir / f"{name}.flac", inbox / f"{name}.flac")
            shutil.copyfile(samples_dir / f"{name}.meta.json", inbox / f"{name}.meta.json")
        shutil.copytree(bad, inbox / "bad")
        db = tmp_path / runner / "callqa.duckdb"
        chosen = task_runner_for(load_settings(dask_workers=2 if runner == "dask" else 0))
        assert type(chosen).__name__ == ("DaskTaskRunner" if runner == "dask" else "ThreadPoolTaskRunner")
        summary = nightly.with_options(task_runner=chosen)(inbox=str(inbox), db=str(db), batch_size=1)
        assert (summary.processed, summary.quarantined, summary.failed) == (2, 3, 0)
        results[runner] = _content(db, inbox)
        if runner == "threads":  # a second child is started only while the first is busy
            assert pool.idle() == 2, "the default runner analysed two calls at once"
            pool.stop_all()
    diffs = [(i, [r for r in a if r not in b][:3], [r for r in b if r not in a][:3])
             for i, (a, b) in enumerate(zip(results["threads"], results["dask"])) if a != b]
    assert not diffs, diffs
