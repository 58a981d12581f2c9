"""The QA review app, driven through its widgets with Streamlit's AppTest.

Every test reads a real DuckDB file filled by one real nightly run over the
bundled sample calls (``flow_db``); tests that write reviews work on a copy.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pytest
from streamlit.testing.v1 import AppTest

from qa_app import ui

APP = Path(__file__).resolve().parent.parent / "qa_app" / "app.py"
CALL_PAGE = "pages/call.py"


def _app() -> AppTest:
    return AppTest.from_file(str(APP), default_timeout=60)


def _rows(db: Path, sql: str, params: list | None = None) -> list[tuple]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()


def _call_id(db: Path, file_name: str) -> str:
    rows = _rows(db, "SELECT call_id FROM calls WHERE file_name = ? AND status = 'processed'", [file_name])
    assert rows, f"{file_name} was not processed by the flow"
    return rows[0][0]


def _flagged_names(db: Path) -> set[str]:
    return {
        name
        for (name,) in _rows(
            db,
            "SELECT c.file_name FROM calls c JOIN scores s ON s.call_id = c.call_id "
            "AND s.scorecard_name = c.scorecard_name AND s.scorecard_version = c.scorecard_version "
            "WHERE c.status = 'processed' AND len(s.flags) > 0",
        )
    }


def _open_call(call_id: str) -> AppTest:
    at = _app().run()
    at.switch_page(CALL_PAGE)
    at.query_params["call_id"] = call_id
    return at.run()


def _text(at: AppTest) -> str:
    return "\n".join(m.value for m in at.markdown)


def _ok(at: AppTest) -> None:
    assert not at.exception, [e.message for e in at.exception]
    assert not at.error, [e.value for e in at.error]


def _queue_table(at: AppTest):
    tables = [d for d in at.dataframe if d.key == "queue_table"]
    assert tables, "the review queue table is missing"
    return tables[0].value


@pytest.fixture
def db(flow_db, monkeypatch) -> Path:
    """The flow's database, read-only use."""
    monkeypatch.setenv("CALLQA_DB", str(flow_db["db"]))
    return flow_db["db"]


@pytest.fixture
def db_copy(flow_db, tmp_path, monkeypatch) -> Path:
    """A private copy of the flow's database, for tests that write reviews."""
    target = tmp_path / "callqa.duckdb"
    shutil.copyfile(flow_db["db"], target)
    wal = Path(str(flow_db["db"]) + ".wal")
    if wal.exists():
        shutil.copyfile(wal, str(target) + ".wal")
    monkeypatch.setenv("CALLQA_DB", str(target))
    return target


def test_queue_lists_flagged_calls_worst_first(db, flow_db):
    at = _app().run()
    _ok(at)
    assert at.title[0].value == "Review queue"

    flagged = _flagged_names(db)
    assert {"ru_stereo_rude.flac", "en_mono_rude.flac"} <= flagged, "the rude sample calls should be flagged"
    table = _queue_table(at)
    assert set(table["Recording"]) == flagged
    assert len(table) == len(flagged)
    critical = {n for (n,) in _rows(db, "SELECT c.file_name FROM calls c JOIN scores s USING (call_id) WHERE list_contains(s.flags, 'critical_fail')")}
    if critical:
        assert table["Recording"].iloc[0] in critical, "calls with a critical failure come first"
    assert set(table.columns) >= {"Recording", "Processed (UTC)", "Duration", "Language", "Score", "Flags", "Reviewed"}
    # Other tests share this database and may have marked a call reviewed (test_nightly_flow does).
    reviewed = {n for (n,) in _rows(db, "SELECT DISTINCT c.file_name FROM reviews r JOIN calls c USING (call_id) WHERE r.action = 'reviewed'")}
    assert set(table.loc[table["Reviewed"].astype(bool), "Recording"]) == reviewed & flagged

    # The toggle shows every processed call.
    at.toggle(key="show_all").set_value(True).run()
    _ok(at)
    processed = {n for (n,) in _rows(db, "SELECT file_name FROM calls WHERE status = 'processed'")}
    assert set(_queue_table(at)["Recording"]) == processed
    assert len(processed) == 5

    # Quarantined recordings are listed with their reasons.
    problems = next(d.value for d in at.dataframe if "Reason" in d.value.columns)
    reasons = dict(zip(problems["Recording"], problems["Reason"]))
    for name, fragment in flow_db["bad"].items():
        assert fragment in reasons[name]
    assert at.expander[0].label == f"Quarantined and failed recordings ({len(flow_db['bad'])})"


def test_queue_pages_by_a_hundred(db_copy):
    # 60 more copies of every processed call, as if many nights had run.
    con = duckdb.connect(str(db_copy))
    con.execute(
        "INSERT INTO calls SELECT c.* REPLACE (c.call_id || '-' || t.i AS call_id, 'copy' || t.i || '_' || c.file_name AS file_name) "
        "FROM calls c, range(60) t(i) WHERE c.status = 'processed'"
    )
    con.execute("INSERT INTO scores SELECT s.* REPLACE (s.call_id || '-' || t.i AS call_id) FROM scores s, range(60) t(i)")
    con.close()
    flagged = _flagged_names(db_copy)
    assert len(flagged) > 100

    at = _app().run()
    _ok(at)
    first = _queue_table(at)
    assert len(first) == 100
    assert f"1–100 of {len(flagged)}" in "\n".join(c.value for c in at.caption)
    at.number_input(key="queue_page").set_value(2).run()
    _ok(at)
    second = _queue_table(at)
    assert len(second) == len(flagged) - 100
    assert set(first["Recording"]).isdisjoint(second["Recording"])
    assert set(first["Recording"]) | set(second["Recording"]) == flagged

    # Showing every call starts again at the first page.
    at.toggle(key="show_all").set_value(True).run()
    _ok(at)
    assert at.number_input(key="queue_page").value == 1
    assert len(_queue_table(at)) == 100


def test_queue_row_opens_the_call_page(db):
    at = _app().run()
    first = _queue_table(at).iloc[0]
    at.session_state["queue_table"] = {"selection": {"rows": [0], "columns": [], "cells": []}}
    at.run()
    _ok(at)
    assert at.query_params["call_id"] == first["call_id"]
    assert at.title[0].value == first["Recording"]


def test_call_page_shows_transcript_and_verdicts_with_evidence(db):
    call_id = _call_id(db, "ru_stereo_rude.flac")
    at = _open_call(call_id)
    _ok(at)
    assert at.title[0].value == "ru_stereo_rude.flac"
    assert call_id in at.caption[0].value
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Language"] == "ru" and metrics["Channels"] == "stereo (2)"
    assert "Critical fail" in _text(at)

    # Transcript: every segment, with its speaker and a play button at its start.
    segments = _rows(db, "SELECT idx, speaker, start_s, text FROM segments WHERE call_id = ? ORDER BY idx", [call_id])
    assert len(segments) >= 4
    text = _text(at)
    for idx, speaker, start, said in segments:
        assert ui.quote(said) in text
        assert at.button(key=f"segment_{idx}").label == f"▶ {ui.clock(start)}"
    assert {"operator", "customer"} <= {s[1] for s in segments}
    assert ":blue-badge[operator]" in text and ":violet-badge[customer]" in text

    # Criteria: each one drawn, with its result and evidence quote and time.
    criteria = _rows(
        db,
        "SELECT criterion_id, result, evidence_text, evidence_start FROM criteria_results WHERE call_id = ?",
        [call_id],
    )
    containers = {c.key for c in at.get("flex_container") if c.key}
    with_evidence = 0
    for cid, result, quote, start in criteria:
        assert f"criterion_{cid}" in containers
        assert f"**{ui.label(cid)}** {ui.result_badge(result)}" in text
        assert at.selectbox(key=f"verdict_{cid}").value == (result if result in ("pass", "fail", "na") else None)
        if quote is not None:
            with_evidence += 1
            assert f"“{ui.quote(quote)}”" in text
            assert at.button(key=f"evidence_{cid}").label == f"▶ {ui.clock(start)}"
    assert with_evidence >= 1
    forbidden = {c[0]: c for c in criteria}["no_forbidden_phrases"]
    assert forbidden[1] == "fail" and forbidden[2], "the rude call's forbidden phrase is found, with its quote"

    # The player starts at 0; a play button moves it to (just before) that moment.
    audio = at.get("audio")
    assert len(audio) == 1 and audio[0].proto.url.endswith(".flac")
    assert audio[0].proto.start_time == 0
    at.button(key="evidence_no_forbidden_phrases").click().run()
    _ok(at)
    assert at.get("audio")[0].proto.start_time == max(int(forbidden[3]) - 1, 0)
    assert f"Playing from {ui.clock(forbidden[3])}" in [c.value for c in at.caption]


def test_override_and_mark_reviewed_are_stored(db_copy):
    call_id = _call_id(db_copy, "ru_stereo_rude.flac")
    at = _app().run()
    at.text_input(key="reviewer_input").input("anna.qa").run()
    at.switch_page(CALL_PAGE)
    at.query_params["call_id"] = call_id
    at.run()
    _ok(at)

    # Override the forbidden-phrase verdict.
    at.selectbox(key="verdict_no_forbidden_phrases").set_value("pass")
    at.text_input(key="comment_no_forbidden_phrases").input("said about the bank's policy, not rude")
    at.button(key="save_no_forbidden_phrases").click().run()
    _ok(at)
    rows = _rows(db_copy, "SELECT criterion_id, action, verdict, comment, reviewer FROM reviews WHERE call_id = ?", [call_id])
    assert rows == [("no_forbidden_phrases", "override", "pass", "said about the bank's policy, not rude", "anna.qa")]
    text = _text(at)
    assert "overridden → :green-badge[pass] (anna.qa" in text
    assert "“said about the bank's policy, not rude”" in [c.value for c in at.caption]
    assert any("override → pass saved" in s.value for s in at.success)

    # Agreeing with the automatic verdict is a confirmation.
    greeting = _rows(db_copy, "SELECT result FROM criteria_results WHERE call_id = ? AND criterion_id = 'greeting'", [call_id])[0][0]
    if greeting in ("pass", "fail", "na"):
        at.button(key="save_greeting").click().run()
        _ok(at)
        assert _rows(db_copy, "SELECT action, verdict FROM reviews WHERE criterion_id = 'greeting'") == [("confirm", greeting)]
        assert f"confirmed → {ui.result_badge(greeting)}" in _text(at)

    # Marking the call reviewed shows in the page and in the queue.
    at.button(key="mark_reviewed").click().run()
    _ok(at)
    assert _rows(db_copy, "SELECT reviewer FROM reviews WHERE call_id = ? AND action = 'reviewed'", [call_id]) == [("anna.qa",)]
    assert ":green-badge[reviewed] by anna.qa" in _text(at)
    assert not [b for b in at.button if b.key == "mark_reviewed"]

    queue = _app().run()
    table = _queue_table(queue)
    reviewed = dict(zip(table["call_id"], table["Reviewed"]))
    assert bool(reviewed[call_id])


def test_missing_recording_shows_a_warning_not_a_player(db_copy):
    call_id = _call_id(db_copy, "en_mono_rude.flac")
    con = duckdb.connect(str(db_copy))
    con.execute("UPDATE calls SET source_path = '/nonexistent/en_mono_rude.flac' WHERE call_id = ?", [call_id])
    con.close()
    at = _open_call(call_id)
    assert not at.exception
    assert not at.get("audio")
    assert any("/nonexistent/en_mono_rude.flac" in w.value for w in at.warning)
    assert len([b for b in at.button if (b.key or "").startswith("segment_")]) >= 1


def test_unknown_call_and_no_call(db):
    at = _open_call("does-not-exist")
    assert not at.exception
    assert any("does-not-exist" in w.value for w in at.warning)

    at = _app().run()
    at.switch_page(CALL_PAGE).run()
    assert not at.exception
    assert any("open one from the review queue" in i.value for i in at.info)


def test_unset_database_is_explained(monkeypatch):
    monkeypatch.delenv("CALLQA_DB", raising=False)
    at = _app().run()
    assert not at.exception
    assert len(at.error) == 1 and "CALLQA_DB" in at.error[0].value
    assert not at.dataframe


def test_missing_database_is_explained(tmp_path, monkeypatch):
    missing = tmp_path / "nowhere" / "callqa.duckdb"
    monkeypatch.setenv("CALLQA_DB", str(missing))
    at = _app().run()
    assert not at.exception
    assert len(at.error) == 1
    assert str(missing) in at.error[0].value and "does not exist" in at.error[0].value
    assert not missing.exists(), "the app must not create a database"


def test_unreadable_database_is_explained(tmp_path, monkeypatch):
    bogus = tmp_path / "callqa.duckdb"
    bogus.write_text("not a database\n")
    monkeypatch.setenv("CALLQA_DB", str(bogus))
    at = _app().run()
    assert not at.exception
    assert len(at.error) == 1 and "Cannot read database" in at.error[0].value
