"""``callqa app``: start the QA review app (Streamlit) on the configured database.

The Streamlit server runs as a child process. ``callqa app`` hands it the stop signals it gets
(SIGTERM from a service manager or ``kill``, SIGINT from Ctrl-C, SIGHUP), waits for it to close
its port, and exits 0; a server that does not stop within ``STOP_GRACE_S`` is killed. The child
runs in its own process group, so Ctrl-C reaches it once, through here; on Linux it is also told
to stop when ``callqa app`` dies without a word (SIGKILL), so no server is left holding the port.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from callqa.commands.common import load_settings

APP = Path(__file__).resolve().parents[2] / "qa_app" / "app.py"  # the Streamlit script, beside the callqa package
STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)
STOP_GRACE_S = 15.0  # how long the server may take to close its sessions before it is killed
_PR_SET_PDEATHSIG = 1


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("app", help="start the QA review app")
    p.add_argument("--db", default=None)
    p.add_argument("--port", type=int, default=8501)
    p.add_argument("--address", "--host", dest="host", default="127.0.0.1",
                   help="address to bind (default 127.0.0.1; any other address requires a login)")
    p.add_argument("--users", default=None,
                   help="users file (default: users.toml beside the database, or $CALLQA_USERS)")
    p.set_defaults(func=app)


def app(args: argparse.Namespace) -> int:
    settings = load_settings(db=args.db)
    env = dict(os.environ, CALLQA_DB=str(Path(settings.storage.db).resolve()))
    if args.users:
        env["CALLQA_USERS"] = str(Path(args.users).resolve())
    # The app itself asks for a login unless it is bound to loopback with no users (qa_app/auth.py).
    command = [
        sys.executable, "-m", "streamlit", "run", str(APP),
        "--server.port", str(args.port), "--server.address", args.host,
        "--server.headless", "true", "--browser.gatherUsageStats", "false", "--client.toolbarMode", "minimal",
    ]
    print(f"QA app on http://{args.host}:{args.port} (database {settings.storage.db})", flush=True)
    return serve(command, env)


def _stop_with_parent() -> None:
    """In the child, before exec: SIGTERM it when the parent dies (Linux; elsewhere nothing to do)."""
    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, int(signal.SIGTERM))
    except (OSError, AttributeError):
        pass


def serve(command: list[str], env: dict[str, str]) -> int:
    """Runs the server until it exits or a stop signal arrives (passed on to it); 0 after a requested stop."""
    child = subprocess.Popen(command, env=env, start_new_session=True,
                             preexec_fn=_stop_with_parent if sys.platform.startswith("linux") else None)
    asked: list[float] = []  # when each stop signal arrived (monotonic)

    def pass_on(signum: int, _frame: object) -> None:
        asked.append(time.monotonic())
        if child.poll() is None:
            child.send_signal(signal.SIGTERM if signum == signal.SIGHUP else signum)

    before = {s: signal.signal(s, pass_on) for s in STOP_SIGNALS}
    try:
        while True:
            try:
                code = child.wait(timeout=0.5)
                break
            except subprocess.TimeoutExpired:
                if asked and time.monotonic() - asked[0] > STOP_GRACE_S:
                    child.kill()
    except BaseException:
        if child.poll() is None:
            child.kill()
            child.wait()
        raise
    finally:
        for s, handler in before.items():
            signal.signal(s, handler)
    if asked:
        print("QA app stopped", flush=True)
        return 0
    return code

