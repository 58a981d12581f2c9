"""The nightly flow never loses or duplicates a call: killed with SIGKILL midway, the next run
completes the night, and files still being written or linking out of the inbox are left alone."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest

from pipeline.intake.inbox import discover, settled
from storage.db import connect
from tests.conftest import write_bad_files

pytestmark = pytest.mark.slow
RUN_FLOW = textwrap.dedent("""
    import sys
    from flows.nightly import nightly
    nightly(inbox=sys.argv[1], db=sys.argv[2], batch_size=1)
""")
COUNTS = """
    SELECT (SELECT count(*) FROM calls WHERE status = 'processed'),
           (SELECT count(*) FROM calls WHERE status = 'quarantined'),
           (SELECT count(*) FROM calls), (SELECT count(DISTINCT content_sha256) FROM calls),
           (SELECT count(*) FROM criteria_results), (SELECT count(*) FROM segments),
           (SELECT count(*) FROM scores), (SELECT count(*) FROM call_analytics)
"""


def _counts(db: Path) -> tuple:
    with connect(db, read_only=True) as con:
        return con.execute(COUNTS).fetchone()


def _calls(db: Path) -> list[tuple]:
    with connect(db, read_only=True) as con:
        return con.execute("SELECT file_name, status, error FROM calls ORDER BY file_name").fetchall()


def test_settled_leaves_a_file_that_is_still_growing(tmp_path):
    done, growing = tmp_path / "done.wav", tmp_path / "growing.wav"
    done.write_bytes(b"x" * 1000)
    growing.write_bytes(b"y" * 10)
    stop = threading.Event()

    def keep_writing() -> None:
        with open(growing, "ab") as out:
            while not stop.is_set():
                out.write(b"y" * 100)
                out.flush()
                time.sleep(0.05)

    writer = threading.Thread(target=keep_writing)
    writer.start()
    try:
        stable, writing = settled([done, growing], settle_s=0.5)
    finally:
        stop.set()
        writer.join()
    assert stable == [done] and writing == [growing]
    assert settled([done, growing], settle_s=0.3) == ([done, growing], [])  # finished writing: picked up


def test_links_that_lead_out_of_the_inbox_are_not_followed(tmp_path):
    inbox, outside = tmp_path / "inbox", tmp_path / "elsewhere"
    inbox.mkdir()
    outside.mkdir()
    (outside / "secret.wav").write_bytes(b"RIFF")
    (inbox / "inside.wav").write_bytes(b"RIFF")
    (inbox / "escape.wav").symlink_to(outside / "secret.wav")
    (inbox / "alias.wav").symlink_to(inbox / "inside.wav")
    (inbox / "subdir").symlink_to(outside, target_is_directory=True)
    assert [p.name for p in discover(inbox, [".wav"])] == ["alias.wav", "inside.wav"]


def test_a_run_killed_midway_is_completed_by_the_next_with_nothing_lost_or_doubled(
        flow_db, samples_dir, settings, prefect_harness, tmp_path, monkeypatch):
    from flows.nightly import nightly

    inbox = tmp_path / "inbox"
    shutil.copytree(samples_dir, inbox, ignore=shutil.ignore_patterns("*.truth.json", "*.md"))
    write_bad_files(inbox / "bad")
    db = tmp_path / "callqa.duckdb"
    env = dict(os.environ, CALLQA_MODELS_DIR=str(settings.asr.models_dir), PREFECT_HOME=str(tmp_path / "prefect"))
    # Its own session: the kill takes the flow's temporary Prefect server with it, as a crash would.
    first = subprocess.Popen(
        [sys.executable, "-c", RUN_FLOW, str(inbox), str(db)],
        env=env,
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        cwd=Path(__file__).resolve().parent.parent,
    )
    try:
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline and first.poll() is None:
            if db.exists():
                try:
                    if _counts(db)[0] >= 2:  # two calls stored: kill it in the middle of the night
                        break
                except Exception:  # the flow holds the write lock right now
                    pass
            time.sleep(0.2)
        assert first.poll() is None, "the flow finished before it could be killed"
        os.killpg(first.pid, signal.SIGKILL)
        first.wait(timeout=30)
    finally:
        if first.poll() is None:
            os.killpg(first.pid, signal.SIGKILL)
    killed = _counts(db)
    clean = _counts(flow_db["db"])
    assert 2 <= killed[0] < clean[0], "the kill came midway"

    # The next run: a recording the PBX is still writing is left alone meanwhile.
    growing = inbox / "late.wav"
    growing.write_bytes(os.urandom(1000))
    stop = threading.Event()

    def keep_writing() -> None:
        with open(growing, "ab") as out:
            while not stop.is_set():
                out.write(os.urandom(200))
                out.flush()
                time.sleep(0.1)

    writer = threading.Thread(target=keep_writing)
    writer.start()
    try:
        monkeypatch.setenv("CALLQA_MODELS_DIR", str(settings.asr.models_dir))
        summary = nightly(inbox=str(inbox), db=str(db), batch_size=1)
    finally:
        stop.set()
        writer.join()
    assert _counts(db) == clean, f"after the rerun the night should look like a clean run: {_calls(db)}"
    assert summary.processed + killed[0] == clean[0]
    with connect(db, read_only=True) as con:
        runs = con.execute("SELECT status FROM runs ORDER BY started_at").fetchall()
        assert con.execute("SELECT count(*) FROM calls WHERE file_name = 'late.wav'").fetchone()[0] == 0
    assert runs == [("interrupted",), ("completed",)]
    # And a third run changes nothing but picks up the finished file (random bytes: quarantined).
    again = nightly(inbox=str(inbox), db=str(db), batch_size=1)
    assert again.processed == 0 and again.quarantined == 1
