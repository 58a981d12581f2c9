"""The morning digest's content and its way out: per team, the night's critical calls and escalations not
reviewed yet, open disputes and the audit sample still to review, counted right on a known database, then
sent to a real SMTP server and a real webhook started here, in Russian, with links to the calls."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from storage.calls import add_review
from storage.db import connect
from tests.test_sample_draw import add_call
from usecases.morning_digest import send_morning_digest, team_digests
from usecases.settings import DigestSettings, InterfaceSettings, Settings, StorageSettings

AT = datetime(2026, 3, 2, 9, 0)


def dispute(con, dispute_id: str, call_id: str, criterion: str, *, resolved: bool = False) -> None:
    con.execute("INSERT INTO disputes VALUES (?, ?, ?, 'op.a', 'op.a', ?, 'I did greet the customer', 'fail')",
                [dispute_id, call_id, criterion, AT])
    if resolved:
        con.execute("INSERT INTO dispute_resolutions VALUES (?, 'upheld', 'qa.lead', ?, 'no greeting', NULL, ?)",
                    [dispute_id, AT + timedelta(hours=1), call_id])


@pytest.fixture()
def night_db(tmp_path) -> Path:
    """Team A's night: 7 critical calls (one reviewed), 2 escalations, a call disputed on two criteria, a
    resolved dispute, 3 sampled calls (one reviewed). Team B: one clean call. An older run's critical call
    (team A) is not this night's; an older sampled call of team C still waits."""
    db = tmp_path / "calls.duckdb"
    with connect(db) as con:
        for i in range(7):
            add_call(con, f"crit-{i}", team="A", at=AT + timedelta(minutes=i), flags=("critical_fail",), run_id="r2")
        add_review(con, "crit-0", "qa.lead", "reviewed", reviewer_role="reviewer")
        add_call(con, "forbidden", team="A", flags=("forbidden_phrase", "escalation"), run_id="r2")
        add_call(con, "esc", team="A", flags=("escalation",), run_id="r2")
        add_call(con, "disputed", team="A", run_id="r1", at=AT - timedelta(days=1))
        dispute(con, "d1", "disputed", "greeting")
        dispute(con, "d2", "disputed", "farewell")
        dispute(con, "d3", "crit-1", "greeting", resolved=True)
        for i in range(3):
            add_call(con, f"sampled-{i}", team="A", run_id="r2")
            con.execute("INSERT INTO audit_samples VALUES ('night-2026-03-02', ?, 'operator=op.a', ?, 'nightly',"
                        " 'callqa', ?, ?)", [f"sampled-{i}", AT, AT, AT + timedelta(days=1)])
        add_review(con, "sampled-0", "qa.lead", "reviewed", reviewer_role="reviewer")
        add_call(con, "clean", team="B", run_id="r2")
        add_call(con, "old-crit", team="A", flags=("critical_fail",), run_id="r1", at=AT - timedelta(days=1))
        add_call(con, "old-sampled", team="C", run_id="r1", at=AT - timedelta(days=1))
        con.execute("INSERT INTO audit_samples VALUES ('night-2026-03-01', 'old-sampled', 'operator=op.a', ?,"
                    " 'nightly', 'callqa', ?, ?)", [AT, AT - timedelta(days=1), AT])
    return db


def settings_for(db: Path, **digest) -> Settings:
    return replace(Settings(), storage=replace(StorageSettings(), db=str(db)),
                   interface=InterfaceSettings(language="ru"), digest=replace(DigestSettings(), **digest))


def counts(digest) -> dict[str, int]:
    return {s.kind: s.count for s in digest.sections}


def test_each_team_gets_what_waits_for_it(night_db):
    digests = {d.team: d for d in team_digests(settings_for(night_db), "r2")}
    assert set(digests) == {"A", "B", "C"}  # the night's teams, and C whose sampled call still waits
    # 6 unreviewed critical calls + the forbidden phrase; the older run's critical call is not this night's
    assert counts(digests["A"]) == {"critical": 7, "escalations": 2, "disputes": 2, "sample": 2}
    assert counts(digests["B"]) == {"critical": 0, "escalations": 0, "disputes": 0, "sample": 0}
    assert counts(digests["C"]) == {"critical": 0, "escalations": 0, "disputes": 0, "sample": 1}
    a = {s.kind: s for s in digests["A"].sections}
    assert len(a["critical"].calls) == 5  # the first five named, newest first; the count says 7
    assert [c.call_id for c in a["critical"].calls] == ["crit-6", "crit-5", "crit-4", "crit-3", "crit-2"]
    assert [c.call_id for c in a["disputes"].calls] == ["disputed"]  # two disputes, one call named once
    assert {c.call_id for c in a["sample"].calls} == {"sampled-1", "sampled-2"}
    assert digests["A"].since == AT and digests["A"].until == AT + timedelta(minutes=6)


def test_the_digest_reaches_the_teams_by_mail_and_webhook_in_russian(night_db, smtp, hook):
    inbox, port = smtp
    url, posted = hook
    settings = settings_for(night_db, webhook=url, smtp_host="127.0.0.1", smtp_port=port,
                            to=("A=lead.a@bank.ru", "*=qa.head@bank.ru"), app_url="https://qa.bank.ru")
    results = send_morning_digest(settings, "r2")
    assert results and all(r.ok for r in results), results
    assert sorted(p["json"]["team"] for p in posted) == ["A", "B", "C"]
    assert len(inbox.mail) == 3  # A's to its lead and the head; B's and C's to the head only
    (sender, to, mail), = [m for m in inbox.mail if "lead.a@bank.ru" in m[1]]
    assert sorted(to) == ["lead.a@bank.ru", "qa.head@bank.ru"] and sender == "callqa@localhost"
    assert mail["Subject"].startswith("Утренняя сводка QA · A · ")
    body = mail.get_body(("plain",)).get_content()
    assert "Критичные звонки: 7 звонков" in body and "Споры, ждущие решения: 2 спора" in body
    assert "Аудиторская выборка на проверку: 2 звонка" in body
    assert "https://qa.bank.ru/call?call_id=crit-6" in body and "disputed.wav" in body
    assert "I did greet" not in body  # names and counts, never what was said or written


def test_nothing_configured_sends_nothing(night_db):
    assert send_morning_digest(settings_for(night_db), "r2") == []
    assert send_morning_digest(settings_for(night_db, webhook="off", smtp_host="127.0.0.1"), "r2") == []
