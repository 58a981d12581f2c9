"""Text from outside stays text (issue #15, findings 5 and 8).

Operator ids come from sidecar files, comments from reviewers, and links can be edited by whoever
has them. Tried as an attacker would, on a copy of the nightly run's database:
- exports (queue, verdicts and coaching plan CSVs, the weekly Excel reports) never carry a
  formula: ``=HYPERLINK(...)`` is text in every spreadsheet;
- comments, ids and query parameters show literally on the pages, as Streamlit really renders
  them in Chromium: no outside image, no link, no restyling;
- bad query parameters (``&t=nan``, ``&seg=²``, ...) are ignored with a note, never a traceback;
- opening the pages makes no request to any host but the app's own.
"""

from __future__ import annotations

import csv
import io
import math
import os
import re
import signal
import subprocess
import sys
import urllib.parse
import urllib.request
import zipfile
from datetime import date, datetime
from html import unescape
from pathlib import Path

import pytest
from markdown_it import MarkdownIt
from openpyxl import load_workbook

from qa_app import data, links
from qa_app.mdtext import WORD_JOINER, md
from reporting.cells import FORMULA_STARTS, csv_cell, formula_like
from reporting.model import ReportPeriod
from storage.db import connect
from storage.review_queue import QueueFilter
from tests.conftest import copy_database
from tests.served_app import free_port, wait_healthy
from tests.test_app import CALL_PAGE, _app, _goto, _ok, loopback  # noqa: F401  (loopback: the autouse fixture)

HYPERLINK = '=HYPERLINK("http://evil/","x")'
SUM = "@SUM(1+1)*cmd|' /C calc'!A0"
PHISH = "![x](http://evil.example/p.png) [click](http://evil.example)"
NOTE = "-2+3+cmd|' /C calc'!A0"
WEEK = ReportPeriod.containing("week", date(2026, 11, 20))  # the sample calls' week
SINCE, UNTIL = datetime(2026, 11, 1), datetime(2026, 12, 1)
ANDREEV = ("ru_stereo_good.flac", "ru_mono_partial.flac")  # op.andreev's calls in the samples' sidecars

# What a person would see: every kind of Markdown, HTML and Streamlit directive, and bare links.
ATTACKS = [
    PHISH,
    "see http://evil.example/a and www.evil.example and mail a.b@evil.example",
    ":red[alert] :material/home: :smile: :streamlit: :blue-badge[x] :+1:",
    "<img src='http://evil.example/i.png'> <a href='http://evil.example'>x</a> &amp; &lt;",
    "# heading\n- list\n> quote\n\n    code\n1. one | a | b |\n|---|---|",
    "**bold** _it_ ~~del~~ `code` $x^2$ $$y$$ -> <- -- >= a\\b \\*",
    "[ref]: http://evil.example\n[ref] <http://evil.example> <a@evil.example>",
    HYPERLINK,
    "12:30 Иван, карта 5679 — «ок»",
]


# ---- the database an attacker shaped -----------------------------------------------------------


@pytest.fixture(scope="module")
def hostile_db(flow_db, tmp_path_factory) -> Path:
    """The nightly run's database, where op.andreev's sidecar said ``=HYPERLINK(...)`` and his site ``@site``,
    reviewers wrote hostile comments and a trainer a hostile note; op.andreev fails the greeting more than
    his team-mate, so he is a coaching topic in the exports and the weekly report."""
    from storage.calls import insert_review, review_row
    from storage.training import assign_topic

    target = tmp_path_factory.mktemp("hostile") / "callqa.duckdb"
    copy_database(flow_db["db"], target)
    with connect(target) as con:
        calls = dict(con.execute("SELECT file_name, call_id FROM calls WHERE status = 'processed'").fetchall())
        ids = [calls[n] for n in ANDREEV]
        con.execute("UPDATE calls SET operator_id = ?, site = '@site' WHERE call_id IN (SELECT unnest(?))",
                    [HYPERLINK, ids])
        insert_review(con, review_row(ids[0], "anna.qa", "override", "greeting", "fail", comment=SUM))
        insert_review(con, review_row(ids[1], "anna.qa", "override", "greeting", "fail"))
        insert_review(con, review_row(calls["ru_stereo_rude.flac"], "anna.qa", "override", "greeting", "pass",
                                      comment=PHISH))
        assign_topic(con, HYPERLINK, "greeting", "-trainer", NOTE)
    return target


def _call_id(db: Path, file_name: str) -> str:
    with connect(db, read_only=True) as con:
        return con.execute("SELECT call_id FROM calls WHERE file_name = ?", [file_name]).fetchone()[0]


# ---- exports: CSV and Excel ----------------------------------------------------------------------


def test_cells_starting_a_formula_are_neutralised_and_numbers_stay_numbers():
    for text in (HYPERLINK, SUM, NOTE, "+1", "\t=1", "\r=1", "＝1+1"):
        assert formula_like(text) and csv_cell(text) == "'" + text
    for value in ("op.carter", "", "a=b", "'=already quoted", -5, -0.5, 0, 3.25, None, float("nan"), True):
        assert not formula_like(value)
        same = csv_cell(value)
        assert same is value or (isinstance(value, float) and math.isnan(same))
    assert {c[0] for c in FORMULA_STARTS} >= {"=", "+", "-", "@", "\t", "\r"}


def _csv_cells(data: bytes) -> list[dict[str, str]]:
    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))  # English readers: "," (Russian: ";")
    assert rows, "the export is empty"
    for row in rows:
        for column, cell in row.items():
            if cell and cell.startswith(FORMULA_STARTS):  # only a number may start with "-" or "+"
                try:
                    float(cell)
                except ValueError:
                    pytest.fail(f"{column} = {cell!r} would start a formula")
    return rows


def test_csv_exports_open_as_text(hostile_db, monkeypatch):
    monkeypatch.setenv("CALLQA_COACH_MIN_MISSES", "2")  # op.andreev's two failed greetings make a topic
    db = str(hostile_db)
    queue = _csv_cells(data.queue_csv(db, QueueFilter(since=SINCE, until=UNTIL, flagged_only=False)))
    assert {r["Operator"] for r in queue} >= {"'" + HYPERLINK, "op.belova"}
    assert all(r["Score"] == "" or 0 <= int(r["Score"]) <= 100 for r in queue)  # numbers stay (whole) numbers

    verdicts = _csv_cells(data.verdicts_csv(db, _call_id(hostile_db, ANDREEV[0])))
    assert "'" + SUM in [r["Reviewer's comment"] for r in verdicts]
    assert all(r["Confidence"] == "" or 0 <= float(r["Confidence"]) <= 1 for r in verdicts)

    plan = _csv_cells(data.coaching_plan_csv(db, SINCE, UNTIL))
    mine = [r for r in plan if r["Criterion"] == "Greeting" and r["Operator"] == "'" + HYPERLINK]
    assert mine and mine[0]["Trainer's note"] == "'" + NOTE and mine[0]["Assigned by"] == "'-trainer"
    assert int(mine[0]["Failed"]) == 2 and int(mine[0]["Fail rate, %"]) == 100


def test_weekly_excel_reports_have_no_formula(hostile_db, tmp_path):
    from usecases.reports import write_reports
    from usecases.settings import load_settings

    # op.andreev's two failed greetings make a topic (coach_min_misses 2).
    written = write_reports(load_settings(db=hostile_db, reports_dir=tmp_path, coach_min_misses=2), WEEK)
    assert any(w.scope.kind == "site" and w.scope.value == "@site" for w in written)
    seen = set()
    for w in written:
        with zipfile.ZipFile(w.xlsx) as z:
            sheets = [z.read(n).decode() for n in z.namelist() if n.startswith("xl/worksheets/sheet")]
        assert not any(re.search(r"<f[ >]", xml) for xml in sheets), f"{w.xlsx.name} holds a formula"
        book = load_workbook(w.xlsx)
        cells = [c for ws in book.worksheets for row in ws.iter_rows() for c in row if c.value is not None]
        assert not [c.coordinate for c in cells if c.data_type == "f"]
        for c in cells:
            if formula_like(c.value):
                assert c.data_type == "s" and c.quotePrefix, (w.xlsx.name, c.coordinate, c.value)
                seen.add(c.value)
        if w.scope.kind == "all":
            coaching = [r for r in book["Coaching"].iter_rows(min_row=2, values_only=True)]
            row = next(r for r in coaching if r[0] == HYPERLINK)  # the text, readable as it was
            assert isinstance(row[3], int) and isinstance(row[5], (int, float))  # judged calls, fail rate: numbers
    assert HYPERLINK in seen and any(v.startswith(HYPERLINK + " · ") for v in seen)  # the chart's labels too


# ---- Markdown: what the pages show ------------------------------------------------------------


def _rendered(source: str) -> str:
    """``source`` as CommonMark renders it (with GFM's tables and strikethrough)."""
    return MarkdownIt("commonmark").enable(["table", "strikethrough"]).renderInline(source)


@pytest.mark.parametrize("text", ATTACKS)
def test_md_shows_any_text_literally(text):
    out = md(text)
    assert "\n" not in out
    html = _rendered(out)
    assert not re.search(r"<(a|img|em|strong|code|s|del|h\d|li|table|blockquote)\b", html), html
    shown = unescape(html)
    assert shown.replace(WORD_JOINER, "") == " ".join(text.split())
    assert not re.search(r"(?<!\\):", out.replace(WORD_JOINER, ""))  # no directive or icon can start


def _values(at) -> list[str]:
    """Every text the page drew that Streamlit renders as Markdown."""
    kinds = ("markdown", "caption", "warning", "error", "info", "success", "title", "subheader")
    return [e.value for kind in kinds for e in getattr(at, kind)]


def test_a_hostile_comment_shows_as_text_on_the_call_page(hostile_db, monkeypatch):
    monkeypatch.setenv("CALLQA_DB", str(hostile_db))
    at = _goto(_app().run(), CALL_PAGE, call_id=_call_id(hostile_db, "ru_stereo_rude.flac"))
    _ok(at)
    shown = [v for v in _values(at) if "evil" in v]
    # The comment, escaped: under its verdict, and in the review history's line in words.
    assert f"“{md(PHISH)}”" in shown and len(shown) == 2 and all(f"“{md(PHISH)}”" in v for v in shown), shown
    for value in shown:
        html = _rendered(value)
        assert "<a" not in html and "<img" not in html and PHISH in html.replace(WORD_JOINER, "")


@pytest.mark.parametrize("asked", [PHISH, "[click](http://evil.example) **x** :red[y]", "x" * 500, "a\nb"])
def test_a_hostile_call_id_is_shown_as_text_or_ignored(hostile_db, monkeypatch, asked):
    monkeypatch.setenv("CALLQA_DB", str(hostile_db))
    at = _goto(_app().run(), CALL_PAGE, call_id=asked)
    assert not at.exception
    for value in _values(at):
        html = _rendered(value)
        assert "<a" not in html and "<img" not in html and "<strong>x" not in html, value
    warned = " ".join(w.value for w in at.warning)
    assert ("There is no call" in warned and md(asked) in warned) or "`call_id`" in warned, warned


# ---- query parameters ------------------------------------------------------------------------------


@pytest.mark.parametrize("t", ["nan", "inf", "-inf", "-5", "abc", "1e308", "99999999", "0x10", ""])
def test_a_bad_moment_in_a_link_is_ignored_with_a_note(hostile_db, monkeypatch, t):
    monkeypatch.setenv("CALLQA_DB", str(hostile_db))
    at = _goto(_app().run(), CALL_PAGE, call_id=_call_id(hostile_db, "ru_stereo_rude.flac"), t=t)
    _ok(at)
    assert at.get("audio")[0].proto.start_time == 0  # from the start, as without the parameter
    notes = [w.value for w in at.warning if "`t`" in w.value]
    assert (len(notes) == 1 and "was ignored" in notes[0]) if t else not notes


def test_a_good_moment_and_utterance_still_apply(hostile_db, monkeypatch):
    monkeypatch.setenv("CALLQA_DB", str(hostile_db))
    at = _goto(_app().run(), CALL_PAGE, call_id=_call_id(hostile_db, "ru_stereo_rude.flac"), t="12.5", seg="1")
    _ok(at)
    assert at.get("audio")[0].proto.start_time == 11
    assert not [w for w in at.warning if "ignored" in w.value]
    assert any("search match" in m.value for m in at.markdown)


@pytest.mark.parametrize("seg", ["²", "abc", "-1", "1.5", "99999"])
def test_a_bad_utterance_in_a_link_is_ignored_with_a_note(hostile_db, monkeypatch, seg):
    monkeypatch.setenv("CALLQA_DB", str(hostile_db))
    at = _goto(_app().run(), CALL_PAGE, call_id=_call_id(hostile_db, "ru_stereo_rude.flac"), seg=seg)
    _ok(at)
    assert [w for w in at.warning if "`seg`" in w.value and "ignored" in w.value]
    assert not any("search match" in m.value for m in at.markdown)


def test_bad_search_and_operator_links_are_ignored_with_a_note(hostile_db, monkeypatch):
    monkeypatch.setenv("CALLQA_DB", str(hostile_db))
    at = _goto(_app().run(), "views/search.py", q="x" * 201)
    _ok(at)
    assert [w for w in at.warning if "`q`" in w.value] and at.text_input(key="search_q").value == ""

    at = _goto(_app().run(), "views/operator.py", operator=PHISH)
    _ok(at)
    assert [w for w in at.warning if md(PHISH) in w.value and "no operator" in w.value]
    assert at.selectbox(key="operator_pick").index == 0

    at = _goto(_app().run(), "views/operator.py", operator="op.belova")
    _ok(at)
    assert (
        not [w for w in at.warning if "operator" in w.value] and at.selectbox(key="operator_pick").value == "op.belova"
    )


def test_link_checks():
    assert links.moment("t", "12.5", 60.0).value == 12.5
    assert links.moment("t", "60", 60.0).value == 60.0
    for bad in ("nan", "inf", "-0.1", "61", "abc", "1e400"):
        checked = links.moment("t", bad, 60.0)
        assert checked.value is None and "ignored" in checked.problem
    assert links.moment("t", None, 60.0) == links.Param(None)
    assert links.index("seg", "٣").value is None and links.index("seg", "12").value == 12
    assert links.text("q", "  x ").value == "x" and links.text("q", "x" * 201).value is None
    long = links.text("call_id", PHISH * 10)
    assert "<a" not in _rendered(long.problem) and "…" in long.problem


# ---- the browser: nothing outside, nothing injected ---------------------------------------------


@pytest.fixture(scope="module")
def served(hostile_db, tmp_path_factory):
    """``callqa app`` on the hostile database, bound to 127.0.0.1 with no users (local admin)."""
    port = free_port()
    users = tmp_path_factory.mktemp("users") / "users.toml"
    env = dict(os.environ, CALLQA_USERS=str(users))
    server = subprocess.Popen([sys.executable, "-m", "callqa", "app", "--db", str(hostile_db), "--port", str(port),
                               "--users", str(users)], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                              start_new_session=True)  # callqa starts streamlit as its child: stop both
    url = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(url)
        yield url
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)


@pytest.fixture(scope="module")
def browser(chromium):
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is a test dependency (pyproject [test])")
    with sync_api.sync_playwright() as p:
        # The system Chromium (never `playwright install`, which downloads a browser).
        b = p.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
        yield b
        b.close()


LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1", "[::1]"}
# Elements whose address a browser fetches (or, for a favicon, may fetch) without a click.
RESOURCES = ("img[src], script[src], iframe[src], audio[src], video[src], source[src], embed[src], "
             "object[data], link[href]")


def _outside(url: str) -> bool:
    parts = urllib.parse.urlsplit(url)
    return parts.scheme not in ("data", "blob", "about") and (parts.hostname or "") not in LOCAL_HOSTS


class Visit:
    """One browser context that records every request its pages make and fetches nothing from outside."""

    def __init__(self, browser):
        self.context = browser.new_context()
        self.requests: list[str] = []
        self.context.on("request", lambda r: self.requests.append(r.url))
        # Anything for another host is recorded, then refused: the test never waits on a dead network.
        self.context.route(re.compile(r"^(?!https?://(127\.0\.0\.1|localhost)[:/]).*"),
                           lambda route: route.abort() if _outside(route.request.url) else route.continue_())
        self.page = self.context.new_page()

    def open(self, url: str, expect: str, timeout_s: float = 90) -> None:
        """Open ``url`` and wait until the element ``expect`` (a selector) shows, then a moment for the rest."""
        self.page.goto(url)
        self.page.locator(expect).first.wait_for(timeout=timeout_s * 1000)
        self.page.wait_for_timeout(1500)

    def loaded_addresses(self) -> list[str]:
        """The absolute addresses of the page's (and its frames') resource elements."""
        found = []
        for frame in self.page.frames:
            found += frame.eval_on_selector_all(
                RESOURCES, "els => els.map(e => new URL(e.getAttribute('src') || e.getAttribute('data') "
                           "|| e.getAttribute('href'), document.baseURI).href)")
        return found

    def close(self) -> None:
        self.context.close()


def _start_streamlit(script: Path, port: int, env: dict | None = None) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "streamlit", "run", str(script), "--server.port", str(port),
                             "--server.address", "127.0.0.1", "--server.headless", "true",
                             "--browser.gatherUsageStats", "false"], env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)


SHOWCASE = """
import sys
sys.path.insert(0, {repo!r})
import streamlit as st
from qa_app.mdtext import md
ATTACKS = {attacks!r}
for i, text in enumerate(ATTACKS):
    with st.container(key=f"shown_{{i}}"):
        st.markdown(md(text))
        st.caption(f"“{{md(text)}}”")
        st.warning(md(text))
        st.button(md(text), key=f"button_{{i}}")
with st.container(key="raw"):  # the same texts unescaped: what the check must catch
    for text in ATTACKS[:4]:
        st.markdown(text)
"""


@pytest.mark.slow
def test_md_shows_any_text_literally_as_streamlit_renders_it(browser, tmp_path):
    """Streamlit's own renderer in Chromium: every attack shows as its text in markdown, a caption, an alert
    and a button label, with no link, image, emphasis, code, heading, list, colour, icon or emoji."""
    script = tmp_path / "showcase.py"
    script.write_text(SHOWCASE.format(repo=str(Path(__file__).resolve().parent.parent), attacks=ATTACKS))
    port = free_port()
    server = _start_streamlit(script, port)
    visit = Visit(browser)
    try:
        wait_healthy(f"http://127.0.0.1:{port}")
        visit.open(f"http://127.0.0.1:{port}/", ".st-key-raw img", timeout_s=120)
        # What Markdown could make of a text: links, images (the :streamlit: logo too), emphasis, code, blocks,
        # coloured text and badges (span[style]), Material icons ([role=img]) and math.
        made = ("a", "img", "em", "strong", "code", "del", "h1", "li", "blockquote", "table", "span[style]",
                "[role='img']", ".katex")
        for i, text in enumerate(ATTACKS):
            box = visit.page.locator(f".st-key-shown_{i}")
            for element in made:
                found = box.locator(
                    f"[data-testid='stMarkdownContainer'] {element}, [data-testid='stCaptionContainer'] {element}"
                )
                assert found.count() == 0, (text, element, box.inner_html())
            shown = box.inner_text().replace(WORD_JOINER, "")
            assert shown.count(" ".join(text.split())) == 4, (text, shown)  # markdown, caption, alert, button
        raw = visit.page.locator(".st-key-raw")
        for element in ("a", "img", "span[style]", "[role='img']"):
            assert raw.locator(f"[data-testid='stMarkdownContainer'] {element}").count(), element
        assert any("evil.example" in u for u in visit.requests)  # the raw image was asked for (and refused)
    finally:
        visit.close()
        server.terminate()
        server.wait(timeout=20)


MAIN_PAGES = [  # path, what shows when the page is drawn (the navigation names every page: titles, not text)
    ("", "h1:has-text('Review queue')"),
    ("call?call_id={call_id}&t=12.5", "h3:has-text('Transcript')"),
    ("search?q=договор", "h1:has-text('Transcript search')"),
    ("operator", "h3:has-text('Calls')"),
    ("training", "h3:has-text('Assignments')"),
    ("calibration", "h1:has-text('Calibration')"),
    ("reasons", "h3:has-text('Frequent reasons')"),
    ("satisfaction", "h3:has-text('Lowest predicted')"),
    ("comparison", "h3:has-text('What the numbers say')"),
    ("runs", "h3:has-text('Deletions')"),
]


@pytest.mark.slow
def test_no_page_makes_a_request_outside_the_app(served, browser, hostile_db):
    call_id = _call_id(hostile_db, "ru_stereo_rude.flac")
    visit = Visit(browser)
    try:
        for path, expect in MAIN_PAGES:
            visit.open(f"{served}/{path.format(call_id=call_id)}", expect)
            outside = [u for u in visit.loaded_addresses() if _outside(u)]
            assert not outside, f"/{path} points the browser at {outside}"
            assert visit.page.locator("[data-testid='stException']").count() == 0, path
            if path.startswith("call"):
                assert visit.page.locator("audio").count() == 1  # the recording, from the app's /media
        # Reports: generate the week's reports, then the page shows the HTML report in a frame.
        visit.open(f"{served}/reports", "h1:has-text('Reports')")
        visit.page.get_by_role("button", name=re.compile("Generate now")).click()
        visit.page.locator("iframe").first.wait_for(timeout=90_000)
        visit.page.wait_for_timeout(1000)
        outside = [u for u in visit.loaded_addresses() if _outside(u)]
        assert not outside, f"/reports points the browser at {outside}"
        assert len(visit.page.frames) > 1  # the report really is shown
        requested = [u for u in visit.requests if _outside(u)]
        assert not requested, f"the browser asked outside hosts for {requested}"
        assert any("/media/" in u for u in visit.requests)  # the recording was fetched from the app itself
    finally:
        visit.close()


@pytest.mark.slow
def test_hostile_text_is_shown_literally_in_the_browser(served, browser, hostile_db):
    call_id = _call_id(hostile_db, "ru_stereo_rude.flac")
    visit = Visit(browser)
    try:
        asked = urllib.parse.quote(PHISH + " :red[red] **bold**")
        pages = [
            # The reviewer's comment on the call page, opened by a link whose moment is "nan".
            (f"call?call_id={call_id}&t=nan", "h3:has-text('Transcript')", [PHISH, "was ignored"]),
            # A link whose call id is Markdown.
            (f"call?call_id={asked}", "text=There is no call", [PHISH + " :red[red] **bold**"]),
            # The operator id on the training page.
            ("training", "h3:has-text('Assignments')", [HYPERLINK]),
        ]
        for path, expect, texts in pages:
            visit.open(f"{served}/{path}", expect)
            body = visit.page.inner_text("body").replace(WORD_JOINER, "")
            for text in texts:
                assert text in body, (path, text)
            assert visit.page.locator("a[href*='evil'], img[src*='evil'], [data-testid='stException']").count() == 0, (
                path
            )
        assert not [u for u in visit.requests if _outside(u)]  # the outside image was never asked for
    finally:
        visit.close()
