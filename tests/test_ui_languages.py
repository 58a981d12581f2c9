"""Every page of the app, in Russian and in English, read the way a reviewer reads it: no untranslated
string, no ``None``, no raw id, no English word of the interface on a Russian page.

Each page is run with Streamlit's AppTest on the nightly database (``flow_db``) as the local admin,
and every text a person sees is collected from the element tree: titles, markdown, captions, labels,
options, buttons, metrics, alerts, tabs, expanders and table headers.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from streamlit import config as st_config
from streamlit.testing.v1 import AppTest

from reporting import i18n

APP = Path(__file__).resolve().parent.parent / "qa_app" / "app.py"
pytestmark = pytest.mark.slow

PAGES = ["views/queue.py", "views/call.py", "views/search.py", "views/calibration.py", "views/operator.py",
         "views/training.py", "views/reasons.py", "views/satisfaction.py", "views/reports.py",
         "views/comparison.py", "views/runs.py"]
_MARKUP = re.compile(r":[a-z]+-(badge|background)\[|[*`_>#\]\[]|:material/[a-z_]+:")


@pytest.fixture(autouse=True)
def loopback(tmp_path, monkeypatch, flow_db):
    before = st_config.get_option("server.address")
    st_config.set_option("server.address", "127.0.0.1")
    monkeypatch.setenv("CALLQA_USERS", str(tmp_path / "users.toml"))  # none: the local admin
    monkeypatch.setenv("CALLQA_DB", str(flow_db["db"]))
    yield
    st_config.set_option("server.address", before)


def _call_id(db: Path) -> str:
    from storage.db import connect

    with connect(db, read_only=True) as con:
        return con.execute("SELECT call_id FROM calls WHERE file_name = 'ru_stereo_rude.flac'").fetchone()[0]


def _texts(at: AppTest) -> list[str]:
    """What a person reads on the page, element by element."""
    seen: list[str] = []

    def add(value: object) -> None:
        if isinstance(value, str) and value.strip():
            seen.append(value)

    for kind in ("title", "header", "subheader", "markdown", "caption", "info", "warning", "success", "error",
                 "toast"):
        for element in getattr(at, kind, []):
            add(getattr(element, "value", None) or getattr(element, "body", None))
    for kind in ("button", "selectbox", "multiselect", "text_input", "number_input", "slider", "toggle", "checkbox",
                 "radio", "date_input", "text_area", "select_slider"):
        for widget in getattr(at, kind, []):
            if widget.key == "language_switch":  # each language named in its own words, on purpose
                continue
            add(getattr(widget, "label", None))
            add(getattr(widget, "placeholder", None))
            for option in getattr(widget, "options", []) or []:
                add(str(option))
    for metric in at.metric:
        add(metric.label)
        add(metric.value)
    for tab in at.tabs:
        add(tab.label)
    for expander in at.expander:
        add(expander.label)
    for table in at.dataframe:
        config = json.loads(table.proto.columns or "{}")
        for column in list(table.proto.column_order) or list(table.value.columns):
            # The header shown: its column_config label where the page gave one, else the column's name.
            given = next((config[k] for k in (column, f"name:{column}", f"col:{column}") if k in config), {})
            add(str(given.get("label") or column))
    return seen


def _english_words() -> set[str]:
    """The catalogue's English strings that Russian says otherwise (a Russian page showing one is untranslated)."""
    with i18n.catalogue_path("ru").open("rb") as po:
        catalog = read_po(po, locale="ru")
    english = set()
    for message in catalog:
        if not message.id or not message.string:
            continue
        msgid = message.id if isinstance(message.id, str) else message.id[0]
        msgstr = message.string if isinstance(message.string, str) else message.string[0]
        if msgid != msgstr and "{" not in msgid and len(msgid) > 3:
            english.add(msgid)
    return english


def _walk(flow_db, language: str) -> dict[str, list[str]]:
    call_id = _call_id(flow_db["db"])
    pages: dict[str, list[str]] = {}
    for page in PAGES:
        at = AppTest.from_file(str(APP), default_timeout=120)
        at.session_state["callqa_language"] = language
        at.switch_page(page)
        if page == "views/call.py":
            at.query_params["call_id"] = call_id
        at.run()
        assert not at.exception, (page, [e.message for e in at.exception])
        pages[page] = _texts(at)
    return pages


@pytest.mark.parametrize("language", ["ru", "en"])
def test_every_page_reads_as_written_for_people(flow_db, language):
    i18n.MISSING.clear()
    pages = _walk(flow_db, language)
    problems: list[str] = []
    english = _english_words() if language == "ru" else set()
    ids = {"no_forbidden_phrases", "critical_fail", "forbidden_phrase", "low_score", "needs_discovery",
           "account_access", "follow_up", "speakers_unassigned", "unjudged_criteria"}
    for page, texts in pages.items():
        assert texts, f"{page} shows nothing"
        for text in texts:
            plain = _MARKUP.sub(" ", text)
            if re.search(r"\bNone\b|\bnan\b|\bNaT\b", plain):
                problems.append(f"{page}: shows None/nan: {text[:120]!r}")
            if any(re.search(rf"(?<![\w.]){re.escape(i)}(?![\w.])", text) for i in ids):
                problems.append(f"{page}: shows an id: {text[:120]!r}")
            if plain.strip() in english:
                problems.append(f"{page}: untranslated: {text[:120]!r}")
    missing = sorted(m for loc, m in i18n.MISSING if loc == language)
    assert not missing, f"asked for without a {language} translation: {missing[:20]}"
    assert not problems, "\n".join(problems[:40])
