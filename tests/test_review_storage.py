"""The review app's queries on a real DuckDB file with known calls: queue filters and order,
operator dashboard, training needs, coaching assignments, calibration, and the review journal."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from datetime import timedelta

import pytest

from storage import calibration, dashboards, pending, training
from storage.calls import add_review, review_row
from storage.db import connect
from storage.review_queue import QueueFilter, filter_options, queue_size, review_queue
from storage.transcripts import load_stored_call, processed_call_ids
from tests.test_rescore_and_coaching import WHEN
from tests.test_rescore_and_coaching import db as db  # noqa: F401  (the fixture: 10 known calls)

DAY = (WHEN - timedelta(days=1), WHEN + timedelta(days=2))


def test_queue_filters_and_priority(db):
    with connect(db, read_only=True) as con:
        every = review_queue(con, QueueFilter(flagged_only=False), limit=100)
        assert len(every) == 10 and queue_size(con, QueueFilter(flagged_only=False)) == 10
        ivanov = review_queue(con, QueueFilter(operators=("ivanov",), flagged_only=False))
        assert set(ivanov["operator_id"]) == {"ivanov"} and len(ivanov) == 4
        # ivanov's three calls without a farewell score lower: they come first, lowest score first
        assert list(ivanov["score"]) == sorted(ivanov["score"])
        assert ivanov["score"].iloc[0] < ivanov["score"].iloc[-1]
        low = review_queue(con, QueueFilter(max_score=float(ivanov["score"].min()), flagged_only=False))
        assert set(low["call_id"]) == set(ivanov.loc[ivanov["score"] == ivanov["score"].min(), "call_id"]) | set(
            every.loc[every["score"] <= ivanov["score"].min(), "call_id"])
        assert queue_size(con, QueueFilter(teams=("team-b",), flagged_only=False)) == 0
        assert queue_size(con, QueueFilter(since=WHEN + timedelta(days=1), flagged_only=False)) == 0
        # pages are disjoint and cover the queue in order
        first = review_queue(con, QueueFilter(flagged_only=False), limit=4, offset=0)
        second = review_queue(con, QueueFilter(flagged_only=False), limit=4, offset=4)
        assert list(first["call_id"]) + list(second["call_id"]) == list(every["call_id"][:8])
        options = filter_options(con)
        assert options.operators == ("ivanov", "petrova", "sidorov") and options.teams == ("team-a",)
    with connect(db) as con:
        add_review(con, "c00", "qa.lead", "reviewed")
    with connect(db, read_only=True) as con:
        done = review_queue(con, QueueFilter(reviewed=True, flagged_only=False))
        assert list(done["call_id"]) == ["c00"] and bool(done["reviewed"].iloc[0])
        assert queue_size(con, QueueFilter(reviewed=False, flagged_only=False)) == 9


def test_operator_dashboard_against_the_team(db):
    with connect(db, read_only=True) as con:
        rates = dashboards.criteria_vs_team(con, "ivanov", *DAY).set_index("criterion_id")
        trend = dashboards.score_trend(con, "ivanov", *DAY, bucket="day")
        mine = dashboards.operator_calls(con, "ivanov", *DAY)
        everyone = dashboards.operators(con)
    # farewell: ivanov 1 of 4; the team (all ten calls) 6 of 10
    assert rates.loc["farewell", "pass_rate"] == pytest.approx(0.25)
    assert rates.loc["farewell", "team_pass_rate"] == pytest.approx(0.6)
    assert rates.loc["farewell", "calls"] == 4 and rates.index[0] == "farewell"  # the biggest gap first
    assert len(trend) == 1 and trend["calls"].iloc[0] == 4 and trend["score"].iloc[0] < trend["team_score"].iloc[0]
    assert len(mine) == 4 and list(mine["call_at"]) == sorted(mine["call_at"], reverse=True)
    assert dict(zip(everyone["operator_id"], everyone["calls"])) == {"ivanov": 4, "petrova": 3, "sidorov": 3}


def test_training_heatmap_assignments_and_before_after(db):
    with connect(db, read_only=True) as con:
        heat = training.failure_heatmap(con, *DAY).set_index(["operator_id", "criterion_id"])
    assert heat.loc[("ivanov", "farewell"), "fail_rate"] == pytest.approx(0.75)
    assert heat.loc[("ivanov", "farewell"), "team_fail_rate"] == pytest.approx(0.4)
    assert heat.loc[("petrova", "farewell"), "difference"] == pytest.approx(-0.4)
    with connect(db) as con:
        first = training.assign_topic(con, "ivanov", "farewell", "trainer.olga", "role-play the closing")
        training.assign_topic(con, "ivanov", "farewell", "trainer.olga", assignment_id=first)  # a replay: nothing added
        with pytest.raises(ValueError):
            training.assign_topic(con, "", "farewell", "trainer.olga")
    with connect(db, read_only=True) as con:
        stored = training.assignments(con, "ivanov")
        coached = training.before_after(con)
    assert [(a.operator_id, a.criterion_id, a.assigned_by, a.note) for a in stored] == [
        ("ivanov", "farewell", "trainer.olga", "role-play the closing")]
    row = coached.iloc[0]
    # the calls are two days old: all of them fall before the assignment
    assert (row["calls_before"], row["fail_rate_before"], row["calls_after"]) == (4, pytest.approx(0.75), 0)


def test_calibration_counts_agreement_precision_and_recall(db):
    with connect(db) as con:
        add_review(con, "c00", "qa", "override", "farewell", "pass")  # automatic fail overturned
        add_review(con, "c01", "qa", "confirm", "farewell", "fail")   # automatic fail upheld
        add_review(con, "c04", "qa", "confirm", "farewell", "pass")   # automatic pass upheld
        add_review(con, "c04", "qa2", "override", "greeting", "fail")  # automatic pass overturned...
        add_review(con, "c04", "qa2", "confirm", "greeting", "pass")   # ...then put back: the latest counts
    with connect(db, read_only=True) as con:
        table = calibration.agreement(con, *DAY).set_index("criterion_id")
        overturned = calibration.overturned_calls(con, *DAY)
        # the reviewer's override counts in the team rates too
        rates = dashboards.criteria_vs_team(con, "ivanov", *DAY).set_index("criterion_id")
    farewell = table.loc["farewell"]
    assert (farewell["reviewed"], farewell["overturned"]) == (3, 1)
    assert farewell["agreement"] == pytest.approx(2 / 3)
    assert farewell["fail_precision"] == pytest.approx(0.5) and farewell["fail_recall"] == pytest.approx(1.0)
    assert table.loc["greeting", "agreement"] == 1.0
    assert list(zip(overturned["call_id"], overturned["criterion_id"])) == [("c00", "farewell")]
    assert rates.loc["farewell", "pass_rate"] == pytest.approx(0.5)


def test_flipped_roles_are_read_back_swapped_and_selected_for_rescoring(db):
    with connect(db) as con:
        add_review(con, "c03", "qa", "flip_roles")
        with pytest.raises(ValueError):
            review_row("c03", "qa", "flip_roles", criterion_id="greeting")
    with connect(db, read_only=True) as con:
        flipped = load_stored_call(con, "c03").transcript
        assert flipped.segments[0].speaker == "customer" and flipped.segments[1].speaker == "operator"
        assert processed_call_ids(con, flipped_since_scored=True) == ["c03"]
    with connect(db) as con:
        add_review(con, "c03", "qa", "flip_roles")  # flipped back
    with connect(db, read_only=True) as con:
        assert load_stored_call(con, "c03").transcript.segments[0].speaker == "operator"


HOLD_LOCK = textwrap.dedent("""
    import sys, time, duckdb
    con = duckdb.connect(sys.argv[1])
    print("locked", flush=True)
    time.sleep(float(sys.argv[2]))
    con.close()
""")


def test_a_review_made_while_another_process_writes_is_journalled_then_stored(db):
    row = review_row("c02", "anna.qa", "override", "farewell", "pass", "she did say goodbye", "reviewer")
    holder = subprocess.Popen([sys.executable, "-c", HOLD_LOCK, str(db), "3"], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "locked"
        with pytest.raises(Exception, match="lock"):
            with connect(db, timeout_s=0.2):
                pass
        pending.record(db, "reviews", row)
        assert [r["review_id"] for r in pending.pending_rows(db, "reviews")] == [row["review_id"]]
    finally:
        holder.wait(timeout=30)
    with connect(db) as con:  # the next writer applies the journal
        stored = con.execute("SELECT reviewer, verdict, comment, reviewer_role FROM reviews WHERE review_id = ?",
                             [row["review_id"]]).fetchall()
    assert stored == [("anna.qa", "pass", "she did say goodbye", "reviewer")]
    assert not pending.journal_path(db).exists()
    pending.record(db, "reviews", row)  # a journal applied twice (a crash before it was removed) adds nothing
    with connect(db) as con:
        assert con.execute("SELECT count(*) FROM reviews WHERE review_id = ?", [row["review_id"]]).fetchone()[0] == 1
    with pytest.raises(ValueError):
        pending.record(db, "reviews", {"review_id": "x"})
