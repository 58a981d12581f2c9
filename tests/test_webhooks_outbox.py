"""The webhook outbox on a real DuckDB file: the loader, the run's end and the dispute use cases write their
events in their own transactions, each once however often they run, with no personal data in any payload."""

from __future__ import annotations

import json
import logging
from datetime import datetime

import pytest

from pipeline.judging.scorecard import load_scorecard
from storage import webhooks
from storage.calls import SourceFile, save_analysis, start_run
from storage.db import connect
from storage.results_store import ProcessingResult, ResultsStore
from tests.test_dispute_usecases import IVANOV, REVIEWER
from tests.test_rescore_and_coaching import GOOD, analysis
from tests.test_rescore_and_coaching import db as db  # noqa: F401  (the fixture: 10 known calls)
from usecases import disputes
from usecases.discovery import FoundRecordings
from usecases.load import load_results
from usecases.rescore import rescore
from usecases.runs import complete_run
from usecases.settings import load_settings
from usecases.webhook_delivery import envelope

log = logging.getLogger("test")
WHEN = datetime(2026, 11, 20, 10, 0)
# The customer dictates a phone and a card number and asks for a manager; the operator says a forbidden phrase.
ANGRY = [
    ("operator", 0.0, "Здравствуйте! Компания Связьтелеком, меня зовут Анна. Чем могу помочь?"),
    ("customer", 5.0, "Мой номер 8 916 123 45 67, карта 4276 3800 1234 5679. Позовите руководителя, я напишу жалобу!"),
    ("operator", 14.0, "Я не знаю, это не ко мне."),
    ("customer", 18.0, "Соедините с руководителем немедленно."),
]
NUMBER_HASH = "5f1d0c9a7be04e2d9c3a8b6f41e27d90"
SECRETS = ["9161234567", "916 123 45 67", "42763800", "4276 3800", "1234 5679", "Связьтелеком", "руковод", "жалоб",
           "не знаю", "/inbox", ".wav", "79161234567", NUMBER_HASH]


def angry_call(call_id: str = "x01") -> tuple[SourceFile, object]:
    card = load_scorecard("inbound_support")
    # A recorder that puts the caller's number in the file name: the name must never leave in a payload.
    source = SourceFile(f"/inbox/79161234567_{call_id}.wav", call_id * 8, call_id, 100, "ivanov", "team-a", "support",
                        WHEN, "inbound", NUMBER_HASH, "msk", "outsourcer-1", "1700000000.42")
    return source, analysis(call_id, ANGRY, card)


def all_events(db_path) -> list[webhooks.Event]:
    with connect(db_path, read_only=True) as con:
        return webhooks.events(con)


def test_a_stored_analysis_emits_its_events_once_with_ids_scores_and_flags(tmp_path):
    db_path = tmp_path / "qa.duckdb"
    source, result = angry_call()
    with connect(db_path) as con:
        save_analysis(con, source, result, "run-1")
        save_analysis(con, source, result, "run-2")  # the same result stored again: nothing new happens
    found = {e.event_type: e for e in all_events(db_path)}
    assert sorted(found) == ["call.escalation", "call.flagged", "call.processed"]
    assert len(all_events(db_path)) == 3
    processed, flagged, escalation = found["call.processed"].data, found["call.flagged"].data, found[
        "call.escalation"].data
    assert processed["call_id"] == "x01" and processed["external_id"] == "1700000000.42"
    assert processed["operator_id"] == "ivanov" and processed["site"] == "msk" and processed["vendor"] == "outsourcer-1"
    assert processed["score"] == result.score.value and processed["started_at"] == WHEN.isoformat()
    assert {c["id"] for c in processed["criteria"]} == {c.id for c in result.criteria}
    assert "escalation" in flagged["flags"] and "forbidden_phrase" in flagged["flags"]
    assert "no_forbidden_phrases" in flagged["failed_criteria"] and flagged["failed_criteria"] == processed[
        "failed_criteria"]
    assert "manager" in {e["category"] for e in escalation["escalations"]}
    assert all(e.call_id == "x01" for e in found.values())


def test_payloads_carry_no_personal_data(tmp_path):
    db_path = tmp_path / "qa.duckdb"
    source, result = angry_call()
    with connect(db_path) as con:
        save_analysis(con, source, result)
        # the database holds the transcript (masked) and the file's name with the caller's number: payloads must not
        stored = " ".join(r[0] for r in con.execute("SELECT text FROM segments").fetchall())
        name = con.execute("SELECT file_name FROM calls").fetchone()[0]
    assert "руководителя" in stored and "[PHONE]" in stored and "79161234567" in name
    sent = json.dumps([envelope(e, "https://qa.example.ru") for e in all_events(db_path)], ensure_ascii=False)
    leaked = [s for s in SECRETS if s in sent]
    assert not leaked, leaked
    assert "https://qa.example.ru/call?call_id=x01" in sent  # the app link when digest_app_url is set


def test_a_loader_rerun_emits_nothing_twice(tmp_path):
    settings = load_settings(db=tmp_path / "qa.duckdb")
    store = ResultsStore(settings.storage.results_dir)
    source, result = angry_call("x02")
    store.put(ProcessingResult(source, "processed", result))
    assert [o.source.call_id for o in load_results(settings, "run-1", log)] == ["x02"]
    first = all_events(settings.storage.db)
    # a loader killed after storing the call but before removing its result file finds it again next time
    store.put(ProcessingResult(source, "processed", result))
    load_results(settings, "run-2", log)
    assert [e.event_id for e in all_events(settings.storage.db)] == [e.event_id for e in first]
    assert len(first) == 3


def test_a_call_without_flags_emits_processed_only_and_a_rescore_emits_nothing(db):  # noqa: F811
    card = load_scorecard("inbound_support")
    with connect(db) as con:
        save_analysis(con, SourceFile("/inbox/g.wav", "g" * 8, "g01", 100, "petrova"), analysis("g01", GOOD, card))
    kinds = [e.event_type for e in all_events(db) if e.call_id == "g01"]
    assert kinds == ["call.processed"]
    before = len(all_events(db))
    rescore(db, load_scorecard("inbound_support@1"))  # on purpose, a whole period: no flood of events
    assert len(all_events(db)) == before


def test_the_end_of_a_run_emits_run_finished_with_its_figures_once(tmp_path):
    settings = load_settings(db=tmp_path / "qa.duckdb")
    source, result = angry_call("x03")
    with connect(settings.storage.db) as con:
        run_id = start_run(con, "nightly", "/inbox")
        save_analysis(con, source, result, run_id)
    found = FoundRecordings(new=[source], discovered=2, unreadable=[])
    figures = complete_run(settings, run_id, found, {"processed": 1, "quarantined": 0, "failed": 0}, 30.0, 4.5)
    complete_run(settings, run_id, found, {"processed": 1, "quarantined": 0, "failed": 0}, 30.0, 4.5)
    runs = [e for e in all_events(settings.storage.db) if e.event_type == "run.finished"]
    assert len(runs) == 1 and runs[0].call_id is None
    data = runs[0].data
    assert data["run_id"] == run_id and data["status"] == "completed" and data["processed"] == 1
    assert data["discovered"] == 2 and data["skipped"] == 1 and data["flagged"] == figures.flagged == 1
    assert data["audio_hours"] == round(30.0 / 3600, 3) and data["mean_score"] == round(result.score.value, 2)


def test_disputes_raised_and_resolved_emit_events_without_the_comments(db):  # noqa: F811
    dispute_id = disputes.raise_dispute(str(db), IVANOV, "c00", "farewell", "Я попрощался, мой номер 89161234567")
    with pytest.raises(disputes.AlreadyDisputed):  # refused: no second event either
        disputes.raise_dispute(str(db), IVANOV, "c00", "farewell", "again")
    disputes.resolve(str(db), REVIEWER, dispute_id, "overturned", "Прощание было, клиент 89161234567")
    raised = [e for e in all_events(db) if e.event_type == "dispute.raised"]
    resolved = [e for e in all_events(db) if e.event_type == "dispute.resolved"]
    assert len(raised) == len(resolved) == 1
    assert raised[0].data == {**raised[0].data, "dispute_id": dispute_id, "call_id": "c00", "criterion_id": "farewell",
                              "operator_id": "ivanov", "disputed_verdict": "fail"}
    assert resolved[0].data["outcome"] == "overturned" and resolved[0].data["new_verdict"] == "pass"
    sent = json.dumps([raised[0].data, resolved[0].data], ensure_ascii=False)
    assert "9161234567" not in sent and "попрощался" not in sent and "Прощание" not in sent
