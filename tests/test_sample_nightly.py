"""The real nightly flow (the ``flow_db`` fixture) draws the audit sample of the nights it brought in: every
operator of each night gets min(2, their calls) calls, recorded as drawn by the nightly run; drawing again
adds nothing."""

from __future__ import annotations

from collections import Counter
from dataclasses import replace

from storage.db import connect
from usecases.audit_sampling import NIGHTLY, draw, night
from usecases.settings import Settings, StorageSettings


def test_the_nightly_flow_records_the_nights_sample(flow_db):
    db = flow_db["db"]
    with connect(db, read_only=True) as con:
        per_night = con.execute(
            "SELECT CAST(coalesce(started_at, processed_at) AS DATE), coalesce(operator_id, '-'), count(*)"
            " FROM calls WHERE status = 'processed' GROUP BY ALL").fetchall()
        rows = con.execute("SELECT sample_id, stratum, drawn_by, seed FROM audit_samples").fetchall()
    assert rows, "the nightly flow drew no audit sample"
    assert {r[2] for r in rows} == {NIGHTLY} and {r[3] for r in rows} == {"callqa"}
    drawn = Counter((sample_id, stratum) for sample_id, stratum, _, _ in rows)
    expected = {(f"night-{day.isoformat()}", f"operator={operator}"): min(2, n) for day, operator, n in per_night}
    assert drawn == expected
    settings = replace(Settings(), storage=replace(StorageSettings(), db=str(db)))
    day = min(d for d, _, _ in per_night)
    again = draw(settings, night(day), "qa.lead")
    in_night = sum(n for (sample_id, _), n in expected.items() if sample_id == again.sample.sample_id)
    assert again.added == [] and len(again.calls) == in_night
