"""``callqa app``: start the QA review app (Streamlit) on the configured database."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

from callqa.commands.common import load_settings

APP = Path(__file__).resolve().parents[2] / "qa_app" / "app.py"  # the Streamlit script, beside the callqa package


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
    print(f"QA app on http://{args.host}:{args.port} (database {settings.storage.db})")
    return subprocess.call(command, env=env)
