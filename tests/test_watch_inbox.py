"""``callqa watch`` run for real in a subprocess on a temporary inbox: a file written slowly is not taken before it
settles, a finished one is stored within seconds (the latency is printed), a duplicate copy is not analysed
again, a stop signal leaves nothing half-stored, and a nightly run started beside a second watcher does not
analyse a call twice."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from storage.db import connect

REPO = Path(__file__).resolve().parent.parent


def _env(tmp_path: Path) -> dict[str, str]:
    env = dict(os.environ, PYTHONPATH=str(REPO), PREFECT_HOME=str(tmp_path / "prefect"),
               CALLQA_CALL_TIMEOUT_S="0",  # the watcher's own process keeps the models (no child to start)
               CALLQA_SAMPLE_PER_STRATUM="0", CALLQA_RUN_LOCK_WAIT_S="300")
    env.pop("PREFECT_API_URL", None)
    return env


def _start_watcher(tmp_path: Path, inbox: Path, db: Path, log: Path) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "callqa", "watch", "--inbox", str(inbox), "--db", str(db),
                             "--poll", "0.3", "--settle", "2"], env=_env(tmp_path), cwd=tmp_path,
                            stdout=open(log, "a"), stderr=subprocess.STDOUT)


def _rows(db: Path, sql: str, params: list | None = None) -> list[tuple]:
    if not db.exists():
        return []
    with connect(db, read_only=True, timeout_s=60) as con:
        return con.execute(sql, params or []).fetchall()


def _wait_for(what, timeout_s: float, proc: subprocess.Popen, log: Path):
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        value = what()
        if value:
            return value
        if proc.poll() is not None:
            pytest.fail(f"the watcher ended ({proc.returncode}):\n{log.read_text()[-3000:]}")
        time.sleep(0.2)
    pytest.fail(f"timed out after {timeout_s:.0f} s:\n{log.read_text()[-3000:]}")


def _status(db: Path, name: str) -> str | None:
    rows = _rows(db, "SELECT status FROM calls WHERE file_name = ?", [name])
    return rows[0][0] if rows else None


@pytest.fixture(scope="module")
def clips(samples_dir, tmp_path_factory) -> dict[str, Path]:
    """8 s pieces of the bundled stereo calls (distinct contents): short stereo calls keep the test fast."""
    import soundfile as sf

    folder = tmp_path_factory.mktemp("clips")
    out = {}
    for name, start in (("en_stereo_good", 0), ("ru_stereo_good", 0), ("ru_stereo_rude", 0), ("en_stereo_good", 13)):
        audio, rate = sf.read(samples_dir / f"{name}.flac", dtype="int16")
        clip = f"{name}_{start}.flac"
        out[clip] = folder / clip
        sf.write(out[clip], audio[start * rate: (start + 8) * rate], rate, subtype="PCM_16")
    return out


def _publish(source: Path, target: Path) -> float:
    """Copy under a hidden name, then rename (how a PBX's mover closes a file): the time it appeared."""
    target.parent.mkdir(parents=True, exist_ok=True)
    hidden = target.with_name("." + target.name)
    shutil.copyfile(source, hidden)
    os.replace(hidden, target)
    return time.time()


def test_the_watcher_takes_settled_files_once_and_stops_cleanly(clips, tmp_path):
    inbox, db, log = tmp_path / "inbox", tmp_path / "callqa.duckdb", tmp_path / "watch.log"
    inbox.mkdir()
    watcher = _start_watcher(tmp_path, inbox, db, log)
    try:
        # 1. A file written slowly (a chunk every 0.5 s for 5 s, longer than the 2 s settle time) is not taken
        #    before it is complete: only its whole content is ever analysed.
        whole = clips["en_stereo_good_0.flac"].read_bytes()
        slow = inbox / "slow" / "en_slow.flac"
        slow.parent.mkdir()
        with open(slow, "wb") as out:
            step = len(whole) // 10 + 1
            for i in range(0, len(whole), step):
                out.write(whole[i:i + step])
                out.flush()
                time.sleep(0.5)
                assert _status(db, "en_slow.flac") is None, "taken while still being written"
        closed = time.time()
        _wait_for(lambda: _status(db, "en_slow.flac"), 180, watcher, log)
        print(f"\nslow file: stored {time.time() - closed:.1f} s after it was closed (models loaded meanwhile)")

        # 2. A finished file is stored within seconds, the models already warm
        appeared = _publish(clips["ru_stereo_good_0.flac"], inbox / "ru_good.flac")
        assert _wait_for(lambda: _status(db, "ru_good.flac"), 120, watcher, log) == "processed"
        print(f"finished file: stored {time.time() - appeared:.1f} s after it appeared (settle 2 s, poll 0.3 s)")

        # 3. A duplicate copy (same bytes, another name and folder) is not analysed again; a broken file is
        #    quarantined and the watcher goes on
        _publish(clips["ru_stereo_good_0.flac"], inbox / "copies" / "ru_good_copy.flac")
        _publish(clips["en_stereo_good_0.flac"], inbox / "copies" / "en_copy.flac")
        broken = inbox / "broken.flac"
        broken.write_bytes(b"fLaC" + os.urandom(4000))
        assert _wait_for(lambda: _status(db, "broken.flac"), 60, watcher, log) == "quarantined"
        time.sleep(3)  # a settle time and more for the copies

        # 4. SIGTERM while a batch of two is being analysed: the call in flight is stored whole, the other left
        for name in ("ru_stereo_rude_0.flac", "en_stereo_good_13.flac"):
            _publish(clips[name], inbox / "stop" / name)
        _wait_for(lambda: _rows(db, "SELECT 1 FROM runs WHERE flow = 'watch' AND status = 'running'"), 60,
                  watcher, log)
        watcher.send_signal(signal.SIGTERM)
        assert watcher.wait(120) == 0, log.read_text()[-3000:]
    finally:
        if watcher.poll() is None:
            watcher.kill()
    output = log.read_text()
    assert "SIGTERM: stopping after the call in flight" in output and "watch stopped:" in output
    stopped = [n for n in ("ru_stereo_rude_0.flac", "en_stereo_good_13.flac") if _status(db, n)]
    assert len(stopped) <= 1, "the watcher went on analysing after the stop signal"
    assert not _rows(db, "SELECT run_id FROM runs WHERE flow = 'watch' AND status <> 'completed'")
    # nothing half-stored: every processed call has its transcript and its score
    assert not _rows(db, """SELECT c.call_id FROM calls c WHERE c.status = 'processed'
                            AND (NOT EXISTS (SELECT 1 FROM segments s WHERE s.call_id = c.call_id)
                                 OR NOT EXISTS (SELECT 1 FROM scores s WHERE s.call_id = c.call_id))""")
    names = {r[0] for r in _rows(db, "SELECT file_name FROM calls")}
    assert not names & {"ru_good_copy.flac", "en_copy.flac"}, "a duplicate copy was stored as a call"

    # 5. The next runs: a nightly run and a second watcher started together, both after the recording the
    #    stop left. Whichever takes it, every content is analysed exactly once.
    watcher = _start_watcher(tmp_path, inbox, db, log)
    nightly = subprocess.Popen([sys.executable, "-m", "callqa", "run", "--inbox", str(inbox), "--db", str(db)],
                               env=dict(_env(tmp_path), CALLQA_SETTLE_S="2"), cwd=tmp_path,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        night_out, _ = nightly.communicate(timeout=300)
        assert nightly.returncode == 0, night_out[-3000:]
        expected = {"en_slow.flac", "ru_good.flac", "ru_stereo_rude_0.flac", "en_stereo_good_13.flac", "broken.flac"}
        _wait_for(lambda: expected <= {r[0] for r in _rows(db, "SELECT file_name FROM calls")}, 180, watcher, log)
        time.sleep(3)  # a poll or more after the last call: nothing more may come
        watcher.send_signal(signal.SIGINT)
        assert watcher.wait(120) == 0, log.read_text()[-3000:]
    finally:
        for proc in (watcher, nightly):
            if proc.poll() is None:
                proc.kill()
    calls = _rows(db, "SELECT file_name, status FROM calls ORDER BY file_name")
    assert {n for n, _ in calls} == expected, calls
    assert all(s == ("quarantined" if n == "broken.flac" else "processed") for n, s in calls), calls
    runs = _rows(db, "SELECT flow, status, processed FROM runs ORDER BY started_at")
    print("runs:", runs)
    assert all(status == "completed" for _, status, _ in runs), runs
    # each content analysed once: the runs' processed counts add up to the calls, no more
    assert sum(p for _, _, p in runs) == len(expected) - 1, runs
    assert {flow for flow, _, p in runs if p} <= {"watch", "nightly"}
