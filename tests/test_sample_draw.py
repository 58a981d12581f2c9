"""The audit sample on a real DuckDB file with known calls: each stratum gets min(n, its size) calls,
flagged or not; the same seed and period draw the same calls, another seed others; a rerun adds no row;
late calls top a stratum up; the review queue's audit-sample list and its link parameter."""

from __future__ import annotations

import hashlib
from collections import Counter
from dataclasses import replace
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest

from qa_app import queue_params
from storage.calls import add_review
from storage.db import connect, one_row
from storage.review_queue import QueueFilter, filter_options, neighbours, queue_size, review_queue
from usecases import audit_sampling
from usecases.audit_sampling import draw, night, period
from usecases.settings import SamplingSettings, Settings, StorageSettings

NIGHT = date(2026, 3, 2)
AT = datetime(2026, 3, 2, 9, 0)
CRITERIA = ("greeting", "farewell")
# operator -> calls that night: strata smaller, equal to and larger than the 3 drawn per stratum
OPERATORS = {"op.small": 2, "op.exact": 3, "op.large": 25, "op.huge": 60}


def add_call(con, call_id: str, *, operator: str = "op.a", team: str = "team-a", language: str = "ru",
             channels: int = 2, at: datetime = AT, flags: tuple[str, ...] = (),
             auto: dict[str, str] | None = None, version: int = 1, run_id: str | None = None) -> None:
    """A processed call with its score, flags and automatic verdicts, as the product stores them."""
    con.execute(
        "INSERT INTO calls (call_id, content_sha256, source_path, file_name, status, duration_s, channels, language,"
        " scorecard_name, scorecard_version, first_seen_at, processed_at, run_id, operator_id, team, queue,"
        " started_at) VALUES (?, ?, ?, ?, 'processed', 60, ?, ?, 'inbound_support', ?, ?, ?, ?, ?, ?, 'support', ?)",
        [call_id, hashlib.sha256(call_id.encode()).hexdigest(), f"/inbox/{call_id}.wav", f"{call_id}.wav",
         channels, language, version, at, at, run_id, operator, team, at])
    con.execute("INSERT INTO scores VALUES (?, 'inbound_support', ?, ?, ?, ?)",
                [call_id, version, 100.0 if not flags else 50.0, list(flags), at])
    for criterion, result in (auto or {c: "pass" for c in CRITERIA}).items():
        con.execute(
            "INSERT INTO criteria_results (call_id, scorecard_name, scorecard_version, criterion_id, result, method,"
            " confidence, weight, critical, scored_at)"
            " VALUES (?, 'inbound_support', ?, ?, ?, 'rules', 0.9, 1, false, ?)",
            [call_id, version, criterion, result, at])


def review(con, call_id: str, criterion: str, verdict: str, reviewer: str = "qa.lead") -> None:
    add_review(con, call_id, reviewer, "confirm", criterion, verdict, reviewer_role="reviewer")


def settings_for(db: Path, per_stratum: int = 3, strata: tuple = ("operator",), seed: str = "callqa") -> Settings:
    return replace(Settings(), storage=replace(StorageSettings(), db=str(db)),
                   sampling=SamplingSettings(per_stratum=per_stratum, strata=strata, seed=seed))


@pytest.fixture()
def night_db(tmp_path) -> Path:
    """One night of calls by four operators (2, 3, 25 and 60 calls), a third flagged, half mono;
    and calls of the next day, which the night's sample must not take."""
    db = tmp_path / "calls.duckdb"
    with connect(db) as con:
        for operator, n in OPERATORS.items():
            for i in range(n):
                add_call(con, f"{operator}-{i:03d}", operator=operator, channels=1 + i % 2,
                         at=AT + timedelta(minutes=i), flags=("escalation",) if i % 3 == 0 else (), run_id="run-1")
        for i in range(5):
            add_call(con, f"next-{i}", operator="op.large", at=AT + timedelta(days=1), run_id="run-2")
    return db


def sampled(db: Path, sample_id: str | None = None) -> list[tuple[str, str, str]]:
    with connect(db, read_only=True) as con:
        where = "" if sample_id is None else "WHERE sample_id = ?"
        return con.execute(f"SELECT sample_id, call_id, stratum FROM audit_samples {where} ORDER BY ALL",
                           [] if sample_id is None else [sample_id]).fetchall()


def test_each_stratum_gets_min_n_and_its_size_flagged_or_not(night_db):
    drawn = draw(settings_for(night_db), night(NIGHT), "qa.lead")
    assert drawn.population == sum(OPERATORS.values()) and drawn.strata_count == 4
    per_stratum = Counter(stratum for _, _, stratum in sampled(night_db))
    assert per_stratum == {f"operator={op}": min(3, n) for op, n in OPERATORS.items()}
    ids = {call_id for _, call_id, _ in sampled(night_db)}
    assert all(not i.startswith("next-") for i in ids)  # only the night's calls
    assert {r.drawn_by for r in drawn.calls} == {"qa.lead"} and {r.seed for r in drawn.calls} == {"callqa"}
    assert all(r.period_since == datetime(2026, 3, 2) and r.period_until == datetime(2026, 3, 3)
               for r in drawn.calls)


def test_a_large_draw_takes_flagged_and_unflagged_calls_in_their_proportion(night_db):
    """Regardless of flags: with 60 calls of which a third flagged, 30 drawn hold some of both."""
    draw(settings_for(night_db, per_stratum=30), night(NIGHT), "nightly")
    huge = [call_id for _, call_id, stratum in sampled(night_db) if stratum == "operator=op.huge"]
    flagged = sum(1 for call_id in huge if int(call_id[-3:]) % 3 == 0)
    assert len(huge) == 30 and 4 <= flagged <= 17  # 10 expected; hypergeometric, far outside chance otherwise


def test_several_strata_and_channels(night_db):
    draw(settings_for(night_db, per_stratum=2, strata=("operator", "channels")), night(NIGHT), "nightly")
    per_stratum = Counter(stratum for _, _, stratum in sampled(night_db))
    assert per_stratum == {f"operator={op}; channels={ch}": min(2, n // 2 + (n % 2 if ch == "mono" else 0))
                           for op, n in OPERATORS.items() for ch in ("mono", "stereo")}


def test_the_same_seed_and_period_draw_the_same_calls_another_seed_others(night_db):
    first = draw(settings_for(night_db), night(NIGHT), "nightly")
    with connect(night_db) as con:
        con.execute("DELETE FROM audit_samples")
    again = draw(settings_for(night_db), night(NIGHT), "nightly")
    assert {c.call_id for c in again.calls} == {c.call_id for c in first.calls}
    with connect(night_db) as con:
        con.execute("DELETE FROM audit_samples")
    other = draw(settings_for(night_db, seed="another seed"), night(NIGHT), "nightly")
    large = {c.call_id for c in first.calls if "op.huge" in c.stratum}
    assert large != {c.call_id for c in other.calls if "op.huge" in c.stratum}
    # the draw is the seed's order: the first calls by SHA-256 of seed, sample and call id
    expected = sorted((f"op.huge-{i:03d}" for i in range(60)),
                      key=lambda c: hashlib.sha256(f"callqa\x1fnight-2026-03-02\x1f{c}".encode()).hexdigest())[:3]
    assert large == set(expected)


def test_a_rerun_adds_no_row_and_late_calls_top_a_stratum_up(night_db):
    settings = settings_for(night_db)
    draw(settings, night(NIGHT), "nightly")
    before = sampled(night_db)
    rerun = draw(settings, night(NIGHT), "qa.lead")
    assert rerun.added == [] and sampled(night_db) == before
    # the same night asked for on demand as a period is the same sample
    assert period(datetime(2026, 3, 2), datetime(2026, 3, 3)).sample_id == "night-2026-03-02"
    assert draw(settings, period(datetime(2026, 3, 2), datetime(2026, 3, 3)), "qa.lead").added == []
    with connect(night_db) as con:  # a late call of the small operator and of a new one
        add_call(con, "late-1", operator="op.small", at=AT + timedelta(hours=5))
        add_call(con, "late-2", operator="op.new", at=AT + timedelta(hours=5))
    topped = draw(settings, night(NIGHT), "nightly")
    assert sorted(c.call_id for c in topped.added) == ["late-1", "late-2"]
    assert len(sampled(night_db)) == len(before) + 2
    assert Counter(s for _, _, s in sampled(night_db))["operator=op.large"] == 3


def test_nights_of_a_run_and_the_latest_night(night_db):
    settings = settings_for(night_db)
    drawn = audit_sampling.draw_nights_of_run(settings, "run-2")
    assert [d.sample.sample_id for d in drawn] == ["night-2026-03-03"] and len(drawn[0].calls) == 3
    latest = audit_sampling.latest_night(settings)
    assert latest is not None and latest.sample_id == "night-2026-03-03"
    off = settings_for(night_db, per_stratum=0)
    assert audit_sampling.draw_nights_of_run(off, "run-1") == []
    with pytest.raises(ValueError):
        period(datetime(2026, 3, 3), datetime(2026, 3, 2))


def test_the_queue_lists_the_audit_sample_and_walks_within_it(night_db):
    draw(settings_for(night_db), night(NIGHT), "nightly")
    ids = {call_id for _, call_id, _ in sampled(night_db)}
    in_sample = QueueFilter(flagged_only=False, sampled=True)
    with connect(night_db, read_only=True) as con:
        rows = review_queue(con, in_sample, limit=100)
        assert set(rows["call_id"]) == ids and queue_size(con, in_sample) == len(ids)
        assert queue_size(con, QueueFilter(flagged_only=False, sampled=False)) == 95 - len(ids)
        first = rows["call_id"].iloc[0]
        here = neighbours(con, first, in_sample)
        assert here.position == 1 and here.total == len(ids) and here.next in ids
        options = filter_options(con)
    with connect(night_db) as con:
        review(con, first, "greeting", "pass")
        add_review(con, first, "qa.lead", "reviewed")
    with connect(night_db, read_only=True) as con:
        assert queue_size(con, replace(in_sample, reviewed=False)) == len(ids) - 1
    # the list is kept in the link like the other filters; a made-up list is ignored with a note
    view = queue_params.QueueView(queue_list="sample")
    params = queue_params.to_params(view, options)
    assert params == {"list": "sample"}
    parsed = queue_params.parse({k: [v] for k, v in params.items() if isinstance(v, str)}, options)
    assert parsed.view.queue_list == "sample" and parsed.problems == []
    filt = parsed.view.queue_filter(options)
    assert filt.sampled is True and filt.flagged_only is False
    assert queue_params.QueueView().queue_filter(options).sampled is None
    bad = queue_params.parse({"list": ["everything"]}, options)
    assert bad.view.queue_list == "flagged" and len(bad.problems) == 1


def test_migration_keys_the_sample_by_sample_and_call(night_db):
    with connect(night_db) as con:
        columns = dict(con.execute("SELECT column_name, data_type FROM information_schema.columns"
                                   " WHERE table_name = 'audit_samples'").fetchall())
        assert {"sample_id", "call_id", "stratum", "drawn_at", "drawn_by", "seed"} <= set(columns)
        assert columns["drawn_at"] == "TIMESTAMP"
        con.execute("INSERT INTO audit_samples VALUES ('s', 'c', 'all', now(), 'x', 'y', NULL, NULL)")
        with pytest.raises(Exception, match="(?i)constraint|duplicate"):
            con.execute("INSERT INTO audit_samples VALUES ('s', 'c', 'all', now(), 'x', 'y', NULL, NULL)")
        assert one_row(con.execute("SELECT count(*) FROM audit_samples"))[0] == 1
