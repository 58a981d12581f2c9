"""Runs uvicorn (the temporary Prefect server) and stops it when the run that started it is gone.

``python -m flows.server_guard PARENT_PID <uvicorn arguments>``: a thread watches the parent
process id; once this process is re-parented (the run exited or was killed, even with
``kill -9``), the server gets SIGTERM, shuts down, and is forced out after a few seconds.
Polling the parent, unlike PR_SET_PDEATHSIG, does not depend on which thread started the server.
"""

from __future__ import annotations

import os
import runpy
import signal
import sys
import threading
import time

POLL_S = 0.25
GRACE_S = 5.0


def _watch(parent: int) -> None:
    while os.getppid() == parent:
        time.sleep(POLL_S)
    os.kill(os.getpid(), signal.SIGTERM)  # uvicorn's own clean shutdown
    time.sleep(GRACE_S)
    os._exit(1)


def main() -> None:
    parent = int(sys.argv[1])
    if os.getppid() != parent:  # the run died before the server even started
        sys.exit(1)
    threading.Thread(target=_watch, args=(parent,), name="parent-watch", daemon=True).start()
    sys.argv = ["uvicorn", *sys.argv[2:]]
    runpy.run_module("uvicorn", run_name="__main__", alter_sys=True)


if __name__ == "__main__":
    main()
