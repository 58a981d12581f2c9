"""Delivering the outbox to real receivers on 127.0.0.1 that verify the signature as an integrator would:
signed events arrive once; a receiver answering 500, timing out or refusing connections gets retries and later
the event; max attempts end in a failed delivery listed with its error; replays send events again."""

from __future__ import annotations

import os
import stat
from dataclasses import replace
from pathlib import Path

import pytest

from callqa.cli import main
from pipeline.intake.customer_id import customer_hash, load_key
from storage import webhooks
from storage.calls import save_analysis
from storage.db import connect
from tests.mail_servers import free_port
from tests.test_webhooks_outbox import angry_call
from tests.webhooks_receiver import receiver
from usecases.retention import erase_customer
from usecases.settings import load_settings
from usecases.webhook_delivery import KEY_FILE, QUICK_TRIES, deliver_pending, delivery_log, replay, webhook_secret


def no_sleep(_: float) -> None:
    pass


@pytest.fixture()
def db(tmp_path) -> Path:
    """A database whose outbox holds an angry call's three events (processed, flagged, escalation)."""
    path = tmp_path / "qa.duckdb"
    source, result = angry_call("h01")
    with connect(path) as con:
        save_analysis(con, source, result)
    return path


def attempts(db: Path) -> list[tuple]:
    with connect(db, read_only=True) as con:
        return con.execute("SELECT event_id, attempt, status_code, error FROM webhook_attempts"
                           " ORDER BY tried_at, attempt").fetchall()


def test_events_arrive_signed_once_and_the_key_file_is_private(db):
    settings = load_settings(db=db)
    secret = webhook_secret(settings)  # created beside the database on first use
    key = db.parent / KEY_FILE
    assert stat.S_IMODE(os.stat(key).st_mode) == 0o600 and len(secret) == 64
    with receiver(secret) as crm:
        settings = load_settings(db=db, webhook_urls=crm.url, digest_app_url="https://qa.example.ru")
        report = deliver_pending(settings, sleep=no_sleep)
        again = deliver_pending(settings, sleep=no_sleep)
    assert (report.queued, report.delivered, report.tries, report.retrying, report.failed) == (3, 3, 3, 0, 0)
    assert again.attempted == again.queued == 0  # delivered events are not sent again
    assert crm.refused == [] and sorted(e["type"] for e in crm.events()) == [
        "call.escalation", "call.flagged", "call.processed"]
    for got in crm.accepted:
        h, body = got["headers"], got["body"]
        assert h["X-Callqa-Event"] == body["type"] and h["X-Callqa-Event-Id"] == body["id"]
        assert h["X-Callqa-Signature"].startswith("sha256=") and h["Content-Type"].startswith("application/json")
        assert body["data"]["call_id"] == "h01" and body["data"]["link"] == "https://qa.example.ru/call?call_id=h01"
    assert len({g["headers"]["X-Callqa-Delivery"] for g in crm.accepted}) == 3
    assert {r.status for r in delivery_log(settings)} == {"delivered"}


def test_a_receiver_with_another_secret_refuses_every_event_and_they_stay_pending(db):
    with receiver(b"not-the-secret") as crm:
        settings = load_settings(db=db, webhook_urls=crm.url, webhook_secret="the-real-secret", webhook_backoff_s=0)
        report = deliver_pending(settings, sleep=no_sleep)
    assert crm.accepted == [] and set(crm.refused) == {"bad signature"}
    assert report.retrying == 1 and report.deferred == 2 and report.delivered == 0
    rows = delivery_log(settings, failed_only=True)
    assert len(rows) == 3 and {r.status for r in rows} == {"pending"}
    assert [r.last_error for r in rows if r.attempts] == ["HTTP 401 Unauthorized"]


def test_a_failing_receiver_gets_quick_retries_with_growing_pauses_then_the_event(db):
    pauses: list[float] = []
    with receiver(b"k", script=[500, 503]) as crm:
        settings = load_settings(db=db, webhook_urls=crm.url, webhook_secret="k")
        report = deliver_pending(settings, sleep=pauses.append)
    assert report.delivered == 3 and report.tries == 5 and crm.requests == 5 and len(crm.accepted) == 3
    assert 0.25 <= pauses[0] <= 0.75 and 0.5 <= pauses[1] <= 1.5  # 0.5 s, then 1 s, each jittered
    first = attempts(db)[:3]
    assert [(a[1], a[2]) for a in first] == [(1, 500), (2, 503), (3, 200)] and len({a[0] for a in first}) == 1
    assert first[0][3] == "HTTP 500 Internal Server Error"


def test_a_receiver_down_for_a_pass_gets_every_event_at_the_next_pass(db):
    with receiver(b"k", script=[500] * QUICK_TRIES) as crm:
        settings = load_settings(db=db, webhook_urls=crm.url, webhook_secret="k", webhook_backoff_s=0)
        first = deliver_pending(settings, sleep=no_sleep)
        # its other deliveries waited without spending tries; the next pass (the next night) sends all
        assert (first.retrying, first.deferred, first.tries, len(crm.accepted)) == (1, 2, QUICK_TRIES, 0)
        second = deliver_pending(settings, sleep=no_sleep)
    assert second.delivered == 3 and second.tries == 3 and len(crm.accepted) == 3
    assert len({e["id"] for e in crm.events()}) == 3


def test_a_receiver_that_times_out_is_tried_again(db):
    with receiver(b"k", script=["slow"], slow_s=2.0) as crm:
        settings = load_settings(db=db, webhook_urls=crm.url, webhook_secret="k", webhook_timeout_s=0.5)
        report = deliver_pending(settings, sleep=no_sleep)
    assert report.delivered == 3 and report.tries == 4 and len(crm.accepted) == 3
    assert "timed out" in attempts(db)[0][3]


def test_refused_connections_end_failed_after_max_attempts_listed_with_the_error(db, capsys):
    dead = f"http://127.0.0.1:{free_port()}/crm/hooks/s3cret-path"
    settings = load_settings(db=db, webhook_urls=dead, webhook_secret="k", webhook_max_attempts=4,
                             webhook_backoff_s=0)
    passes = [deliver_pending(settings, sleep=no_sleep)]
    assert (passes[0].retrying, passes[0].tries, passes[0].deferred) == (1, 3, 2)
    while any(r.status == "pending" for r in delivery_log(settings)) and len(passes) < 10:
        passes.append(deliver_pending(settings, sleep=no_sleep))  # each pass: the next night
    # one delivery at a time spends its tries while the receiver is down; the others wait without spending any
    assert sum(p.tries for p in passes) == 3 * 4 and sum(p.failed for p in passes) == 3
    failed = delivery_log(settings, failed_only=True)
    assert len(failed) == 3
    assert all(r.status == "failed" and r.attempts == 4 for r in failed)
    assert all("Connection refused" in (r.last_error or "") for r in failed)
    assert main(["webhooks", "list", "--failed", "--db", str(db)]) == 0
    out = capsys.readouterr().out
    assert "failed" in out and "Connection refused" in out and "s3cret-path" not in out  # only the host is shown


def test_replay_sends_events_again_by_id_or_since_a_time(db, capsys, monkeypatch):
    with receiver(b"k") as crm:
        monkeypatch.setenv("CALLQA_WEBHOOK_URLS", crm.url)
        monkeypatch.setenv("CALLQA_WEBHOOK_SECRET", "k")
        assert main(["webhooks", "deliver", "--db", str(db)]) == 0
        assert "3 delivered" in capsys.readouterr().out
        flagged = crm.events("call.flagged")[0]["id"]
        assert main(["webhooks", "replay", flagged, "--db", str(db)]) == 0
        assert main(["webhooks", "deliver", "--db", str(db)]) == 0
        assert [e["type"] for e in crm.events()].count("call.flagged") == 2
        assert main(["webhooks", "replay", "--since", "2000-01-01", "--type", "call.escalation", "--db", str(db)]) == 0
        main(["webhooks", "deliver", "--db", str(db)])
        capsys.readouterr()
        assert main(["webhooks", "replay", "no-such-event", "--db", str(db)]) == 2
        assert "no webhook event no-such-event" in capsys.readouterr().err
    counts = {t: [e["type"] for e in crm.events()].count(t) for t in webhooks.EVENT_TYPES}
    assert counts["call.processed"] == 1 and counts["call.flagged"] == 2 and counts["call.escalation"] == 2
    assert crm.refused == []  # replays carry fresh delivery ids and timestamps: the receiver's replay guard lets
    # them through, while it refuses a captured request sent again (tests/webhooks_receiver.verify)


def test_endpoints_get_only_the_types_they_ask_for(db):
    with receiver(b"k") as everything, receiver(b"k") as escalations:
        settings = load_settings(db=db, webhook_secret="k",
                                 webhook_urls=[everything.url, f"call.escalation={escalations.url}"])
        report = deliver_pending(settings, sleep=no_sleep)
    assert report.delivered == 4
    assert len(everything.events()) == 3 and [e["type"] for e in escalations.events()] == ["call.escalation"]


def test_no_endpoint_marks_events_dispatched_and_replay_needs_one(db):
    settings = load_settings(db=db)
    assert deliver_pending(settings).queued == 0
    with connect(db, read_only=True) as con:
        assert con.execute("SELECT count(*) FROM webhook_events WHERE dispatched_at IS NULL").fetchone()[0] == 0
    with pytest.raises(ValueError, match="no webhook endpoints"):
        replay(settings, since=None, event_ids=["x"])
    with pytest.raises(ValueError, match="webhook_urls"):
        load_settings(db=db, webhook_urls="ftp://crm/hook")
    with pytest.raises(ValueError, match="unknown event type"):
        load_settings(db=db, webhook_urls="call.finished=https://crm/hook")


def test_erasing_a_customer_removes_their_events_and_log_and_stops_pending_deliveries(tmp_path):
    db = tmp_path / "qa.duckdb"
    source, result = angry_call("e01")
    source = replace(source, customer_hash=customer_hash("89161234567", load_key(db.parent)))
    with connect(db) as con:
        save_analysis(con, source, result)
    with receiver(b"k", script=[500] * QUICK_TRIES) as crm:
        settings = load_settings(db=db, webhook_urls=crm.url, webhook_secret="k", webhook_backoff_s=0)
        assert deliver_pending(settings, sleep=no_sleep).retrying == 1
        erase_customer(settings, "8 916 123 45 67", "the customer asked", "dpo")
        after = deliver_pending(settings, sleep=no_sleep)
    assert after.attempted == after.deferred == 0 and crm.accepted == []
    with connect(db, read_only=True) as con:
        left = {t: con.execute(f"SELECT count(*) FROM {t} WHERE call_id = 'e01'").fetchone()[0]
                for t in ("webhook_events", "webhook_deliveries", "webhook_attempts")}
    assert left == {"webhook_events": 0, "webhook_deliveries": 0, "webhook_attempts": 0}
