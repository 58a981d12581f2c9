"""Operations after a real night: `callqa run` with JSON logs (a subprocess, as cron or systemd would start it),
then the Prometheus exposition and the health of the database it left.

The inbox holds a call where the customer dictates a phone and a card (tests/fixtures/pii_dictation_ru.flac),
named the way FreePBX names recordings (the caller's number in the file name) with a sidecar carrying the
customer's number (Whisper base scores it low: a flagged call), and a broken file whose name carries another
number."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys

import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.conftest import REPO

DICTATION = REPO / "tests" / "fixtures" / "pii_dictation_ru.flac"
CALLER = "79161234567"  # in the dictation call's file name and (formatted) in its sidecar
OTHER_CALLER = "89031112233"  # in the broken file's name
DICTATED_NAME = f"in-200-{CALLER}-20261120-101010-1704103810.123.flac"


@pytest.fixture(scope="module")
def night(models_dir, tmp_path_factory):
    work = tmp_path_factory.mktemp("ops_night")
    inbox = work / "inbox"
    inbox.mkdir()
    shutil.copy(DICTATION, inbox / DICTATED_NAME)
    (inbox / DICTATED_NAME).with_suffix(".meta.json").write_text(json.dumps(
        {"operator": "op.petrova", "team": "support-1", "customer_number": "+7 916 123-45-67",
         "started_at": "2026-11-20T10:10:10"}), encoding="utf-8")
    (inbox / f"out-{OTHER_CALLER}-20261120.wav").write_bytes(os.urandom(4096))
    db = work / "callqa.duckdb"
    env = dict(os.environ, PYTHONPATH=str(REPO), CALLQA_MODELS_DIR=str(models_dir), CALLQA_LOG_FORMAT="json",
               CALLQA_SETTLE_S="0", PREFECT_HOME=str(work / "prefect"))
    env.pop("PREFECT_API_URL", None)
    proc = subprocess.run([sys.executable, "-m", "callqa", "-v", "run", "--inbox", str(inbox), "--db", str(db)],
                          env=env, cwd=work, capture_output=True, text=True, timeout=540)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return {"db": db, "inbox": inbox, "work": work, "stdout": proc.stdout, "stderr": proc.stderr}


def _settings(night, **overrides):
    from usecases.settings import load_settings

    return load_settings(**{"db": night["db"], "inbox": night["inbox"], **overrides})


def _samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample of an exposition by (name, sorted labels)."""
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(text) for s in family.samples}


def test_the_exposition_parses_back_and_matches_the_database(night):
    from storage.db import connect
    from usecases.metrics import metrics_text

    text = metrics_text(_settings(night))
    got = _samples(text)
    with connect(night["db"], read_only=True) as con:
        by_status = dict(con.execute("SELECT status, count(*) FROM calls GROUP BY status").fetchall())
        runs = con.execute("SELECT run_id, flow, status, processed, quarantined, failed, audio_s, discovered, "
                           "new_calls, wall_s, epoch(finished_at) FROM runs").fetchall()
        processed_timed = con.execute("SELECT stage_s, worker_s FROM calls WHERE status = 'processed'").fetchall()
        flagged_unreviewed = con.execute(
            "SELECT count(*) FROM calls c JOIN scores s ON s.call_id = c.call_id AND s.scorecard_name = "
            "c.scorecard_name AND s.scorecard_version = c.scorecard_version WHERE c.status = 'processed' "
            "AND len(s.flags) > 0").fetchone()[0]
        call_ids = [r[0] for r in con.execute("SELECT call_id FROM calls").fetchall()]
        version = con.execute("SELECT max(version) FROM schema_migrations").fetchone()[0]
    assert by_status == {"processed": 1, "quarantined": 1}
    assert got[("callqa_up", ())] == 1 and got[("callqa_database_busy", ())] == 0
    for status in ("processed", "quarantined", "failed"):
        assert got[("callqa_calls", (("status", status),))] == by_status.get(status, 0)
    [(run_id, flow, status, processed, quarantined, failed, audio_s, discovered, new, wall_s, finished)] = runs
    assert (flow, status) == ("nightly", "completed")
    assert got[("callqa_run_calls_total", (("status", "processed"),))] == processed == 1
    assert got[("callqa_run_calls_total", (("status", "quarantined"),))] == quarantined == 1
    assert got[("callqa_run_calls_total", (("status", "failed"),))] == failed == 0
    assert got[("callqa_audio_processed_seconds_total", ())] == pytest.approx(audio_s) and audio_s > 40
    assert got[("callqa_runs_total", (("status", "completed"),))] == 1
    assert got[("callqa_runs_total", (("status", "failed"),))] == 0
    assert got[("callqa_last_run_status", (("flow", "nightly"), ("status", "completed")))] == 1
    assert got[("callqa_last_run_status", (("flow", "nightly"), ("status", "failed")))] == 0
    assert got[("callqa_last_run_duration_seconds", (("flow", "nightly"),))] == pytest.approx(wall_s)
    assert got[("callqa_last_run_recordings", (("flow", "nightly"), ("kind", "discovered")))] == discovered == 2
    assert got[("callqa_last_run_recordings", (("flow", "nightly"), ("kind", "new")))] == new == 2
    assert got[("callqa_last_completed_run_timestamp_seconds", (("flow", "nightly"),))] == pytest.approx(finished)
    assert 0 <= got[("callqa_last_completed_run_age_seconds", (("flow", "nightly"),))] < 3600
    # The stage times: a histogram per processed call, cumulative buckets ending in the count.
    for name, column in (("callqa_call_analysis_seconds", 0), ("callqa_call_worker_seconds", 1)):
        times = [row[column] for row in processed_timed]
        assert got[(f"{name}_count", ())] == len(times) == 1
        assert got[(f"{name}_sum", ())] == pytest.approx(sum(times))
        assert got[(f"{name}_bucket", (("le", "+Inf"),))] == 1
        assert got[(f"{name}_bucket", (("le", "30.0"),))] == sum(t <= 30 for t in times)
        assert got[(f"{name}_bucket", (("le", "1.0"),))] == sum(t <= 1 for t in times)
    assert got[("callqa_review_backlog_calls", ())] == flagged_unreviewed >= 1
    assert got[("callqa_queue_recordings", (("kind", "retry"),))] == 0
    assert got[("callqa_queue_recordings", (("kind", "results_waiting"),))] == 0
    assert got[("callqa_schema_version", (("of", "database"),))] == version
    # Every family has its HELP and TYPE, and no label names a call, an operator, a file or a number.
    families = list(text_string_to_metric_families(text))
    assert all(f.documentation for f in families)
    assert text.count("# TYPE ") == len(families)
    label_values = {v for f in families for s in f.samples for v in s.labels.values()}
    assert label_values <= {"processed", "quarantined", "failed", "completed", "running", "interrupted", "nightly",
                            "discovered", "new", "unreadable", "retry", "results_waiting", "submitted", "database",
                            "release",
                            *(s.labels.get("le") for f in families for s in f.samples if "le" in s.labels)}
    assert not any(call_id in text for call_id in call_ids)
    assert "op.petrova" not in text and CALLER not in text and run_id not in text


def test_a_review_and_a_waiting_result_move_the_gauges(night, tmp_path):
    """The backlog falls when a reviewer marks a flagged call reviewed; a result file the loader has not
    stored yet counts as waiting."""
    from storage.db import connect
    from tests.conftest import copy_database
    from usecases.metrics import metrics_text
    from usecases.review import mark_reviewed

    db = copy_database(night["db"], tmp_path / "callqa.duckdb")
    results = tmp_path / "results"
    results.mkdir()
    settings = _settings(night, db=db, results_dir=results)
    before = _samples(metrics_text(settings))[("callqa_review_backlog_calls", ())]
    with connect(db, read_only=True) as con:
        flagged = con.execute("SELECT c.call_id FROM calls c JOIN scores s USING (call_id) "
                              "WHERE c.status = 'processed' AND len(s.flags) > 0 LIMIT 1").fetchone()[0]
    mark_reviewed(str(db), flagged, "reviewer.one")
    (results / "0123456789abcdef0123.json").write_text("{}", encoding="utf-8")
    after = _samples(metrics_text(settings))
    assert after[("callqa_review_backlog_calls", ())] == before - 1
    assert after[("callqa_queue_recordings", (("kind", "results_waiting"),))] == 1


def test_health_after_the_night_is_ok_and_the_command_says_so(night):
    env = dict(os.environ, PYTHONPATH=str(REPO), CALLQA_LOG_FORMAT="json")
    proc = subprocess.run([sys.executable, "-m", "callqa", "health", "--json", "--db", str(night["db"])],
                          env=env, cwd=night["work"], capture_output=True, text=True, timeout=120)
    report = json.loads(proc.stdout)
    assert proc.returncode == 0, report
    assert report["ok"] is True
    assert set(report["checks"]) == {"database", "last_run", "models", "disk"}
    assert all(c["ok"] for c in report["checks"].values())
    assert "nightly run completed 0." in report["checks"]["last_run"]["detail"]


def test_json_logs_are_one_object_per_line_with_run_and_call_ids(night):
    from storage.db import connect

    lines = [line for line in night["stderr"].splitlines() if line.strip()]
    entries = [json.loads(line) for line in lines]  # every line parses: nothing else reached stderr
    assert len(entries) > 10
    assert all({"time", "level", "logger", "message"} <= set(e) for e in entries)
    with connect(night["db"], read_only=True) as con:
        [run_id] = [r[0] for r in con.execute("SELECT run_id FROM runs").fetchall()]
        ids = dict(con.execute("SELECT file_name, call_id FROM calls").fetchall())
    summary = [e for e in entries if e["message"].startswith(f"run {run_id}:")]
    assert summary and summary[0]["run_id"] == run_id and summary[0]["level"] == "INFO"
    scored = [e for e in entries if e["message"].startswith("in-200-[NUMBER]-20261120-101010-1704103810.123.flac: "
                                                                "score")]
    assert scored and scored[0]["call_id"] == ids[DICTATED_NAME] and scored[0]["run_id"] == run_id
    quarantined = [e for e in entries if "quarantined" in e["message"] and e["level"] == "WARNING"]
    assert quarantined and quarantined[0]["call_id"] == ids[f"out-{OTHER_CALLER}-20261120.wav"]
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+00:00", entries[0]["time"])


def test_no_dictated_or_caller_number_reaches_the_logs(night):
    """The file names the analysis logs carry callers' numbers; the dictated phone and card are in the
    transcript only. None of them is in what the run wrote to stdout or stderr."""
    truth = json.loads(DICTATION.with_suffix(".truth.json").read_text(encoding="utf-8"))
    written = night["stdout"] + night["stderr"]
    assert "[NUMBER]" in written  # the file names were logged, with the numbers taken out
    for number in (CALLER, OTHER_CALLER, "+7 916 123-45-67", "916 123"):
        assert number not in written
    for item in truth["items"]:
        digits = re.sub(r"\D", "", item.get("value", ""))
        for i in range(max(0, len(digits) - 6)):  # any 7 digits in a row of a dictated value
            assert digits[i : i + 7] not in written, item["kind"]
