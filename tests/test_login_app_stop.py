"""``callqa app`` stopped by its PID takes its Streamlit server with it and frees the port (issue #17, item 11)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.served_app import free_port, wait_healthy

REPO = Path(__file__).resolve().parent.parent


def _children(pid: int) -> list[int]:
    """Direct child processes of ``pid`` (Linux /proc)."""
    found = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        found += [int(p) for p in (task / "children").read_text().split()]
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return False
    return state != "Z"


def _port_free(port: int) -> bool:
    """Nobody listens there, and a new server can bind it (as servers do, with SO_REUSEADDR: the closed
    connections' TIME_WAIT does not hold a port)."""
    with socket.socket() as s:
        if s.connect_ex(("127.0.0.1", port)) == 0:
            return False
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("127.0.0.1", port))
            s.listen()
        except OSError:
            return False
    return True


def _wait(check, timeout_s: float = 30) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.2)
    return False


def _start(tmp_path: Path) -> tuple[subprocess.Popen, int, int]:
    """``callqa app`` as a service manager starts it (its own process group is not signalled): callqa, server, port."""
    port = free_port()
    users = tmp_path / "users.toml"
    env = dict(os.environ, CALLQA_USERS=str(users), PYTHONPATH=str(REPO))
    callqa = subprocess.Popen([sys.executable, "-m", "callqa", "app", "--db", str(tmp_path / "callqa.duckdb"),
                               "--port", str(port)], env=env, cwd=tmp_path, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True)
    try:
        wait_healthy(f"http://127.0.0.1:{port}")
        (server,) = _children(callqa.pid)
    except BaseException:
        callqa.kill()
        raise
    return callqa, server, port


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGINT])
def test_a_stop_signal_to_callqa_app_stops_its_server_and_frees_the_port(tmp_path, stop):
    callqa, server, port = _start(tmp_path)
    try:
        assert _alive(server) and not _port_free(port)
        callqa.send_signal(stop)  # to callqa alone, as `kill PID` does
        assert callqa.wait(timeout=30) == 0, "a requested stop is a clean exit"
        assert "QA app stopped" in (callqa.stdout.read() if callqa.stdout else "")
        assert _wait(lambda: not _alive(server)), "no streamlit process is left behind"
        assert _wait(lambda: _port_free(port)), "the port is free again"
    finally:
        for pid in (callqa.pid, server):
            if _alive(pid):
                os.kill(pid, signal.SIGKILL)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc; the parent-death signal is Linux's")
def test_a_killed_callqa_app_still_takes_its_server_down(tmp_path):
    callqa, server, port = _start(tmp_path)
    try:
        callqa.kill()  # SIGKILL: callqa cannot pass anything on; the kernel tells the server
        callqa.wait(timeout=10)
        assert _wait(lambda: not _alive(server)), "the server stops when callqa app dies"
        assert _wait(lambda: _port_free(port))
    finally:
        if _alive(server):
            os.kill(server, signal.SIGKILL)
