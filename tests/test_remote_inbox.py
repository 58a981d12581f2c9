"""An inbox behind an fsspec URL goes through the same code as a local folder: discovery,
the settle check, hashing, metadata sidecars and manifests, analysis of a local copy, quarantine."""

from __future__ import annotations

import pytest
from upath import UPath

from pipeline.intake.inbox import discover, identify, settled
from storage.db import connect

pytestmark = pytest.mark.slow


@pytest.fixture
def memory_inbox(samples_dir):
    root = UPath("memory://callqa-test-inbox")
    if root.exists():
        root.fs.rm(root.path, recursive=True)
    (root / "2026-11-20").mkdir(parents=True, exist_ok=True)
    (root / "2026-11-20" / "call-0001.flac").write_bytes((samples_dir / "ru_stereo_good.flac").read_bytes())
    (root / "2026-11-20" / "manifest.csv").write_text(
        "file,operator_id,team,queue,direction,started_at,customer_number\n"
        "call-0001.flac,op.remote,support-remote,billing,inbound,2026-11-20T10:00:00,+7 900 123-45-67\n")
    (root / "2026-11-20" / "broken.wav").write_bytes(b"this is a text file named .wav\n")
    (root / ".staging").mkdir(exist_ok=True)
    (root / ".staging" / "half.flac").write_bytes(b"partial")
    yield root
    root.fs.rm(root.path, recursive=True)


def test_discovery_settle_and_identity_work_on_a_url(memory_inbox, samples_dir):
    found = discover(str(memory_inbox), [".flac", ".wav"])
    assert [p.name for p in found] == ["broken.wav", "call-0001.flac"]  # hidden folders skipped
    assert all(str(p).startswith("memory://") for p in found)
    assert settled(found, 0.05) == (found, [])
    call_id, sha, size = identify(found[1])
    local = identify(samples_dir / "ru_stereo_good.flac")
    assert (call_id, sha, size) == local, "a call's identity is its bytes, wherever they lie"


def test_nightly_over_a_url_inbox_stores_calls_with_their_metadata_and_quarantines_bad_ones(
        memory_inbox, prefect_harness, settings, tmp_path, monkeypatch):
    from flows.nightly import nightly

    monkeypatch.setenv("CALLQA_MODELS_DIR", str(settings.asr.models_dir))
    monkeypatch.setenv("CALLQA_SETTLE_S", "0.1")
    monkeypatch.setenv("CALLQA_CALL_TIMEOUT_S", "0")  # in this process: the URL must work without a copy elsewhere
    db = tmp_path / "callqa.duckdb"
    first = nightly(inbox=str(memory_inbox), db=str(db))
    assert (first.processed, first.quarantined, first.failed) == (1, 1, 0)
    with connect(db, read_only=True) as con:
        call = con.execute("SELECT source_path, operator_id, team, queue, direction, customer_hash, duration_s "
                           "FROM calls WHERE status = 'processed'").fetchone()
        segments = con.execute("SELECT count(*) FROM segments").fetchone()[0]
    assert call[0] == "memory://callqa-test-inbox/2026-11-20/call-0001.flac"
    assert call[1:5] == ("op.remote", "support-remote", "billing", "inbound")
    assert call[5] and "900" not in call[5] and call[6] > 20 and segments > 0
    assert not (memory_inbox / "2026-11-20" / "broken.wav").exists()
    moved = list((tmp_path / "quarantine").glob("*-broken.wav"))
    assert (
        len(moved) == 1 and "not a readable audio file" in moved[0].with_name(moved[0].name + ".reason.txt").read_text()
    )
    again = nightly(inbox=str(memory_inbox), db=str(db))
    assert (again.new_calls, again.processed, again.skipped) == (0, 0, 1)
