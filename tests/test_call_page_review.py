"""The call page as a reviewer works it (issue #17): a role flip or one line's speaker re-judges the call at
once, the player stays in view with its shortcuts and the line being played marked, and the page reads in
words (English and Russian, no ``None``).

AppTest drives the page over a copy of a real nightly run's database; storage tests check that rescoring and
another nightly run keep the corrections; Playwright drives the system Chromium over the served app.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
import urllib.parse
from pathlib import Path

import duckdb
import pytest

from qa_app.mdtext import md
from tests.conftest import copy_database
from tests.test_app import (
    CALL_PAGE,
    _call_id,
    _goto,
    _login,
    _ok,
    _rows,
    _text,
    loopback,  # noqa: F401  (the autouse fixture: 127.0.0.1, a users file of the test's own)
)
from tests.test_browser import SCREENSHOTS

PASSWORD = "correct horse battery"


@pytest.fixture
def db_copy(flow_db, tmp_path, monkeypatch) -> Path:
    target = tmp_path / "callqa.duckdb"
    copy_database(flow_db["db"], target)
    monkeypatch.setenv("CALLQA_DB", str(target))
    return target


def _verdicts(db: Path, call_id: str) -> dict[str, str]:
    return dict(_rows(db, "SELECT r.criterion_id, r.result FROM criteria_results r JOIN calls c USING (call_id)"
                          " WHERE r.call_id = ? AND r.scorecard_name = c.scorecard_name"
                          " AND r.scorecard_version = c.scorecard_version", [call_id]))


def _score(db: Path, call_id: str) -> float:
    return _rows(db, "SELECT s.score FROM scores s JOIN calls c USING (call_id) WHERE s.call_id = ?"
                     " AND s.scorecard_name = c.scorecard_name AND s.scorecard_version = c.scorecard_version",
                 [call_id])[0][0]


def _metric(at, label: str) -> str:
    return next(m.value for m in at.metric if m.label == label)


def _greeting_line(db: Path, call_id: str) -> int:
    """The utterance the greeting was found in (the operator's first words)."""
    start = _rows(db, "SELECT evidence_start FROM criteria_results WHERE call_id = ? AND criterion_id = 'greeting'",
                  [call_id])[0][0]
    return _rows(db, "SELECT idx FROM segments WHERE call_id = ? AND start_s <= ? AND ? < end_s",
                 [call_id, start + 0.01, start + 0.01])[0][0]


# ---- AppTest: the verdicts follow the roles in the same session -------------------------------------------------


def test_flipping_roles_re_judges_the_call_at_once(db_copy, loopback):  # noqa: F811
    call_id = _call_id(db_copy, "en_stereo_good.flac")
    assert _verdicts(db_copy, call_id)["greeting"] == "pass" and _score(db_copy, call_id) == 100
    at = _goto(_login(loopback, "anna.qa", "reviewer"), CALL_PAGE, call_id=call_id)
    assert _metric(at, "Score") == "100"
    started = time.perf_counter()
    at.button(key="flip_roles").click().run()
    took = time.perf_counter() - started
    _ok(at)
    # Judged on the swapped roles: the operator's greeting is now the customer's.
    assert _verdicts(db_copy, call_id)["greeting"] == "fail"
    assert _score(db_copy, call_id) < 100
    assert _metric(at, "Score") == f"{_score(db_copy, call_id):.0f}"
    assert "**Greeting** :red-badge[failed]" in _text(at)
    # The reviewer's select box shows the new verdict, not the old one a Save would store as an override.
    assert at.selectbox(key="verdict_greeting").value == "fail"
    said = " ".join(s.value for s in at.success)
    assert "Operator and customer swapped." in said and "Verdicts re-judged on the corrected roles" in said
    assert not [w for w in at.warning if "judged before the latest change" in w.value]
    print(f"flip + re-judge in the app: {took:.1f} s")  # reported with -s; the page's own figure is in the flash


def test_one_lines_speaker_is_set_and_the_call_re_judged(db_copy, loopback):  # noqa: F811
    call_id = _call_id(db_copy, "en_stereo_good.flac")
    idx = _greeting_line(db_copy, call_id)
    at = _goto(_login(loopback, "anna.qa", "reviewer"), CALL_PAGE, call_id=call_id)
    line = next(c for c in at.get("flex_container") if c.key == f"line_{idx}")
    assert ":blue-badge[operator]" in "\n".join(m.value for m in line.markdown)
    at.button(key=f"swap_speaker_{idx}").click().run()
    _ok(at)
    assert _rows(db_copy, "SELECT action, segment_idx, speaker, reviewer, reviewer_role FROM reviews WHERE call_id = ?",
                 [call_id]) == [("set_speaker", idx, "customer", "anna.qa", "reviewer")]
    line = next(c for c in at.get("flex_container") if c.key == f"line_{idx}")
    assert ":violet-badge[customer]" in "\n".join(m.value for m in line.markdown)
    others = [c for c in at.get("flex_container") if (c.key or "").startswith("line_") and c.key != f"line_{idx}"]
    assert any(":blue-badge[operator]" in "\n".join(m.value for m in c.markdown) for c in others), "only that line"
    assert _verdicts(db_copy, call_id)["greeting"] == "fail"
    assert _metric(at, "Score") == f"{_score(db_copy, call_id):.0f}" != "100"
    # The history says it in words: who, when, what.
    history = _text(at)
    assert f"{md('anna.qa')} (reviewer): set the speaker of the line at 00:00 to customer" in history


def test_the_page_reads_in_words_in_english_and_russian(db_copy, loopback):  # noqa: F811
    call_id = _call_id(db_copy, "ru_stereo_rude.flac")
    with duckdb.connect(str(db_copy)) as con:  # a history to read
        from storage.calls import add_review

        add_review(con, call_id, "anna.qa", "override", "greeting", "pass", "heard it", "reviewer")
        add_review(con, call_id, "anna.qa", "flip_roles", reviewer_role="reviewer")
    for language, words in (("en", ("Review history", "Scorecard", "Transcript", "swapped operator and customer")),
                            ("ru", ("История проверки", "Оценочный лист", "Расшифровка", "поменял(а) местами"))):
        at = _login(loopback, f"anna.{language}", "reviewer")
        at.session_state["callqa_language"] = language
        at = _goto(at, CALL_PAGE, call_id=call_id)
        _ok(at)
        shown = [e.value for kind in ("markdown", "caption", "info", "warning", "success", "subheader", "title")
                 for e in getattr(at, kind)] + [f"{m.label} {m.value}" for m in at.metric]
        shown += [b.label for b in at.button] + [e.label for e in at.expander]
        page = "\n".join(str(v) for v in shown)
        for word in words:
            assert word in page, (language, word)
        assert not re.search(r"\bNone\b|\bnan\b|\bNaT\b", page), (language, page)
        assert call_id not in page, "no raw ids on the page"
        assert not re.search(r"(?<![\d.])\d+[.,]\d{3,}(?![\d.])", page), "no unrounded numbers (dates aside)"


# ---- storage: rescoring and another nightly run keep the corrections ------------------------------------------------


def test_rescore_and_another_nightly_run_keep_the_corrections(db_copy, flow_db, prefect_harness):
    from flows.nightly import nightly
    from storage.calls import add_review
    from storage.db import connect
    from storage.transcripts import load_stored_call, processed_call_ids
    from usecases.call_details import segments
    from usecases.rescore import rescore, resolve_for_rescore

    call_id = _call_id(db_copy, "ru_mono_partial.flac")
    # The four customer lines recognised as the operator's, set one by one, then the call flipped and back.
    wrong = [i for (i,) in _rows(db_copy, "SELECT idx FROM segments WHERE call_id = ? ORDER BY idx", [call_id])
             if i in (2, 5, 7, 8)]
    with connect(db_copy) as con:
        for idx in wrong:
            add_review(con, call_id, "anna.qa", "set_speaker", segment_idx=idx, speaker="customer")
        assert processed_call_ids(con, flipped_since_scored=True) == [call_id]
        add_review(con, call_id, "anna.qa", "flip_roles")
        flipped = load_stored_call(con, call_id).transcript.segments
        assert all(flipped[i].speaker == "operator" for i in wrong), "a later flip swaps a corrected line too"
        add_review(con, call_id, "anna.qa", "flip_roles")

    def corrected() -> list[str]:
        return [s.speaker for s in segments(str(db_copy), call_id)]

    expected = corrected()
    assert all(expected[i] == "customer" for i in wrong) and expected[0] == "operator"
    card = _rows(db_copy, "SELECT scorecard_name, scorecard_version FROM calls WHERE call_id = ?", [call_id])[0]
    rescore(db_copy, resolve_for_rescore(f"{card[0]}@{card[1]}", db_copy, None))
    with connect(db_copy, read_only=True) as con:
        assert [s.speaker for s in load_stored_call(con, call_id).transcript.segments] == expected
    verdicts = _verdicts(db_copy, call_id)

    # Another night over the same inbox: the call is not analysed again and its corrections stay in force.
    nightly(inbox=str(flow_db["inbox"]), db=str(db_copy), batch_size=4)
    assert corrected() == expected and _verdicts(db_copy, call_id) == verdicts
    assert len(_rows(db_copy, "SELECT 1 FROM reviews WHERE call_id = ? AND action = 'set_speaker'", [call_id])) == 4


def test_a_role_change_while_the_night_holds_the_database_is_journalled_and_re_judged_later(db_copy):
    from storage import pending
    from usecases import review

    call_id = _call_id(db_copy, "en_stereo_good.flac")
    holder = subprocess.Popen(  # the nightly flow, as far as the lock goes: another process writing
        [sys.executable, "-c", "import duckdb, sys, time; c = duckdb.connect(sys.argv[1]); print('held', flush=True);"
         " time.sleep(60)", str(db_copy)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        change = review.flip_roles_and_rejudge(str(db_copy), call_id, "anna.qa", "reviewer")
        assert change.busy and change.rejudged is None and not change.saved.stored
        assert [r["action"] for r in pending.pending_rows(db_copy, "reviews")] == ["flip_roles"]
    finally:
        holder.kill()
        holder.wait()
    assert review.roles_waiting(str(db_copy), call_id)
    done = review.rejudge_if_roles_changed(str(db_copy), call_id)
    assert done is not None and done.score_before == 100 and done.score_after < 100
    assert not pending.pending_rows(db_copy, "reviews"), "the journal was applied first"
    assert not review.roles_waiting(str(db_copy), call_id)
    assert review.rejudge_if_roles_changed(str(db_copy), call_id) is None, "nothing left to re-judge"


# ---- the browser: a sticky player, the line being played, the keys ---------------------------------------------


@pytest.fixture(scope="module")
def served(flow_db, tmp_path_factory):
    from tests.served_app import streamlit_app
    from usecases.users import ScryptCost, add_user

    work = tmp_path_factory.mktemp("callpage")
    db = work / "callqa.duckdb"
    shutil.copyfile(flow_db["db"], db)
    users = work / "users.toml"
    add_user(users, "rex.reviewer", "reviewer", PASSWORD, cost=ScryptCost(n=2**10))
    env = dict(os.environ, CALLQA_DB=str(db), CALLQA_USERS=str(users))
    with streamlit_app(env) as url:
        yield url, db


def _shot(page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"call_player_{name}.png"))


def _highlighted(page) -> int | None:
    cls = page.evaluate("() => { const el = document.querySelector('.callqa-playing'); return el && el.className; }")
    found = re.search(r"st-key-line_(\d+)", cls or "")
    return int(found.group(1)) if found else None


def _in_view(page, selector: str) -> bool:
    return page.evaluate("""s => { const r = document.querySelector(s).getBoundingClientRect();
        return r.top >= 0 && r.bottom <= window.innerHeight && r.height > 0; }""", selector)


@pytest.mark.slow
def test_the_player_stays_in_view_and_follows_the_transcript(served, chromium):
    sync_api = pytest.importorskip("playwright.sync_api")
    url, db = served
    call_id = _call_id(db, "ru_stereo_rude.flac")
    starts = dict(_rows(db, "SELECT idx, start_s FROM segments WHERE call_id = ? ORDER BY idx", [call_id]))
    assert len(starts) >= 4
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium,
                                    args=["--no-sandbox", "--autoplay-policy=no-user-gesture-required"])
        page = browser.new_page(viewport={"width": 1400, "height": 900})
        page.set_default_timeout(90_000)
        requested: list[str] = []
        page.on("request", lambda r: requested.append(r.url))
        page.goto(url)
        page.get_by_role("textbox", name="User name").fill("rex.reviewer")
        page.get_by_role("textbox", name="Password").fill(PASSWORD)
        page.get_by_role("button", name="Log in").click()
        page.get_by_role("heading", name="Review queue").first.wait_for()
        page.evaluate("p => { history.pushState(null, '', p); dispatchEvent(new PopStateEvent('popstate')); }",
                      f"/call?call_id={call_id}")
        page.get_by_role("heading", name="Transcript").wait_for()
        page.wait_for_function("() => { const a = document.querySelector('.st-key-call_player audio');"
                               " return a && a.readyState >= 1 && a.duration > 0; }")
        page.locator(".callqa-bars .callqa-speech").first.wait_for()
        source = page.evaluate("() => document.querySelector('.st-key-call_player audio').currentSrc")
        _shot(page, "1_opened")

        # ▶ on the transcript's third line, far below the player: the player is still in view, the line marked.
        idx = sorted(starts)[2]
        line = page.locator(f".st-key-line_{idx}")
        line.scroll_into_view_if_needed()
        page.locator(f".st-key-segment_{idx} button").first.click()
        page.wait_for_function("i => !!document.querySelector('.st-key-line_' + i + '.callqa-playing')", arg=idx)
        page.wait_for_function("() => !document.querySelector('.st-key-call_player audio').paused")
        assert _in_view(page, ".st-key-call_player audio"), "the player stays in view"
        assert _in_view(page, f".st-key-line_{idx}")
        scrolled = page.evaluate("() => document.querySelector('[data-testid=stMain]').scrollTop")
        assert scrolled > 300, "the page was scrolled down to the transcript"
        _shot(page, "2_playing_line")

        # Space pauses and plays again; K goes to the next line, J back.
        page.keyboard.press("Space")
        page.wait_for_function("() => document.querySelector('.st-key-call_player audio').paused")
        page.keyboard.press("Space")
        page.wait_for_function("() => !document.querySelector('.st-key-call_player audio').paused")
        page.keyboard.press("k")
        page.wait_for_function("i => !!document.querySelector('.st-key-line_' + i + '.callqa-playing')", arg=idx + 1)
        at = page.evaluate("() => document.querySelector('.st-key-call_player audio').currentTime")
        assert at == pytest.approx(starts[idx + 1], abs=0.6)
        _shot(page, "3_next_line")
        page.keyboard.press("j")
        page.keyboard.press("j")
        page.wait_for_function("i => !!document.querySelector('.st-key-line_' + i + '.callqa-playing')", arg=idx - 1)
        at = page.evaluate("() => document.querySelector('.st-key-call_player audio').currentTime")
        assert at == pytest.approx(starts[idx - 1], abs=0.6)
        page.keyboard.press("Space")
        page.wait_for_function("() => document.querySelector('.st-key-call_player audio').paused")
        before = page.evaluate("() => document.querySelector('.st-key-call_player audio').currentTime")
        page.keyboard.press("ArrowRight")
        after = page.evaluate("() => document.querySelector('.st-key-call_player audio').currentTime")
        assert after == pytest.approx(before + 5, abs=0.3)
        _shot(page, "4_previous_line")

        # A click on a speech bar plays from its line.
        last = max(starts)
        page.locator(f".callqa-speech[data-idx='{last}']").click()
        page.wait_for_function("i => !!document.querySelector('.st-key-line_' + i + '.callqa-playing')", arg=last)
        _shot(page, "5_bar_clicked")
        assert page.locator(".callqa-mark").count() >= 1, "the flagged moments are marked on the bars"
        browser.close()
    through_media = [u for u in requested if urllib.parse.urlsplit(u).path.startswith("/media/")]
    assert not through_media, "nothing through Streamlit's /media endpoint (its fonts are under /static/media)"
    assert source.startswith("data:audio/ogg;base64,"), "the player plays the session's inline recording"
