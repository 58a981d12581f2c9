"""The operations endpoints on the real server: ``/metrics`` for Prometheus and ``/v1/health/checks``, both for
a token with ``metrics:read`` only; what they say matches the database they read."""

from __future__ import annotations

import io

import httpx
import numpy as np
import pytest
import soundfile as sf
from prometheus_client.parser import text_string_to_metric_families

from storage.db import connect
from tests.api_served import served
from usecases import api_tokens
from usecases.settings import load_settings


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    work = tmp_path_factory.mktemp("api_ops")
    db, inbox = work / "callqa.duckdb", work / "inbox"
    inbox.mkdir()
    with connect(db):
        pass
    settings = load_settings(db=db, inbox=inbox, api_audit_flush_s=0.2)
    tokens = {name: api_tokens.create(str(db), name, "reviewer", scopes)[0]
              for name, scopes in (("prometheus", ["metrics:read"]),
                                   ("crm", ["calls:read", "reports:read", "calls:submit"]))}
    with served(settings) as url:
        yield url, db, tokens


def _get(url: str, token: str | None = None) -> httpx.Response:
    return httpx.get(url, headers={"Authorization": f"Bearer {token}"} if token else {})


def test_metrics_need_a_token_with_metrics_read(site):
    url, _db, tokens = site
    assert _get(f"{url}/metrics").status_code == 401
    assert _get(f"{url}/metrics", tokens["crm"]).status_code == 403, "calls:read and reports:read are not enough"
    assert _get(f"{url}/v1/health/checks", tokens["crm"]).status_code == 403
    with pytest.raises(ValueError, match="metrics:read"):
        api_tokens.create(str(site[1]), "op-metrics", "operator", ["metrics:read"], "op.a")


def test_metrics_are_prometheus_text_matching_the_database(site):
    url, db, tokens = site
    with connect(db) as con:  # a failed night, as the flow records one
        con.execute("INSERT INTO runs (run_id, flow, started_at, status) VALUES ('r1', 'nightly', now(), 'failed')")
    r = _get(f"{url}/metrics", tokens["prometheus"])
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/plain")
    samples = {(s.name, tuple(sorted(s.labels.items()))): s.value
               for family in text_string_to_metric_families(r.text) for s in family.samples}
    assert samples[("callqa_up", ())] == 1
    failed = [v for (name, labels), v in samples.items()
              if name == "callqa_runs_total" and ("status", "failed") in labels]
    assert failed == [1], "the failed run is counted"
    assert samples[("callqa_queue_recordings", (("kind", "submitted"),))] == 0


def test_a_submitted_recording_waits_in_the_queue_depth(site):
    url, _db, tokens = site
    wav = io.BytesIO()
    sf.write(wav, 0.2 * np.sin(np.arange(8000) / 8000 * 2 * np.pi * 300), 8000, format="WAV")
    sent = httpx.post(f"{url}/v1/calls", headers={"Authorization": f"Bearer {tokens['crm']}"},
                      files={"file": ("call.wav", wav.getvalue(), "audio/wav")})
    assert sent.status_code in (200, 201, 202), sent.text
    text = _get(f"{url}/metrics", tokens["prometheus"]).text
    waiting = [s.value for family in text_string_to_metric_families(text) for s in family.samples
               if s.name == "callqa_queue_recordings" and s.labels == {"kind": "submitted"}]
    assert waiting == [1]


def test_health_checks_say_what_fails_and_answer_503(site):
    url, _db, tokens = site
    r = _get(f"{url}/v1/health/checks", tokens["prometheus"])
    body = r.json()
    assert r.status_code == 503 and body["ok"] is False
    assert body["checks"]["database"]["ok"] is True
    assert body["checks"]["last_run"] == {"ok": False, "detail": "no completed run yet"}
    assert _get(f"{url}/v1/health").status_code == 200, "the token-free probe says only that the API can read"
