"""Each call is analysed in a child process that keeps the models loaded between calls, so that
a call can be stopped at its timeout (a thread cannot be stopped inside a decoder or a model),
and a crash in native code (a decoder segfault, the kernel's out-of-memory killer) takes down
that call alone, not the flow.

The child is a fresh interpreter (``python -c``, not multiprocessing's spawn, which would re-run
the parent's main script, and not fork, which copies a process that already runs threads). It
talks over a socket pair, loads the models once on its first call, and is restarted after a
timeout or a crash. A daemonic parent (a Dask worker) may start it too.

Several calls analysed at once (``workers``) each lease a child of their own from the process'
pool; a child goes back to the pool, models loaded, for the next call.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from pipeline.records import CallAnalysis
from usecases.settings import Settings

LOAD_TIMEOUT_S = 900.0  # starting the child and loading the models: minutes on a cold disk


class CallTimeout(TimeoutError):
    """The call took longer than ``call_timeout_s``; the child was killed."""


class AnalysisCrashed(RuntimeError):
    """The child died while analysing (killed by a signal, out of memory, a native crash)."""


def serve(fd: int) -> None:
    """The child's loop: (kind, settings, args) in, ("ok" | "error", value, traceback) out."""
    from usecases.runtime import build_analyzer

    conn = Connection(fd)
    analyzers: dict[Settings, Any] = {}
    while True:
        try:
            message = conn.recv()
        except EOFError:  # the parent went away
            return
        if message is None:
            return
        kind, settings, args = message
        try:
            if settings not in analyzers:  # models load once per configuration
                analyzers.clear()
                analyzers[settings] = build_analyzer(settings)
            analyzer = analyzers[settings]
            result: Any = analyzer.analyze(*args) if kind == "analyze" else None
            conn.send(("ok", result, ""))
        except BaseException as err:  # noqa: BLE001 - every error goes back to the parent
            detail = traceback.format_exc()
            try:
                conn.send(("error", err, detail))
            except Exception:  # an exception that does not pickle
                conn.send(("error", RuntimeError(f"{type(err).__name__}: {err}"), detail))


class AnalysisProcess:
    """One child at a time per ``AnalysisProcess``; calls from several threads take turns."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._process: subprocess.Popen | None = None
        self._conn: Connection | None = None
        self._loaded: Settings | None = None

    def analyze(self, settings: Settings, path: str, sha256: str | None, timeout_s: float,
                operator_channel: str | None = None) -> CallAnalysis:
        """``operator_channel``: this call's (None: the settings'); the loaded models serve either."""
        with self._lock:
            if self._loaded != settings:
                self._ask("load", settings, (), LOAD_TIMEOUT_S)
                self._loaded = settings
            return self._ask("analyze", settings, (path, sha256, operator_channel), timeout_s)

    def _start(self) -> None:
        ours, theirs = socket.socketpair()
        project = str(Path(__file__).resolve().parent.parent)
        env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [project, os.environ.get("PYTHONPATH")])))
        code = f"from usecases.analysis_process import serve; serve({theirs.fileno()})"
        self._process = subprocess.Popen([sys.executable, "-c", code], pass_fds=[theirs.fileno()], env=env)
        theirs.close()
        self._conn = Connection(ours.detach())
        self._loaded = None

    def _ask(self, kind: str, settings: Settings, args: tuple, timeout_s: float) -> Any:
        if self._process is None or self._process.poll() is not None:
            self._start()
        assert self._conn is not None and self._process is not None
        self._conn.send((kind, settings, args))
        if not self._conn.poll(timeout_s if timeout_s > 0 else None):
            self.stop(kill=True)
            what = "loading the models" if kind == "load" else "the analysis"
            raise CallTimeout(f"{what} took longer than {timeout_s:g} s; stopped")
        try:
            status, value, detail = self._conn.recv()
        except (EOFError, ConnectionResetError):
            try:
                code = self._process.wait(5)
            except subprocess.TimeoutExpired:
                code = None
            self.stop(kill=True)
            raise AnalysisCrashed(f"the analysis process died (exit code {code})") from None
        if status == "error":
            if detail:
                value.add_note(detail.rstrip())
            raise value
        return value

    def stop(self, kill: bool = False) -> None:
        process, conn = self._process, self._conn
        self._process = self._conn = None
        self._loaded = None
        if process is None:
            return
        if not kill and conn is not None:
            try:
                conn.send(None)
                process.wait(10)
            except (OSError, ValueError, subprocess.TimeoutExpired):
                pass
        if process.poll() is None:
            process.kill()
            process.wait(10)
        if conn is not None:
            conn.close()


class AnalysisPool:
    """The children of this process: a call leases an idle one, or starts one when all are busy."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._idle: list[AnalysisProcess] = []

    @contextmanager
    def lease(self) -> Iterator[AnalysisProcess]:
        with self._lock:
            child = self._idle.pop() if self._idle else AnalysisProcess()
        try:
            yield child
        finally:
            with self._lock:
                self._idle.append(child)  # the last one back is the next one out: its models are warm

    def idle(self) -> int:
        """Children waiting for a call: as many as the most calls this process analysed at once."""
        with self._lock:
            return len(self._idle)

    def stop_all(self) -> None:
        """Stop the idle children (their models' memory is freed); a later call starts a fresh one."""
        with self._lock:
            children, self._idle = self._idle, []
        for child in children:
            child.stop()


_pool = AnalysisPool()


def analysis_processes() -> AnalysisPool:
    """The process-wide pool: tasks of one worker process reuse its children and their loaded models."""
    return _pool

