"""A night that survives its inbox and its machine (issue #15, finding 6): unreadable inbox entries
are skipped with a reason, one run per database, the temporary Prefect server gets the start-up
time a busy machine needs and never outlives a killed run."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

import psutil
import pytest

from storage.db import connect

REPO = Path(__file__).resolve().parent.parent


def _bad_entries(inbox: Path, outside: Path) -> dict[str, str]:
    """Entries named like recordings that cannot be read; name -> expected reason fragment."""
    (inbox / "loop.wav").symlink_to("loop.wav")  # ln -s loop.wav loop.wav: stopped the whole night
    (inbox / "ping.wav").symlink_to("pong.wav")
    (inbox / "pong.wav").symlink_to("ping.wav")
    (inbox / "moved.flac").symlink_to("gone/moved.flac")
    os.mkfifo(inbox / "pipe.wav")  # hashing a pipe would wait forever
    (outside / "secret.wav").write_bytes(b"RIFF")
    (inbox / "escape.wav").symlink_to(outside / "secret.wav")
    return {"loop.wav": "symbolic link loop", "ping.wav": "symbolic link loop", "pong.wav": "symbolic link loop",
            "moved.flac": "broken link", "pipe.wav": "not a regular file (a named pipe)",
            "escape.wav": "outside the inbox"}


@pytest.mark.parametrize("as_url", [False, True], ids=["folder", "file-url"])
def test_inbox_listing_skips_entries_it_cannot_read_with_the_reason(tmp_path, as_url):
    from pipeline.intake.inbox import scan

    inbox, outside = tmp_path / "inbox", tmp_path / "outside"
    inbox.mkdir()
    outside.mkdir()
    (inbox / "good.wav").write_bytes(b"RIFF....")
    expected = _bad_entries(inbox, outside)
    listing = scan(f"file://{inbox}" if as_url else inbox, [".wav", ".flac"])
    assert [Path(str(p)).name for p in listing.found] == ["good.wav"]
    reasons = {Path(u.path).name: u.reason for u in listing.unreadable}
    assert set(reasons) == set(expected)
    for name, fragment in expected.items():
        assert fragment in reasons[name], (name, reasons[name])


def test_entries_the_night_user_may_not_read_are_skipped_with_the_reason():
    """As an unprivileged user (root reads everything): a folder and a file without permission."""
    base = Path(tempfile.mkdtemp(prefix="callqa-perm-"))
    try:
        base.chmod(0o755)
        inbox = base / "inbox"
        (inbox / "closed").mkdir(parents=True)
        (inbox / "closed" / "a.wav").write_bytes(b"RIFF")
        (inbox / "closed").chmod(0o700)
        (inbox / "private.wav").write_bytes(b"RIFF")
        (inbox / "private.wav").chmod(0o600)
        (inbox / "good.wav").write_bytes(b"RIFF")
        inbox.chmod(0o755)
        (inbox / "good.wav").chmod(0o644)
        prefix: list[str] = []
        if os.geteuid() == 0:
            if shutil.which("setpriv") is None:
                pytest.skip("running as root without setpriv: cannot drop to an unprivileged user")
            prefix = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]
        code = ("import sys; from pipeline.intake.inbox import scan; r = scan(sys.argv[1], ['.wav']); "
                "print([p.name for p in r.found]); [print(u.path, '|', u.reason) for u in r.unreadable]")
        proc = subprocess.run([*prefix, sys.executable, "-c", code, str(inbox)], capture_output=True, text=True,
                              timeout=60, cwd=REPO, env=dict(os.environ, PYTHONPATH=str(REPO)))
        assert proc.returncode == 0, proc.stderr
        lines = proc.stdout.splitlines()
        assert lines[0] == "['good.wav']"
        assert f"{inbox / 'closed'} | folder cannot be listed: Permission denied" in lines
        assert f"{inbox / 'private.wav'} | no permission to read it" in lines
    finally:
        for path in (base / "inbox" / "closed",):
            path.chmod(0o755)
        shutil.rmtree(base)


@pytest.mark.slow
def test_night_processes_the_good_calls_and_lists_the_unreadable_entries(prefect_harness, samples_dir, settings,
                                                                        tmp_path, monkeypatch):
    """A real nightly run over two calls, a symlink loop and other unreadable entries, and a recording
    that vanishes between the listing and its reading (moved away by the PBX)."""
    import flows.nightly as nightly_module
    import usecases.discovery as discovery
    from storage.queries import run_problems
    from storage.run_report import run_report

    inbox, outside = tmp_path / "inbox", tmp_path / "outside"
    inbox.mkdir()
    outside.mkdir()
    good = ["en_mono_rude.flac", "ru_stereo_rude.flac"]
    for name in good:
        shutil.copy(samples_dir / name, inbox / name)
    shutil.copy(samples_dir / "en_stereo_good.flac", inbox / "vanishing.flac")
    expected = _bad_entries(inbox, outside)
    expected["vanishing.flac"] = "vanished before it could be read"

    real_settled = discovery.settled

    def settled_then_moved(paths, settle_s):  # the real listing and settle check, then the file is gone
        result = real_settled(paths, settle_s)
        (inbox / "vanishing.flac").unlink()
        return result

    monkeypatch.setattr(discovery, "settled", settled_then_moved)
    monkeypatch.setenv("CALLQA_MODELS_DIR", str(settings.asr.models_dir))
    db = tmp_path / "callqa.duckdb"
    summary = nightly_module.nightly(inbox=str(inbox), db=str(db))

    assert (summary.processed, summary.quarantined, summary.failed, summary.unreadable) == (2, 0, 0, len(expected))
    with connect(db, read_only=True) as con:
        processed = {r[0] for r in con.execute("SELECT file_name FROM calls WHERE status = 'processed'").fetchall()}
        run = con.execute("SELECT status, processed, unreadable FROM runs").fetchall()
        report = run_report(con, summary.run_id)
        shown = run_problems(con, summary.run_id)  # what the app's Runs page lists
    assert processed == set(good)
    assert run == [("completed", 2, len(expected))]
    problems = {p.file_name: p for p in report.problems}
    assert set(problems) == set(expected)
    for name, fragment in expected.items():
        assert problems[name].status == "unreadable" and fragment in problems[name].reason, problems[name]
    assert dict(zip(shown["file_name"], shown["error"])) == {n: p.reason for n, p in problems.items()}


_HOLD_LOCK = textwrap.dedent("""
    import sys, time
    from storage.run_lock import run_lock
    with run_lock(sys.argv[1]):
        print("held", flush=True)
        time.sleep(600)
""")


def test_run_lock_waits_then_refuses_and_a_killed_holder_leaves_no_stale_lock(tmp_path):
    from storage.run_lock import RunLocked, run_lock

    db = tmp_path / "callqa.duckdb"
    holder = subprocess.Popen([sys.executable, "-c", _HOLD_LOCK, str(db)], stdout=subprocess.PIPE, text=True,
                              cwd=REPO, env=dict(os.environ, PYTHONPATH=str(REPO)))
    try:
        assert holder.stdout.readline().strip() == "held"
        started = time.monotonic()
        with pytest.raises(RunLocked, match=rf"another run is using .*\(pid {holder.pid}, started .*after waiting 1 s"):
            with run_lock(db, wait_s=1.0, poll_s=0.1):
                pass
        assert 1.0 <= time.monotonic() - started < 5
        holder.kill()  # SIGKILL: no clean-up code runs in the holder
        holder.wait(timeout=10)
        with run_lock(db, wait_s=0) as lock:  # the kernel released it with the process
            assert lock.held
            with run_lock(db) as again:  # re-entrant within one process (CLI, then the flow)
                assert again is lock
            assert lock.held
        assert not lock.held
    finally:
        if holder.poll() is None:
            holder.kill()
            holder.wait()


def test_runs_are_marked_interrupted_only_under_the_run_lock(tmp_path):
    from storage.calls import mark_interrupted_runs, start_run
    from storage.run_lock import RunLock, run_lock

    db = tmp_path / "callqa.duckdb"
    with connect(db) as con:
        run_id = start_run(con, "nightly", "/inbox")
        with pytest.raises(RuntimeError, match="only be marked interrupted under the run lock"):
            mark_interrupted_runs(con, "nightly", RunLock(db, db.with_name("x.run.lock")))
        with run_lock(db) as lock:
            assert mark_interrupted_runs(con, "nightly", lock) == [run_id]


def _server_processes(parent: psutil.Process) -> list[psutil.Process]:
    return [
        c for c in parent.children(recursive=True) if "prefect.server.api.server:create_app" in " ".join(c.cmdline())
    ]


def _alive(proc: psutil.Process) -> bool:
    try:
        return proc.is_running() and proc.status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


@pytest.mark.slow
def test_second_run_exits_without_touching_a_live_one_and_a_killed_run_leaves_no_server(samples_dir, settings,
                                                                                         tmp_path):
    """Two real `callqa run` on one database, then `kill -9` of the first while its temporary Prefect
    server is up: the second exits at once (code 75) and the live run stays 'running'; after the kill,
    no process of the server remains and the next run may take over."""
    from storage.calls import mark_interrupted_runs
    from storage.run_lock import run_lock

    inbox, db = tmp_path / "inbox", tmp_path / "callqa.duckdb"
    inbox.mkdir()
    shutil.copy(samples_dir / "en_mono_rude.flac", inbox / "a.flac")
    env = dict(os.environ, PYTHONPATH=str(REPO), CALLQA_MODELS_DIR=str(settings.asr.models_dir),
               PREFECT_HOME=str(tmp_path / "prefect"), CALLQA_SETTLE_S="300")  # the run waits in its settle check
    env.pop("PREFECT_API_URL", None)
    command = [sys.executable, "-m", "callqa", "run", "--inbox", str(inbox), "--db", str(db)]
    first = subprocess.Popen(command, env=env, cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                             text=True, start_new_session=True)
    servers: list[psutil.Process] = []
    try:
        parent = psutil.Process(first.pid)
        deadline = time.monotonic() + 240
        running: list = []
        while time.monotonic() < deadline and not running:
            assert first.poll() is None, first.stderr.read()
            time.sleep(1)
            if _server_processes(parent):
                try:
                    with connect(db, read_only=True) as con:
                        running = con.execute("SELECT run_id FROM runs WHERE status = 'running'").fetchall()
                except Exception:  # noqa: BLE001 - the schema is not there yet, or the writer holds the file
                    running = []
        assert running, "the first run did not start in time"
        servers = _server_processes(parent)
        assert len(servers) == 1

        second = subprocess.run(command, env=env, cwd=tmp_path, capture_output=True, text=True, timeout=120)
        assert second.returncode == 75, second.stderr
        assert f"another run is using {db} (pid {first.pid}" in second.stderr
        with connect(db, read_only=True) as con:
            assert con.execute("SELECT run_id, status FROM runs").fetchall() == [(running[0][0], "running")]

        first.send_signal(signal.SIGKILL)
        first.wait(timeout=10)
        gone_by = time.monotonic() + 8
        while time.monotonic() < gone_by and any(_alive(p) for p in servers):
            time.sleep(0.2)
        assert not any(_alive(p) for p in servers), "the temporary Prefect server outlived the killed run"
        with run_lock(db) as lock, connect(db) as con:  # the next run: the lock proves the first is dead
            assert mark_interrupted_runs(con, "nightly", lock) == [running[0][0]]
    finally:  # whatever failed, leave nothing running
        if first.poll() is None:
            os.killpg(first.pid, signal.SIGKILL)
            first.wait()
        for server in servers:
            if _alive(server):
                server.kill()


@pytest.mark.slow
def test_prefect_server_start_up_time_comes_from_the_settings(tmp_path):
    """The allowed start-up time reaches Prefect: far too short, the run fails at once with a clear
    message naming the setting, and the half-started server is not left behind."""
    from usecases.settings import Settings

    assert Settings().run.prefect_startup_timeout_s == 120
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    env = dict(os.environ, PYTHONPATH=str(REPO), PREFECT_HOME=str(tmp_path / "prefect"),
               CALLQA_PREFECT_STARTUP_TIMEOUT_S="0.5")
    env.pop("PREFECT_API_URL", None)
    started = time.monotonic()
    proc = subprocess.Popen([sys.executable, "-m", "callqa", "run", "--inbox", str(inbox), "--db",
                             str(tmp_path / "callqa.duckdb")], env=env, cwd=tmp_path, stderr=subprocess.PIPE, text=True)
    me = psutil.Process(proc.pid)
    seen: set[psutil.Process] = set()
    while proc.poll() is None:
        try:
            seen.update(_server_processes(me))
        except psutil.NoSuchProcess:
            break
        time.sleep(0.05)
    stderr = proc.stderr.read()
    assert proc.wait(timeout=60) == 1, stderr
    assert "did not start within 0.5 s" in stderr and "prefect_startup_timeout_s" in stderr
    assert time.monotonic() - started < 60
    assert seen and not any(_alive(p) for p in seen)
