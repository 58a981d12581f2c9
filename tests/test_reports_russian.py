"""The reports and the call-reasons pages in the reader's words (issue #17, items 1, 7 and 10).

On a copy of the real nightly run over the sample calls (``flow_db``, week 2026-W47), the weekly
reports are written once in Russian and once in English, as the site's setting asks, and read the
way their readers do: the HTML page as Chromium renders it, the workbook through openpyxl. Neither
shows a raw criterion or reason id, "None", or an ISO date; the Russian one is Russian throughout.
The app's Reports page offers a week that has calls, and the Call reasons page names reasons and
outcomes in words on a whole-number axis, coloured as QA reads them.
"""

from __future__ import annotations

import json
import re
import subprocess
import tempfile
from datetime import date, datetime
from pathlib import Path

import duckdb
import pytest
from openpyxl import load_workbook

from pipeline.insights.taxonomy import load_taxonomy
from reporting.i18n import Words
from reporting.labels import period_title
from reporting.model import ReportPeriod
from storage.db import connect
from storage.reports import criterion_titles
from tests.conftest import copy_database
from usecases.reports import last_period_with_calls, write_reports
from usecases.settings import load_settings

W47 = ReportPeriod.containing("week", date(2026, 11, 20))  # the sample calls' week
ZONE = "Europe/Moscow"
REPO = Path(__file__).resolve().parent.parent
CYRILLIC = re.compile(r"[А-Яа-яЁё]")
ISO_DAY = re.compile(r"\b\d{4}-\d{2}-\d{2}\b|\b\d{4}-W\d{2}\b")


@pytest.fixture(scope="module")
def db_copy(flow_db, tmp_path_factory) -> Path:
    target = tmp_path_factory.mktemp("reports_ru") / "callqa.duckdb"
    copy_database(flow_db["db"], target)
    return target


def _ids(db: Path) -> dict[str, set[str]]:
    """The criterion and reason ids the run stored: none may reach a reader."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        criteria = {r[0] for r in con.execute("SELECT DISTINCT criterion_id FROM criteria_results").fetchall()}
        reasons = {r[0] for r in con.execute("SELECT DISTINCT reason_id FROM call_insights "
                                             "WHERE reason_id IS NOT NULL").fetchall()}
    finally:
        con.close()
    return {"criterion": criteria, "reason": reasons}


def _names(db: Path, language: str) -> list[str]:
    """What a reader may see instead of the ids: the criteria's titles and the reasons' labels in ``language``
    ("Customer identification" holds the id "identification" as a word, rightly)."""
    with connect(db, read_only=True) as con:
        titles = criterion_titles(con)
    words = Words(language)
    return [words.title(t) for t in titles.values()] + [r.label(language) for r in load_taxonomy().reasons]


@pytest.fixture(scope="module")
def written(db_copy, tmp_path_factory) -> dict[str, list]:
    """The week's reports as the scheduled flow writes them, once per site language."""
    out = {}
    for language in ("ru", "en"):
        settings = load_settings(db=db_copy, reports_dir=tmp_path_factory.mktemp(f"out_{language}"),
                                 ui_language=language, ui_time_zone=ZONE)
        out[language] = write_reports(settings, W47)
    return out


def _all(reports: list):
    return next(r for r in reports if r.scope.kind == "all")


def _rendered_text(chromium: str, page: Path, tmp: Path) -> str:
    """The page's visible text as Chromium renders it (chart texts included, styles and metadata not)."""
    profile = tempfile.mkdtemp(dir=tmp)
    done = subprocess.run(
        [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", f"--user-data-dir={profile}", "--virtual-time-budget=5000",
         "--dump-dom", page.as_uri()], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    dom = done.stdout
    for hidden in (r"<style.*?</style>", r"<metadata.*?</metadata>", r"<defs.*?</defs>", r"<!--.*?-->"):
        dom = re.sub(hidden, " ", dom, flags=re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", dom)).replace("&amp;", "&")


def _plain(text: str) -> str:
    """Every kind of space as one space: Chromium's text and Babel's dates (narrow no-break spaces) compared."""
    return re.sub(r"\s+", " ", text)


def _no_ids(text: str, ids: dict[str, set[str]], where: str, names_shown: list[str] = ()) -> None:
    for name in sorted(names_shown, key=len, reverse=True):
        text = text.replace(name, " ")
    for kind, names in ids.items():
        shown = sorted(i for i in names if re.search(rf"(?<![\w.]){re.escape(i)}(?![\w.])", text))
        assert not shown, f"{where} shows raw {kind} ids {shown}"


def test_the_russian_report_is_russian_throughout(written, db_copy, chromium, tmp_path):
    report = _all(written["ru"])
    assert report.calls > 0
    text = _rendered_text(chromium, report.html, tmp_path)
    ru = Words("ru", ZONE)
    for heading in ("Отчёт по качеству", "Сводка", "Динамика за последние 8 недель", "Худшие критерии",
                    "Основные причины обращений", "Операторы, которым нужно обучение"):
        assert heading in text, heading
    assert _plain(period_title(W47, ru)) in text and "неделя" in period_title(W47, ru)
    assert "Приветствие" in text and "Greeting" not in text  # the scorecard's Russian half, never "ru / en"
    taxonomy = load_taxonomy()
    stored = _ids(db_copy)
    assert stored["reason"], "the nightly run gave the sample calls reasons"
    for reason in stored["reason"]:
        assert taxonomy.label(reason, "ru") in text, reason
    _no_ids(text, stored, "the Russian report", _names(db_copy, "ru"))
    assert "None" not in text and "nan" not in text.split()
    assert not ISO_DAY.search(text), ISO_DAY.search(text)
    assert re.search(r"записан \d{2}\.\d{2}\.\d{4}, \d{2}:\d{2} \(Europe/Moscow\)", text), text[:400]
    # Numbers as Russians write them: a decimal comma in the mean score.
    assert re.search(r'id="summary-score"><div class="value">\d+,\d<', report.html.read_text(encoding="utf-8"))
    for english in ("Summary", "Worst criteria", "calls", "Resolved", "Unresolved", "passed", "week "):
        assert english not in text, english


def test_the_russian_workbook_names_its_sheets_and_columns_in_russian(written, db_copy):
    book = load_workbook(_all(written["ru"]).xlsx)
    assert book.sheetnames == ["Сводка", "Динамика", "Худшие критерии", "Причины обращений", "Обучение", "Точность",
                               "Уровень обслуживания"]  # the PBX's figures (issue #19): none in this week, said so
    for sheet in book.worksheets:
        first = [c.value for c in sheet[1] if c.value is not None]
        header_row = 6 if sheet.title == "Сводка" else 1
        headers = [c.value for c in sheet[header_row] if c.value is not None]
        assert headers and all(CYRILLIC.search(str(h)) for h in headers), (sheet.title, headers, first)
    summary = {r[0]: r[1] for r in book["Сводка"].iter_rows(min_row=2, max_row=4, values_only=True)}
    assert summary["Группа"] == "Все звонки"
    written_at = book["Сводка"]["B4"]
    assert isinstance(written_at.value, datetime) and written_at.number_format == "dd.mm.yyyy hh:mm"
    assert book["Динамика"]["B2"].number_format == "dd.mm.yyyy"
    criteria = [r[0] for r in book["Худшие критерии"].iter_rows(min_row=2, values_only=True)]
    assert "Приветствие" in criteria and all(CYRILLIC.search(c) for c in criteria)
    reasons = [r[0] for r in book["Причины обращений"].iter_rows(min_row=2, values_only=True)]
    assert reasons and all(CYRILLIC.search(r) for r in reasons)
    texts = " | ".join(str(c.value) for ws in book.worksheets for row in ws.iter_rows() for c in row
                       if isinstance(c.value, str))
    _no_ids(texts, _ids(db_copy), "the Russian workbook", _names(db_copy, "ru"))
    assert "None" not in texts


def test_an_english_site_still_gets_english_reports(written, db_copy, chromium, tmp_path):
    report = _all(written["en"])
    text = _rendered_text(chromium, report.html, tmp_path)
    assert _plain("QA report · All calls · " + period_title(W47, Words("en", ZONE))) in text
    assert "Summary" in text and "Greeting" in text and "Приветствие" not in text and "Сводка" not in text
    taxonomy = load_taxonomy()
    for reason in _ids(db_copy)["reason"]:
        assert taxonomy.label(reason, "en") in text, reason
    _no_ids(text, _ids(db_copy), "the English report", _names(db_copy, "en"))
    assert "None" not in text and not ISO_DAY.search(text)
    book = load_workbook(report.xlsx)
    assert book.sheetnames == ["Summary", "Trends", "Worst criteria", "Call reasons", "Coaching", "Accuracy",
                               "Service level"]
    assert [c.value for c in book["Call reasons"][1]][:4] == ["Reason", "Calls", "Share", "Resolved in the call"]


def test_generate_now_offers_the_last_complete_period_with_calls(db_copy):
    settings = load_settings(db=db_copy)
    # Weeks later the last complete week is empty: the week of the sample calls is offered instead.
    assert last_period_with_calls(settings, "week", date(2026, 12, 20)) == W47
    assert last_period_with_calls(settings, "month", date(2027, 2, 3)).start == date(2026, 11, 1)
    # While the calls' own week runs, no complete week has them.
    assert last_period_with_calls(settings, "week", date(2026, 11, 18)) is None


# ---- the app's pages ------------------------------------------------------------------------


def _texts(at) -> str:
    """Everything the page shows as text: titles, captions, messages, labels, tables and options."""
    out = []
    for kind in ("title", "header", "subheader", "markdown", "caption", "info", "success", "warning", "error"):
        out += [str(e.value) for e in at.get(kind)]
    out += [f"{m.label} {m.value}" for m in at.metric]
    for kind in ("button", "selectbox", "multiselect", "date_input", "number_input", "page_link"):
        for e in at.get(kind):
            out.append(str(getattr(e, "label", "") or getattr(e.proto, "label", "")))
            out += [str(o) for o in getattr(e.proto, "options", [])]
    for frame in at.dataframe:
        out.append(" ".join(map(str, frame.value.columns)))
        out.append(frame.value.to_string())
    return "\n".join(out)


@pytest.fixture
def app(db_copy, tmp_path, monkeypatch):
    from streamlit import config as st_config
    from streamlit.testing.v1 import AppTest

    before = st_config.get_option("server.address")
    st_config.set_option("server.address", "127.0.0.1")
    monkeypatch.setenv("CALLQA_USERS", str(tmp_path / "users.toml"))
    monkeypatch.setenv("CALLQA_DB", str(db_copy))
    monkeypatch.setenv("CALLQA_REPORTS_DIR", str(tmp_path / "reports"))

    def open_page(page: str, language: str):
        monkeypatch.setenv("CALLQA_UI_LANGUAGE", language)  # the site's language: the reports written now use it
        at = AppTest.from_file(str(REPO / "qa_app" / "app.py"), default_timeout=90)
        at.session_state["callqa_language"] = language
        at.run()
        at.switch_page(page)
        at.run()
        assert not at.exception, [e.message for e in at.exception]
        return at

    try:
        yield open_page
    finally:
        st_config.set_option("server.address", before)


@pytest.mark.parametrize("language, title, generate, wrote", [
    ("ru", "Отчёты", "Сформировать сейчас: ", "Отчёты записаны"),
    ("en", "Reports", "Generate now: ", "Wrote the reports of"),
])
def test_reports_page_offers_a_week_with_calls_in_the_readers_words(app, db_copy, language, title, generate, wrote):
    at = app("views/reports.py", language)
    w = Words(language, ZONE)
    assert [t.value for t in at.title] == [title]
    # Today (2026-12 or later) the last complete week is empty; the one offered is the samples' week.
    button = at.button(key="report_generate")
    assert button.label == generate + period_title(W47, w)
    assert at.date_input(key="report_end").value == W47.end
    button.click().run()
    assert not at.exception and not at.error, [e.message for e in at.exception]
    (done,) = [s.value for s in at.success]
    assert done.startswith(wrote) and period_title(W47, w) in done
    calls = w.plural("{n} call", "{n} calls", _processed_calls(db_copy, W47))
    assert calls in done and (" 0 " not in done), done
    shown = _texts(at)
    _no_ids(shown, _ids(db_copy), f"the {language} Reports page", _names(db_copy, language))
    assert "None" not in shown and not ISO_DAY.search(shown), shown
    if language == "ru":
        assert "Все звонки" in shown and "Все отчёты" in shown
    preview = at.get("iframe")
    assert preview and period_title(W47, w) in preview[0].proto.srcdoc


def _processed_calls(db: Path, period: ReportPeriod) -> int:
    with connect(db, read_only=True) as con:
        return con.execute("SELECT count(*) FROM calls WHERE status = 'processed' AND coalesce(started_at, "
                           "processed_at) >= ? AND coalesce(started_at, processed_at) < ?",
                           [period.start, period.end]).fetchone()[0]


@pytest.mark.parametrize("language, title, no_reason", [
    ("ru", "Причины обращений", "нет причины из справочника"),
    ("en", "Call reasons", "no taxonomy reason"),
])
def test_reasons_page_names_reasons_and_outcomes_and_counts_whole_calls(app, db_copy, language, title, no_reason):
    at = app("views/reasons.py", language)
    w = Words(language, ZONE)
    assert [t.value for t in at.title] == [title]
    table = at.dataframe[0].value
    reason_col = w("Reason")
    taxonomy = load_taxonomy()
    allowed = {r.label(language) for r in taxonomy.reasons} | {no_reason}
    assert set(table[reason_col]) <= allowed and set(table[reason_col]) - {no_reason}, set(table[reason_col])
    assert int(table[w("Calls")].sum()) == _one(db_copy, "SELECT count(*) FROM call_insights")
    shown = _texts(at)
    _no_ids(shown, _ids(db_copy), f"the {language} Call reasons page", _names(db_copy, language))
    assert "None" not in shown

    (chart,) = at.get("vega_lite_chart")
    spec = json.loads(chart.proto.spec)
    x = spec["encoding"]["x"]
    assert x["axis"]["format"] == "d" and x["axis"]["tickMinStep"] == 1, x  # no "2.5 calls" on the axis
    colour = spec["encoding"]["color"]["scale"]
    colours = dict(zip(colour["domain"], colour["range"]))
    if w.of("outcome", "resolved") in colours:
        assert colours[w.of("outcome", "resolved")] == "#2da44e"  # green: resolved
    if w.of("outcome", "unresolved") in colours:
        assert colours[w.of("outcome", "unresolved")] == "#cf222e"  # red: unresolved
    assert set(colours) <= {w.of("outcome", o) for o in ("resolved", "follow_up", "order_placed", "transferred",
                                                           "unresolved")}


def _one(db: Path, sql: str) -> int:
    with connect(db, read_only=True) as con:
        return con.execute(sql).fetchone()[0]


def test_the_preview_is_the_whole_report_in_the_pages_own_scroll(written, db_copy, chromium, tmp_path):
    """Served for real and opened in Chromium: the report's frame is as tall as the report, so it never
    scrolls inside itself (a screenshot of the page is kept as a test artifact)."""
    import os

    from tests.served_app import streamlit_app

    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is a test dependency (pyproject [test])")
    reports_dir = _all(written["ru"]).html.parent.parent.parent  # reports/week/2026-W47/all.html
    env = dict(os.environ, CALLQA_DB=str(db_copy), CALLQA_USERS=str(tmp_path / "users.toml"),
               CALLQA_REPORTS_DIR=str(reports_dir), CALLQA_UI_LANGUAGE="ru", CALLQA_UI_TIME_ZONE=ZONE)
    with streamlit_app(env) as url, sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
        try:
            page = browser.new_page(viewport={"width": 1300, "height": 900})
            page.goto(f"{url}/reports")
            page.locator("h1:has-text('Отчёты')").first.wait_for(timeout=90_000)
            frame_element = page.locator("iframe").first
            frame_element.wait_for(timeout=90_000)
            frame = frame_element.element_handle().content_frame()
            frame.locator("h2#coaching").wait_for(timeout=30_000)
            page.wait_for_timeout(2000)  # the frame takes its content's height once the report has laid out
            inner = frame.evaluate("() => document.documentElement.scrollHeight")
            outer = frame_element.evaluate("e => e.getBoundingClientRect().height")
            page.screenshot(path=str(tmp_path / "reports_page_ru.png"), full_page=True)
        finally:
            browser.close()
    assert inner > 1500, "the whole report: summary, trends, criteria, reasons and coaching"
    assert outer >= inner - 2, f"the frame ({outer:.0f} px) is shorter than its report ({inner} px): it would scroll"
