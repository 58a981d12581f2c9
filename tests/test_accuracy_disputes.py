"""Operators' disputes in the accuracy sheet: raised and resolved through the real use cases on a real DuckDB
file, counted per criterion beside the sample's figures (overturned of resolved, with an interval), never
mixed into precision or recall; open disputes and calls outside the period do not count."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import timedelta

from storage.db import connect
from tests.test_app import _app, _goto, _ok, loopback  # noqa: F401  (loopback: the autouse fixture)
from tests.test_sample_draw import AT, add_call, review
from usecases import disputes
from usecases.accuracy_sheet import accuracy_sheet
from usecases.users import Role, User

OPERATOR = User("ivanova", Role.OPERATOR, operator_id="op.a")
REVIEWER = User("anna.qa", Role.REVIEWER)
SINCE, UNTIL = AT - timedelta(days=1), AT + timedelta(days=1)


def test_resolved_disputes_count_beside_the_sample(tmp_path):
    db = tmp_path / "calls.duckdb"
    with connect(db) as con:
        for i in range(6):
            add_call(con, f"c{i}", operator="op.a", auto={"greeting": "fail", "farewell": "pass"},
                     flags=("critical_fail",))
        add_call(con, "sampled", operator="op.a", auto={"greeting": "fail", "farewell": "pass"})
        con.execute("INSERT INTO audit_samples VALUES ('night-2026-03-02', 'sampled', 'operator=op.a', ?, 'nightly',"
                    " 'callqa', ?, ?)", [AT, SINCE, UNTIL])
        review(con, "sampled", "greeting", "fail")
        add_call(con, "old", operator="op.a", at=AT - timedelta(days=30), auto={"greeting": "fail"})
    ids = {i: disputes.raise_dispute(str(db), OPERATOR, f"c{i}", "greeting", "I greeted the customer at 00:02")
           for i in range(5)}
    for i in range(3):
        disputes.resolve(str(db), REVIEWER, ids[i], "overturned", "the greeting is there", "pass")
    disputes.resolve(str(db), REVIEWER, ids[3], "upheld", "no greeting at all")  # ids[4] stays open
    old = disputes.raise_dispute(str(db), OPERATOR, "old", "greeting", "please check")
    disputes.resolve(str(db), REVIEWER, old, "overturned", "checked", "pass")  # a month earlier: another period

    sheet = accuracy_sheet(db, SINCE, UNTIL)
    (tally,) = sheet.disputes
    assert (tally.counts.criterion_id, tally.counts.resolved, tally.counts.overturned) == ("greeting", 4, 3)
    assert tally.counts.overturned_auto_fails == 3
    assert tally.overturned.value == 0.75 and tally.overturned.low < 0.75 < tally.overturned.high
    assert tally.overturned.small  # 4 disputes: too few to read a rate from
    # the sample's figures rest on the one sampled review, not on the overturned disputes
    (greeting,) = [r for r in sheet.rows if r.slice == "all" and r.criterion_id == "greeting"]
    assert (greeting.counts.reviewed, greeting.precision.hits, greeting.precision.n) == (1, 1, 1)
    data = sheet.to_json()["disputes"]
    assert data[0]["overturned"] == 3 and data[0]["resolved"] == 4

    out = subprocess.run([sys.executable, "-m", "callqa", "accuracy", "--db", str(db), "--since", "2026-03-01",
                          "--until", "2026-03-03", "--json"], capture_output=True, text=True, check=True)
    assert json.loads(out.stdout)["disputes"][0]["overturned_share"]["hits"] == 3
    out = subprocess.run([sys.executable, "-m", "callqa", "accuracy", "--db", str(db), "--since", "2026-03-01",
                          "--until", "2026-03-03"], capture_output=True, text=True, check=True)
    assert "operators' disputes" in out.stdout and "3 of 4 overturned" in out.stdout


def test_the_page_shows_the_disputes_beside_the_sample(tmp_path, monkeypatch):
    db = tmp_path / "callqa.duckdb"
    with connect(db) as con:
        for i in range(3):
            add_call(con, f"c{i}", operator="op.a", auto={"greeting": "fail", "farewell": "pass"})
    for i in range(3):
        raised = disputes.raise_dispute(str(db), OPERATOR, f"c{i}", "greeting", "I greeted the customer")
        disputes.resolve(str(db), REVIEWER, raised, "overturned" if i else "upheld", "checked", "pass")
    monkeypatch.setenv("CALLQA_DB", str(db))
    at = _goto(_app().run(), "views/accuracy.py")
    at.date_input(key="accuracy_period").set_value((SINCE.date(), UNTIL.date())).run()
    _ok(at)
    assert any("No reviewed verdicts of sampled calls of this scorecard version" in i.value for i in at.info)
    table = next(d.value for d in at.dataframe if "Overturned" in d.value.columns)
    assert list(table["Resolved"]) == [3] and table["Overturned"][0].startswith("67% (")


def test_a_verdict_stored_without_its_critical_mark_still_opens(tmp_path):
    """criteria_results.critical is NULL in verdicts stored before the column was filled (and in generated
    data): the call page's criteria read it as not critical instead of failing on pandas' NA."""
    from usecases.call_details import criteria

    db = tmp_path / "calls.duckdb"
    with connect(db) as con:
        add_call(con, "c0", auto={"greeting": "fail"})
        con.execute("UPDATE criteria_results SET critical = NULL, weight = NULL, confidence = NULL")
    (greeting,) = criteria(str(db), "c0")
    assert (greeting.id, greeting.result, greeting.critical, greeting.weight) == ("greeting", "fail", False, None)
