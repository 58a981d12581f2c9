"""The watcher beside a run that holds the database (a nightly run in another process): it takes nothing, says so
once, keeps polling, and stops when asked; the settled file is still waiting for it afterwards."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest

from storage.run_lock import RunLocked
from usecases.settings import load_settings
from usecases.watch import Watcher

REPO = Path(__file__).resolve().parent.parent
_HOLD_LOCK = textwrap.dedent("""
    import sys, time
    from storage.run_lock import run_lock
    with run_lock(sys.argv[1]):
        print("held", flush=True)
        time.sleep(600)
""")


def test_a_held_run_lock_leaves_the_recording_for_later(tmp_path, caplog):
    inbox, db = tmp_path / "inbox", tmp_path / "callqa.duckdb"
    inbox.mkdir()
    (inbox / "call.wav").write_bytes(b"RIFF" + os.urandom(2000))
    settings = load_settings(inbox=inbox, db=db, settle_s=0.2, watch_poll_s=0.1)
    holder = subprocess.Popen([sys.executable, "-c", _HOLD_LOCK, str(db)], stdout=subprocess.PIPE, text=True,
                              cwd=REPO, env=dict(os.environ, PYTHONPATH=str(REPO)))
    try:
        assert holder.stdout.readline().strip() == "held"
        watcher = Watcher(settings, logging.getLogger("test.watch"))
        assert watcher.poll() is None  # first sight: not settled yet
        time.sleep(0.3)
        with pytest.raises(RunLocked, match="another run is using"):
            watcher.poll()
        with caplog.at_level(logging.INFO, logger="test.watch"):
            thread = threading.Thread(target=watcher.run)
            thread.start()
            time.sleep(1.5)  # about 15 polls
            watcher.stop()
            thread.join(10)
        assert not thread.is_alive()
        waiting = [r for r in caplog.records if "waiting for the other run" in r.getMessage()]
        assert len(waiting) == 1, [r.getMessage() for r in caplog.records]
        assert "watcher stopped" in caplog.text
        assert not db.exists() and watcher.stored == [] and watcher.runs == []
        # still waiting to be taken: the next poll that gets the lock takes it
        assert [p.name for p in watcher._settled(sorted(inbox.iterdir()))] == ["call.wav"]
    finally:
        holder.kill()
        holder.wait(10)
