"""The real nightly flow (the session's ``flow_db`` run, shared with tests/test_nightly_flow.py): each processed
call left its events in the outbox in the loader's transaction, the run its ``run.finished``, and the run's
housekeeping made a delivery pass (with no ``webhook_urls``, the events are marked dispatched)."""

from __future__ import annotations

from storage.db import connect


def test_a_nightly_run_writes_each_calls_events_once_and_ends_with_a_delivery_pass(flow_db):
    with connect(flow_db["db"], read_only=True) as con:
        processed = {r[0] for r in con.execute("SELECT call_id FROM calls WHERE status = 'processed'").fetchall()}
        flagged = {r[0] for r in con.execute(
            "SELECT c.call_id FROM calls c JOIN scores s USING (call_id, scorecard_name, scorecard_version)"
            " WHERE c.status = 'processed' AND len(s.flags) > 0").fetchall()}
        events = con.execute("SELECT event_type, call_id, payload, dispatched_at FROM webhook_events").fetchall()
        run_id = con.execute("SELECT run_id FROM runs ORDER BY started_at DESC LIMIT 1").fetchone()[0]
    of = {kind: [e[1] for e in events if e[0] == kind] for kind in ("call.processed", "call.flagged", "run.finished")}
    assert processed and sorted(of["call.processed"]) == sorted(processed)  # each once
    assert sorted(of["call.flagged"]) == sorted(flagged)
    assert len([e for e in events if e[0] == "run.finished" and run_id in e[2]]) == 1
    assert all(e[3] is not None for e in events)  # the housekeeping's pass saw them all
    quarantined = set(flow_db["bad"])
    assert not any(name in e[2] for e in events for name in quarantined)  # no file names in any payload
