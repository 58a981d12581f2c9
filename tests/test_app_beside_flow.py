"""The app keeps working while the nightly flow loads results into the same DuckDB file.

A real nightly run (its own process, as in production) processes new recordings into
a copy of the sample database while a reviewer keeps opening pages and saving
verdicts through the app. No page may show an error, and every verdict saved must
be in the database afterwards (stored at once, or journalled and applied by the next
writer).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from streamlit import config as st_config
from streamlit.testing.v1 import AppTest

from storage.db import connect

pytestmark = pytest.mark.slow
APP = Path(__file__).resolve().parent.parent / "qa_app" / "app.py"
RUN_FLOW = textwrap.dedent("""
    import sys
    from flows.nightly import nightly
    summary = nightly(inbox=sys.argv[1], db=sys.argv[2], batch_size=1)
    print("processed", summary.processed, flush=True)
""")


def _new_recordings(samples: Path, inbox: Path) -> int:
    """Two sample calls, a little quieter: new content, so the flow processes them as new calls."""
    inbox.mkdir()
    names = ["en_stereo_good", "ru_mono_partial"]
    for name in names:
        audio, rate = sf.read(samples / f"{name}.flac")
        sf.write(inbox / f"night2_{name}.flac", (np.asarray(audio) * 0.8).astype("float32"), rate)
        shutil.copyfile(samples / f"{name}.meta.json", inbox / f"night2_{name}.meta.json")
    return len(names)


def test_reviews_saved_while_the_nightly_flow_writes_are_all_kept(
    flow_db, samples_dir, settings, tmp_path, monkeypatch
):
    db = tmp_path / "callqa.duckdb"
    shutil.copyfile(flow_db["db"], db)
    new = _new_recordings(samples_dir, tmp_path / "inbox")
    monkeypatch.setenv("CALLQA_DB", str(db))
    monkeypatch.setenv("CALLQA_USERS", str(tmp_path / "users.toml"))
    before = st_config.get_option("server.address")
    st_config.set_option("server.address", "127.0.0.1")
    with connect(db, read_only=True) as con:
        call_id = con.execute("SELECT call_id FROM calls WHERE file_name = 'ru_stereo_rude.flac'").fetchone()[0]
        calls_before = con.execute("SELECT count(*) FROM calls WHERE status = 'processed'").fetchone()[0]

    env = dict(os.environ, CALLQA_MODELS_DIR=str(settings.asr.models_dir), PREFECT_HOME=str(tmp_path / "prefect"))
    flow = subprocess.Popen([sys.executable, "-c", RUN_FLOW, str(tmp_path / "inbox"), str(db)], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            cwd=Path(__file__).resolve().parent.parent)
    saved: list[str] = []
    try:
        at = AppTest.from_file(str(APP), default_timeout=120).run()
        while flow.poll() is None or len(saved) < 3:
            at.switch_page("views/call.py")
            at.query_params["call_id"] = call_id
            at.run()
            assert not at.exception and not at.error, [e.value for e in at.error] or [e.message for e in at.exception]
            comment = f"save {len(saved)} while the flow runs"
            at.selectbox(key="verdict_greeting").set_value("pass" if len(saved) % 2 else "fail")
            at.text_input(key="comment_greeting").input(comment)
            at.button(key="save_greeting").click().run()
            assert not at.exception and not at.error, [e.value for e in at.error] or [e.message for e in at.exception]
            assert any("saved" in s.value for s in at.success)
            saved.append(comment)
            at.switch_page("views/queue.py").run()
            assert not at.exception and not at.error, [e.value for e in at.error]
            if len(saved) > 200:
                break
        output = flow.communicate(timeout=600)[0]
    finally:
        st_config.set_option("server.address", before)
        if flow.poll() is None:
            flow.kill()
    assert flow.returncode == 0, output[-3000:]
    assert f"processed {new}" in output
    with connect(db) as con:  # a writer: applies anything still journalled
        stored = {
            c
            for (c,) in con.execute(
                "SELECT comment FROM reviews WHERE call_id = ? AND criterion_id = 'greeting'", [call_id]
            ).fetchall()
        }
        calls_after = con.execute("SELECT count(*) FROM calls WHERE status = 'processed'").fetchone()[0]
    assert stored == set(saved)
    assert calls_after == calls_before + new
    print(f"{len(saved)} verdicts saved while the flow processed {new} calls")
