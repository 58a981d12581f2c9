"""The accuracy sheet on generated data with KNOWN truth: a few hundred sampled calls where the machine's
verdict follows the reviewer's at known rates. The sheet's counts equal the generated ones exactly, its
intervals are statsmodels' Wilson intervals and hold the true precision, recall, agreement and unknown share;
reviews of calls outside the audit sample do not count; the flags-miss list; ``callqa sample`` and
``callqa accuracy --json``."""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from statsmodels.stats.proportion import proportion_confint

from callqa.cli import main
from storage.db import connect
from tests.test_sample_draw import AT, add_call, review
from usecases.accuracy_sheet import MIN_N, accuracy_sheet

# The generating process: the reviewer fails greeting in 30% of calls; the machine fails 80% of those
# (recall 0.8), says unknown on 5% of the rest and fails 10% of the reviewer's passes.
P_FAIL, RECALL, P_UNKNOWN, P_FALSE_FAIL = 0.30, 0.80, 0.05, 0.10
TRUE_PRECISION = P_FAIL * RECALL / (P_FAIL * RECALL + (1 - P_FAIL) * P_FALSE_FAIL)
N_CALLS = 400
PERIOD = (datetime(2026, 3, 1), datetime(2026, 3, 8))


@dataclass
class Truth:
    tp: int = 0
    fp: int = 0
    fn: int = 0
    agreed: int = 0
    unknown: int = 0
    reviewed: int = 0
    missed: tuple[str, ...] = ()
    ru: int = 0
    mono: int = 0


@pytest.fixture(scope="module")
def truth_db(tmp_path_factory) -> tuple[Path, Truth]:
    db = tmp_path_factory.mktemp("accuracy") / "calls.duckdb"
    rng = random.Random(18)
    t = Truth()
    missed = []
    with connect(db) as con:
        for i in range(N_CALLS):
            call_id = f"s{i:04d}"
            truth = "fail" if rng.random() < P_FAIL else "pass"
            if truth == "fail":
                auto = "fail" if rng.random() < RECALL else ("unknown" if rng.random() < P_UNKNOWN else "pass")
            else:
                u = rng.random()
                auto = "fail" if u < P_FALSE_FAIL else ("unknown" if u < P_FALSE_FAIL + P_UNKNOWN else "pass")
            language, channels = ("ru", 2) if i % 2 else ("en", 1)
            add_call(con, call_id, operator=f"op{i % 7}", language=language, channels=channels,
                     at=AT + timedelta(minutes=i), auto={"greeting": auto, "farewell": "pass"},
                     flags=("critical_fail",) if auto == "fail" else ())
            con.execute("INSERT INTO audit_samples VALUES ('night-x', ?, 'all', ?, 'nightly', 'callqa', NULL, NULL)",
                        [call_id, AT])
            review(con, call_id, "greeting", truth)
            t.reviewed += 1
            t.tp += auto == "fail" and truth == "fail"
            t.fp += auto == "fail" and truth == "pass"
            t.fn += auto != "fail" and truth == "fail"
            t.agreed += auto == truth
            t.unknown += auto == "unknown"
            t.ru += language == "ru"
            t.mono += channels == 1
            if truth == "fail" and auto != "fail":
                missed.append(call_id)
        t.missed = tuple(missed)
        # Flagged calls a reviewer opened from the queue (not sampled): all machine fails upheld. They
        # must not count: they would make precision look perfect.
        for i in range(50):
            add_call(con, f"q{i:03d}", at=AT + timedelta(hours=10, minutes=i), flags=("critical_fail",),
                     auto={"greeting": "fail", "farewell": "pass"})
            review(con, f"q{i:03d}", "greeting", "fail")
        # A sampled call outside the period does not count either.
        add_call(con, "later", at=PERIOD[1] + timedelta(days=1), auto={"greeting": "fail", "farewell": "pass"})
        con.execute("INSERT INTO audit_samples VALUES ('night-y', 'later', 'all', now(), 'nightly', 'callqa', NULL,"
                    " NULL)")
        review(con, "later", "greeting", "pass")
    return db, t


def test_counts_equal_the_generated_ones_and_the_truth_is_inside_the_intervals(truth_db):
    db, t = truth_db
    sheet = accuracy_sheet(db, *PERIOD)
    assert sheet.coverage.sampled_calls == N_CALLS and sheet.coverage.reviewed_calls == N_CALLS
    assert sheet.versions() == [("inbound_support", 1)]
    [greeting] = [r for r in sheet.rows_of(("inbound_support", 1)) if r.criterion_id == "greeting"]
    c = greeting.counts
    assert (c.reviewed, c.true_fails, c.false_fails, c.missed_fails, c.agreed, c.unknown) == (
        t.reviewed, t.tp, t.fp, t.fn, t.agreed, t.unknown)
    assert greeting.precision.value == t.tp / (t.tp + t.fp)
    assert greeting.recall.value == t.tp / (t.tp + t.fn)
    assert greeting.agreement.value == t.agreed / t.reviewed
    assert greeting.unknown_share.value == t.unknown / t.reviewed
    low, high = proportion_confint(t.tp, t.tp + t.fp, alpha=0.05, method="wilson")
    assert (greeting.precision.low, greeting.precision.high) == pytest.approx((low, high), abs=1e-12)
    true_agreement = (P_FAIL * RECALL + (1 - P_FAIL) * (1 - P_FALSE_FAIL - P_UNKNOWN))
    true_unknown = P_FAIL * (1 - RECALL) * P_UNKNOWN + (1 - P_FAIL) * P_UNKNOWN
    for figure, true in ((greeting.precision, TRUE_PRECISION), (greeting.recall, RECALL),
                         (greeting.agreement, true_agreement), (greeting.unknown_share, true_unknown)):
        assert figure.low is not None and figure.high is not None
        assert figure.low <= true <= figure.high, (figure, true)
        assert figure.high - figure.low < 0.2  # a few hundred calls: a usable interval
    assert not greeting.small


def test_per_language_and_channels_split_the_same_pairs(truth_db):
    db, t = truth_db
    sheet = accuracy_sheet(db, *PERIOD)
    version = ("inbound_support", 1)
    languages = {r.value: r for r in sheet.rows_of(version, "language") if r.criterion_id == "greeting"}
    channels = {r.value: r for r in sheet.rows_of(version, "channels") if r.criterion_id == "greeting"}
    assert set(languages) == {"en", "ru"} and set(channels) == {"mono", "stereo"}
    assert languages["ru"].counts.reviewed == t.ru and channels["mono"].counts.reviewed == t.mono
    for split in (languages, channels):
        assert sum(r.counts.true_fails for r in split.values()) == t.tp
        assert sum(r.counts.missed_fails for r in split.values()) == t.fn


def test_a_small_n_is_said_and_its_interval_is_wide(tmp_path):
    db = tmp_path / "few.duckdb"
    with connect(db) as con:
        for i in range(5):
            add_call(con, f"f{i}", auto={"greeting": "fail" if i < 2 else "pass"})
            con.execute("INSERT INTO audit_samples VALUES ('n', ?, 'all', now(), 'nightly', 'callqa', NULL, NULL)",
                        [f"f{i}"])
            review(con, f"f{i}", "greeting", "fail")
    sheet = accuracy_sheet(db, *PERIOD)
    [row] = [r for r in sheet.rows_of(("inbound_support", 1)) if r.criterion_id == "greeting"]
    assert row.small and row.counts.reviewed == 5 < MIN_N
    assert row.recall.value == 0.4 and row.recall.small and row.recall.high - row.recall.low > 0.5
    assert row.precision.value == 1.0 and row.precision.high == pytest.approx(1.0)
    assert row.to_json()["small_n"] is True


def test_the_flags_miss_list(truth_db):
    db, t = truth_db
    sheet = accuracy_sheet(db, *PERIOD)
    assert {m.call_id for m in sheet.missed} == set(t.missed) and len(t.missed) > 5
    assert all(m.failed_criteria == ("greeting",) for m in sheet.missed)
    assert not any(m.call_id.startswith("q") for m in sheet.missed)


def test_callqa_accuracy_json(truth_db, capsys):
    db, t = truth_db
    assert main(["accuracy", "--db", str(db), "--since", "2026-03-01", "--until", "2026-03-08", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["sampled_calls"] == N_CALLS and out["min_n"] == MIN_N
    [greeting] = [r for r in out["criteria"] if r["criterion_id"] == "greeting" and r["slice"] == "all"]
    assert greeting["precision"]["hits"] == t.tp and greeting["precision"]["n"] == t.tp + t.fp
    assert greeting["recall"]["low"] <= RECALL <= greeting["recall"]["high"]
    assert {m["call_id"] for m in out["flags_missed"]} == set(t.missed)
    assert main(["accuracy", "--db", str(db), "--since", "2026-03-01", "--until", "2026-03-08"]) == 0
    text = capsys.readouterr().out
    assert "greeting" in text and "precision" in text and f"{len(t.missed)} sampled calls" in text


def test_callqa_sample_json_draws_once(tmp_path, capsys):
    db = tmp_path / "calls.duckdb"
    with connect(db) as con:
        for i in range(10):
            add_call(con, f"c{i}", operator=f"op{i % 2}")
    argv = ["sample", "--db", str(db), "--since", "2026-03-02", "--until", "2026-03-03", "--by", "qa.lead", "--json"]
    assert main(argv) == 0
    first = json.loads(capsys.readouterr().out)
    assert first["sample_id"] == "night-2026-03-02" and first["added"] == 4 and len(first["calls"]) == 4
    assert {c["drawn_by"] for c in first["calls"]} == {"qa.lead"} and first["population"] == 10
    assert main(["sample", "--db", str(db), "--latest-night", "--json"]) == 0
    again = json.loads(capsys.readouterr().out)
    assert again["added"] == 0 and again["calls"] == first["calls"]
    assert main(["sample", "--db", str(db), "--since", "2026-03-02"]) == 2
    assert main(["sample", "--db", str(tmp_path / "none.duckdb")]) == 2
