"""The DuckDB storage layer: migrations, idempotent writes, reviews that survive reprocessing."""

from __future__ import annotations

import subprocess
import sys
import time

import pytest

from models.nlp import load_lemmatizer
from pipeline.judging.scorecard import load_scorecard
from pipeline.judging.scoring import judge_transcript
from pipeline.records import CallAnalysis
from storage.calls import SourceFile, add_review, save_analysis, save_problem
from storage.db import connect, migrations
from storage.queries import call_criteria, call_segments, stats
from storage.review_queue import QueueFilter, review_queue
from tests.test_scoring import seg, transcript


def make_analysis(call_id: str, text: str = "Здравствуйте, компания Связьтелеком. Я не знаю.") -> CallAnalysis:
    card = load_scorecard("inbound_support")
    t = transcript("ru", seg("operator", 0.0, text), seg("customer", 5.0, "Понятно, спасибо."))
    criteria, score = judge_transcript(t, card, load_lemmatizer("ru"))
    return CallAnalysis(call_id, f"/inbox/{call_id}.wav", 7.0, 2, 8000, t, criteria, score, card.name, card.version)


def source(call_id: str) -> SourceFile:
    return SourceFile(f"/inbox/{call_id}.wav", call_id * 3, call_id, 1234)


def test_migrations_apply_once(tmp_path):
    db = tmp_path / "x.duckdb"
    with connect(db) as con:
        versions = con.execute("SELECT version FROM schema_migrations ORDER BY version").fetchall()
    with connect(db) as con:  # reopening applies nothing twice
        again = con.execute("SELECT version FROM schema_migrations ORDER BY version").fetchall()
    assert versions == again == [(v,) for v, _, _ in migrations()]


def test_reprocessing_replaces_rows_and_keeps_reviews(tmp_path):
    db = tmp_path / "x.duckdb"
    with connect(db) as con:
        save_analysis(con, source("a1"), make_analysis("a1"))
        add_review(con, "a1", "qa.ivanova", "override", "no_forbidden_phrases", "pass", "customer's words")
        first = stats(con)
        save_analysis(con, source("a1"), make_analysis("a1"))  # the same recording again
        second = stats(con)
        attempts = con.execute("SELECT attempts FROM calls WHERE call_id = 'a1'").fetchone()[0]
        crit = call_criteria(con, "a1").set_index("criterion_id")
    assert first == second
    assert (
        second.calls == 1
        and second.reviews == 1
        and second.criteria_results == len(load_scorecard("inbound_support").criteria)
    )
    assert attempts == 2
    assert crit.loc["no_forbidden_phrases", "result"] == "fail"  # the automatic verdict stays visible
    assert crit.loc["no_forbidden_phrases", "review_verdict"] == "pass"  # ...beside the reviewer's


def test_latest_review_is_the_current_verdict(tmp_path):
    db = tmp_path / "x.duckdb"
    with connect(db) as con:
        save_analysis(con, source("b2"), make_analysis("b2"))
        add_review(con, "b2", "r1", "override", "greeting", "fail", "")
        time.sleep(0.01)
        add_review(con, "b2", "r2", "confirm", "greeting", "pass", "listened again")
        row = call_criteria(con, "b2").set_index("criterion_id").loc["greeting"]
    assert (row["review_verdict"], row["reviewer"]) == ("pass", "r2")


def test_review_needs_an_existing_call_and_a_verdict(tmp_path):
    with connect(tmp_path / "x.duckdb") as con:
        with pytest.raises(KeyError):
            add_review(con, "nope", "r", "reviewed")
        save_analysis(con, source("c3"), make_analysis("c3"))
        with pytest.raises(ValueError):
            add_review(con, "c3", "r", "override", "greeting", None)


def test_queue_puts_critical_calls_first_and_problems_are_counted(tmp_path):
    with connect(tmp_path / "x.duckdb") as con:
        save_analysis(
            con,
            source("ok"),
            make_analysis("ok", "Здравствуйте, компания Связьтелеком, меня зовут Анна. Чем могу помочь? До свидания"),
        )
        save_analysis(con, source("bad"), make_analysis("bad"))
        save_problem(con, source("junk"), "quarantined", "not a readable audio file")
        queue = review_queue(con, QueueFilter(flagged_only=False))
        counts = stats(con)
        segs = call_segments(con, "bad")
    assert list(queue["call_id"])[0] == "bad"
    assert "critical_fail" in list(queue["flags"])[0]
    assert (counts.calls, counts.processed, counts.quarantined) == (3, 2, 1)
    assert list(segs["speaker"]) == ["operator", "customer"]


def test_reader_waits_for_a_writer_in_another_process(tmp_path):
    db = tmp_path / "x.duckdb"
    with connect(db) as con:
        save_analysis(con, source("d4"), make_analysis("d4"))
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            f"import duckdb, time; c = duckdb.connect({str(db)!r}); "
            "print('locked', flush=True); time.sleep(2); c.close()",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "locked"
        started = time.monotonic()
        with connect(db, read_only=True, timeout_s=20) as con:
            assert stats(con).calls == 1
        assert time.monotonic() - started > 0.5  # it really had to wait for the lock
    finally:
        holder.wait(timeout=20)
