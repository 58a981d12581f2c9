"""The nightly Prefect flow on a real inbox into a real DuckDB file."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from pipeline.judging.scorecard import load_scorecard
from storage.db import connect
from storage.queries import stats
from storage.review_queue import QueueFilter, review_queue

pytestmark = pytest.mark.slow


def test_good_calls_processed_bad_files_quarantined(flow_db, samples_dir):
    n_samples = len(list(samples_dir.glob("*.flac")))
    s = flow_db["summary"]
    assert (s.processed, s.quarantined, s.failed) == (n_samples, len(flow_db["bad"]), 0)
    with connect(flow_db["db"], read_only=True) as con:
        rows = con.execute("SELECT file_name, status, error FROM calls WHERE status = 'quarantined'").fetchall()
        counts = stats(con)
        run = con.execute("SELECT status, processed, quarantined FROM runs").fetchall()
    reasons = {name: error for name, _, error in rows}
    assert set(reasons) == set(flow_db["bad"])
    for name, fragment in flow_db["bad"].items():
        assert fragment in reasons[name]
    assert counts.calls == n_samples + len(flow_db["bad"])
    assert counts.criteria_results == n_samples * len(load_scorecard("inbound_support").criteria)
    assert run == [("completed", n_samples, len(flow_db["bad"]))]


def test_flow_stores_metadata_analytics_and_the_scorecard_text(flow_db):
    with connect(flow_db["db"], read_only=True) as con:
        meta = con.execute(
            "SELECT operator_id, team, started_at FROM calls WHERE file_name = 'ru_stereo_good.flac'"
        ).fetchone()
        analytics = con.execute(
            "SELECT count(*), count(customer_end_sentiment), min(handle_time_s) FROM call_analytics").fetchone()
        words = con.execute("SELECT count(*) FROM segments WHERE len(words) > 0").fetchone()[0]
        card = con.execute("SELECT scorecard_name, scorecard_version, digest FROM scorecards").fetchall()
    assert meta[0] == "op.andreev" and meta[1] == "support-1" and meta[2].isoformat() == "2026-11-20T09:15:00"
    n_samples = flow_db["summary"].processed
    assert analytics[0] == n_samples and analytics[1] >= 3 and analytics[2] > 20
    assert words > 0
    current = load_scorecard("inbound_support")
    assert card == [(current.name, current.version, current.digest)]


def test_quarantined_files_leave_the_inbox_with_their_reason(flow_db):
    quarantine = flow_db["db"].parent / "quarantine"
    for name, fragment in flow_db["bad"].items():
        assert not (flow_db["inbox"] / "bad" / name).exists()
        moved = list(quarantine.glob(f"*-{name}"))
        assert len(moved) == 1
        assert fragment in moved[0].with_name(moved[0].name + ".reason.txt").read_text()


def test_flagged_calls_are_in_the_queue(flow_db):
    with connect(flow_db["db"], read_only=True) as con:
        queue = review_queue(con, QueueFilter(flagged_only=True))
    names = set(queue["file_name"])
    assert {"ru_stereo_rude.flac", "en_mono_rude.flac"} <= names
    assert "ru_stereo_good.flac" not in names


def test_second_run_changes_nothing(flow_db):
    from flows.nightly import nightly
    from storage.calls import add_review

    with connect(flow_db["db"]) as con:
        call_id = con.execute("SELECT call_id FROM calls WHERE file_name = 'ru_stereo_rude.flac'").fetchone()[0]
        review_id = add_review(con, call_id, "qa.petrova", "reviewed", comment="checked")
        before = stats(con)
    try:
        summary = nightly(inbox=str(flow_db["inbox"]), db=str(flow_db["db"]))
        with connect(flow_db["db"], read_only=True) as con:
            after = stats(con)
        assert (summary.new_calls, summary.processed, summary.quarantined) == (0, 0, 0)
        assert after == before and after.reviews >= 1
    finally:  # the database is shared with the app tests, which expect no reviews yet
        with connect(flow_db["db"]) as con:
            con.execute("DELETE FROM reviews WHERE review_id = ?", [review_id])


def test_same_recording_under_two_names_is_one_call(flow_db, samples_dir, tmp_path):
    import shutil

    from flows.nightly import nightly

    inbox = tmp_path / "inbox"
    inbox.mkdir()
    shutil.copy(samples_dir / "en_mono_rude.flac", inbox / "a.flac")
    shutil.copy(samples_dir / "en_mono_rude.flac", inbox / "copy-of-a.flac")
    db = tmp_path / "dup.duckdb"
    summary = nightly(inbox=str(inbox), db=str(db))
    with connect(db, read_only=True) as con:
        assert stats(con).calls == 1
    assert summary.processed == 1


def test_cli_stats_json(flow_db):
    proc = subprocess.run(
        [sys.executable, "-m", "callqa", "stats", "--db", str(flow_db["db"]), "--json"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert set(data) == {"calls", "processed", "quarantined", "failed", "criteria_results", "reviews"}
    assert data["quarantined"] == len(flow_db["bad"])
