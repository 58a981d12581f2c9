"""The temporary Prefect server a run uses when no Prefect server is configured.

Prefect starts one by itself (a uvicorn child) when a flow first needs its API, waits for it
``PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS`` (20 s by default: a loaded machine missed it
and the night failed), and stops it at exit, but not when the run is killed: a ``kill -9`` left
the server running. Here the run starts it first, allowing ``prefect_startup_timeout_s``, as a
child that watches its parent and stops when the parent is gone (``flows.server_guard``). It is
registered as Prefect's default temporary server, so every Prefect client in the process uses it.
A server left by an older run listens on its own random port and is not used.
"""

from __future__ import annotations

import os
import subprocess
import sys
from contextlib import contextmanager
from typing import Any, Iterator

import prefect
from prefect.server.api.server import SubprocessASGIServer
from prefect.settings import PREFECT_API_URL, PREFECT_SERVER_EPHEMERAL_ENABLED, get_current_settings


class ServerStartFailed(RuntimeError):
    """The temporary Prefect server did not answer in time."""


class GuardedServer(SubprocessASGIServer):
    """Prefect's temporary server, run through ``flows.server_guard`` so it dies with this process."""

    def _run_uvicorn_command(self) -> subprocess.Popen[Any]:
        # The command and environment of Prefect 3.8.8's SubprocessASGIServer, behind the guard.
        server_env = {"PREFECT_UI_ENABLED": "0", "PREFECT__SERVER_EPHEMERAL": "1", "PREFECT__SERVER_FINAL": "1"}
        return subprocess.Popen(
            args=[
                sys.executable, "-m", "flows.server_guard", str(os.getpid()),
                "--app-dir", str(prefect.__module_path__.parent),
                "--factory", "prefect.server.api.server:create_app",
                "--host", "127.0.0.1", "--port", str(self.port),
                "--log-level", "error", "--lifespan", "on",
            ],
            env={**os.environ, **server_env, **get_current_settings().to_environment_variables(exclude_unset=True),
                 "PYTHONPATH": _pythonpath()},
        )


def _pythonpath() -> str:
    """This project's root first, so the child finds ``flows.server_guard`` wherever it is started from."""
    here = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    rest = os.environ.get("PYTHONPATH", "")
    return here + (os.pathsep + rest if rest else "")


@contextmanager
def temporary_server(startup_timeout_s: float) -> Iterator[str | None]:
    """Start the guarded temporary server (unless ``PREFECT_API_URL`` names a real one, or this process
    already runs one) and yield its API URL; None when a configured server is used. Prefect stops it at
    normal exit; the guard stops it when this process is killed."""
    if PREFECT_API_URL.value() or not PREFECT_SERVER_EPHEMERAL_ENABLED.value():
        yield None
        return
    server = SubprocessASGIServer._instances.get(None)
    if server is not None and not server.running:  # created, never started: replace it by a guarded one
        SubprocessASGIServer._instances.pop(None, None)
        server = None
    if server is None:
        server = GuardedServer()  # registered under Prefect's default key: Prefect's clients find it
        try:
            server.start(timeout=startup_timeout_s)  # type: ignore[arg-type]  # a float works as well
        except Exception as err:
            server.stop()  # a half-started server must not stay behind
            raise ServerStartFailed(
                f"the temporary Prefect server did not start within {startup_timeout_s:g} s ({err}). On a busy "
                "machine allow it longer (prefect_startup_timeout_s / CALLQA_PREFECT_STARTUP_TIMEOUT_S), or run "
                "a Prefect server and set PREFECT_API_URL") from err
    yield server.api_url
