"""The analysis stage after transcription: redaction before judging, metrics, sentiment and flags together."""

from __future__ import annotations

import json
from datetime import timedelta

from callqa.cli import main
from pipeline.analyze import build_judge
from pipeline.judging.assess import assess_transcript
from pipeline.judging.scorecard import load_scorecard
from storage.db import connect
from tests.test_rescore_and_coaching import WHEN, db  # noqa: F401  (the fixture)
from tests.test_scoring import seg, transcript


def test_personal_data_is_masked_before_anything_is_judged_or_stored():
    t = transcript(
        "ru",
        seg("operator", 0.0, "Здравствуйте, компания Связьтелеком, меня зовут Анна. Назовите номер телефона."),
        seg("customer", 6.0, "Восемь девятьсот шестнадцать сто двадцать три сорок пять шестьдесят семь."),
        seg("operator", 12.0, "Спасибо. Я оформил заявку, мастер приедет завтра. Всего доброго!"),
    )
    a = assess_transcript(t, 20.0, build_judge(load_scorecard("inbound_support")))
    # The operator's own name is masked too; her introduction still counts ("меня зовут [NAME]").
    assert [p.kind for p in a.pii] == ["name", "phone"] and a.pii[1].start >= 6.0
    assert "Анна" not in a.transcript.segments[0].text
    customer = a.transcript.segments[1]
    assert customer.text.startswith("[PHONE]") and "девятьсот" not in customer.text
    assert all("девятьсот" not in w.text for w in customer.words)
    results = {c.id: c.result for c in a.criteria}
    assert results["identification"] == "pass" and results["introduction"] == "pass"


def test_an_angry_escalating_customer_and_dead_air_raise_their_flags():
    t = transcript(
        "en",
        seg("operator", 0.0, "Hello, this is Anna at City Fiber. How can I help?"),
        seg("customer", 4.0, "My internet has been down for a week, this is ridiculous."),
        seg("operator", 9.0, "Let me see."),
        seg("customer", 30.0, "Hello? Are you there? This is terrible service."),
        seg("customer", 35.0, "I want to speak to your manager, I am furious and disgusted."),
    )
    a = assess_transcript(t, 40.0, build_judge(load_scorecard("inbound_support")))
    assert {"escalation", "negative_customer_end", "long_silence"} <= set(a.score.flags)
    assert a.sentiment.customer_end < -0.15
    assert a.metrics.long_silences and a.metrics.long_silences[0][0] < 30.0
    assert [d.category for d in a.detections] == ["manager"]


def test_cli_rescore_and_coaching(db, capsys):  # noqa: F811  (db: the fixture imported above)
    assert main(["rescore", "--scorecard", "inbound_support@1", "--db", str(db), "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["calls"] == 10 and summary["scorecard"] == "inbound_support@1"
    assert main(["rescore", "--scorecard", "inbound_support@7", "--db", str(db)]) == 2
    assert "not found" in capsys.readouterr().err
    since, until = (WHEN - timedelta(days=1)).date().isoformat(), (WHEN + timedelta(days=1)).date().isoformat()
    assert main(["coaching", "--db", str(db), "--since", since, "--until", until, "--json"]) == 0
    topics = json.loads(capsys.readouterr().out)
    # current verdicts are v1's now: v1 has no resolution, and ivanov still never says goodbye
    assert topics[0]["operator"] == "ivanov" and topics[0]["criterion"] == "farewell"
    with connect(db, read_only=True) as con:
        assert con.execute("SELECT count(DISTINCT scorecard_version) FROM scores").fetchone()[0] == 2
