"""What a person sees: the app served by Streamlit, rendered by headless Chromium."""

from __future__ import annotations

import os
import subprocess
import tempfile
from pathlib import Path

import pytest

from tests.served_app import streamlit_app

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def app_url(flow_db):
    with streamlit_app(dict(os.environ, CALLQA_DB=str(flow_db["db"]))) as url:
        yield url


def render(chromium: str, url: str, tmp: Path, expect: str | tuple[str, ...], attempts: int = 6) -> str:
    """The page's DOM after its scripts ran, as headless Chromium sees it.

    The first load of a cold Streamlit server can outlast the browser's virtual
    time and show only the loading skeleton, and on a loaded machine a page can
    stop half drawn (its title, not yet its transcript), so load again until every
    text of ``expect`` shows (case aside).
    """
    wanted = [expect] if isinstance(expect, str) else list(expect)
    for _ in range(attempts):
        dom = _dump_dom(chromium, url, tmp)
        if all(text.lower() in dom.lower() for text in wanted):
            break
    return dom


def _dump_dom(chromium: str, url: str, tmp: Path) -> str:
    profile = tempfile.mkdtemp(dir=tmp)
    proc = subprocess.run(
        [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", f"--user-data-dir={profile}", "--window-size=1400,1000",
         "--virtual-time-budget=20000", "--run-all-compositor-stages-before-draw", "--dump-dom", url],
        capture_output=True, text=True, timeout=120,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    return proc.stdout


def test_queue_page_shows_the_flagged_calls(chromium, app_url, tmp_path):
    dom = render(chromium, app_url, tmp_path, expect="ru_stereo_rude.flac")
    assert "ru_stereo_rude.flac" in dom
    assert "en_mono_rude.flac" in dom
    assert "Traceback" not in dom


def test_call_page_shows_transcript_and_evidence(chromium, app_url, flow_db, tmp_path):
    from storage.db import connect

    with connect(flow_db["db"], read_only=True) as con:
        call_id = con.execute("SELECT call_id FROM calls WHERE file_name = 'ru_stereo_rude.flac'").fetchone()[0]
    dom = render(chromium, f"{app_url}/call?call_id={call_id}", tmp_path, expect=("ru_stereo_rude.flac", "не знаю"))
    assert "ru_stereo_rude.flac" in dom
    assert "не знаю" in dom.lower()  # the forbidden phrase, quoted as evidence and in the transcript
    assert "No forbidden phrases" in dom  # the criterion by its title, not its id
    assert "Traceback" not in dom


SCREENSHOTS = Path(
    os.environ.get("CALLQA_SCREENSHOTS", Path(__file__).resolve().parent.parent / "test-artifacts" / "screenshots")
)
PAGES = [
    ("queue", "", "Review queue"),
    ("call", "call?call_id={call_id}", "ru_stereo_rude.flac"),
    ("operator", "operator?operator=op.carter", "Operator dashboard"),
    ("training", "training", "Training needs"),
    ("calibration", "calibration", "Calibration"),
    ("runs", "runs", "Runs"),
    ("reasons", "reasons", "Call reasons"),
    ("satisfaction", "satisfaction", "Satisfaction"),
    ("reports", "reports", "Reports"),
    ("comparison", "comparison", "Sites &amp; vendors"),  # as the DOM serialises it
]


def _screenshot(chromium: str, url: str, target: Path, tmp: Path) -> None:
    profile = tempfile.mkdtemp(dir=tmp)
    proc = subprocess.run(
        [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", f"--user-data-dir={profile}", "--window-size=1400,1800",
         "--virtual-time-budget=20000", "--run-all-compositor-stages-before-draw", "--hide-scrollbars",
         f"--screenshot={target}", url],
        capture_output=True, text=True, timeout=120,
    )
    assert proc.returncode == 0 and target.is_file() and target.stat().st_size > 10_000, proc.stderr[-2000:]


@pytest.mark.parametrize("name,path,expect", PAGES, ids=[p[0] for p in PAGES])
def test_every_page_renders_without_an_exception_and_is_photographed(
    chromium, app_url, flow_db, tmp_path, name, path, expect
):
    from storage.db import connect

    with connect(flow_db["db"], read_only=True) as con:
        call_id = con.execute("SELECT call_id FROM calls WHERE file_name = 'ru_stereo_rude.flac'").fetchone()[0]
    url = f"{app_url}/{path.format(call_id=call_id)}"
    dom = render(chromium, url, tmp_path, expect=expect)
    assert expect in dom
    assert "stException" not in dom and "Traceback" not in dom
    assert "running as local admin" in dom  # no users configured: the banner says so
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    _screenshot(chromium, url, SCREENSHOTS / f"{name}.png", tmp_path)
