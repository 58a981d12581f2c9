"""The REST API tried the way an attacker would, over plain HTTP against a real server on 127.0.0.1: no token, a
wrong one, an expired one, a revoked one, a missing scope, another operator's call, a path out of the allowed
folders, an oversized upload, too many requests; and what it leaves behind: exactly one file per content,
the customer's number only hashed, an audit row per request without the query string."""

from __future__ import annotations

import hashlib
import io
import json
import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import httpx
import numpy as np
import pytest
import soundfile as sf

from pipeline.intake.identity import call_id_from_sha256
from storage.db import connect
from storage.operations import latest_schema_version
from tests.api_served import served, wait_for
from usecases import api_tokens
from usecases.settings import load_settings
from usecases.shared_database import connection

REPO = Path(__file__).resolve().parent.parent
NUMBER = "+7 916 555-12-34"


def _wav(seconds: float = 1.0, freq: float = 440.0) -> bytes:
    t = np.arange(int(8000 * seconds)) / 8000
    out = io.BytesIO()
    sf.write(out, 0.3 * np.sin(2 * np.pi * freq * t), 8000, format="WAV")
    return out.getvalue()


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    work = tmp_path_factory.mktemp("api")
    db, inbox, elsewhere, outside = work / "callqa.duckdb", work / "inbox", work / "pbx", work / "outside"
    for folder in (inbox, elsewhere, outside):
        folder.mkdir()
    with connect(db):  # a fresh database, migrated
        pass
    settings = load_settings(db=db, inbox=inbox, api_allowed_roots=str(elsewhere), api_max_upload_mb=0.1,
                             api_rate_per_minute=1000, api_audit_flush_s=0.2)
    tokens = {}
    for name, role, scopes, op in (
        ("crm", "reviewer", ["calls:submit", "calls:read", "transcripts:read"], None),
        ("reader", "reviewer", ["calls:read"], None),
        ("op-a", "operator", ["calls:read"], "op.a"),
        ("op-b", "operator", ["calls:read"], "op.b"),
    ):
        tokens[name] = api_tokens.create(str(db), name, role, scopes, op)[0]
    with served(settings) as url:
        yield {"url": url, "db": db, "inbox": inbox, "elsewhere": elsewhere, "outside": outside, "tokens": tokens,
               "settings": settings}


def _auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _api_files(inbox: Path) -> list[str]:
    folder = inbox / "api"
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def test_health_needs_no_token_and_says_the_schema_version(site):
    r = httpx.get(f"{site['url']}/v1/health")
    assert r.status_code == 200 and r.json() == {"status": "ok", "schema_version": latest_schema_version()}


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer cqa_not-a-token"},
                                     {"Authorization": "Basic YWRtaW46YWRtaW4="},
                                     {"Authorization": "Bearer cqa_" + "x" * 300}])
def test_no_token_or_a_wrong_one_gets_401(site, headers):
    r = httpx.get(f"{site['url']}/v1/calls", headers=headers)
    assert r.status_code == 401 and r.headers["www-authenticate"] == "Bearer"
    assert r.json()["error"] == "unauthorized"


def test_an_expired_token_and_a_revoked_one_are_refused(site):
    from callqa.cli import main

    short, _ = api_tokens.create(str(site["db"]), "short-lived", "reviewer", ["calls:read"], expires_days=2 / 86400)
    assert httpx.get(f"{site['url']}/v1/calls", headers=_auth(short)).status_code == 200
    time.sleep(2.1)
    assert httpx.get(f"{site['url']}/v1/calls", headers=_auth(short)).status_code == 401

    kept, _ = api_tokens.create(str(site["db"]), "to-revoke", "reviewer", ["calls:read"])
    assert httpx.get(f"{site['url']}/v1/calls", headers=_auth(kept)).status_code == 200
    assert main(["tokens", "revoke", "to-revoke", "--db", str(site["db"])]) == 0
    assert httpx.get(f"{site['url']}/v1/calls", headers=_auth(kept)).status_code == 401
    states = {t.name: api_tokens.state(t) for t in api_tokens.listed(str(site["db"]))}
    assert states["short-lived"] == "expired" and states["to-revoke"] == "revoked" and states["crm"] == "active"


def test_the_token_is_stored_only_as_its_hash(site):
    token = site["tokens"]["crm"]
    with connection(str(site["db"]), read_only=True) as con:
        stored = con.execute("SELECT * FROM api_tokens").fetchall()
    assert token not in repr(stored) and api_tokens.token_hash(token) in repr(stored)


def test_a_missing_scope_gets_403_and_a_role_cannot_hold_what_it_may_not_do(site):
    r = httpx.post(f"{site['url']}/v1/calls", headers=_auth(site["tokens"]["reader"]),
                   files={"file": ("a.wav", _wav(), "audio/wav")})
    assert r.status_code == 403 and "calls:submit" in r.json()["detail"]
    assert _api_files(site["inbox"]) == []
    r = httpx.post(f"{site['url']}/v1/calls/x/verdicts", headers=_auth(site["tokens"]["crm"]),
                   json={"criterion": "greeting", "verdict": "pass"})
    assert r.status_code == 403
    for role, scope, op in (("trainer", "reviews:write", None), ("reviewer", "erasure:write", None),
                            ("operator", "calls:submit", "op.a"), ("operator", "reports:read", "op.a")):
        with pytest.raises(ValueError, match="cannot hold"):
            api_tokens.create(str(site["db"]), f"bad-{role}-{scope.replace(':', '-')}", role, [scope], op)
    with pytest.raises(ValueError, match="operator-id"):
        api_tokens.create(str(site["db"]), "no-operator", "operator", ["calls:read"])


def test_an_upload_is_queued_once_by_content_with_the_number_only_hashed(site):
    wav = _wav(1.0, 523.0)
    meta = {"operator": "op.a", "team": "retail", "external_id": "CRM-1", "customer_number": NUMBER}
    first = httpx.post(f"{site['url']}/v1/calls", headers=_auth(site["tokens"]["crm"]),
                       files={"file": ("call.wav", wav, "audio/wav")}, data=meta)
    assert first.status_code == 202, first.text
    body = first.json()
    assert body == {"call_id": call_id_from_sha256(hashlib.sha256(wav).hexdigest()), "status": "queued",
                    "duplicate": False}
    again = httpx.post(f"{site['url']}/v1/calls", headers=_auth(site["tokens"]["crm"]),
                       files={"file": ("other-name.wav", wav, "audio/wav")}, data={"operator": "op.b"})
    assert again.status_code == 202 and again.json() == {**body, "duplicate": True}
    call_id = body["call_id"]
    assert _api_files(site["inbox"]) == [f"{call_id}.meta.json", f"{call_id}.wav"]
    assert (site["inbox"] / "api" / f"{call_id}.wav").read_bytes() == wav
    sidecar = json.loads((site["inbox"] / "api" / f"{call_id}.meta.json").read_text())
    assert sidecar["operator"] == "op.a" and sidecar["external_id"] == "CRM-1" and len(sidecar["customer_hash"]) == 32
    # The number in clear nowhere: not in the inbox, not in the database.
    digits = "9165551234"
    for path in site["inbox"].rglob("*"):
        if path.is_file():
            assert digits not in "".join(ch for ch in path.read_bytes().decode("latin-1") if ch.isdigit())
    # The nightly run reads the sidecar's hash as it would hash the number itself.
    from pipeline.intake.customer_id import customer_hash, load_key

    assert sidecar["customer_hash"] == customer_hash(NUMBER, load_key(site["db"].parent))

    # Its operator's token sees it queued; another operator's token gets the answer an unknown call gets.
    own = httpx.get(f"{site['url']}/v1/calls/{call_id}", headers=_auth(site["tokens"]["op-a"]))
    assert own.status_code == 200 and own.json()["status"] == "queued"
    other = httpx.get(f"{site['url']}/v1/calls/{call_id}", headers=_auth(site["tokens"]["op-b"]))
    unknown = httpx.get(f"{site['url']}/v1/calls/00000000000000000000", headers=_auth(site["tokens"]["op-b"]))
    assert other.status_code == unknown.status_code == 404 and other.json() == unknown.json()


def test_an_erasure_also_deletes_the_customer_s_recordings_still_queued(site):
    """Erased before the nightly run processed it: the queued recording must not bring the customer back."""
    admin, _ = api_tokens.create(str(site["db"]), "dpo", "admin", ["erasure:write", "calls:submit", "calls:read"])
    wav = _wav(0.6, 777.0)
    r = httpx.post(f"{site['url']}/v1/calls", headers=_auth(admin), files={"file": ("x.wav", wav, "audio/wav")},
                   data={"customer_number": "8 (903) 000-11-22"})
    call_id = r.json()["call_id"]
    assert f"{call_id}.wav" in _api_files(site["inbox"])
    erased = httpx.post(f"{site['url']}/v1/erasures", headers=_auth(admin),
                        json={"customer_numbers": ["+7 903 000 11 22"], "reason": "test"}, timeout=120)
    assert erased.status_code == 200 and erased.json()["queued_deleted"] == 1, erased.text
    assert not [n for n in _api_files(site["inbox"]) if n.startswith(call_id)]
    assert f"{call_id_from_sha256(hashlib.sha256(_wav(1.0, 523.0)).hexdigest())}.wav" in _api_files(site["inbox"])
    assert httpx.get(f"{site['url']}/v1/calls/{call_id}", headers=_auth(admin)).status_code == 404
    with connection(str(site["db"]), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM api_submissions WHERE call_id = ?", [call_id]).fetchone() == (0,)


def test_an_oversized_upload_is_refused_and_nothing_is_written(site):
    before = _api_files(site["inbox"])
    big = _wav(8.0)  # 128 kB over a 0.1 MB limit
    r = httpx.post(f"{site['url']}/v1/calls", headers=_auth(site["tokens"]["crm"]),
                   files={"file": ("big.wav", big, "audio/wav")})
    assert r.status_code == 413 and r.json()["error"] == "too_large"
    assert _api_files(site["inbox"]) == before


def test_not_a_recording_is_refused(site):
    before = _api_files(site["inbox"])
    r = httpx.post(f"{site['url']}/v1/calls", headers=_auth(site["tokens"]["crm"]),
                   files={"file": ("notes.txt", b"hello", "text/plain")})
    assert r.status_code == 400 and "not a recording" in r.json()["detail"]
    r = httpx.post(f"{site['url']}/v1/calls", headers={**_auth(site["tokens"]["crm"]), "Content-Type": "text/plain"},
                   content=b"raw")
    assert r.status_code == 415
    assert _api_files(site["inbox"]) == before


def test_paths_out_of_the_allowed_folders_are_refused(site):
    secret = site["outside"] / "secret.wav"
    secret.write_bytes(_wav(0.5, 300.0))
    (site["elsewhere"] / "escape.wav").symlink_to(secret)
    (site["elsewhere"] / "sub").mkdir()
    before = _api_files(site["inbox"])
    for path in (str(secret), f"{site['elsewhere']}/../outside/secret.wav", str(site["elsewhere"] / "escape.wav"),
                 "outside/secret.wav", f"{site['elsewhere']}/sub/../../outside/secret.wav", "/etc/passwd",
                 str(site["elsewhere"] / "missing.wav")):
        r = httpx.post(f"{site['url']}/v1/calls", headers=_auth(site["tokens"]["crm"]), json={"path": path})
        assert r.status_code == 400, (path, r.text)
        # The same words for a file that exists and one that does not: the disk cannot be probed.
        assert str(secret) not in r.text
    assert _api_files(site["inbox"]) == before


def test_a_path_under_an_allowed_root_is_copied_in_once(site):
    recording = site["elsewhere"] / "2026-12-07" / "call-0042.wav"
    recording.parent.mkdir()
    recording.write_bytes(_wav(0.7, 610.0))
    r = httpx.post(f"{site['url']}/v1/calls", headers=_auth(site["tokens"]["crm"]),
                   json={"path": str(recording), "operator": "op.b", "external_id": "CRM-2"})
    assert r.status_code == 202, r.text
    call_id = r.json()["call_id"]
    assert (site["inbox"] / "api" / f"{call_id}.wav").read_bytes() == recording.read_bytes()
    assert recording.exists()  # the PBX's copy is left alone
    r2 = httpx.post(f"{site['url']}/v1/calls", headers=_auth(site["tokens"]["crm"]), json={"path": str(recording)})
    assert r2.json() == {"call_id": call_id, "status": "queued", "duplicate": True}
    assert [p.name for p in (site["inbox"] / "api").iterdir()].count(f"{call_id}.wav") == 1
    assert not [p for p in (site["inbox"] / "api").iterdir() if p.name.startswith(".")]  # no temporary left


def test_too_many_requests_get_429_with_retry_after(site):
    settings = load_settings(db=site["db"], inbox=site["inbox"], api_rate_per_minute=3)
    token, _ = api_tokens.create(str(site["db"]), "busy-crm", "reviewer", ["calls:read"])
    other = site["tokens"]["reader"]
    with served(settings) as url:
        codes = [httpx.get(f"{url}/v1/calls", headers=_auth(token)).status_code for _ in range(5)]
        assert codes[:3] == [200, 200, 200] and codes[3:] == [429, 429]
        refused = httpx.get(f"{url}/v1/calls", headers=_auth(token))
        assert refused.status_code == 429 and int(refused.headers["retry-after"]) >= 1
        assert httpx.get(f"{url}/v1/calls", headers=_auth(other)).status_code == 200  # per token


def test_every_request_is_audited_without_its_query(site):
    r = httpx.get(f"{site['url']}/v1/calls", params={"cursor": "c2VjcmV0", "operator": "op.a"},
                  headers=_auth(site["tokens"]["reader"]))
    assert r.status_code in (200, 400)
    httpx.get(f"{site['url']}/v1/calls/abcdefabcdefabcdef12", headers=_auth(site["tokens"]["op-b"]))
    httpx.get(f"{site['url']}/v1/calls?token=cqa_leaked", headers={"Authorization": "Bearer cqa_wrong"})

    def rows():
        with connection(str(site["db"]), read_only=True) as con:
            found = con.execute("SELECT token_name, method, path, status, address, call_id FROM api_audit").fetchall()
        return found if any(r[5] == "abcdefabcdefabcdef12" for r in found) and any(r[3] == 401 for r in found) \
            else None

    found = wait_for(rows, timeout_s=10)
    assert found, "the audit rows were not written"
    assert ("op-b", "GET", "/v1/calls/abcdefabcdefabcdef12", 404, "127.0.0.1", "abcdefabcdefabcdef12") in found
    assert (None, "GET", "/v1/calls", 401, "127.0.0.1", None) in found
    assert not any("secret" in r[2] or "c2VjcmV0" in r[2] or "cqa_" in r[2] or "?" in r[2] for r in found)
    submitted = [r for r in found if r[1] == "POST" and r[3] == 202]
    assert submitted and all(r[0] in ("crm", "dpo") and r[5] for r in submitted)  # a submission's call id too


def test_the_audit_waits_in_the_journal_while_another_process_writes(site, tmp_path):
    """The nightly flow holds the file: the batch is journalled (never lost), and the next writer stores it."""
    from storage import pending
    from usecases.api_audit import AuditLog, new_row

    # The holder keeps the file until told to let go (a fixed sleep let a slow machine release it mid-test).
    # It takes the file when it is free: an earlier test's audit writer may be flushing at that moment
    # (a full CI run once caught it there, and the holder died before holding anything).
    holder = subprocess.Popen([sys.executable, "-c", textwrap.dedent(f"""
        import duckdb, sys, time
        for attempt in range(600):
            try:
                con = duckdb.connect({str(site['db'])!r})
                break
            except duckdb.IOException:
                time.sleep(0.1)
        else:
            sys.exit("the file stayed locked for 60 s")
        print("holding", flush=True)
        sys.stdin.readline()
    """)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env={**os.environ, "PYTHONPATH": str(REPO)})
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "holding"
        log = AuditLog(str(site["db"]))
        log.add(new_row("journalled", "GET", "/v1/calls", 200, "10.0.0.7", None, 1.0))
        started = time.monotonic()
        assert log.flush() == 1
        assert time.monotonic() - started < 20  # it gave up on the file; the holder would have kept it for ever
        assert [r["token_name"] for r in pending.pending_rows(site["db"], "api_audit")] == ["journalled"]
    finally:
        holder.communicate("release\n", timeout=30)
    with connect(site["db"]):  # the next writer applies the journal
        pass
    with connection(str(site["db"]), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM api_audit WHERE token_name = 'journalled'").fetchone() == (1,)


def test_no_page_of_the_api_loads_anything_from_another_host(site):
    for path in ("/docs", "/redoc", "/v1/docs", "/v1/redoc"):
        assert httpx.get(f"{site['url']}{path}").status_code == 404


def test_the_served_schema_is_the_one_checked_in(site):
    served_schema = httpx.get(f"{site['url']}/v1/openapi.json").json()
    checked_in = json.loads((REPO / "api" / "openapi.json").read_text(encoding="utf-8"))
    assert served_schema == checked_in, (
        "api/openapi.json differs from the API's schema: run `callqa api --write-openapi` and commit it")
    assert set(served_schema["paths"]) >= {"/v1/calls", "/v1/calls/{call_id}", "/v1/calls/{call_id}/transcript",
                                           "/v1/calls/{call_id}/recording", "/v1/calls/{call_id}/verdicts",
                                           "/v1/csat", "/v1/erasures", "/v1/health", "/v1/operators",
                                           "/v1/coaching-topics", "/v1/runs"}
