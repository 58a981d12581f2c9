"""Recordings, exports and reports reach only a logged-in session of a role allowed to see them (#15).

The real app runs under Streamlit on 127.0.0.1 with users configured (so a login is required);
headless Chromium (Playwright, the system browser) logs in, opens a call and presses every
export. Then a plain HTTP client with no cookie and no session, the attacker who saw those URLs
in a proxy log or browser history, fetches every URL the browser loaded and every ``/media`` URL
in the pages: none may return a recording, an export or a report. And a reviewer's browser
never receives the recording with personal data audible.
"""

from __future__ import annotations

import base64
import io
import os
import re
import shutil
import subprocess
import sys
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pytest

from tests.served_app import streamlit_app

REPO = Path(__file__).resolve().parent.parent
APP = REPO / "qa_app" / "app.py"
PASSWORD = "correct horse battery"
# Streamlit's media endpoint as the pages would reference it: "/media/..." or "http://host:port/media/..."
# (not the app's own fonts under /static/media/, nor a file path that merely holds a "media" folder).
MEDIA = re.compile(r"""(?:^|["'(=\s]|//[\w.:-]+)(/media/[^\s"'<>)]+)""")
WAIT_MS = 90_000


@dataclass
class Served:
    url: str
    db: Path
    call_id: str
    muted: tuple[float, float]  # a masked moment (seconds) in the call, where someone speaks


# The pages with the call's player (its data: URL checked in a browser: below, and tests/test_calib_walk_ru.py).
PLAYERS = ("qa_app/views/call.py", "qa_app/views/calibration_scoring.py")
# Streamlit elements that put bytes on /media/<hash>, an HTTP endpoint without a session check.
_MEDIA_ELEMENTS = re.compile(r"(?<!downloads)\.(download_button|image|video|pdf|logo|audio)\(")


def test_no_page_hands_bytes_to_streamlits_media_endpoint():
    """Pages send files with qa_app.downloads and the recording with qa_app.player (a data: URL);
    any other media element is a new way around the login, found here before a browser runs."""
    found = []
    for path in sorted((REPO / "qa_app").rglob("*.py")):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            for element in _MEDIA_ELEMENTS.findall(line.split("#", 1)[0]):
                where = f"{path.relative_to(REPO)}:{number}"
                if element == "audio" and where.startswith(PLAYERS):
                    continue  # the player, given player.recording_url's data: URL (checked in a browser)
                found.append(f"{where}: .{element}(")
    assert not found, found


@pytest.mark.parametrize("sample", ["ru_stereo_rude.flac", "en_mono_rude.flac"])
def test_the_player_gets_the_whole_call_inline_with_muted_moments_silent(samples_dir, sample):
    from pipeline.speech.audio import decode
    from usecases import recording

    path = samples_dir / sample
    original = decode(path)
    url = recording.muted_recording_url(str(path), ((5.0, 8.0),))  # what qa_app.player caches
    audio, rate = _decoded(_audio_bytes(url))
    assert audio.shape[0] == original.samples.shape[0]  # a party per channel, as recorded
    assert audio.shape[1] / rate == pytest.approx(original.duration_s, abs=0.1)
    assert _rms(audio, rate, 5.1, 7.9) < 0.001 < _rms(audio, rate, 0.0, 5.0)
    assert len(url) < 5_000 * original.duration_s  # 24 kbit/s is 4 kB/s as base64: not tens of MB a call


def test_the_encoder_refuses_what_it_cannot_play():
    from usecases import recording

    with pytest.raises(ValueError, match="1 or 2 channels"):
        recording.to_ogg_opus(np.zeros((3, 16_000), dtype=np.float32), 16_000)


@pytest.fixture(scope="module")
def served(flow_db, tmp_path_factory):
    """The app over a copy of the flow's database, with an admin and a reviewer, a masked moment in
    the rude call (over an utterance, so the admin hears speech there) and the latest week's reports."""
    import duckdb

    from usecases.users import ScryptCost, add_user

    work = tmp_path_factory.mktemp("served")
    db = work / "callqa.duckdb"
    shutil.copyfile(flow_db["db"], db)
    con = duckdb.connect(str(db))
    try:
        call_id, = con.execute("SELECT call_id FROM calls WHERE file_name = 'ru_stereo_rude.flac'").fetchone()
        idx, start, end = con.execute(
            "SELECT idx, start_s, end_s FROM segments WHERE call_id = ? AND end_s - start_s > 1.5 "
            "ORDER BY start_s LIMIT 1",
            [call_id],
        ).fetchone()
        (next_idx,) = con.execute(
            "SELECT coalesce(max(idx), -1) + 1 FROM pii_spans WHERE call_id = ?", [call_id]
        ).fetchone()
        con.execute("INSERT INTO pii_spans VALUES (?, ?, 'phone', ?, ?, ?)", [call_id, next_idx, idx, start, end])
    finally:
        con.close()
    users = work / "users.toml"
    cheap = ScryptCost(n=2**10)
    add_user(users, "ada.admin", "admin", PASSWORD, cost=cheap)
    add_user(users, "rex.reviewer", "reviewer", PASSWORD, cost=cheap)
    env = dict(os.environ, CALLQA_DB=str(db), CALLQA_USERS=str(users))
    made = subprocess.run([sys.executable, "-m", "callqa.cli", "report", "--db", str(db), "--latest"], env=env,
                          capture_output=True, text=True, timeout=300)
    assert made.returncode == 0, made.stderr[-2000:]

    with streamlit_app(env) as url:
        yield Served(url, db, call_id, (start, end))


@pytest.fixture(scope="module")
def browser(chromium):
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
        yield b
        b.close()


@dataclass
class Visit:
    """What one logged-in browser session loaded and saved."""

    requested: set[str] = field(default_factory=set)  # every http(s) URL the browser fetched
    in_pages: set[str] = field(default_factory=set)  # every /media reference in the pages' HTML
    audio_src: str = ""
    audio: bytes = b""  # what the player plays, as the browser got it
    audio_duration: float = 0.0
    files: dict[str, bytes] = field(default_factory=dict)  # suggested file name -> bytes saved


def _session(browser, served: Served, name: str):
    context = browser.new_context(accept_downloads=True, viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    page.set_default_timeout(WAIT_MS)
    visit = Visit()
    page.on("request", lambda r: visit.requested.add(r.url) if r.url.startswith("http") else None)
    page.goto(served.url)
    page.get_by_role("textbox", name="User name").fill(name)
    page.get_by_role("textbox", name="Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.get_by_role("heading", name="Review queue").first.wait_for()
    _go(page, f"/call?call_id={served.call_id}", "ru_stereo_rude.flac")
    return context, page, visit


def _note_media(page, visit: Visit) -> None:
    visit.in_pages.update(MEDIA.findall(page.content()))


def _listen(page, visit: Visit) -> None:
    """The player's source, once the browser has decoded its length (a playable recording)."""
    page.wait_for_function(
        "() => { const a = document.querySelector('audio');"
        " return a && a.readyState >= 1 && isFinite(a.duration) && a.duration > 0; }"
    )
    visit.audio_src = page.eval_on_selector("audio", "a => a.currentSrc || a.src")
    visit.audio_duration = page.eval_on_selector("audio", "a => a.duration")
    visit.audio = base64.b64decode(page.eval_on_selector("audio", """async a => {
        const bytes = new Uint8Array(await (await fetch(a.currentSrc)).arrayBuffer());
        let text = "";
        for (const b of bytes) text += String.fromCharCode(b);
        return btoa(text);
    }"""))
    assert page.eval_on_selector("audio", "a => a.error") is None


def _save(page, visit: Visit, label: str) -> str:
    button = page.get_by_role("button", name=label)
    button.wait_for()
    with page.expect_download() as info:
        button.click()
    download = info.value
    visit.files[download.suggested_filename] = Path(download.path()).read_bytes()
    return download.suggested_filename


def _go(page, path: str, heading: str) -> None:
    """Another page of the app in the same session, as the browser's back and forward buttons move
    (a reload would start a new session, which asks for the login again)."""
    page.evaluate("path => { history.pushState(null, '', path); dispatchEvent(new PopStateEvent('popstate')); }", path)
    page.get_by_role("heading", name=heading).first.wait_for()


@pytest.fixture(scope="module")
def admin_visit(browser, served) -> Visit:
    context, page, visit = _session(browser, served, "ada.admin")
    try:
        _listen(page, visit)
        _save(page, visit, "Verdicts CSV")
        _note_media(page, visit)
        _go(page, "/", "Review queue")
        _save(page, visit, "Export CSV")
        _note_media(page, visit)
        _go(page, "/training", "Training needs")
        _save(page, visit, "Coaching plan CSV")
        _note_media(page, visit)
        _go(page, "/reports", "Reports")
        _save(page, visit, "HTML report")
        _save(page, visit, "Excel workbook")
        _note_media(page, visit)
    finally:
        context.close()
    return visit


@pytest.fixture(scope="module")
def reviewer_visit(browser, served) -> Visit:
    context, page, visit = _session(browser, served, "rex.reviewer")
    try:
        _listen(page, visit)
        _save(page, visit, "Verdicts CSV")
        _note_media(page, visit)
    finally:
        context.close()
    return visit


def _fetch(url: str) -> tuple[int, bytes]:
    """A plain HTTP GET with no cookie and no session."""
    try:
        with urllib.request.urlopen(urllib.request.Request(url), timeout=30) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as err:
        return err.code, err.read()


def _audio_bytes(src: str) -> bytes:
    head, _, body = src.partition(",")
    assert head == "data:audio/ogg;base64", f"the player's source is not inline audio: {src[:80]}"
    return base64.b64decode(body)


def _decoded(audio: bytes) -> tuple[np.ndarray, int]:
    """Any audio file's samples as planar float (channels x frames), and its rate."""
    import av

    with av.open(io.BytesIO(audio)) as container:
        stream = container.streams.audio[0]
        rate = stream.codec_context.sample_rate
        planar = av.AudioResampler(format="fltp", layout=stream.layout.name, rate=rate)
        frames = [out.to_ndarray() for f in container.decode(stream) for out in planar.resample(f)]
    return np.concatenate(frames, axis=1), rate


def _rms(samples: np.ndarray, rate: int, start: float, end: float) -> float:
    part = samples[:, int(start * rate) : int(end * rate)]
    return float(np.sqrt(np.mean(np.square(part.astype(np.float64)))))


@pytest.mark.slow
def test_exports_and_the_recording_reach_the_logged_in_admin(admin_visit, served):
    from qa_app import data

    files = admin_visit.files
    assert set(files) == {f"verdicts_{served.call_id}.csv", "review_queue.csv", "coaching_plan.csv",
                          *(n for n in files if n.startswith("callqa-") and n.endswith((".html", ".xlsx")))}
    assert files[f"verdicts_{served.call_id}.csv"] == data.verdicts_csv(str(served.db), served.call_id)
    assert b"ru_stereo_rude.flac" in files["review_queue.csv"]
    assert files["coaching_plan.csv"].startswith("\ufeffOperator,Team,Criterion".encode())
    reports = [n for n in files if n.startswith("callqa-")]
    assert sorted(Path(n).suffix for n in reports) == [".html", ".xlsx"]
    assert b"<html" in next(files[n] for n in reports if n.endswith(".html")).lower()
    assert next(files[n] for n in reports if n.endswith(".xlsx")).startswith(b"PK")  # a zip: the workbook
    # The player plays the whole call (its length decoded by the browser), from inline audio.
    assert admin_visit.audio == _audio_bytes(admin_visit.audio_src)
    call_s = _decoded(admin_visit.audio)
    assert abs(admin_visit.audio_duration - call_s[0].shape[1] / call_s[1]) < 0.5
    assert admin_visit.audio_duration > 30


@pytest.mark.slow
@pytest.mark.parametrize("who", ["admin", "reviewer"])
def test_nothing_the_browser_loaded_gives_a_recording_or_export_to_a_client_without_a_session(
    who, admin_visit, reviewer_visit, served
):
    visit = admin_visit if who == "admin" else reviewer_visit
    secrets = {name: body for name, body in visit.files.items()}
    secrets["recording"] = visit.audio
    # What the attacker may find: every URL the browser fetched, and every /media URL in the pages
    # (there should be none: nothing of the product goes through Streamlit's media endpoint).
    urls = {u for u in visit.requested if u.startswith(served.url)}
    urls |= {served.url + path for path in visit.in_pages}
    assert urls, "the browser fetched nothing from the app"
    for url in sorted(urls):
        status, body = _fetch(url)
        for name, secret in secrets.items():
            assert secret[:4096] not in body, f"{url} returned {name} to a client without a session (HTTP {status})"
    through_media = [u for u in urls if urllib.parse.urlsplit(u).path.startswith("/media/")]
    assert not through_media, f"went through the unauthenticated /media endpoint: {through_media}"


@pytest.mark.slow
def test_a_reviewer_never_receives_the_recording_with_personal_data_audible(admin_visit, reviewer_visit, served):
    start, end = served.muted
    inner = (start + 0.1, end - 0.1)  # the codec smooths the edges of a muted span over a few milliseconds
    heard, heard_rate = _decoded(admin_visit.audio)
    muted, muted_rate = _decoded(reviewer_visit.audio)
    assert _rms(heard, heard_rate, *inner) > 0.01, "the admin hears the speech there"
    assert _rms(muted, muted_rate, *inner) < 0.001, "the reviewer's recording is silent there"
    # Elsewhere the reviewer hears the call as the admin does.
    assert reviewer_visit.audio_duration == pytest.approx(admin_visit.audio_duration, abs=0.1)
    assert _rms(muted, muted_rate, 0, start) == pytest.approx(_rms(heard, heard_rate, 0, start), rel=0.2)
