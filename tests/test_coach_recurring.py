"""Coach only what recurs (issue #18, item 5), on generated calls whose truth is known: a topic needs k misses
among the operator's last n calls judged on the criterion (the current verdict: a reviewer's override, else the
automatic one), old misses outside the window do not count, and each topic carries its streak in call order."""

from __future__ import annotations

import json
import random
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from callqa.cli import main
from reporting.model import ReportPeriod, ReportScope
from storage.calls import add_review
from storage.coaching import CoachingRule, coaching_topics
from storage.db import connect
from storage.reports import build_report
from storage.training import failure_heatmap
from usecases import coaching_assignments

START = datetime(2026, 11, 16, 9, 0)  # a Monday
SINCE, UNTIL = START - timedelta(days=1), START + timedelta(days=30)
RULE = CoachingRule(min_misses=3, recent_calls=5)
CARD = ("inbound_support", 1)


def _insert_calls(db: Path, calls: list[tuple[str, str, str, datetime, dict[str, str]]]) -> None:
    """Calls (id, operator, team, time, criterion -> automatic result), inserted in the order given: the tests
    shuffle them so that "last" can only come from the call time."""
    with connect(db) as con:
        for call_id, operator, team, at, results in calls:
            con.execute(
                "INSERT INTO calls (call_id, content_sha256, source_path, file_name, status, scorecard_name,"
                " scorecard_version, first_seen_at, processed_at, operator_id, team, started_at)"
                " VALUES (?, ?, ?, ?, 'processed', ?, ?, ?, ?, ?, ?, ?)",
                [call_id, call_id * 2, f"/inbox/{call_id}.wav", f"{call_id}.wav", *CARD, at, at, operator, team, at])
            for criterion, result in results.items():
                con.execute(
                    "INSERT INTO criteria_results (call_id, scorecard_name, scorecard_version, criterion_id, result,"
                    " method, evidence_start, scored_at) VALUES (?, ?, ?, ?, ?, 'lemma', ?, ?)",
                    [call_id, *CARD, criterion, result, 12.5 if result == "fail" else None, at])


def _sequence(operator: str, outcomes: str, team: str = "t1", start: datetime = START,
              criterion: str = "farewell") -> list[tuple[str, str, str, datetime, dict[str, str]]]:
    """One call per hour, oldest first: ``x`` fails the criterion, ``v`` passes it, ``?`` leaves it unknown."""
    result = {"x": "fail", "v": "pass", "?": "unknown"}
    return [(f"{operator}-{i:02d}", operator, team, start + timedelta(hours=i), {criterion: result[o]})
            for i, o in enumerate(outcomes)]


@pytest.fixture()
def db(tmp_path) -> Path:
    """k = 3 of the last n = 5:
    - almost: 2 misses in the last 5 (k-1): no topic;
    - exactly: 3 misses in the last 5: a topic;
    - reformed: 5 old misses, then 2 in the last 5: no topic, though 7 of 10 failed in the period;
    - unknowns: x v v x ? ? ? x: unknown verdicts are not judged, so the window of 5 reaches back past them
      (3 misses: a topic; counting the unknowns, the last 5 calls would hold 2);
    - clean: never misses."""
    calls = (_sequence("almost", "vvxvx") + _sequence("exactly", "vxvxvx") + _sequence("reformed", "xxxxxvxvxv")
             + _sequence("unknowns", "xvvx???x") + _sequence("clean", "vvvvvv"))
    random.Random(18).shuffle(calls)
    path = tmp_path / "qa.duckdb"
    _insert_calls(path, calls)
    return path


def _topics(db: Path, rule: CoachingRule = RULE, **kw) -> dict[str, object]:
    with connect(db, read_only=True) as con:
        return {t.operator_id: t for t in coaching_topics(con, SINCE, UNTIL, rule=rule, limit=1000, **kw)}


def test_k_of_the_last_n_makes_a_topic_and_k_minus_one_does_not(db):
    topics = _topics(db)
    assert set(topics) == {"exactly", "unknowns"}
    exactly = topics["exactly"]
    assert (exactly.misses, exactly.recent_calls, exactly.window) == (3, 5, 5)
    assert (exactly.calls, exactly.failed) == (6, 3)  # the period's figures stay beside the window's
    # The same data by a stricter rule: nobody; by a laxer one: "almost" too.
    assert _topics(db, CoachingRule(4, 5)) == {}
    assert "almost" in _topics(db, CoachingRule(2, 5))


def test_old_misses_outside_the_window_do_not_count(db):
    assert "reformed" not in _topics(db)
    with connect(db, read_only=True) as con:
        cells = failure_heatmap(con, SINCE, UNTIL, rule=RULE).set_index("operator_id")
    reformed = cells.loc["reformed"]
    assert (reformed["failed"], reformed["calls"]) == (7, 10)  # the worst period rate of all...
    assert (reformed["misses"], reformed["recent_calls"], bool(reformed["is_topic"])) == (2, 5, False)  # ...recovered
    # A window wide enough to reach the old misses makes it a topic again.
    assert _topics(db, CoachingRule(3, 10))["reformed"].misses == 7


def test_the_window_counts_judged_calls_only(db):
    unknowns = _topics(db)["unknowns"]
    assert (unknowns.misses, unknowns.recent_calls, unknowns.streak_marks) == (3, 5, "✗✓✓✗✗")
    assert [c.call_id for c in unknowns.streak] == ["unknowns-00", "unknowns-01", "unknowns-02", "unknowns-03",
                                                    "unknowns-07"]


def test_the_streak_is_in_call_order_and_lists_the_missed_calls_latest_first(db):
    exactly = _topics(db)["exactly"]
    # v x v x v x: the last five, oldest first (the first call left the window).
    assert exactly.streak_marks == "✗✓✗✓✗"
    assert [c.call_id for c in exactly.streak] == [f"exactly-{i:02d}" for i in range(1, 6)]
    assert [c.call_at for c in exactly.streak] == sorted(c.call_at for c in exactly.streak)
    assert [e.recording for e in exactly.examples] == ["exactly-05.wav", "exactly-03.wav", "exactly-01.wav"]
    assert all(e.at_s == 12.5 and e.call_at is not None for e in exactly.examples)
    assert [c for c, _ in exactly.example_calls] == ["exactly-05", "exactly-03", "exactly-01"]


def test_a_reviewers_override_counts(db):
    with connect(db) as con:
        add_review(con, "almost-03", "anna.qa", "override", "farewell", "fail", "no goodbye at all")  # v -> x
    almost = _topics(db)["almost"]
    assert (almost.misses, almost.streak_marks) == (3, "✓✓✗✗✗")
    with connect(db) as con:
        add_review(con, "exactly-05", "anna.qa", "override", "farewell", "pass", "said goodbye, ASR missed it")
    assert "exactly" not in _topics(db)
    with connect(db) as con:  # the latest review counts
        add_review(con, "exactly-05", "boris.qa", "override", "farewell", "fail", "listened again: no goodbye")
    assert _topics(db)["exactly"].streak_marks.endswith("✗")


def test_topics_rank_by_misses_in_the_window(db):
    ranked = list(_topics(db, CoachingRule(2, 5)))
    assert set(ranked[:2]) == {"exactly", "unknowns"} and set(ranked[2:]) == {"almost", "reformed"}


def test_random_histories_match_an_independent_count(tmp_path):
    """Many operators, two criteria, random outcomes and overrides: the topics, the heatmap's marks and the
    streaks equal a count done here in Python, call by call."""
    rng = random.Random(2026)
    rule = CoachingRule(min_misses=3, recent_calls=6)
    calls, truth = [], {}
    for o in range(30):
        operator = f"op{o:02d}"
        for criterion in ("greeting", "farewell"):
            p_fail = rng.choice([0.05, 0.2, 0.5])
            outcomes = "".join(rng.choices("xv", weights=[p_fail, 1 - p_fail], k=rng.randint(1, 14)))
            start = START + timedelta(minutes=rng.randint(0, 600))
            seq = _sequence(operator, outcomes, team=f"t{o % 3}", start=start, criterion=criterion)
            calls += [(f"{criterion}-{cid}", *rest) for cid, *rest in seq]
            truth[(operator, criterion)] = [(f"{criterion}-{cid}", o == "x") for (cid, *_), o in zip(seq, outcomes)]
    rng.shuffle(calls)
    db = tmp_path / "qa.duckdb"
    _insert_calls(db, calls)
    flipped = rng.sample([c for history in truth.values() for c in history], 40)
    with connect(db) as con:
        for call_id, missed in flipped:
            criterion = call_id.split("-")[0]
            add_review(con, call_id, "anna.qa", "override", criterion, "pass" if missed else "fail")
    flips = {c for c, _ in flipped}
    expected = {}
    for key, history in truth.items():
        window = [missed != (call_id in flips) for call_id, missed in history][-rule.recent_calls:]
        if sum(window) >= rule.min_misses:
            expected[key] = "".join("✗" if m else "✓" for m in window)
    with connect(db, read_only=True) as con:
        topics = coaching_topics(con, SINCE, UNTIL, rule=rule, limit=1000)
        cells = failure_heatmap(con, SINCE, UNTIL, rule=rule)
    assert {(t.operator_id, t.criterion_id): t.streak_marks for t in topics} == expected
    marked = {(r.operator_id, r.criterion_id) for r in cells.itertuples() if r.is_topic}
    assert marked == set(expected) and expected
    assert [t.misses for t in topics] == sorted((t.misses for t in topics), reverse=True)


def test_training_needs_explain_a_red_cell_without_a_topic(db):
    needs = coaching_assignments.training_needs(str(db), SINCE, UNTIL, rule=RULE)
    assert {t.operator_id for t in needs.topics} == {"exactly", "unknowns"} and needs.total_topics == 2
    assert needs.rule == RULE
    why = {n.operator_id: n for n in needs.no_topic}
    assert (why["reformed"].misses, why["reformed"].recent_calls, why["reformed"].needed, why["reformed"].window) \
        == (2, 5, 3, 5)


def test_the_rule_comes_from_the_settings(db, monkeypatch):
    monkeypatch.setenv("CALLQA_COACH_MIN_MISSES", "2")
    monkeypatch.setenv("CALLQA_COACH_RECENT_CALLS", "5")
    assert coaching_assignments.coaching_rule_for(str(db)) == CoachingRule(2, 5)
    with pytest.raises(ValueError):
        CoachingRule(min_misses=6, recent_calls=5)


def test_cli_lists_the_streak_and_the_missed_calls(db, capsys):
    args = ["coaching", "--db", str(db), "--since", SINCE.date().isoformat(), "--until", UNTIL.date().isoformat()]
    assert main([*args, "--min-misses", "3", "--recent-calls", "5", "--json"]) == 0
    topics = {t["operator"]: t for t in json.loads(capsys.readouterr().out)}
    assert set(topics) == {"exactly", "unknowns"}
    exactly = topics["exactly"]
    assert (exactly["misses"], exactly["recent_calls"], exactly["window"], exactly["streak_marks"]) == (3, 5, 5,
                                                                                                       "✗✓✗✓✗")
    assert [c["missed"] for c in exactly["streak"]] == [True, False, True, False, True]
    assert [e["recording"] for e in exactly["examples"]] == ["exactly-05.wav", "exactly-03.wav", "exactly-01.wav"]
    assert main([*args, "--min-misses", "3", "--recent-calls", "5"]) == 0
    text = capsys.readouterr().out
    assert "missed 3 of the last 5 ✗✓✗✓✗" in text and "exactly-05.wav" in text


def test_the_weekly_reports_coaching_section_follows_the_rule(db):
    week = ReportPeriod.containing("week", START.date())
    with connect(db, read_only=True) as con:
        report = build_report(con, ReportScope("all"), week, coaching_rule=RULE)
    rows = {r.operator_id: r for r in report.coaching}
    assert set(rows) == {"exactly", "unknowns"}
    assert (rows["exactly"].misses, rows["exactly"].recent_calls, rows["exactly"].streak) == (3, 5, "✗✓✗✓✗")
    assert rows["exactly"].example_recordings == ("exactly-05.wav", "exactly-03.wav", "exactly-01.wav")


@pytest.fixture()
def app_on(db, tmp_path, monkeypatch):
    """The app on the generated calls, bound to 127.0.0.1 with no users (a single local admin), coaching on
    3 misses of the last 5."""
    from streamlit import config as st_config

    before = st_config.get_option("server.address")
    st_config.set_option("server.address", "127.0.0.1")
    monkeypatch.setenv("CALLQA_USERS", str(tmp_path / "users.toml"))
    monkeypatch.setenv("CALLQA_DB", str(db))
    monkeypatch.setenv("CALLQA_COACH_MIN_MISSES", "3")
    monkeypatch.setenv("CALLQA_COACH_RECENT_CALLS", "5")
    yield db
    st_config.set_option("server.address", before)


@pytest.mark.parametrize("language", ["en", "ru"])
def test_the_trainer_sees_the_streak_and_the_missed_calls(app_on, language):
    from reporting.i18n import MISSING
    from tests.test_trainer_workflow import _no_developer_output, _page, _texts

    MISSING.clear()
    at = _page("views/training.py", language)  # the default period: the last 30 days of data, every call
    text = "\n".join(_texts(at)).replace("\\", "")
    if language == "en":
        assert "A topic is a criterion the operator missed in at least 3 of their last 5 judged calls on it, " \
               "not once." in text
        streak = ":red[**✗**]:green[**✓**]:red[**✗**]:green[**✓**]:red[**✗**]"
        assert f"{streak} missed 3 of the last 5 judged calls (oldest first)" in text
        assert "**reformed** · Farewell: a topic needs at least 3 misses in the last 5 judged calls on the " \
               "criterion; this operator missed 2 of their last 5 judged calls." in text
    else:
        assert "не выполнен в 3 из 5 последних оценённых звонков (слева самые ранние)" in text
        assert "Тема — критерий, который оператор не выполнил хотя бы в 3 из 5 последних оценённых по нему " \
               "звонков, а не разово." in text
        assert not [m for m in MISSING if m[0] == "ru"], sorted(MISSING)
    links = [e.proto for e in at.get("page_link")]
    exactly = [p for p in links if p.label.replace("\\", "").startswith("exactly-")]  # markdown escapes
    # The missed calls, latest first, each opened at the evidence's moment.
    assert [p.label.replace("\\", "").split(" · ")[0] for p in exactly] == ["exactly-05.wav", "exactly-03.wav",
                                                                            "exactly-01.wav"]
    assert all("&t=12.5" in p.query_string for p in exactly)
    _no_developer_output(at)
