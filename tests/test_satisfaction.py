"""Predicted satisfaction (issue #7): the model's behaviour, survey import, agreement maths, the
nightly step on the real sample calls, and the app's Satisfaction page."""

from __future__ import annotations

import json
import random
import shutil
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path

import duckdb
import pytest
from streamlit import config as st_config
from streamlit.testing.v1 import AppTest

from callqa.cli import main as callqa
from pipeline.insights.csat_agreement import agreement, spearman
from pipeline.insights.satisfaction import (
    MODEL_VERSION,
    OUTCOMES,
    CustomerTurn,
    SatisfactionInputs,
    SatisfactionWeights,
    SentimentTrajectory,
    customer_trajectory,
    predict,
)
from pipeline.insights.satisfaction_calibration import MIN_SURVEYS, calibrate
from pipeline.records import Segment
from qa_app import data
from qa_app.mdtext import md
from storage import satisfaction as stored
from storage.db import connect
from usecases.satisfaction import refresh_predictions, survey_agreement

APP = Path(__file__).resolve().parent.parent / "qa_app" / "app.py"


def _trajectory(start: float, end: float, low: float | None = None) -> SentimentTrajectory:
    return SentimentTrajectory(start=start, end=end, low=min(start, end) if low is None else low, turns=6)


def _inputs(**changes) -> SatisfactionInputs:
    """A middling call: mildly positive customer, resolved, a little dead air."""
    base = SatisfactionInputs("c1", trajectory=_trajectory(0.0, 0.2), outcome="resolved", escalations=(),
                              dead_air_s=10.0, hold_s=30.0, overtalk_s=1.0, handle_time_s=240.0)
    return replace(base, **changes)


def _random_inputs(rng: random.Random, i: int) -> SatisfactionInputs:
    start, end = rng.uniform(-1, 1), rng.uniform(-1, 1)
    return SatisfactionInputs(
        f"r{i}",
        trajectory=rng.choice([None, _trajectory(start, end, min(start, end, rng.uniform(-1, 0)))]),
        outcome=rng.choice([None, *OUTCOMES]),
        escalations=tuple(rng.sample(["manager", "complaint", "legal"], rng.randint(0, 3))),
        dead_air_s=rng.choice([None, rng.uniform(0, 300)]),
        hold_s=rng.choice([None, rng.uniform(0, 600)]),
        overtalk_s=rng.choice([None, rng.uniform(0, 60)]),
        handle_time_s=rng.choice([None, rng.uniform(10, 3000)]),
    )


# ---- the model ------------------------------------------------------------------------------


def test_bounded_and_contributions_sum_to_the_score():
    rng = random.Random(7)
    seen = set()
    for i in range(300):
        p = predict(_random_inputs(rng, i))
        assert 1.0 <= p.predicted <= 5.0
        assert sum(f.contribution for f in p.factors) == pytest.approx(p.predicted, abs=1e-9)
        stored_json = p.factors_json()  # what call_satisfaction.factors holds (rounded to 4 places)
        assert sum(v["contribution"] for v in stored_json.values()) == pytest.approx(p.predicted, abs=1e-3)
        seen.add(p.rounded)
    assert seen == {1, 2, 3, 4, 5}, "random calls should reach every grade"
    worst = predict(_inputs(trajectory=_trajectory(-0.9, -0.9, -1.0), outcome="unresolved",
                            escalations=("manager", "complaint"), dead_air_s=200.0, hold_s=600.0))
    best = predict(_inputs(trajectory=_trajectory(-0.5, 0.9), outcome="resolved"))
    assert worst.predicted == 1.0 and worst.factors[-1].name == "bounds" and worst.factors[-1].contribution > 0
    assert best.predicted == 5.0 and best.factors[-1].contribution < 0


def test_worse_inputs_lower_the_score():
    middle = predict(_inputs()).predicted
    assert 2.0 < middle < 5.0, "the reference call must not sit on a bound, or nothing could move"
    worse = {
        "customer ends negative": _inputs(trajectory=_trajectory(0.0, -0.4)),
        "a very negative moment": _inputs(trajectory=_trajectory(0.0, 0.2, -0.8)),
        "mood declines": _inputs(trajectory=_trajectory(0.5, 0.2)),
        "unresolved": _inputs(outcome="unresolved"),
        "transferred": _inputs(outcome="transferred"),
        "escalation": _inputs(escalations=("manager",)),
        "more dead air": _inputs(dead_air_s=70.0),
        "long hold": _inputs(hold_s=200.0),
        "overtalk": _inputs(overtalk_s=12.0),
        "long call": _inputs(handle_time_s=1500.0),
    }
    for why, inputs in worse.items():
        assert predict(inputs).predicted < middle, why
    assert (
        predict(_inputs(escalations=("manager", "legal"))).predicted
        < predict(_inputs(escalations=("manager",))).predicted
    )
    # Outcome order: resolved above a follow-up above unknown-or-neutral above transferred above unresolved.
    by_outcome = {o: predict(_inputs(outcome=o)).predicted for o in OUTCOMES}
    unknown = predict(_inputs(outcome=None))
    assert by_outcome["resolved"] > by_outcome["follow_up"] > by_outcome["transferred"] > by_outcome["unresolved"]
    assert by_outcome["unresolved"] < unknown.predicted < by_outcome["resolved"]
    assert dict((f.name, f) for f in unknown.factors)["outcome"].contribution == 0.0
    assert dict((f.name, f) for f in unknown.factors)["outcome"].value == "unknown"
    # A customer who barely spoke: the sentiment factors are unknown and add nothing.
    silent = predict(_inputs(trajectory=None))
    assert all(f.contribution == 0.0 for f in silent.factors if f.name.startswith("sentiment"))
    with pytest.raises(ValueError, match="unknown outcome"):
        predict(_inputs(outcome="happy"))


def test_trajectory_matches_the_call_sentiment_of_the_same_segments():
    from pipeline.judging.sentiment import call_sentiment

    lines = [
        ("operator", "Hello, how can I help?"),
        ("customer", "My internet is down again, this is terrible."),
        ("operator", "I am sorry, let me check."),
        ("customer", "I have waited for days, awful service."),
        ("operator", "Fixed it, please restart the router."),
        ("customer", "It works now, thank you so much, great!"),
    ]
    segments = [Segment(speaker, 4.0 * i, 4.0 * i + 3.0, text) for i, (speaker, text) in enumerate(lines)]
    summary = call_sentiment(segments, "en")
    turns = [CustomerTurn(s.start, score, len(s.text.split())) for s, score in zip(segments, summary.segment_scores)
             if s.speaker == "customer"]
    t = customer_trajectory(turns)
    assert t.start == pytest.approx(summary.customer_start) and t.end == pytest.approx(summary.customer_end)
    assert t.low == min(tu.sentiment for tu in turns) < 0 < t.end and t.trend > 0
    assert customer_trajectory(turns[:1]) is None, "one customer turn is no trajectory"


# ---- agreement maths ------------------------------------------------------------------------------


def test_agreement_on_a_known_table():
    pairs = [(1.2, 1), (2.4, 2), (3.6, 3), (4.4, 4), (4.9, 5)]
    a = agreement(pairs)
    assert a.n == 5 and a.rho == pytest.approx(1.0)
    assert a.mae == pytest.approx((0.2 + 0.4 + 0.6 + 0.4 + 0.1) / 5)
    assert a.exact == pytest.approx(4 / 5) and a.within_1 == 1.0  # 3.6 rounds to 4 against a survey of 3
    expected = [[0] * 5 for _ in range(5)]
    for row, col in ((1, 1), (2, 2), (3, 4), (4, 4), (5, 5)):
        expected[row - 1][col - 1] = 1
    assert [list(r) for r in a.confusion] == expected
    assert spearman([1, 2, 3, 4], [1, 3, 2, 4]) == pytest.approx(0.8)  # 1 - 6·2 / (4·15)
    noisy = [(1.0, 1), (2.0, 3), (3.0, 2), (4.0, 4), (5.0, 5), (2.5, 2), (4.6, 4), (1.4, 2)]
    b = agreement(noisy)
    assert -1.0 <= b.rho_low <= b.rho <= b.rho_high <= 1.0 and b.rho_low < b.rho_high
    assert agreement(noisy).rho_low == b.rho_low, "fixed seed: the same report twice"
    constant = agreement([(4.0, s) for s in (1, 3, 5, 4)])
    assert constant.rho is None and constant.rho_low is None and constant.mae == pytest.approx((3 + 1 + 1 + 0) / 4)
    assert agreement([]).n == 0
    with pytest.raises(ValueError):
        agreement([(3.0, 6)])


def test_calibration_refits_weights_that_explain_the_surveys():
    """Surveys generated from other weights (plus noise): the refit must beat the defaults out of sample."""
    rng = random.Random(3)
    truth = SatisfactionWeights(base=4.2, sentiment_end=0.5, sentiment_low=0.0, outcome_resolved=0.0,
                                outcome_unresolved=-2.0, escalation=-1.5)
    inputs = [_random_inputs(rng, i) for i in range(200)]
    surveys = [min(5, max(1, round(predict(x, truth).predicted + rng.gauss(0, 0.3)))) for x in inputs]
    report = calibrate(inputs, surveys)
    assert report.beats_default and report.calibrated_cv_mae < report.default_mae - 0.1
    # Moved from the defaults towards the truth (shrunk by the 1..5 bounds the linear refit ignores).
    assert report.weights.sentiment_end < DEFAULT.sentiment_end and report.weights.escalation < DEFAULT.escalation
    with pytest.raises(ValueError, match=str(MIN_SURVEYS)):
        calibrate(inputs[:10], surveys[:10])


DEFAULT = SatisfactionWeights()


# ---- storage: inputs, staleness, survey import ------------------------------------------------------


def _add_call(con, call_id: str, file_name: str, status: str = "processed", team: str = "t1",
              started_at: datetime = datetime(2026, 11, 20, 10)) -> None:
    con.execute(
        "INSERT INTO calls (call_id, content_sha256, source_path, file_name, status, first_seen_at, processed_at, "
        "team, operator_id, started_at, scorecard_name, scorecard_version)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'sc', 1)",
        [call_id, call_id, f"/inbox/{file_name}", file_name, status, started_at, started_at, team, "op", started_at],
    )


def _add_customer(con, call_id: str, sentiments: list[float], operator_first: bool = True) -> None:
    rows = []
    for i, score in enumerate(sentiments):
        rows.append([call_id, 2 * i, "operator", 10.0 * i, 10.0 * i + 4, "Чем могу помочь?", 0.0])
        rows.append([call_id, 2 * i + 1, "customer", 10.0 * i + 5, 10.0 * i + 9, "одно два три четыре пять", score])
    con.executemany("INSERT INTO segments (call_id, idx, speaker, start_s, end_s, text, sentiment) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?)", rows)


@pytest.fixture
def small_db(tmp_path) -> Path:
    db = tmp_path / "callqa.duckdb"
    with connect(db) as con:
        _add_call(con, "happy", "happy.wav")
        _add_customer(con, "happy", [0.1, 0.3, 0.6])
        _add_call(con, "angry", "angry.wav", team="t2")
        _add_customer(con, "angry", [-0.5, -0.7, -0.6])
        con.execute("INSERT INTO call_analytics (call_id, metrics, dead_air_s, overtalk_s, handle_time_s) "
                    "VALUES ('angry', '{\"hold_s\": 150.0}', 40.0, 6.0, 200.0)")
        con.execute("INSERT INTO detections VALUES ('angry', 'sc', 1, 'escalation', 'manager', 'lemma', 0.9, "
                    "'позовите руководителя', 1.0, 2.0)")
        con.execute("INSERT INTO detections VALUES ('angry', 'sc', 0, 'escalation', 'legal', 'lemma', 0.9, 'x', 1, 2)")
        _add_call(con, "dup1", "same.wav")
        _add_call(con, "dup2", "same.wav")
        _add_call(con, "bad", "bad.wav", status="quarantined")
    return db


def test_inputs_predictions_and_staleness(small_db):
    with connect(small_db) as con:
        assert stored.stale_calls(con, MODEL_VERSION) == ["angry", "dup1", "dup2", "happy"]
        angry, happy = stored.satisfaction_inputs(con, ["angry", "happy"])
    assert angry.escalations == ("manager",), "only the current scorecard's detections count"
    assert (angry.dead_air_s, angry.hold_s, angry.overtalk_s, angry.handle_time_s) == (40.0, 150.0, 6.0, 200.0)
    assert angry.trajectory.end == pytest.approx(-0.6) and angry.trajectory.low == pytest.approx(-0.7)
    assert happy.outcome is None and happy.dead_air_s is None and happy.trajectory.trend > 0

    assert refresh_predictions(small_db).predicted == 4
    with connect(small_db) as con:
        assert stored.stale_calls(con, MODEL_VERSION) == []
        assert stored.stale_calls(con, "another-model") == ["angry", "dup1", "dup2", "happy"]
        before = stored.call_prediction(con, "happy")
        assert before.model_version == MODEL_VERSION and before.surveyed is None
        assert sum(f.contribution for f in before.factors) == pytest.approx(before.predicted, abs=1e-3)
        assert stored.call_prediction(con, "angry").predicted < before.predicted
        # The outcome arrives later (the insights step): the prediction is stale and moves.
        later = datetime.now() + timedelta(minutes=1)
        con.execute("INSERT INTO call_insights (call_id, insights_version, outcome, computed_at) "
                    "VALUES ('happy', 'v', 'unresolved', ?)", [later])
        assert stored.stale_calls(con, MODEL_VERSION) == ["happy"]
        # A reviewer flips the roles: the "customer" is now the operator's (neutral) speech.
        con.execute("INSERT INTO reviews (review_id, call_id, action, reviewer, created_at) "
                    "VALUES ('r1', 'angry', 'flip_roles', 'anna', ?)", [later])
        assert stored.stale_calls(con, MODEL_VERSION) == ["angry", "happy"]
        flipped = stored.satisfaction_inputs(con, ["angry"])[0]
        assert flipped.trajectory.end == pytest.approx(0.0)
        # An outcome label this model has no weight for is unknown, not an error that stops the step.
        con.execute("INSERT INTO call_insights (call_id, insights_version, outcome, computed_at) "
                    "VALUES ('dup1', 'v', 'callback_booked', ?)", [later])
        assert stored.satisfaction_inputs(con, ["dup1"])[0].outcome is None
    assert refresh_predictions(small_db).predicted == 3
    with connect(small_db) as con:
        after = stored.call_prediction(con, "happy")
        outcome = {f.name: f for f in after.factors}["outcome"]
        assert outcome.value == "unresolved" and outcome.contribution == pytest.approx(-1.0)
        assert after.predicted == pytest.approx(before.predicted - 1.0)  # outcome unknown (0) -> unresolved (-1)


def test_import_csat(small_db, tmp_path, capsys):
    good = tmp_path / "surveys.csv"
    good.write_text("call_id,CSAT,comment\nhappy,5,great\nangry,1,\nnobody,3,\n", encoding="utf-8")
    assert callqa(["import-csat", str(good), "--db", str(small_db)]) == 0
    out = capsys.readouterr().out
    assert "stored 2 surveys (2 new, 0 updated, 0 unchanged)" in out
    assert "1 not stored: no processed call" in out and "line 4: nobody: no call with this call id" in out

    by_file = tmp_path / "by_file.csv"
    by_file.write_text("file;score\n/pbx/2026/happy.wav;4\nangry.wav;1\nsame.wav;2\nbad.wav;3\n"
                       "angry.wav;seven\nhappy.wav;4.5\n;3\n", encoding="utf-8")
    assert callqa(["import-csat", str(by_file), "--db", str(small_db), "--json"]) == 2, "bad lines: exit 2"
    result = json.loads(capsys.readouterr().out)
    assert (result["stored"], result["added"], result["updated"], result["unchanged"]) == (2, 0, 1, 1)
    assert [e["line"] for e in result["errors"]] == [6, 7, 8]
    assert "seven" in result["errors"][0]["message"] and "not an integer 1-5" in result["errors"][1]["message"]
    unmatched = {u["line"]: u["message"] for u in result["unmatched"]}
    assert "2 processed calls have this file name" in unmatched[4] and "not processed (quarantined)" in unmatched[5]
    with connect(small_db, read_only=True) as con:
        rows = dict(con.execute("SELECT call_id, score FROM csat").fetchall())
        sources = {r[0] for r in con.execute("SELECT source FROM csat").fetchall()}
    assert rows == {"happy": 4, "angry": 1}, "re-import: the latest file wins"
    assert sources == {"by_file.csv"}

    missing = tmp_path / "no_score.csv"
    missing.write_text("call_id,rating\nhappy,5\n", encoding="utf-8")
    assert callqa(["import-csat", str(missing), "--db", str(small_db)]) == 2
    assert "no score column (csat or score)" in capsys.readouterr().err


def test_csat_agreement_command(small_db, tmp_path, capsys):
    refresh_predictions(small_db)
    (tmp_path / "s.csv").write_text("call_id,csat\nhappy,5\nangry,1\ndup1,3\n", encoding="utf-8")
    assert callqa(["import-csat", str(tmp_path / "s.csv"), "--db", str(small_db)]) == 0
    capsys.readouterr()
    assert callqa(["csat-agreement", "--db", str(small_db), "--json", "--calibrate"]) == 0
    captured = capsys.readouterr()
    report = json.loads(captured.out)
    assert report["agreement"]["n"] == 3 and report["agreement"]["rho"] == pytest.approx(1.0)
    assert report["calibration"] is None and "at least 50" in captured.err
    expected = survey_agreement(small_db)
    assert report["agreement"]["mae"] == pytest.approx(expected.mae, abs=1e-4)
    assert callqa(["csat-agreement", "--db", str(small_db), "--team", "t2"]) == 0
    assert "calls with a survey and a prediction: 1" in capsys.readouterr().out


# ---- the nightly step on the real sample calls, and the app ------------------------------------


def _processed(db: Path) -> dict[str, str]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return dict(con.execute("SELECT file_name, call_id FROM calls WHERE status = 'processed'").fetchall())
    finally:
        con.close()


def test_nightly_run_predicts_every_processed_call(flow_db, tmp_path):
    calls = _processed(flow_db["db"])
    assert len(calls) == 5
    with connect(flow_db["db"], read_only=True) as con:
        predictions = {name: stored.call_prediction(con, call_id) for name, call_id in calls.items()}
    for name, p in predictions.items():
        assert p is not None and p.model_version == MODEL_VERSION, name
        assert sum(f.contribution for f in p.factors) == pytest.approx(p.predicted, abs=1e-3)
    # The sentiment factors come from the stored per-segment scores by the rule CallSentiment uses.
    with connect(flow_db["db"], read_only=True) as con:
        ends = dict(con.execute("SELECT c.file_name, a.customer_end_sentiment FROM call_analytics a "
                                "JOIN calls c USING (call_id)").fetchall())
    for name, p in predictions.items():
        end = {f.name: f.value for f in p.factors}["sentiment_end"]
        assert (end is None and ends[name] is None) or end == pytest.approx(ends[name], abs=1e-3), name
    # The nightly insights step ran first: the rude calls (the customer is refused help, outcome unresolved)
    # are predicted below the good ones (resolved) in both languages.
    outcomes = {name: {f.name: f.value for f in p.factors}["outcome"] for name, p in predictions.items()}
    assert outcomes["en_stereo_good.flac"] == "resolved" and outcomes["ru_stereo_rude.flac"] == "unresolved"
    assert predictions["en_mono_rude.flac"].predicted < predictions["en_stereo_good.flac"].predicted - 0.3
    assert predictions["ru_stereo_rude.flac"].predicted < predictions["ru_stereo_good.flac"].predicted - 0.3

    db = tmp_path / "copy.duckdb"
    shutil.copy(flow_db["db"], db)
    assert refresh_predictions(db).predicted == 0, "the nightly step left nothing stale"
    good = calls["en_stereo_good.flac"]
    with connect(db) as con:
        # A new outcome (e.g. a changed taxonomy judged it again) makes the prediction stale.
        con.execute("UPDATE call_insights SET outcome = 'unresolved', computed_at = ? WHERE call_id = ?",
                    [datetime.now() + timedelta(minutes=1), good])
    assert refresh_predictions(db).predicted == 1
    with connect(db, read_only=True) as con:
        again = stored.call_prediction(con, good)
    assert {f.name: f.value for f in again.factors}["outcome"] == "unresolved"
    assert again.predicted < predictions["en_stereo_good.flac"].predicted - 0.5


@pytest.fixture
def app_db(flow_db, tmp_path, monkeypatch) -> tuple[Path, dict[str, str]]:
    before = st_config.get_option("server.address")
    st_config.set_option("server.address", "127.0.0.1")
    monkeypatch.setenv("CALLQA_USERS", str(tmp_path / "users.toml"))
    db = tmp_path / "app.duckdb"
    shutil.copy(flow_db["db"], db)
    monkeypatch.setenv("CALLQA_DB", str(db))
    yield db, _processed(db)
    st_config.set_option("server.address", before)


def _page(page: str, **params) -> AppTest:
    at = AppTest.from_file(str(APP), default_timeout=60).run()
    at.switch_page(page)
    for k, v in params.items():
        at.query_params[k] = v
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    assert not at.error, [e.value for e in at.error]
    return at


def test_satisfaction_page(app_db, tmp_path):
    db, calls = app_db
    at = _page("views/satisfaction.py")
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Calls predicted"] == "5"
    assert "No imported survey" in " ".join(c.value for c in at.caption)
    with connect(db, read_only=True) as con:
        lowest = stored.lowest_calls(con, limit=1).iloc[0]
    links = at.get("page_link")
    assert len(links) == 5 and md(lowest["file_name"]) in links[0].proto.label, "the lowest predicted call comes first"
    assert f"call_id={lowest['call_id']}" in links[0].proto.query_string

    survey = tmp_path / "s.csv"
    survey.write_text(
        "file,csat\n" + "".join(f"{name},{score}\n" for name, score in zip(sorted(calls), (1, 5, 2, 4, 1)))
    )
    assert callqa(["import-csat", str(survey), "--db", str(db)]) == 0
    data.clear_cache()  # the app's reads are cached for CACHE_TTL_S; the import came from outside the app
    at = _page("views/satisfaction.py")
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Surveyed calls"] == "5"
    assert metrics["Mean absolute error"] == f"{survey_agreement(db).mae:.2f}"
    confusion = next(d.value for d in at.dataframe if "predicted 1" in d.value.columns)
    assert int(confusion.to_numpy().sum()) == 5

    call = _page("views/call.py", call_id=calls["en_mono_rude.flac"])
    line = next(m.value for m in call.markdown if m.value.startswith("**Predicted satisfaction:**"))
    assert "/ 5" in line and "customer's survey: **1**" in line  # en_mono_rude sorts first: survey 1
