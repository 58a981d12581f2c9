"""A calibration session end to end, in Russian, in the system Chromium: a lead creates a session over two real
calls (a copy of the nightly database) for three reviewers; each logs in in turn and scores both calls blind
(no machine verdict, nobody else's answer on the page); the lead then reads kappa, agreement and the machine
beside the reviewers' majority, and closes the session. Screenshots: test-artifacts/screenshots/calib_*.png.
"""

from __future__ import annotations

import os
import urllib.parse

import duckdb
import pytest

from tests.conftest import copy_database
from tests.served_app import streamlit_app
from tests.test_walkthrough import Walk
from usecases import users

pytestmark = pytest.mark.slow
PASSWORD = "correct horse battery"
CALLS = ("ru_stereo_good.flac", "ru_stereo_rude.flac")
REVIEWERS = {"anna.qa": "Анна", "boris.qa": "Борис", "vera.qa": "Вера"}


@pytest.fixture(scope="module")
def site(flow_db, tmp_path_factory, chromium):
    root = tmp_path_factory.mktemp("calib_walk")
    db = root / "callqa.duckdb"
    copy_database(flow_db["db"], db)
    with duckdb.connect(str(db), read_only=True) as con:
        ids = {name: con.execute("SELECT call_id FROM calls WHERE file_name = ? AND status = 'processed'",
                                 [name]).fetchone()[0] for name in CALLS}
    users_file = root / "users.toml"
    cheap = users.ScryptCost(n=2**10)
    users.add_user(users_file, "irina.lead", "reviewer", PASSWORD, display_name="Ирина", cost=cheap)
    for name, label in REVIEWERS.items():
        users.add_user(users_file, name, "reviewer", PASSWORD, display_name=label, cost=cheap)
    env = dict(os.environ, CALLQA_DB=str(db), CALLQA_USERS=str(users_file), CALLQA_UI_LANGUAGE="ru")
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is a test dependency (pyproject [test])")
    with streamlit_app(env) as url, sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=["--no-sandbox"])  # never `playwright install`
        yield url, browser, ids, db
        browser.close()


class Tab(Walk):
    """Walk's waits and screenshots (calib_<who>_<step>_<name>.png), and the session pages' controls."""

    def __init__(self, browser, who: str, height: int = 1000):
        super().__init__(browser, "ru", who, height, prefix="calib")

    def sign_in(self, url: str, name: str) -> None:
        self.page.goto(url)
        self.log_in(name)
        self.page.locator(".st-key-callqa_login_name").wait_for(state="detached")
        self.settle()

    def pick(self, key: str, text: str) -> None:
        """Types into the multiselect ``key`` and takes the first option that matches."""
        box = self.page.locator(f".st-key-{key} input").first
        box.click()
        box.fill(text)
        self.page.get_by_role("option").filter(has_text=text).first.click()
        self.page.keyboard.press("Escape")
        self.settle()

    def main_text(self) -> str:
        return self.page.locator("section.stMain, [data-testid='stMain']").first.inner_text()


def _score(tab: Tab, url: str, session: str, call_ids: list[str], choices) -> None:
    """Opens the blind page and answers both calls: ``choices(criterion_index)`` -> 0 pass, 1 fail, 2 n/a."""
    page = tab.page
    page.goto(f"{url}/blind-scoring?session={session}")
    for n, call_id in enumerate(call_ids):
        groups = page.locator(f"[class*='st-key-blind_{call_id}_']")
        groups.first.wait_for()
        tab.settle()
        text = tab.main_text()
        others = [name for name in [*REVIEWERS, *REVIEWERS.values()] if name not in (tab.who, REVIEWERS[tab.who])]
        assert not [o for o in others if o in text], "another reviewer's name on the blind page"
        for word in ("Автоматическ", "автоматическ", "Доказательств", "Уверенность", "Балл"):
            assert word not in text, f"the blind page shows {word}"
        assert page.locator("[data-testid='stMetric']").count() == 0
        assert page.locator(f"[class*='st-key-blind_{call_id}_'] input[type=radio]:checked").count() == 0, (
            "a verdict was chosen before the reviewer chose one")
        if n == 0:
            audio = page.locator(".st-key-blind_player audio").first
            audio.wait_for(state="attached")
            assert (audio.get_attribute("src") or "").startswith("data:audio/ogg"), "the recording left the session"
            tab.shot("blind_page")
        for i in range(groups.count()):
            groups.nth(i).locator("[role='radiogroup'] label").nth(choices(i)).click()
        page.get_by_role("button", name="Сохранить мои ответы").click()
        saved = page.locator('[data-testid="stAlertContentSuccess"], [data-testid="stAlertContentWarning"],'
                             ' [data-testid="stAlertContentError"]').first
        saved.wait_for()
        assert "сохранены" in saved.inner_text(), saved.inner_text()
        tab.settle()
    tab.shot("answered")


def test_a_calibration_session_with_three_reviewers_in_russian(site):
    url, browser, ids, db = site
    lead = Tab(browser, "irina.lead", height=1800)
    page = lead.page
    lead.sign_in(f"{url}/calibration-sessions", "irina.lead")
    page.get_by_role("heading", name="Сессии калибровки").first.wait_for()
    page.locator(".st-key-calibration_new_name input").fill("Неделя 49: калибровка")
    for name in CALLS:
        lead.pick("calibration_new_calls", name.removesuffix(".flac"))
    for label in REVIEWERS.values():
        lead.pick("calibration_new_reviewers", label)
    lead.shot("new_session")
    page.get_by_role("button", name="Создать сессию").click()
    for _ in range(300):
        query = urllib.parse.parse_qs(urllib.parse.urlsplit(page.url).query)
        if "session" in query:
            break
        page.wait_for_timeout(200)
    session = query["session"][0]
    page.get_by_text("Ход сессии").first.wait_for()
    page.get_by_text("Результаты появятся").first.wait_for()
    lead.shot("created")

    with duckdb.connect(str(db), read_only=True) as con:
        call_ids = [r[0] for r in con.execute(
            "SELECT call_id FROM calibration_session_calls WHERE session_id = ? ORDER BY position",
            [session]).fetchall()]
        reviews_before = con.execute("SELECT count(*) FROM reviews").fetchone()[0]
    assert sorted(call_ids) == sorted(ids.values())

    # Three reviewers, one after another: anna passes everything, boris fails the first criterion, vera fails
    # the first and calls the second not applicable.
    patterns = {"anna.qa": lambda i: 0, "boris.qa": lambda i: 1 if i == 0 else 0,
                "vera.qa": lambda i: {0: 1, 1: 2}.get(i, 0)}
    for name, choices in patterns.items():
        tab = Tab(browser, name, height=2400)  # the call and every criterion in one screenshot
        tab.sign_in(f"{url}/blind-scoring?session={session}", name)
        _score(tab, url, session, call_ids, choices)
        tab.context.close()

    # The lead: everyone answered, so the results are there; she closes the session.
    page.reload()
    page.locator(".st-key-calibration_kappa_table").wait_for()
    lead.shot("results_before_close")
    page.locator(".st-key-calibration_close button").first.click()
    page.get_by_text("Сессия закрыта").first.wait_for()
    page.locator(".st-key-calibration_kappa_table").wait_for()
    lead.settle()
    text = lead.main_text()
    for expected in ("Согласие по критериям", "Каппа", "95% интервал", "(Флейс)", "В сессии всего 2 звонка",
                     "Автоматика рядом с большинством проверяющих", "Автоматика совпадает с большинством",
                     "Больше всего расхождений", "бутстрэп"):
        assert expected in text, expected
    table = page.locator(".st-key-calibration_kappa_table").inner_text()
    assert "100" in table and "%" in table  # percent agreement per criterion
    lead.shot("results")
    with duckdb.connect(str(db), read_only=True) as con:
        answers = con.execute("SELECT count(DISTINCT reviewer), count(*) FROM calibration_session_answers"
                              " WHERE session_id = ?", [session]).fetchone()
        assert con.execute("SELECT count(*) FROM reviews").fetchone()[0] == reviews_before
        assert con.execute("SELECT closed_by FROM calibration_sessions WHERE session_id = ?",
                           [session]).fetchone()[0] == "irina.lead"
    assert answers[0] == 3 and answers[1] > 6
    lead.context.close()
