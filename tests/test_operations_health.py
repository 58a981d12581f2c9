"""Health and metrics when things are wrong: no database, a stale or missing run, a schema behind the release,
a full disk, weights missing, and a database another process holds for writing (the nightly run loading
results). Real DuckDB files written through storage; the commands run as a monitor would run them."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from datetime import timedelta
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.conftest import REPO


def _database(path: Path, finished_hours_ago: float | None) -> Path:
    """A migrated database with one nightly run, completed that many hours ago (None: still running)."""
    from storage.calls import finish_run, start_run
    from storage.db import connect, now

    with connect(path) as con:
        run_id = start_run(con, "nightly", "/srv/inbox")
        if finished_hours_ago is not None:
            finish_run(con, run_id, "completed", discovered=0, new_calls=0, wall_s=1.0)
            con.execute("UPDATE runs SET finished_at = ? WHERE run_id = ?",
                        [now() - timedelta(hours=finished_hours_ago), run_id])
    return path


def _settings(db: Path, **overrides):
    from usecases.settings import load_settings

    return load_settings(db=db, inbox=db.parent / "inbox", **overrides)


def _checks(result) -> dict[str, bool]:
    return {c.name: c.ok for c in result.checks}


def test_fresh_run_is_healthy_and_a_stale_one_is_not(tmp_path, models_dir):
    from usecases.health import health

    fresh = health(_settings(_database(tmp_path / "fresh.duckdb", 2.0), models_dir=models_dir))
    assert fresh.ok and _checks(fresh) == {"database": True, "last_run": True, "models": True, "disk": True}
    stale = health(_settings(_database(tmp_path / "stale.duckdb", 30.0), models_dir=models_dir))
    assert not stale.ok and _checks(stale)["last_run"] is False and _checks(stale)["database"] is True
    detail = stale.as_dict()["checks"]["last_run"]["detail"]
    assert "30.0 h ago" in detail and "limit 26 h" in detail
    # the threshold is a setting; 0 switches the check off
    assert health(_settings(tmp_path / "stale.duckdb", models_dir=models_dir, health_max_run_age_h=48)).ok
    assert health(_settings(tmp_path / "stale.duckdb", models_dir=models_dir, health_max_run_age_h=0)).ok


def test_no_completed_run_yet_is_unhealthy(tmp_path, models_dir):
    from usecases.health import health

    result = health(_settings(_database(tmp_path / "callqa.duckdb", None), models_dir=models_dir))
    assert not result.ok and result.as_dict()["checks"]["last_run"] == {"ok": False, "detail": "no completed run yet"}


def test_missing_database_fails_health_and_the_command_exits_1(tmp_path):
    env = dict(os.environ, PYTHONPATH=str(REPO))
    db = tmp_path / "absent" / "callqa.duckdb"
    proc = subprocess.run([sys.executable, "-m", "callqa", "health", "--json", "--db", str(db)], env=env,
                          cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 1, proc.stderr
    report = json.loads(proc.stdout)
    assert report["ok"] is False
    assert report["checks"]["database"] == {"ok": False, "detail": f"{db} does not exist (run `callqa run` first)"}
    assert not db.exists()  # a probe never creates the database
    text = subprocess.run([sys.executable, "-m", "callqa", "health", "--db", str(db)], env=env, cwd=tmp_path,
                          capture_output=True, text=True, timeout=120)
    assert text.returncode == 1 and text.stdout.splitlines()[-1] == "unhealthy"
    assert "FAIL  database" in text.stdout


def test_schema_behind_the_release_missing_weights_and_a_full_disk_fail(tmp_path, models_dir):
    import duckdb

    from storage.db import connect
    from usecases.health import health

    db = _database(tmp_path / "callqa.duckdb", 1.0)
    with connect(db, read_only=True) as con:
        latest = con.execute("SELECT max(version) FROM schema_migrations").fetchone()[0]
    con = duckdb.connect(str(db))  # not through storage.db.connect: a writer there would migrate it again
    con.execute("DELETE FROM schema_migrations WHERE version = ?", [latest])
    previous = con.execute("SELECT max(version) FROM schema_migrations").fetchone()[0]
    con.close()
    behind = health(_settings(db, models_dir=models_dir))
    assert _checks(behind)["database"] is False
    detail = behind.as_dict()["checks"]["database"]["detail"]
    assert detail.startswith(f"schema version {previous}, this release needs {latest}")

    no_weights = health(_settings(db, models_dir=tmp_path / "no_models", asr_model="large-v3"))
    assert _checks(no_weights)["models"] is False
    assert "Whisper 'large-v3' weights not found" in no_weights.as_dict()["checks"]["models"]["detail"]
    assert not (tmp_path / "no_models").exists()  # found or not, nothing is assembled or written

    full = health(_settings(db, models_dir=models_dir, health_min_free_gb=10**9))
    assert _checks(full)["disk"] is False and "need 1e+09 GB" in full.as_dict()["checks"]["disk"]["detail"]


_HOLD = textwrap.dedent("""
    import sys, time, duckdb
    con = duckdb.connect(sys.argv[1])  # read-write: the whole file is locked, as during the nightly load
    print("held", flush=True)
    time.sleep(120)
""")


def _families(text: str) -> dict[str, float]:
    return {s.name: s.value for f in text_string_to_metric_families(text) for s in f.samples if not s.labels}


def test_a_database_held_by_a_writer_reads_as_down_not_as_an_error(tmp_path, models_dir, capsys):
    from callqa.cli import main
    from usecases.health import health
    from usecases.metrics import metrics_text

    db = _database(tmp_path / "callqa.duckdb", 1.0)
    settings = _settings(db, models_dir=models_dir, metrics_db_wait_s=0.5)
    assert _families(metrics_text(settings))["callqa_up"] == 1
    holder = subprocess.Popen([sys.executable, "-c", _HOLD, str(db)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        down = _families(metrics_text(settings))
        assert down["callqa_up"] == 0 and down["callqa_database_busy"] == 1 and down["callqa_database_present"] == 1
        assert "callqa_calls" not in down  # no figures rather than zeros that would look like a quiet night
        busy = health(settings)
        assert busy.ok and busy.as_dict()["checks"]["database"]["detail"].startswith("busy")
        os.environ["CALLQA_METRICS_DB_WAIT_S"] = "0.5"
        try:
            assert main(["metrics", "--db", str(db)]) == 0
        finally:
            del os.environ["CALLQA_METRICS_DB_WAIT_S"]
        assert _families(capsys.readouterr().out)["callqa_up"] == 0
    finally:
        holder.kill()
        holder.wait(timeout=10)
    assert _families(metrics_text(settings))["callqa_up"] == 1


def test_metrics_of_a_missing_database_say_so(tmp_path):
    from usecases.metrics import metrics_text

    got = _families(metrics_text(_settings(tmp_path / "none.duckdb")))
    assert got["callqa_up"] == 0 and got["callqa_database_present"] == 0 and got["callqa_database_busy"] == 0
    assert not (tmp_path / "none.duckdb").exists()


def test_metrics_out_file_is_replaced_whole(tmp_path):
    """The textfile collector reads the file at any time: `--out` writes beside it and renames over it."""
    from callqa.cli import main

    db = _database(tmp_path / "callqa.duckdb", 1.0)
    target = tmp_path / "textfile" / "callqa.prom"
    target.parent.mkdir()
    target.write_text("old\n", encoding="utf-8")
    assert main(["metrics", "--db", str(db), "--out", str(target)]) == 0
    assert _families(target.read_text(encoding="utf-8"))["callqa_up"] == 1
    assert sorted(p.name for p in target.parent.iterdir()) == ["callqa.prom"]


@pytest.mark.parametrize("fmt", ["json", "text"])
def test_log_lines_redact_numbers_and_carry_ids(fmt, capsys):
    """The handler the command line installs: JSON objects (or text lines) with numbers taken out, and the
    run and call ids of the context."""
    import logging

    from callqa.logs import CliLogHandler, configure_logging
    from usecases.log_context import log_context

    root = logging.getLogger()
    saved = root.handlers[:], root.level
    root.handlers = []
    try:
        configure_logging(verbose=True, fmt=fmt)
        configure_logging(verbose=True, fmt=fmt)  # a second configuration replaces, never doubles
        assert sum(isinstance(h, CliLogHandler) for h in root.handlers) == 1
        with log_context(run_id="a3b0487c54dc"), log_context(call_id="5e852ee96e360f02fad2"):
            logging.getLogger("callqa.test").warning("in-200-%s-20261120.flac: card 4276 3800 1234 5679 %s",
                                                     "79161234567", "+7 (916) 123-45-67")
        try:
            raise ValueError("bad file 89031112233.wav")
        except ValueError:
            logging.getLogger("callqa.test").exception("failed")
    finally:
        root.handlers, _ = saved
        root.setLevel(saved[1])
    err = capsys.readouterr().err
    assert "79161234567" not in err and "89031112233" not in err and "123-45-67" not in err and "3800" not in err
    if fmt == "text":
        assert err.splitlines()[0] == "WARNING callqa.test: in-200-[NUMBER]-20261120.flac: card [NUMBER] [NUMBER]"
        assert "bad file [NUMBER].wav" in err
        return
    first, second = (json.loads(line) for line in err.splitlines())
    assert first["message"] == "in-200-[NUMBER]-20261120.flac: card [NUMBER] [NUMBER]"
    assert (first["level"], first["logger"], first["run_id"], first["call_id"]) == (
        "WARNING", "callqa.test", "a3b0487c54dc", "5e852ee96e360f02fad2")
    assert "run_id" not in second and "call_id" not in second  # outside the context
    assert second["exception"].startswith("Traceback") and "bad file [NUMBER].wav" in second["exception"]
