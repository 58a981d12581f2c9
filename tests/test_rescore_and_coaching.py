"""Rescoring stored transcripts with another scorecard version, and coaching topics, on a real DuckDB file."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from pipeline.analyze import build_judge
from pipeline.judging.assess import assess_transcript
from pipeline.judging.scorecard import load_scorecard
from pipeline.records import CallAnalysis
from storage.calls import ScorecardConflict, SourceFile, add_review, register_scorecard, save_analysis
from storage.coaching import CoachingRule, coaching_topics
from storage.db import connect
from storage.transcripts import load_stored_call
from tests.test_scoring import seg, transcript
from usecases.rescore import rescore, resolve_for_rescore

GOOD = [
    ("operator", 0.0, "Здравствуйте! Компания Связьтелеком, меня зовут Анна. Чем могу помочь?"),
    ("customer", 5.0, "У меня не работает интернет."),
    ("operator", 8.0, "Назовите, пожалуйста, номер договора."),
    ("customer", 12.0, "Четыре пять семь."),
    ("operator", 15.0, "Я оформил заявку, мастер приедет завтра."),
    ("customer", 20.0, "Спасибо большое, отлично."),
    ("operator", 24.0, "Могу ли я ещё чем-то помочь? Всего доброго!"),
]
NO_FAREWELL = GOOD[:-1] + [("operator", 24.0, "Могу ли я ещё чем-то помочь?")]
WHEN = datetime(2026, 11, 20, 10, 0)


def analysis(call_id: str, turns, card) -> CallAnalysis:
    t = transcript("ru", *(seg(s, a, text) for s, a, text in turns))
    a = assess_transcript(t, 30.0, build_judge(card))
    return CallAnalysis(call_id, f"/inbox/{call_id}.wav", 30.0, 2, 8000, a.transcript, a.criteria, a.score,
                        card.name, card.version, {}, a.detections, a.metrics, a.sentiment, a.pii)


@pytest.fixture()
def db(tmp_path):
    """Operator ivanov never says goodbye on 3 of 4 calls; petrova and sidorov always do."""
    path = tmp_path / "qa.duckdb"
    card = load_scorecard("inbound_support")
    calls = [("ivanov", NO_FAREWELL)] * 3 + [("ivanov", GOOD)] + [("petrova", GOOD)] * 3 + [("sidorov", GOOD)] * 2 \
        + [("sidorov", NO_FAREWELL)]
    with connect(path) as con:
        register_scorecard(con, card)
        for i, (op, turns) in enumerate(calls):
            cid = f"c{i:02d}"
            src = SourceFile(f"/inbox/{cid}.wav", cid * 4, cid, 100, op, "team-a", "support", WHEN + timedelta(hours=i))
            save_analysis(con, src, analysis(cid, turns, card))
    return path


def test_stored_transcript_round_trips_with_word_times(db):
    with connect(db, read_only=True) as con:
        stored = load_stored_call(con, "c00")
    assert stored is not None and stored.duration_s == 30.0 and stored.transcript.language == "ru"
    first = stored.transcript.segments[0]
    assert first.speaker == "operator" and first.words[0].text == "Здравствуйте!" and first.words[0].start == 0.0


def test_rescore_with_an_older_version_keeps_both_versions_queryable(db):
    old = load_scorecard("inbound_support@1")
    summary = rescore(db, old)
    assert summary.calls == 10 and summary.scorecard == "inbound_support@1"
    with connect(db, read_only=True) as con:
        versions = con.execute(
            "SELECT scorecard_version, count(DISTINCT call_id), count(*) FILTER (criterion_id = 'resolution')"
            " FROM criteria_results GROUP BY 1 ORDER BY 1").fetchall()
        current = con.execute("SELECT DISTINCT scorecard_version FROM calls").fetchall()
    now = load_scorecard("inbound_support").version
    assert versions == [(1, 10, 0), (now, 10, 10)]  # v1 has no resolution criterion; the current verdicts stay
    assert current == [(1,)]
    # and back: the current version again, nothing duplicated
    rescore(db, load_scorecard("inbound_support"))
    with connect(db, read_only=True) as con:
        assert con.execute("SELECT count(*) FROM criteria_results").fetchone()[0] == 10 * 7 + 10 * 8


def test_a_changed_scorecard_under_an_old_version_number_is_refused(db, tmp_path):
    card = load_scorecard("inbound_support")
    edited = card.text.replace("weight: 10", "weight: 11", 1)
    from pipeline.judging.scorecard import parse_scorecard_text

    with connect(db) as con, pytest.raises(ScorecardConflict, match="bump 'version'"):
        register_scorecard(con, parse_scorecard_text(edited, "edited.yaml"))


def test_rescore_finds_a_version_only_the_database_still_has(db, tmp_path):
    # An empty scorecards folder: the version the calls were judged with is only in the database now.
    label = load_scorecard("inbound_support").label
    empty = tmp_path / "cards"
    empty.mkdir()
    card = resolve_for_rescore(label, db, empty)
    assert card.label == label and card.source.endswith(f":{label}")


def test_coaching_ranks_the_operators_weak_criterion_with_example_calls(db):
    with connect(db, read_only=True) as con:
        topics = coaching_topics(con, WHEN - timedelta(days=1), WHEN + timedelta(days=1))
    top = topics[0]
    assert (top.operator_id, top.criterion_id) == ("ivanov", "farewell")
    assert top.calls == 4 and top.failed == 3 and top.fail_rate == 0.75
    assert top.team_fail_rate == pytest.approx(4 / 10)
    assert top.excess_failures == pytest.approx(3 - 0.4 * 4)
    assert {c for c, _ in top.example_calls} <= {"c00", "c01", "c02"} and len(top.example_calls) == 3
    assert all(t.fail_rate > t.team_fail_rate for t in topics)
    assert "petrova" not in {t.operator_id for t in topics}


def test_a_reviewer_override_changes_the_coaching_figures(db):
    with connect(db) as con:
        add_review(con, "c00", "qa.lead", "override", "farewell", "pass", "said goodbye, ASR missed it")
        # Two misses left: no longer a topic by the default rule (3 of the last 10)...
        assert coaching_topics(con, WHEN - timedelta(days=1), WHEN + timedelta(days=1), operator="ivanov") == []
        # ...the figures, read with a rule that proposes a topic on any miss:
        once = CoachingRule(min_misses=1, recent_calls=10)
        one = coaching_topics(con, WHEN - timedelta(days=1), WHEN + timedelta(days=1), operator="ivanov", rule=once)
        add_review(con, "c01", "qa.lead", "override", "farewell", "pass", "said goodbye, ASR missed it")
        two = coaching_topics(con, WHEN - timedelta(days=1), WHEN + timedelta(days=1), operator="ivanov", rule=once)
    farewell = next(t for t in one if t.criterion_id == "farewell")
    assert farewell.failed == 2 and farewell.team_fail_rate == pytest.approx(3 / 10)
    assert "c00" not in {c for c, _ in farewell.example_calls}
    # 1 of 4 now against the team's 2 of 10: still above, but by far less
    assert next(t for t in two if t.criterion_id == "farewell").excess_failures == pytest.approx(1 - 0.2 * 4)


def test_coaching_period_filters_calls(db):
    with connect(db, read_only=True) as con:
        assert coaching_topics(con, WHEN + timedelta(days=5), WHEN + timedelta(days=6)) == []
