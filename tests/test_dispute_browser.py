"""An operator in the served app, in Russian, in the system Chromium, over a copy of the nightly database.

op.andreev handled two of the sample calls; op.belova and op.carter the others. Logged in as op.andreev,
the browser asks for every page by every URL a person could type (another operator's call by id, their
dashboard, a search for their words, the queue, the reports...), and nothing it receives, in the page or
in the websocket's bytes, names another operator's recording, call id or transcript. A plain HTTP client
with the operator's cookie gets nothing more. Then the dispute walk end to end: the operator acknowledges
an evaluation and disputes a verdict; a reviewer overturns it in Disputes; the operator sees the outcome.
Screenshots under ``test-artifacts/screenshots/dispute_*.png``.
"""

from __future__ import annotations

import os
import re
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from storage.db import connect
from tests.conftest import copy_database
from tests.served_app import streamlit_app
from tests.test_browser import SCREENSHOTS
from tests.test_walkthrough import Walk
from usecases import masking, users

pytestmark = pytest.mark.slow
PASSWORD = "correct horse battery"
OPERATOR, OTHER_OPERATOR, REVIEWER = "andreev", "belova", "anna.qa"
MEDIA = re.compile(r"""(?:^|["'(=\s]|//[\w.:-]+)(/media/[^\s"'<>)]+)""")


class DisputeWalk(Walk):
    """Walk's waits, its screenshots named dispute_<who>_<step>_<name>.png."""

    def __init__(self, browser, language: str, who: str):
        super().__init__(browser, language, who, prefix="dispute")

    def body(self, until: tuple[str, ...] = ()) -> str:
        """The page's text once it holds one of ``until`` (a script run draws in steps; settle alone is early)."""
        self.settle()
        text = self.page.locator("body").inner_text()
        for _ in range(150):
            if not until or any(u in text for u in until):
                break
            self.page.wait_for_timeout(200)
            text = self.page.locator("body").inner_text()
        return text


@pytest.fixture(scope="module")
def site(flow_db, tmp_path_factory, chromium):
    root = tmp_path_factory.mktemp("dispute")
    db = root / "callqa.duckdb"
    copy_database(flow_db["db"], db)
    users_file = root / "users.toml"
    cheap = users.ScryptCost(n=2**10)
    users.add_user(users_file, OPERATOR, "operator", PASSWORD, cost=cheap, operator_id="op.andreev",
                   display_name="Андрей Андреев")
    users.add_user(users_file, OTHER_OPERATOR, "operator", PASSWORD, cost=cheap, operator_id="op.belova")
    users.add_user(users_file, REVIEWER, "reviewer", PASSWORD, cost=cheap)
    with connect(db) as con:  # migrated to 024 before the app opens it
        mine = con.execute("SELECT call_id, file_name FROM calls WHERE operator_id = 'op.andreev' "
                           "AND status = 'processed'").fetchall()
        others = con.execute("SELECT call_id, file_name, language FROM calls "
                             "WHERE operator_id IS DISTINCT FROM 'op.andreev'").fetchall()
        my_text = [t for (t,) in con.execute("SELECT s.text FROM segments s JOIN calls c USING (call_id) "
                                             "WHERE c.operator_id = 'op.andreev'").fetchall()]
        their_text = con.execute("SELECT s.text, c.language FROM segments s JOIN calls c USING (call_id) "
                                 "WHERE c.operator_id IS DISTINCT FROM 'op.andreev'").fetchall()
    assert len(mine) == 2 and len(others) >= 3 and their_text
    # What must never reach op.andreev: others' call ids and recording names, and their utterances (as stored
    # and as masked for display) that no call of his also contains (the sample scripts share a greeting).
    secrets = {cid for cid, _n, _l in others} | {name for _c, name, _l in others}
    for text, language in their_text:
        for shown in (text, masking.masked(text, language)):
            if len(shown) >= 15 and not any(shown in t or t in shown for t in my_text):
                secrets.add(shown)
    assert any(" " in s for s in secrets), "no transcript text to look for"
    env = dict(os.environ, CALLQA_DB=str(db), CALLQA_USERS=str(users_file), CALLQA_UI_LANGUAGE="ru")
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is a test dependency (pyproject [test])")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    with streamlit_app(env) as url, sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=["--no-sandbox"])  # never `playwright install`
        yield {"url": url, "browser": browser, "db": db, "mine": mine, "others": others, "secrets": secrets,
               "their_text": their_text}
        browser.close()


def _logged_in(site, who: str, received: list[bytes] | None = None, label: str = "walk",
               start: str = "") -> DisputeWalk:
    """A new browser logged in as ``who`` at ``start`` (the login opens the page it interrupted); every
    websocket frame it receives goes into ``received``."""
    walk = DisputeWalk(site["browser"], "ru", f"{label}_{who}")
    if received is not None:
        walk.page.on("websocket", lambda ws: ws.on("framereceived", lambda payload: received.append(
            payload if isinstance(payload, bytes) else payload.encode("utf-8"))))
    walk.page.goto(site["url"] + "/" + start)
    walk.page.locator(".st-key-callqa_login_name input").wait_for()
    walk.log_in(who)
    walk.page.locator(".st-key-callqa_logout").wait_for()
    for _ in range(150):  # the session cookie is written by the page after the login: a reload before it logs out
        if walk.context.cookies():
            break
        walk.page.wait_for_timeout(200)
    assert walk.context.cookies(), "the login left no session cookie"
    return walk


def _leaks(text: str | bytes, secrets: set[str]) -> list[str]:
    data = text if isinstance(text, bytes) else text.encode("utf-8")
    return sorted(s for s in secrets if s.encode("utf-8") in data)


def test_an_operator_sees_no_other_operators_call_by_any_url(site):
    url, secrets = site["url"], site["secrets"]
    other_id, other_name, _language = next(o for o in site["others"] if o[1] == "ru_stereo_rude.flac")
    word = next(w for t, _l in site["their_text"] for w in re.findall(r"\w{6,}", t))
    received: list[bytes] = []  # every websocket frame the operator's browser gets, from the login page on
    walk = _logged_in(site, OPERATOR, received, label="isolation")
    walk.page.get_by_role("heading", name="Мои оценки").wait_for()
    walk.page.locator(".st-key-my_call").wait_for()
    mine = tuple(name for _c, name in site["mine"])
    own = walk.body(until=mine)
    walk.shot("my_calls")
    assert any(name in own for name in mine), own
    paths = ["", "my", f"my?call_id={other_id}", f"?call_id={other_id}", f"call?call_id={other_id}",
             f"call?call_id={other_id}&t=3", f"search?q={word}", "search", "queue", "calibration",
             "operator?operator=op.belova", "operator?operator=op.carter", "training", "reasons", "satisfaction",
             "reports", "comparison", "runs", "disputes", f"disputes?call_id={other_id}", "accuracy", "samples",
             f"my?call_id={site['mine'][0][0]}' OR 1=1 --"]
    for path in paths:
        walk.page.goto(f"{url}/{path}")
        walk.page.locator(".st-key-my_call").wait_for()  # wherever asked, an operator lands on their own page
        shown = walk.body(until=mine)
        assert not _leaks(shown, secrets), f"/{path} showed another operator's call: {_leaks(shown, secrets)}"
        assert "Traceback" not in shown and other_name not in shown
        html = walk.page.content()
        assert not _leaks(html, secrets), f"/{path}'s page holds another operator's call"
        for media in set(MEDIA.findall(html)):
            with urllib.request.urlopen(url + media) as r:
                assert not _leaks(r.read(), secrets)
    walk.shot("after_every_url")
    assert received, "no websocket frames were captured"
    leaked = sorted({s for frame in received for s in _leaks(frame, secrets)})
    assert not leaked, f"the operator's browser received another operator's data: {leaked}"
    # The operator's own page, refused another call by id: the same words whether it exists or not.
    walk.page.goto(f"{url}/my?call_id={other_id}")
    walk.page.get_by_text("Это не ваш звонок").first.wait_for()
    walk.page.goto(f"{url}/my?call_id=no-such-call")
    walk.page.get_by_text("Это не ваш звонок").first.wait_for()
    walk.shot("not_yours")

    # A plain HTTP client with the operator's session cookie (and one without): the server sends pages as
    # one static shell; nothing of any call travels outside the logged-in websocket.
    cookie = "; ".join(f"{c['name']}={c['value']}" for c in walk.context.cookies())
    assert cookie, "the login left no session cookie"
    for path in [*paths, f"media/{other_id}", f"media/{other_name}", "_stcore/health", "_stcore/host-config"]:
        for headers in ({"Cookie": cookie}, {}):
            request = urllib.request.Request(f"{url}/{path}".replace(" ", "%20").replace("'", "%27"),
                                             headers=headers)
            try:
                with urllib.request.urlopen(request) as r:
                    body = r.read()
            except urllib.error.HTTPError as err:
                body = err.read()
            assert not _leaks(body, secrets), f"HTTP /{path} returned another operator's data"
    walk.context.close()


def _current_verdict(db: Path, call_id: str, criterion_id: str) -> str:
    with connect(db, read_only=True) as con:
        row = con.execute(
            "SELECT coalesce((SELECT verdict FROM reviews WHERE call_id = ? AND criterion_id = ? "
            "AND action IN ('confirm', 'override') ORDER BY created_at DESC LIMIT 1), r.result) "
            "FROM criteria_results r JOIN calls c ON c.call_id = r.call_id AND r.scorecard_name = c.scorecard_name "
            "AND r.scorecard_version = c.scorecard_version WHERE r.call_id = ? AND r.criterion_id = ?",
            [call_id, criterion_id, call_id, criterion_id]).fetchone()
    assert row is not None
    return row[0]


def test_an_operators_dispute_end_to_end_in_russian(site):
    db = site["db"]

    # The operator: only their calls, acknowledges the first evaluation, disputes a verdict with a comment.
    operator = _logged_in(site, OPERATOR)
    page = operator.page
    page.get_by_role("heading", name="Мои оценки").wait_for()
    page.locator(".st-key-my_call").wait_for()
    shown = operator.body(until=tuple(name for _c, name in site["mine"]))
    assert not _leaks(shown, site["secrets"])
    page.locator(".st-key-my_call button[aria-haspopup='listbox']").first.click()  # the calls to choose from
    listed = "\n".join(o.inner_text() for o in page.get_by_role("option").all())
    assert all(name in listed for _c, name in site["mine"]) and not _leaks(listed, site["secrets"]), listed
    operator.shot("my_calls_listed")
    page.keyboard.press("Escape")
    nav = page.locator('[data-testid="stSidebarNav"]')  # one page: Streamlit draws no menu at all
    assert nav.count() == 0 or "Возражения" not in nav.inner_text()
    operator.shot("my_calls")
    page.locator(".st-key-acknowledge button").click()
    page.get_by_text("Вы ознакомились с оценкой").wait_for()
    page.get_by_text("Ознакомлен(а)").first.wait_for()
    operator.shot("acknowledged")
    call_id = operator.query()["call_id"][0]
    assert call_id in {c for c, _n in site["mine"]}
    operator.choose("dispute_criterion", 0)
    page.locator(".st-key-dispute_comment textarea").fill("Я попрощался с клиентом в конце разговора")
    page.locator(".st-key-dispute_submit button").click()
    page.get_by_text("Возражение отправлено").wait_for()
    page.get_by_text("ждёт проверяющего").first.wait_for()
    operator.shot("disputed")
    operator.context.close()
    with connect(db, read_only=True) as con:
        acknowledged = con.execute("SELECT call_id, operator_id, acknowledged_by FROM evaluation_acknowledgements"
                                   ).fetchall()
        dispute_id, criterion, disputed = con.execute(
            "SELECT dispute_id, criterion_id, disputed_verdict FROM disputes WHERE call_id = ?", [call_id]).fetchone()
    assert acknowledged == [(call_id, "op.andreev", OPERATOR)]
    assert _current_verdict(db, call_id, criterion) == disputed

    # The reviewer: finds it in Disputes, opens the call (which says it is disputed), overturns it.
    reviewer = _logged_in(site, REVIEWER, start="disputes")
    page = reviewer.page
    box = page.locator(f".st-key-dispute_{dispute_id}")
    box.wait_for()
    reviewer.shot("disputes_drawn")
    box.get_by_text("Я попрощался с клиентом").wait_for()
    assert "op.andreev" in box.inner_text()
    reviewer.shot("disputes")
    box.get_by_role("link", name="Открыть звонок").click()
    page.locator(".st-key-call_open_disputes").get_by_text("Оператор оспаривает 1 оценку").wait_for()
    reviewer.shot("call_with_dispute")
    page.get_by_role("link", name="Возражения").first.click()  # the menu
    box = page.locator(f".st-key-dispute_{dispute_id}")
    box.get_by_text("Отменить: изменить оценку").click()
    page.locator(f".st-key-new_verdict_{dispute_id}").wait_for()
    reviewer.settle()
    page.locator(f".st-key-resolution_comment_{dispute_id} textarea").fill("Прощание слышно в конце записи")
    page.locator(f".st-key-resolution_comment_{dispute_id} textarea").press("Control+Enter")
    reviewer.settle()
    page.locator(f".st-key-resolve_{dispute_id} button").click()
    page.get_by_text("возражение принято").wait_for()
    page.get_by_text("Возражений, ожидающих проверяющего, нет").wait_for()
    reviewer.shot("overturned")
    reviewer.context.close()
    new_verdict = "pass" if disputed != "pass" else "fail"
    assert _current_verdict(db, call_id, criterion) == new_verdict  # the reviewer's override is the verdict now
    with connect(db, read_only=True) as con:
        assert con.execute("SELECT outcome, resolved_by, comment, new_verdict FROM dispute_resolutions").fetchall() == [
            ("overturned", REVIEWER, "Прощание слышно в конце записи", new_verdict)]

    # The operator again: the outcome and the reviewer's comment, the verdict changed.
    operator = _logged_in(site, OPERATOR)
    page = operator.page
    page.get_by_role("heading", name="Мои оценки").wait_for()
    page.get_by_text("отменено").first.wait_for()
    shown = operator.body(until=("Прощание слышно в конце записи",))
    assert "Прощание слышно в конце записи" in shown and "теперь оценка" in shown
    operator.shot("outcome")
    operator.context.close()
