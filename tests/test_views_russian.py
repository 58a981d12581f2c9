"""The search, calibration, runs, comparison and satisfaction pages read as a person reads them, in Russian
and in English (issue #17): every label, caption, message, table header and chart title the page draws is
collected from the AppTest tree and checked for developer output (``None``, raw ids such as criterion ids or
``na``) and, in Russian, for English left untranslated (a text that is an English message of the catalogue,
or a message asked for that the catalogue lacks: ``reporting.i18n.MISSING``).

The pages run on a copy of the nightly flow's database with two reviewer verdicts and five imported surveys,
so calibration and the survey agreement have something to show.
"""

from __future__ import annotations

import json
import re
from datetime import datetime, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import duckdb
import pandas as pd
import pytest
from babel.messages.pofile import read_po
from streamlit import config as st_config
from streamlit.testing.v1 import AppTest

from callqa.cli import main as callqa
from reporting import i18n
from tests.conftest import copy_database
from usecases import review

APP = Path(__file__).resolve().parent.parent / "qa_app" / "app.py"
PAGES = ("views/search.py", "views/calibration.py", "views/runs.py", "views/comparison.py", "views/satisfaction.py")
# Words each page must show in each language (its title and a part only real data draws).
KEY_WORDS = {
    "views/search.py": {"ru": ["Поиск по расшифровкам", "Поисковый индекс", "оператор"],
                        "en": ["Transcript search", "Search index", "operator"]},
    "views/calibration.py": {"ru": ["Калибровка", "Проверенных оценок", "Чаще всего исправляемые", "Критерий"],
                             "en": ["Calibration", "Reviewed verdicts", "Most often overturned", "Criterion"]},
    "views/runs.py": {"ru": ["Запуски", "Обработано", "Причина", "в карантине", "ночной"],
                      "en": ["Runs", "Processed", "Reason", "quarantined", "nightly"]},
    "views/comparison.py": {"ru": ["Площадки и подрядчики", "Что говорят цифры", "слишком мало звонков", "Показатель"],
                            "en": ["Sites & vendors", "What the numbers say", "n too small", "Metric"]},
    "views/satisfaction.py": {"ru": ["Удовлетворённость", "Звонков с прогнозом", "Звонков с опросом",
                                     "итог: не решено"],
                              "en": ["Satisfaction", "Calls predicted", "Surveyed calls", "outcome: unresolved"]},
}
# Drawn by other parts of the app (the login, the language switch): their owners check them.
ELSEWHERE = ("Язык · Language", "No users configured", "Signed in as")
SNAKE_ID = re.compile(r"\b[a-z]+(?:_[a-z0-9]+)+\b")


@pytest.fixture(scope="module")
def reviewed_db(flow_db, tmp_path_factory) -> Path:
    """The flow's database with one overridden and one confirmed verdict, and a survey for every call."""
    db = tmp_path_factory.mktemp("views") / "callqa.duckdb"
    copy_database(flow_db["db"], db)
    con = duckdb.connect(str(db), read_only=True)
    try:
        verdicts = con.execute(
            "SELECT r.call_id, r.criterion_id, r.result FROM criteria_results r JOIN calls c ON c.call_id = r.call_id"
            " AND c.scorecard_name = r.scorecard_name AND c.scorecard_version = r.scorecard_version"
            " WHERE c.status = 'processed' AND r.result IN ('pass', 'fail') ORDER BY r.call_id, r.criterion_id"
        ).fetchall()
        names = [n for (n,) in
                 con.execute("SELECT file_name FROM calls WHERE status = 'processed' ORDER BY 1").fetchall()]
    finally:
        con.close()
    passed = next(v for v in verdicts if v[2] == "pass")
    failed = next(v for v in verdicts if v[2] == "fail")
    review.save_verdict(str(db), passed[0], passed[1], "pass", "fail", "anna.qa")  # overturned
    review.save_verdict(str(db), failed[0], failed[1], "fail", "fail", "anna.qa")  # upheld
    survey = db.parent / "surveys.csv"
    survey.write_text("file,csat\n" + "".join(f"{n},{s}\n" for n, s in zip(names, (1, 5, 2, 4, 3))))
    assert callqa(["import-csat", str(survey), "--db", str(db)]) == 0
    return db


@pytest.fixture
def app_db(reviewed_db, tmp_path, monkeypatch) -> Path:
    """No users and a loopback address: the local admin is logged in, as `callqa app` binds."""
    before = st_config.get_option("server.address")
    st_config.set_option("server.address", "127.0.0.1")
    monkeypatch.setenv("CALLQA_USERS", str(tmp_path / "users.toml"))
    monkeypatch.setenv("CALLQA_DB", str(reviewed_db))
    yield reviewed_db
    st_config.set_option("server.address", before)


def _open(page: str, language: str) -> AppTest:
    at = AppTest.from_file(str(APP), default_timeout=60)
    at.session_state["callqa_language"] = language
    at.run()
    at.switch_page(page)
    at.run()
    if page == "views/search.py":
        at.text_input(key="search_q").input("договор").run()
    assert not at.exception, [e.message for e in at.exception]
    assert not at.error, [e.value for e in at.error]
    return at


def _titles(spec: object) -> list[str]:
    """Every axis, legend and tooltip title of a Vega-Lite spec."""
    found: list[str] = []
    if isinstance(spec, dict):
        for key, value in spec.items():
            if key == "title" and isinstance(value, str):
                found.append(value)
            else:
                found += _titles(value)
    elif isinstance(spec, list):
        for item in spec:
            found += _titles(item)
    return found


def _shown(app: AppTest) -> list[str]:
    """Every text the page draws in its main area: labels, messages, table headers and cells, chart titles."""
    at = app.main  # the sidebar is the navigation and the language switch, checked with the app
    texts: list[str] = []
    for kind in ("title", "header", "subheader", "markdown", "caption", "info", "warning", "error", "success"):
        texts += [e.value for e in getattr(at, kind)]
    for m in at.metric:
        texts += [m.label, m.value, m.proto.help]
    for widget in (*at.selectbox, *at.multiselect):
        texts += [widget.label, widget.proto.placeholder, *widget.options]
    for widget in (*at.text_input, *at.number_input, *at.date_input):
        texts += [widget.label, getattr(widget.proto, "placeholder", "")]
    for group in at.get("button_group"):
        texts += [group.proto.label, *(o.content for o in group.proto.options)]
    texts += [link.proto.label for link in at.get("page_link")]
    for table in at.dataframe:
        frame: pd.DataFrame = table.value
        shown = list(table.proto.column_order) or list(frame.columns)
        config = json.loads(table.proto.columns or "{}")
        texts += [str(c) for c in shown] + [str(c.get("help", "")) for c in config.values()]
        texts += [str(i) for i in frame.index if not isinstance(i, int)]
        for column in shown:
            if frame[column].isna().any():
                assert table.proto.placeholder == "–", f"{column!r} has empty cells drawn as None"
            texts += [v for v in frame[column] if isinstance(v, str)]
    for chart in (*at.get("arrow_vega_lite_chart"), *at.get("vega_lite_chart")):
        texts += _titles(json.loads(chart.proto.spec))
    return [t for t in texts if t and not any(t.startswith(e) for e in ELSEWHERE)]


def _plain(text: str) -> str:
    """The text as read: markdown escapes undone, and what a person names by its file name or code (recordings,
    paths, `commands`) left out."""
    text = re.sub(r"\\(.)", r"\1", text).replace("\u2060", "")
    text = re.sub(r"`[^`]*`", " ", text)
    text = re.sub(r"\S+\.(?:flac|wav|mp3|ogg|opus|m4a|txt|bin|duckdb)\b", " ", text)
    return re.sub(r"(?:^|\s)/\S+", " ", text)


def _english_messages() -> list[tuple[str, re.Pattern[str]]]:
    """The catalogue's English messages whose Russian differs, as patterns (placeholders match anything):
    a long one found anywhere in a text is untranslated, a short one ("By", "n {group}") only as the whole text."""
    with i18n.catalogue_path("ru").open("rb") as po:
        catalog = read_po(po, locale="ru", domain=i18n.DOMAIN)
    found = []
    for message in catalog:
        if not message.id:
            continue
        ids = message.id if isinstance(message.id, (tuple, list)) else (message.id,)
        strings = message.string if isinstance(message.string, (tuple, list)) else (message.string,)
        for english in ids:
            if english in strings:
                continue  # the same in both languages ("{metric} (%)")
            words = re.sub(r"\{[a-z_]+\}", "", english)
            body = r".*?".join(re.escape(part) for part in re.split(r"\{[a-z_]+\}", english))
            long = len(words.strip()) >= 16 and " " in words.strip()
            found.append((english, re.compile(body if long else rf"^\s*{body}\s*$", re.S)))
    return found


def _criterion_ids(db: Path) -> set[str]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return {c for (c,) in con.execute("SELECT DISTINCT criterion_id FROM criteria_results").fetchall()}
    finally:
        con.close()


def _developer_output(texts: list[str], criteria: set[str]) -> list[str]:
    bad = []
    for text in texts:
        plain = _plain(text)
        words = set(re.findall(r"[\w.]+", plain))
        if re.search(r"\bNone\b|\bnan\b|\bNaT\b", plain) or "na" in words or words & criteria:
            bad.append(text)
        elif SNAKE_ID.search(plain):
            bad.append(text)
    return bad


def _select_the_run_with_quarantined_files(at: AppTest, db: Path) -> None:
    """Selects the nightly run that quarantined the sample's bad files (later tests' runs may have quarantined
    nothing, and the page opens on the latest run)."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        run_id = con.execute("SELECT run_id FROM runs WHERE quarantined > 0 ORDER BY started_at DESC LIMIT 1"
                             ).fetchone()[0]
    finally:
        con.close()
    runs = next(d for d in at.dataframe if d.key == "runs_table" or "run_id" in d.value.columns)
    row = runs.value["run_id"].tolist().index(run_id)
    at.session_state["runs_table"] = {"selection": {"rows": [row], "columns": [], "cells": []}}
    at.run()


@pytest.mark.parametrize("page", PAGES)
def test_a_page_in_russian_shows_no_english_and_no_developer_output(app_db, page):
    i18n.MISSING.clear()
    at = _open(page, "ru")
    if page == "views/runs.py":  # the run with quarantined recordings: its problems table draws too
        _select_the_run_with_quarantined_files(at, app_db)
    texts = _shown(at)
    everything = "\n".join(_plain(t) for t in texts)
    for word in KEY_WORDS[page]["ru"]:
        assert word in everything, f"{word!r} is not on the Russian {page}"
    assert _developer_output(texts, _criterion_ids(app_db)) == []
    untranslated = sorted({english for text in texts for english, pattern in _english_messages()
                           if pattern.search(text) or pattern.search(_plain(text))})
    assert untranslated == [], f"English on the Russian {page}: {untranslated}"
    missing = sorted(m for lang, m in i18n.MISSING if lang == "ru")
    assert missing == [], f"asked for without Russian in the catalogue: {missing}"


@pytest.mark.parametrize("page", PAGES)
def test_a_page_in_english_shows_words_not_ids(app_db, page):
    at = _open(page, "en")
    if page == "views/runs.py":
        _select_the_run_with_quarantined_files(at, app_db)
    texts = _shown(at)
    everything = "\n".join(_plain(t) for t in texts)
    for word in KEY_WORDS[page]["en"]:
        assert word in everything, f"{word!r} is not on the English {page}"
    # One-word criterion ids ("greeting") are English words too: only the ids with underscores are telling here.
    assert _developer_output(texts, {c for c in _criterion_ids(app_db) if "_" in c}) == []


def test_run_times_are_in_the_site_zone_in_the_locales_format(app_db, monkeypatch):
    monkeypatch.setenv("CALLQA_UI_TIME_ZONE", "Europe/Moscow")
    con = duckdb.connect(str(app_db), read_only=True)
    try:
        stored = con.execute("SELECT started_at FROM runs ORDER BY started_at DESC LIMIT 1").fetchone()[0]
    finally:
        con.close()
    moscow = stored.replace(tzinfo=timezone.utc).astimezone(ZoneInfo("Europe/Moscow")).replace(tzinfo=None)
    for language, pattern, heading in (("ru", "DD.MM.YYYY HH:mm", moscow.strftime("%d.%m.%Y, %H:%M")),
                                       ("en", "YYYY-MM-DD HH:mm", None)):
        at = _open("views/runs.py", language)
        runs = next(d for d in at.dataframe if d.key == "runs_table" or "run_id" in d.value.columns)
        started = runs.value[runs.proto.column_order[0]].iloc[0]
        assert pd.Timestamp(started).to_pydatetime().replace(microsecond=0) == moscow.replace(microsecond=0)
        assert json.loads(runs.proto.columns)[runs.proto.column_order[0]]["type_config"]["format"] == pattern
        counts = json.loads(runs.proto.columns)[runs.proto.column_order[3]]["type_config"]
        assert counts["format"] == "%d", "call counts are whole numbers"
        if heading:
            assert any(heading in s.value for s in at.subheader), [s.value for s in at.subheader]
    assert isinstance(stored, datetime)


def test_satisfaction_chart_counts_and_colours(app_db):
    at = _open("views/satisfaction.py", "ru")
    spec = json.loads(next(c for c in (*at.get("arrow_vega_lite_chart"), *at.get("vega_lite_chart"))).proto.spec)
    encoding = spec["encoding"]
    assert encoding["color"]["scale"]["scheme"] == "redyellowgreen"  # grade 1 red, 5 green: red is bad
    assert encoding["color"]["scale"]["domain"] == ["1", "2", "3", "4", "5"]
    assert encoding["y"]["axis"]["labelLimit"] >= 300, "team names are not cut"
    calls = next(t for t in encoding["tooltip"] if t["field"] == "calls")
    assert calls["format"] == "d" and calls["title"] == "звонки"
