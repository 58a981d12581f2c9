"""An integrator's afternoon against a real server: submit two recordings (an upload and a path), poll them while
queued, let the nightly run process them by its own path (a separate process, as in production), then read
results, transcripts and recordings with tokens of different roles, page through the calls, write a verdict
and a survey score, and erase a customer. The dictated call (tests/fixtures/pii_dictation_ru.flac) carries a
phone, card halves, a code, an e-mail and a name."""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import httpx
import numpy as np
import pytest

from storage.db import connect
from tests.api_served import served
from usecases import api_tokens
from usecases.settings import load_settings
from usecases.shared_database import connection

REPO = Path(__file__).resolve().parent.parent
DICTATION = REPO / "tests" / "fixtures" / "pii_dictation_ru.flac"
OTHER = REPO / "samples" / "calls" / "en_mono_rude.flac"
NUMBER = "+7 (945) 192-05-48"
RUN_FLOW = textwrap.dedent("""
    import sys
    from flows.nightly import nightly
    nightly(inbox=sys.argv[1], db=sys.argv[2], batch_size=2)
""")
TOKENS = {
    "crm": ("reviewer", None, ["calls:submit", "calls:read", "transcripts:read", "recordings:read", "reviews:write",
                               "csat:write"]),
    "dpo": ("admin", None, ["calls:read", "transcripts:read", "recordings:read", "erasure:write", "reports:read"]),
    "coach": ("trainer", None, ["calls:read", "reports:read"]),
    "op-dict": ("operator", "op.dict", ["calls:read", "transcripts:read", "recordings:read"]),
    "op-carter": ("operator", "op.carter", ["calls:read", "transcripts:read", "recordings:read"]),
}


def _auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture(scope="module")
def api(tmp_path_factory, models_dir):
    work = tmp_path_factory.mktemp("api-flow")
    db, inbox, pbx = work / "callqa.duckdb", work / "inbox", work / "pbx"
    inbox.mkdir()
    pbx.mkdir()
    shutil.copyfile(OTHER, pbx / OTHER.name)
    with connect(db):
        pass
    settings = load_settings(db=db, inbox=inbox, models_dir=models_dir, api_allowed_roots=str(pbx))
    tokens = {name: api_tokens.create(str(db), name, role, scopes, op)[0]
              for name, (role, op, scopes) in TOKENS.items()}
    with served(settings) as url:
        crm = _auth(tokens["crm"])
        with DICTATION.open("rb") as recording:
            upload = httpx.post(f"{url}/v1/calls", headers=crm, files={"file": (DICTATION.name, recording)},
                                data={"operator": "op.dict", "team": "cards", "external_id": "CRM-77",
                                      "started_at": "2026-12-01T10:00:00", "customer_number": NUMBER}, timeout=30)
        by_path = httpx.post(f"{url}/v1/calls", headers=crm, timeout=30,
                             json={"path": str(pbx / OTHER.name), "operator": "op.carter", "team": "support-en",
                                   "started_at": "2026-12-01T11:00:00", "external_id": "CRM-78"})
        assert upload.status_code == by_path.status_code == 202, (upload.text, by_path.text)
        ids = {"dictation": upload.json()["call_id"], "other": by_path.json()["call_id"]}
        queued = {name: httpx.get(f"{url}/v1/calls/{cid}", headers=crm).json() for name, cid in ids.items()}
        env = {**os.environ, "PYTHONPATH": str(REPO), "CALLQA_MODELS_DIR": str(models_dir)}
        flow = subprocess.run([sys.executable, "-c", RUN_FLOW, str(inbox), str(db)], env=env, capture_output=True,
                              text=True, timeout=900)
        assert flow.returncode == 0, flow.stderr[-3000:]
        yield {"url": url, "db": db, "inbox": inbox, "tokens": tokens, "ids": ids, "queued": queued}


def _get(api, token: str, path: str, **params) -> httpx.Response:
    return httpx.get(f"{api['url']}{path}", headers=_auth(api["tokens"][token]), params=params, timeout=60)


def test_a_submission_gets_its_id_at_once_and_is_queued_until_the_nightly_run(api):
    assert api["queued"]["dictation"] == {"call_id": api["ids"]["dictation"], "status": "queued",
                                          "submitted_at": api["queued"]["dictation"]["submitted_at"]}
    assert api["ids"]["dictation"] == hashlib.sha256(DICTATION.read_bytes()).hexdigest()[:20]
    assert api["queued"]["other"]["status"] == "queued"


def test_the_nightly_run_processed_each_submission_once_with_its_metadata(api):
    from pipeline.intake.customer_id import customer_hash, load_key

    with connection(str(api["db"]), read_only=True) as con:
        rows = con.execute("SELECT call_id, status, operator_id, external_id, customer_hash FROM calls "
                           "ORDER BY call_id").fetchall()
    key = load_key(api["db"].parent)
    assert sorted(rows) == sorted([
        (api["ids"]["dictation"], "processed", "op.dict", "CRM-77", customer_hash(NUMBER, key)),
        (api["ids"]["other"], "processed", "op.carter", "CRM-78", None)])
    again = httpx.post(f"{api['url']}/v1/calls", headers=_auth(api["tokens"]["crm"]),
                       files={"file": ("again.flac", DICTATION.read_bytes())})
    assert again.json() == {"call_id": api["ids"]["dictation"], "status": "processed", "duplicate": True}
    assert sorted(p.name for p in (api["inbox"] / "api").iterdir()) == sorted(
        [f"{api['ids']['dictation']}.flac", f"{api['ids']['dictation']}.meta.json",
         f"{api['ids']['other']}.flac", f"{api['ids']['other']}.meta.json"])


def test_results_carry_score_verdicts_with_evidence_metrics_and_insights(api):
    r = _get(api, "crm", f"/v1/calls/{api['ids']['other']}")
    assert r.status_code == 200
    body = r.json()
    assert body["status"] == "processed" and body["external_id"] == "CRM-78" and body["operator"] == "op.carter"
    assert isinstance(body["score"], float) and body["scorecard"]["name"]
    assert body["verdicts"] and {v["verdict"] for v in body["verdicts"]} <= {"pass", "fail", "unknown", "na"}
    assert any(v["evidence"] and v["evidence"]["text"] for v in body["verdicts"])
    assert body["metrics"]["handle_time_s"] > 20 and "customer_end" in body["sentiment"]
    for key in ("flags", "escalations", "reason", "outcome", "predicted_satisfaction", "csat"):
        assert key in body
    with connection(str(api["db"]), read_only=True) as con:
        stored = con.execute("SELECT s.score FROM scores s WHERE s.call_id = ?", [api["ids"]["other"]]).fetchall()
    assert body["score"] in [s[0] for s in stored]


def _digit_groups(value: str) -> list[str]:
    digits = re.sub(r"\D", "", value)
    return [digits[i : i + 4] for i in range(len(digits) - 3)]


def test_a_reviewer_token_reads_no_personal_data_and_an_admin_gets_the_recording_whole(api, tmp_path):
    from pipeline.speech.audio import decode

    call_id = api["ids"]["dictation"]
    truth = json.loads(DICTATION.with_suffix(".truth.json").read_text(encoding="utf-8"))["items"]
    reviewer = _get(api, "crm", f"/v1/calls/{call_id}/transcript")
    assert reviewer.status_code == 200 and reviewer.json()["masked"] is True
    text = " ".join(s["text"] for s in reviewer.json()["segments"])
    results = _get(api, "crm", f"/v1/calls/{call_id}").json()
    quotes = [v["evidence"]["text"] for v in results["verdicts"] if v["evidence"]]
    quotes += [e["evidence"]["text"] or "" for e in results["escalations"]]
    for item in truth:  # no four dictated digits in a row readable in any text the reviewer gets
        for group in _digit_groups(item["value"]):
            assert group not in re.sub(r"\D", "", text), item
            assert all(group not in re.sub(r"\D", "", quote) for quote in quotes), item
    assert "[PHONE]" in text
    assert _get(api, "dpo", f"/v1/calls/{call_id}/transcript").json()["masked"] is False
    assert _get(api, "coach", f"/v1/calls/{call_id}/transcript").status_code == 403  # no transcripts:read

    original = _get(api, "dpo", f"/v1/calls/{call_id}/recording")
    assert original.status_code == 200 and original.content == DICTATION.read_bytes()
    muted = _get(api, "crm", f"/v1/calls/{call_id}/recording")
    assert muted.status_code == 200 and muted.headers["content-type"] == "audio/ogg"
    assert muted.content != original.content
    (tmp_path / "muted.ogg").write_bytes(muted.content)
    heard, said = decode(tmp_path / "muted.ogg"), decode(DICTATION)
    with connection(str(api["db"]), read_only=True) as con:
        spans = con.execute("SELECT start_s, end_s FROM pii_spans WHERE call_id = ?", [call_id]).fetchall()
    assert len(spans) >= len(truth) - 1
    for start, end in spans:  # every masked moment is silence for the reviewer (inside codec margins)
        a, b = int((start + 0.1) * heard.sample_rate), int((end - 0.1) * heard.sample_rate)
        if b > a:
            assert np.abs(heard.samples[:, a:b]).max() < 0.01, (start, end)
    # ... while the same moments are speech in the original the admin got
    spoken = [np.abs(said.samples[:, int(s * said.sample_rate):int(e * said.sample_rate)]).max() for s, e in spans]
    assert max(spoken) > 0.1


def test_an_operator_token_sees_only_its_own_calls(api):
    mine, theirs = api["ids"]["dictation"], api["ids"]["other"]
    assert _get(api, "op-dict", f"/v1/calls/{mine}").status_code == 200
    assert _get(api, "op-dict", f"/v1/calls/{mine}/transcript").json()["masked"] is True
    for path in (f"/v1/calls/{theirs}", f"/v1/calls/{theirs}/transcript", f"/v1/calls/{theirs}/recording"):
        r = _get(api, "op-dict", path)
        assert r.status_code == 404 and r.json() == {"error": "not_found", "detail": "no such call"}
    listed = _get(api, "op-dict", "/v1/calls", operator="op.carter").json()["calls"]
    assert listed == []
    assert [c["call_id"] for c in _get(api, "op-dict", "/v1/calls").json()["calls"]] == [mine]
    assert _get(api, "op-dict", "/v1/operators").status_code == 403


def test_calls_page_by_an_opaque_cursor_in_a_stable_order(api):
    first = _get(api, "crm", "/v1/calls", limit=1).json()
    assert len(first["calls"]) == 1 and first["next_cursor"]
    second = _get(api, "crm", "/v1/calls", limit=1, cursor=first["next_cursor"]).json()
    assert len(second["calls"]) == 1 and second["next_cursor"] is None
    # latest first: the path submission started at 11:00, the upload at 10:00
    assert [first["calls"][0]["call_id"], second["calls"][0]["call_id"]] == [api["ids"]["other"],
                                                                         api["ids"]["dictation"]]
    assert _get(api, "crm", "/v1/calls", team="cards").json()["calls"][0]["external_id"] == "CRM-77"
    assert _get(api, "crm", "/v1/calls", since="2026-12-01T10:30:00").json()["calls"][0]["call_id"] == \
        api["ids"]["other"]
    assert _get(api, "crm", "/v1/calls", cursor="not-a-cursor").status_code == 400


def test_a_reviewer_verdict_is_stored_as_the_app_stores_it(api):
    from usecases.review import history

    call_id = api["ids"]["other"]
    criterion = _get(api, "crm", f"/v1/calls/{call_id}").json()["verdicts"][0]
    r = httpx.post(f"{api['url']}/v1/calls/{call_id}/verdicts", headers=_auth(api["tokens"]["crm"]),
                   json={"criterion": criterion["criterion"], "verdict": "na", "comment": "not applicable here"})
    assert r.status_code == 201 and r.json()["stored"] is True
    after = next(v for v in _get(api, "crm", f"/v1/calls/{call_id}").json()["verdicts"]
                 if v["criterion"] == criterion["criterion"])
    assert after["verdict"] == "na" and after["auto_result"] == criterion["auto_result"]
    assert after["review"]["reviewer"] == "api:crm"
    entry = history(str(api["db"]), call_id)[-1]
    assert (entry.reviewer, entry.reviewer_role, entry.verdict) == ("api:crm", "reviewer", "na")
    bad = httpx.post(f"{api['url']}/v1/calls/{call_id}/verdicts", headers=_auth(api["tokens"]["crm"]),
                     json={"criterion": "no-such-criterion", "verdict": "pass"})
    assert bad.status_code == 404


def test_survey_scores_and_reports(api):
    call_id = api["ids"]["other"]
    r = httpx.post(f"{api['url']}/v1/csat", headers=_auth(api["tokens"]["crm"]),
                   json={"surveys": [{"call_id": call_id, "score": 4},
                                     {"call_id": "00000000000000000000", "score": 2}]})
    assert r.status_code == 200 and r.json()["stored"] == 1 and len(r.json()["unmatched"]) == 1
    assert _get(api, "crm", f"/v1/calls/{call_id}").json()["csat"] == 4
    operators = _get(api, "coach", "/v1/operators").json()["operators"]
    assert {o["operator"]: o["calls"] for o in operators} == {"op.carter": 1, "op.dict": 1}
    runs = _get(api, "coach", "/v1/runs").json()["runs"]
    assert len(runs) == 1 and runs[0]["processed"] == 2 and "inbox" not in runs[0]
    topics = _get(api, "coach", "/v1/coaching-topics", since="2026-11-01T00:00:00")
    assert topics.status_code == 200 and isinstance(topics.json()["topics"], list)


def test_erasure_of_a_customer_number_goes_through_callqa_erase(api):
    call_id = api["ids"]["dictation"]
    refused = httpx.post(f"{api['url']}/v1/erasures", headers=_auth(api["tokens"]["crm"]),
                         json={"customer_numbers": [NUMBER]})
    assert refused.status_code == 403
    r = httpx.post(f"{api['url']}/v1/erasures", headers=_auth(api["tokens"]["dpo"]),
                   json={"customer_numbers": [NUMBER], "reason": "request 118"}, timeout=120)
    assert r.status_code == 200, r.text
    erased = r.json()["erasures"][0]
    assert erased["call_ids"] == [call_id] and erased["files_deleted"] >= 1 and r.json()["complete"]
    assert NUMBER not in r.text and "9451920548" not in r.text
    assert _get(api, "dpo", f"/v1/calls/{call_id}").json()["status"] == "purged"
    assert not (api["inbox"] / "api" / f"{call_id}.flac").exists()
    with connection(str(api["db"]), read_only=True) as con:
        audit = con.execute("SELECT kind, requested_by, detail FROM deletions WHERE kind = 'erasure'").fetchall()
    assert audit == [("erasure", "api:dpo", "request 118")]
