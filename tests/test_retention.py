"""Retention and erasure on a copy of the nightly flow's real database and recordings: rows and
files counted before and after, the audit log, the daily aggregates unchanged, tombstones that
the nightly flow neither analyses nor counts again."""

from __future__ import annotations

import json
import os
import shutil
from datetime import date, datetime, time, timedelta
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from callqa.cli import main
from pipeline.intake.customer_id import customer_hash, load_key
from storage import aggregates, pending
from storage.calls import add_review, review_row
from storage.db import connect
from storage.retention import per_call_tables
from storage.transcripts import processed_call_ids
from usecases.retention import apply_policy, erase_customer
from usecases.settings import load_settings

TODAY = date.today()  # ages below are days before it (the CLI applies the policy as of today)
EVER = (date(2000, 1, 1), date(2100, 1, 1))
# Days before TODAY of each recording's call: which terms (audio 90, transcripts 365, verdicts 730) it is past.
AGES = {
    "ru_stereo_rude.flac": 5,  # nothing
    "en_stereo_good.flac": 30,  # nothing
    "ru_stereo_good.flac": 100,  # audio
    "ru_mono_partial.flac": 400,  # audio, transcripts
    "en_mono_rude.flac": 800,  # everything: a tombstone
    "empty.flac": 5,  # quarantined: nothing
    "random.wav": 100,  # quarantined: its quarantined copy
    "notes.mp3": 800,  # quarantined: a tombstone
}


@pytest.fixture
def work(flow_db, settings, tmp_path) -> dict:
    """A private copy of the flow's database, inbox and quarantine, with calls of known ages."""
    src = flow_db["db"]
    shutil.copytree(flow_db["inbox"], tmp_path / "inbox")
    if (src.parent / "quarantine").is_dir():
        shutil.copytree(src.parent / "quarantine", tmp_path / "quarantine")
    db = tmp_path / "callqa.duckdb"
    shutil.copyfile(src, db)
    if Path(f"{src}.wal").exists():
        shutil.copyfile(f"{src}.wal", f"{db}.wal")
    old, new = os.path.realpath(flow_db["inbox"]), os.path.realpath(tmp_path / "inbox")
    with connect(db) as con:
        con.execute("UPDATE calls SET source_path = replace(source_path, ?, ?)", [old, new])
        for name, days in AGES.items():
            con.execute("UPDATE calls SET started_at = ? WHERE file_name = ?",
                        [datetime.combine(TODAY - timedelta(days=days), time(10)), name])
        assert con.execute("SELECT count(*) FROM calls WHERE file_name NOT IN (SELECT unnest(?))",
                           [list(AGES)]).fetchone()[0] == 0, "the flow stored a recording this test does not know"
    s = load_settings(db=db, inbox=tmp_path / "inbox", models_dir=settings.asr.models_dir, retention_audio_days=90,
                      retention_transcripts_days=365, retention_verdicts_days=730, retention_aggregates_days=0)
    return {"db": db, "inbox": tmp_path / "inbox", "quarantine": tmp_path / "quarantine", "settings": s,
            "ids": _ids(db)}


def _ids(db: Path) -> dict[str, str]:
    with duckdb.connect(str(db), read_only=True) as con:
        return dict(con.execute("SELECT file_name, call_id FROM calls").fetchall())


def _rows(db: Path) -> dict[str, dict[str, int]]:
    """Rows per per-call table per call, and every calls column but the retention marks."""
    with duckdb.connect(str(db), read_only=True) as con:
        # rows of no call (a run's webhook event) are not per-call rows: a rerun adds its own
        out = {t: dict(con.execute(f"SELECT call_id, count(*) FROM {t} WHERE call_id IS NOT NULL GROUP BY 1")
                       .fetchall()) for t in per_call_tables(con)}
        out["quotes"] = dict(
            con.execute("SELECT call_id, count(evidence_text) FROM criteria_results GROUP BY 1").fetchall()
        )
        out["calls"] = {r[0]: r[1:] for r in con.execute(
            "SELECT call_id, status, source_path, customer_hash, operator_id, audio_deleted_at, transcript_deleted_at,"
            " purged_at FROM calls").fetchall()}
    return out


def _files(*folders: Path) -> set[str]:
    return {os.path.realpath(p) for f in folders if f.is_dir() for p in f.rglob("*") if p.is_file()}


def _stats(db: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    with duckdb.connect(str(db), read_only=True) as con:
        return aggregates.daily_call_stats(con, *EVER), aggregates.daily_criterion_stats(con, *EVER)


def _deletions(db: Path) -> list[dict]:
    with duckdb.connect(str(db), read_only=True) as con:
        df = con.execute("SELECT * FROM deletions ORDER BY deleted_at, kind").df()
    return df.to_dict("records")


@pytest.fixture(autouse=True)
def default_terms(monkeypatch):
    """conftest keeps everything for the other tests' flows; here the documented defaults apply."""
    for kind in ("AUDIO", "TRANSCRIPTS", "VERDICTS", "AGGREGATES"):
        monkeypatch.delenv(f"CALLQA_RETENTION_{kind}_DAYS", raising=False)


def _of(rows: dict, call_id: str) -> dict[str, int]:
    return {t: per.get(call_id, 0) for t, per in rows.items() if t != "calls"}


def test_policy_terms_from_settings(monkeypatch):
    monkeypatch.setenv("CALLQA_RETENTION_AUDIO_DAYS", "30")
    monkeypatch.setenv("CALLQA_RETENTION_VERDICTS_DAYS", "forever")
    policy = load_settings().retention.policy()
    assert (policy.audio_days, policy.transcripts_days, policy.verdicts_days, policy.aggregates_days) == (30, 365, 0, 0)
    cut = policy.cutoffs(date(2027, 1, 31))
    assert cut["audio"] == datetime(2027, 1, 1) and cut["transcripts"] == datetime(2026, 1, 31)
    assert cut["verdicts"] is None and cut["aggregates"] is None
    monkeypatch.setenv("CALLQA_RETENTION_AUDIO_DAYS", "-1")
    with pytest.raises(ValueError, match="retention_audio_days"):
        load_settings()


def test_each_kind_goes_at_its_own_term_and_the_aggregates_stay(work):
    db, ids = work["db"], work["ids"]
    purged, quarantined_old = ids["en_mono_rude.flac"], ids["notes.mp3"]
    with connect(db) as con:
        # A reviewer's override on the call about to be folded: the aggregates must count it, not the automatic result.
        crit, auto = con.execute("SELECT criterion_id, result FROM criteria_results WHERE call_id = ? AND result IN"
                                 " ('pass', 'fail') ORDER BY criterion_id LIMIT 1", [purged]).fetchone()
        add_review(con, purged, "qa.lead", "override", crit, "fail" if auto == "pass" else "pass")
    rows, files = _rows(db), _files(work["inbox"], work["quarantine"])
    calls_before, criteria_before = _stats(db)
    assert calls_before["calls"].sum() == 5  # the five processed sample calls

    summary = apply_policy(work["settings"], run_id="run-1", today=TODAY)

    after, files_after = _rows(db), _files(work["inbox"], work["quarantine"])
    gone = files - files_after
    inbox = os.path.realpath(work["inbox"])
    expected_gone = {f"{inbox}/{Path(n).stem}{ext}" for n in ("ru_stereo_good.flac", "ru_mono_partial.flac",
                                                               "en_mono_rude.flac") for ext in (".flac", ".meta.json")}
    quarantine = os.path.realpath(work["quarantine"])
    expected_gone |= {
        f"{quarantine}/{ids[n]}-{n}{ext}" for n in ("random.wav", "notes.mp3") for ext in ("", ".reason.txt")
    }
    assert gone == expected_gone and files_after == files - expected_gone
    assert {os.path.realpath(f) for f in summary.result("audio").files} == expected_gone

    untouched = [ids[n] for n in ("ru_stereo_rude.flac", "en_stereo_good.flac", "empty.flac")]
    for cid in untouched:
        assert _of(after, cid) == _of(rows, cid) and after["calls"][cid] == rows["calls"][cid]
    audio_only = ids["ru_stereo_good.flac"]
    assert _of(after, audio_only) == _of(rows, audio_only) and after["calls"][audio_only][4] is not None
    no_transcript = ids["ru_mono_partial.flac"]
    assert after["segments"].get(no_transcript, 0) == 0 < rows["segments"][no_transcript]
    assert after["quotes"][no_transcript] == 0 < rows["quotes"][no_transcript]
    assert after["criteria_results"][no_transcript] == rows["criteria_results"][no_transcript]
    assert after["scores"][no_transcript] == rows["scores"][no_transcript] == 1
    for cid in (purged, quarantined_old):
        assert not any(_of(after, cid).values()), "a tombstone keeps no per-call rows"
        status, path, hashed, operator, *_ = after["calls"][cid]
        assert (status, path, hashed, operator) == ("purged", "", None, None)
    assert rows["reviews"][purged] >= 1

    # The audit log: one row per kind, naming exactly the calls and files.
    log = {d["kind"]: d for d in _deletions(db)}
    assert set(log) == {"audio", "transcripts", "verdicts"}
    assert set(log["audio"]["call_ids"]) == {audio_only, no_transcript, purged, ids["random.wav"], quarantined_old}
    assert {os.path.realpath(f) for f in log["audio"]["files"]} == expected_gone and log["audio"][
        "files_deleted"
    ] == len(expected_gone)
    assert set(log["transcripts"]["call_ids"]) == {no_transcript, purged}  # then the verdicts pass purged one
    assert (
        json.loads(log["transcripts"]["row_counts"])["segments"]
        == rows["segments"][no_transcript] + rows["segments"][purged]
    )
    assert set(log["verdicts"]["call_ids"]) == {purged, quarantined_old}
    assert json.loads(log["verdicts"]["row_counts"])["criteria_results"] == rows["criteria_results"][purged]
    assert {d["reason"] for d in log.values()} == {"retention"} and {d["run_id"] for d in log.values()} == {"run-1"}

    # The same numbers from aggregates plus live details, with the reviewer's verdict folded in.
    calls_after, criteria_after = _stats(db)
    pd.testing.assert_frame_equal(calls_before, calls_after)
    pd.testing.assert_frame_equal(criteria_before, criteria_after)
    with duckdb.connect(str(db), read_only=True) as con:
        folded = con.execute("SELECT sum(calls) FROM daily_aggregates").fetchone()[0]
        passed, failed = con.execute("SELECT passed, failed FROM daily_criterion_aggregates WHERE criterion_id = ?",
                                     [crit]).fetchone()
        rescorable = processed_call_ids(con)
    assert folded == 1 and (passed, failed) == ((0, 1) if auto == "pass" else (1, 0))
    assert no_transcript not in rescorable and purged not in rescorable and audio_only in rescorable

    # A second pass finds nothing more.
    again = apply_policy(work["settings"], run_id="run-2", today=TODAY)
    assert not any(r.anything for r in again.results) and len(_deletions(db)) == 3
    assert _rows(db) == after

    # A review the app journalled while the call was being purged reaches the tombstone when the
    # journal is applied (the next connection); the next pass deletes it.
    pending.record(db, "reviews", review_row(purged, "qa.late", "comment", comment="too late"))
    swept = apply_policy(work["settings"], run_id="run-3", today=TODAY).result("verdicts")
    assert swept.call_ids == (purged,) and swept.rows == {"reviews": 1} and _rows(db) == after


def test_dry_run_changes_nothing_and_names_what_would_go(work):
    db = work["db"]
    rows, files, stats = _rows(db), _files(work["inbox"], work["quarantine"]), _stats(db)
    dry = apply_policy(work["settings"], today=TODAY, dry_run=True)
    assert _rows(db) == rows and _files(work["inbox"], work["quarantine"]) == files and _deletions(db) == []
    pd.testing.assert_frame_equal(_stats(db)[0], stats[0])
    real = apply_policy(work["settings"], today=TODAY)
    for kind in ("audio", "transcripts", "verdicts"):
        assert dry.result(kind).call_ids == real.result(kind).call_ids and dry.result(kind).call_ids
    assert set(dry.result("audio").files) == set(real.result("audio").files)
    assert {os.path.realpath(f) for f in real.result("audio").files} == files - _files(
        work["inbox"], work["quarantine"]
    )


def test_only_known_recordings_inside_the_inbox_are_deleted(work, tmp_path):
    db, ids, inbox = work["db"], work["ids"], work["inbox"]
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    # 1. A call whose recording lies outside the inbox and quarantine folders.
    moved = outside / "ru_stereo_good.flac"
    shutil.move(inbox / "ru_stereo_good.flac", moved)
    # 2. A recording replaced by a link to a file outside (same content): the link is not followed.
    target = outside / "ru_mono_partial.flac"
    shutil.move(inbox / "ru_mono_partial.flac", target)
    (inbox / "ru_mono_partial.flac").symlink_to(target)
    # 3. A different recording now under an old call's name: not that call's audio.
    (inbox / "en_mono_rude.flac").write_bytes(b"a newer recording under the same name")
    # 4. A recording already gone (a pass that crashed after deleting it, before marking it).
    (inbox / "ru_stereo_rude.flac").unlink()
    with connect(db) as con:
        con.execute("UPDATE calls SET source_path = ? WHERE call_id = ?", [str(moved), ids["ru_stereo_good.flac"]])
        con.execute("UPDATE calls SET started_at = ? WHERE call_id = ?",
                    [datetime.combine(TODAY - timedelta(days=100), time(10)), ids["ru_stereo_rude.flac"]])
    audio = apply_policy(work["settings"], today=TODAY).result("audio")

    assert moved.is_file() and target.is_file() and (inbox / "ru_mono_partial.flac").is_symlink()
    assert (inbox / "en_mono_rude.flac").read_bytes() == b"a newer recording under the same name"
    assert (inbox / "en_mono_rude.meta.json").is_file(), "the sidecar now belongs to the newer recording"
    assert not (inbox / "ru_stereo_rude.meta.json").exists() and audio.files_missing == 1
    left = "\n".join(audio.files_left)
    assert f"{moved}: outside the inbox" in left and "ru_mono_partial.flac: a symbolic link" in left
    marks = {cid: m[4] is not None for cid, m in _rows(db)["calls"].items()}
    # Refused files are tried again next pass; a replaced or vanished recording is gone for this call.
    assert not marks[ids["ru_stereo_good.flac"]] and not marks[ids["ru_mono_partial.flac"]]
    assert marks[ids["en_mono_rude.flac"]] and marks[ids["ru_stereo_rude.flac"]]
    assert set(_deletions(db)[0]["files_left"]) == set(audio.files_left)
    assert main(["retention", "--db", str(db), "--inbox", str(inbox), "--dry-run"]) == 1  # still not deletable


NUMBER, OTHER = "+7 (916) 123-45-67", "+7 916 765 43 21"


def test_erase_removes_exactly_one_customers_calls(work, capsys):
    db, ids = work["db"], work["ids"]
    key = load_key(db.parent)
    mine = [ids["en_stereo_good.flac"], ids["ru_mono_partial.flac"], ids["random.wav"]]
    theirs = ids["ru_stereo_rude.flac"]
    with connect(db) as con:
        con.execute("UPDATE calls SET customer_hash = ? WHERE call_id IN (SELECT unnest(?))",
                    [customer_hash(NUMBER, key), mine])
        con.execute("UPDATE calls SET customer_hash = ? WHERE call_id = ?", [customer_hash(OTHER, key), theirs])
    rows, files, stats = _rows(db), _files(work["inbox"], work["quarantine"]), _stats(db)

    dry = erase_customer(work["settings"], "89161234567", dry_run=True)  # the same number, written differently
    assert set(dry.call_ids) == set(mine) and dry.deletion_id is None
    assert _rows(db) == rows and _files(work["inbox"], work["quarantine"]) == files and _deletions(db) == []

    code = main(["erase", "--customer-number", NUMBER, "--db", str(db), "--inbox", str(work["inbox"]),
                 "--reason", "request 42", "--by", "dpo.smirnova"])
    out = capsys.readouterr().out
    assert code == 0 and f"erased 3 calls of customer {customer_hash(NUMBER, key)}" in out
    assert all(f"call {cid}" in out for cid in mine)
    after, files_after = _rows(db), _files(work["inbox"], work["quarantine"])
    for cid in mine:
        assert not any(_of(after, cid).values()) and after["calls"][cid][:4] == ("purged", "", None, None)
    for cid in set(rows["calls"]) - set(mine):
        assert _of(after, cid) == _of(rows, cid) and after["calls"][cid] == rows["calls"][cid]
    inbox, quarantine = os.path.realpath(work["inbox"]), os.path.realpath(work["quarantine"])
    assert files - files_after == {
        f"{inbox}/en_stereo_good.flac", f"{inbox}/en_stereo_good.meta.json", f"{inbox}/ru_mono_partial.flac",
        f"{inbox}/ru_mono_partial.meta.json", f"{quarantine}/{ids['random.wav']}-random.wav",
        f"{quarantine}/{ids['random.wav']}-random.wav.reason.txt"}
    pd.testing.assert_frame_equal(_stats(db)[0], stats[0])
    pd.testing.assert_frame_equal(_stats(db)[1], stats[1])

    (audit,) = _deletions(db)
    assert (audit["kind"], audit["reason"], audit["detail"], audit["requested_by"]) == (
        "erasure", "erasure", "request 42", "dpo.smirnova")
    assert audit["customer_hash"] == customer_hash(NUMBER, key) and set(audit["call_ids"]) == set(mine)
    assert audit["files_deleted"] == 6 and list(audit["files"]) == []
    assert "1234567" not in json.dumps(audit, default=str), "the audit log holds the hash, never the number"

    # Asked again, or for a number never seen: nothing to erase, and the request is still on record.
    assert main(["erase", "--customer-number", NUMBER, "--db", str(db), "--inbox", str(work["inbox"])]) == 0
    assert main(["erase", "--customer-number", "+7 999 000 00 00", "--db", str(db), "--inbox", str(work["inbox"])]) == 0
    assert capsys.readouterr().out.count("no calls of this customer") == 2
    assert main(["erase", "--customer-number", "+7 999 000 00 00", "--db", str(db), "--dry-run"]) == 0
    assert [d["calls"] for d in _deletions(db)] == [3, 0, 0]
    assert _rows(db)["calls"][theirs] == rows["calls"][theirs]


def test_nightly_rerun_neither_analyses_nor_counts_a_purged_call(work, prefect_harness, monkeypatch):
    from flows.nightly import nightly
    from flows.retention import retention

    db, ids = work["db"], work["ids"]
    purged = ids["en_mono_rude.flac"]
    monkeypatch.setenv("CALLQA_RETENTION_AUDIO_DAYS", "0")  # the recording stays in the inbox
    monkeypatch.setenv("CALLQA_MODELS_DIR", str(work["settings"].asr.models_dir))
    applied = retention(db=str(db), inbox=str(work["inbox"]))  # the Prefect task the nightly flow calls
    assert applied.result("verdicts").call_ids == tuple(sorted([purged, ids["notes.mp3"]]))
    assert applied.result("audio").cutoff is None and (work["inbox"] / "en_mono_rude.flac").is_file()
    rows, stats = _rows(db), _stats(db)

    summary = nightly(inbox=str(work["inbox"]), db=str(db), batch_size=4)

    after = _rows(db)
    assert after["calls"][purged][0] == "purged" and not any(_of(after, purged).values())
    assert {t: r for t, r in after.items() if t != "calls"} == {t: r for t, r in rows.items() if t != "calls"}
    pd.testing.assert_frame_equal(_stats(db)[0], stats[0])
    assert summary.new_calls == 0, "a purged recording back in the inbox is not analysed again"
    assert summary.processed == 0 and summary.skipped == summary.discovered


def test_runs_page_shows_the_deletions_and_a_purged_call_says_so(work, monkeypatch, tmp_path):
    from streamlit import config as st_config

    from tests.test_app import CALL_PAGE, _app, _goto, _ok

    apply_policy(work["settings"], today=TODAY)
    monkeypatch.setenv("CALLQA_DB", str(work["db"]))
    monkeypatch.setenv("CALLQA_USERS", str(tmp_path / "users.toml"))  # no users: local admin on loopback
    address = st_config.get_option("server.address")
    st_config.set_option("server.address", "127.0.0.1")
    try:
        runs = _goto(_app().run(), "views/runs.py")
        call = _goto(_app().run(), CALL_PAGE, call_id=work["ids"]["en_mono_rude.flac"])
    finally:
        st_config.set_option("server.address", address)
    _ok(runs)
    log = next(d.value for d in runs.dataframe if "Kind" in d.value.columns)
    assert sorted(log["Kind"]) == ["audio", "transcripts", "verdicts"] and set(log["Why"]) == {"retention"}
    assert log.set_index("Kind").loc["audio", "Files"] == 10
    _ok(call)
    assert any("were deleted" in i.value for i in call.info) and not call.get("audio")


# -- leaving nothing behind (issue #15) ----------------------------------------------------------

CARD = "номер карты 4028 6380 0123 4567 9"
COMMENT = "КОММЕНТАРИЙ-УНИКАЛЬНЫЙ-42"
CARD_TERMS = ["4028", "6380", "0123", "4567"]  # its digit groups: index terms no other call has


def _file_bytes(db: Path) -> bytes:
    wal = Path(f"{db}.wal")
    return db.read_bytes() + (wal.read_bytes() if wal.exists() else b"")


def _plant(db: Path, call_id: str, other: str) -> None:
    """The call's customer dictates a card and a reviewer writes a distinctive comment on it; another call gets
    an ordinary comment (its row stays beside the erased one in the file); the search index is rebuilt over it."""
    from storage.search import refresh_search_index

    with connect(db) as con:
        idx = con.execute("SELECT min(idx) FROM segments WHERE call_id = ?", [call_id]).fetchone()[0]
        con.execute(
            "UPDATE segments SET text = ? WHERE call_id = ? AND idx = ?", [f"Да, {CARD}, записали?", call_id, idx]
        )
        add_review(con, call_id, "qa.anna", "comment", comment=f"{COMMENT}: клиент продиктовал карту")
        add_review(con, other, "qa.anna", "comment", comment="обычный комментарий")
        refresh_search_index(con)
        con.execute("CHECKPOINT")
    raw = _file_bytes(db)
    # What makes the checks below able to fail: before, both are there as plain UTF-8 and the index has the card.
    assert CARD.encode() in raw and COMMENT.encode() in raw
    assert _index_terms(db) == set(CARD_TERMS) and _search_calls(db, "4028") == {call_id}


def _index_terms(db: Path) -> set[str]:
    """Every term the fts index holds that is one of the card's digit groups, read from its tables directly;
    plus any term of a document whose utterance is gone (what could reconstruct an erased line)."""
    with duckdb.connect(str(db), read_only=True) as con:
        s = "fts_main_search_utterances"
        terms = {t for (t,) in con.execute(f"SELECT term FROM {s}.dict WHERE term IN (SELECT unnest(?))",
                                            [CARD_TERMS]).fetchall()}
        orphans = con.execute(
            f"SELECT count(*) FROM {s}.docs d WHERE d.name NOT IN (SELECT doc_id FROM search_utterances)").fetchone()[0]
        orphan_terms = con.execute(
            f"SELECT count(*) FROM {s}.terms t WHERE t.docid NOT IN (SELECT docid FROM {s}.docs)").fetchone()[0]
    return terms | ({"<orphans>"} if orphans or orphan_terms else set())


def _search_calls(db: Path, text: str) -> set[str]:
    from storage.search import search

    with connect(db, read_only=True) as con:
        return {h.call_id for h in search(con, text).hits}


def _assert_gone(db: Path) -> None:
    raw = _file_bytes(db)
    left = [f"{phrase!r} in the database file" for phrase in (CARD, COMMENT, "4028 6380", "КОММЕНТАРИЙ-УНИКАЛЬНЫЙ")
            if phrase.encode() in raw]
    if Path(f"{db}.wal").exists() and Path(f"{db}.wal").stat().st_size:
        left.append("a WAL with changes")
    if terms := _index_terms(db):
        left.append(f"the full-text index holds {sorted(terms)}")
    if found := _search_calls(db, "4028") | _search_calls(db, '"4567 9"'):
        left.append(f"search finds {found}")
    assert not left, left


def test_erase_leaves_no_word_in_the_index_the_file_or_the_running_app(work, monkeypatch, tmp_path):
    from tests.test_app import CALL_PAGE, _app, _goto, _ok, _text

    db, ids = work["db"], work["ids"]
    erased, kept = ids["ru_stereo_rude.flac"], ids["en_stereo_good.flac"]
    with connect(db) as con:
        con.execute(
            "UPDATE calls SET customer_hash = ? WHERE call_id = ?", [customer_hash(NUMBER, load_key(db.parent)), erased]
        )
    _plant(db, erased, kept)
    with duckdb.connect(str(db), read_only=True) as con:
        word = con.execute(
            "SELECT terms FROM search_utterances WHERE call_id = ? ORDER BY idx LIMIT 1", [kept]
        ).fetchone()[0]
    word = max(word.split(), key=len)
    assert kept in _search_calls(db, word)

    # The app (local admin on loopback) has the call open and cached: transcript, comment, audio.
    monkeypatch.setenv("CALLQA_DB", str(db))
    monkeypatch.setenv("CALLQA_USERS", str(tmp_path / "users.toml"))
    from streamlit import config as st_config

    address = st_config.get_option("server.address")
    st_config.set_option("server.address", "127.0.0.1")
    try:
        at = _goto(_app().run(), CALL_PAGE, call_id=erased)
        _ok(at)
        assert "4028 6380" in _text(at) and at.get("audio")

        code = main(["erase", "--customer-number", NUMBER, "--db", str(db), "--inbox", str(work["inbox"]),
                     "--by", "dpo"])
        assert code == 0

        at.run()  # the next rerun of the same session, well within the caches' 30 s
    finally:
        st_config.set_option("server.address", address)
    _ok(at)
    assert any("erased on request" in i.value for i in at.info), [i.value for i in at.info]
    assert not at.get("audio") and "4028" not in _text(at) and not at.dataframe
    assert not (work["inbox"] / "ru_stereo_rude.flac").exists()

    _assert_gone(db)
    with duckdb.connect(str(db), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM reviews WHERE call_id = ?", [kept]).fetchone()[0] == 1
        assert con.execute("SELECT count(*) FROM segments WHERE call_id = ?", [kept]).fetchone()[0] > 0
    assert kept in _search_calls(db, word), "the other calls are still searchable"
    # The erasure log outside the database names the calls and the hash, never the number.
    logged = (db.parent / f"{db.name}.erasures.jsonl").read_text()
    # (not "916" alone: a timestamp's microseconds or a hex id hold it by chance, as 10:53:19.791660 did)
    assert erased in logged and "1234567" not in logged and "9161234567" not in logged


def test_retention_takes_the_comments_and_the_index_with_the_transcript(work):
    db, ids = work["db"], work["ids"]
    expired, kept = ids["ru_mono_partial.flac"], ids["ru_stereo_rude.flac"]  # 400 days: past transcripts, not verdicts
    _plant(db, expired, kept)

    summary = apply_policy(work["settings"], today=TODAY)

    assert expired in summary.result("transcripts").call_ids
    _assert_gone(db)
    assert summary.result("transcripts").rows["reviews.comment"] == 1 and summary.rewrite is not None
    with duckdb.connect(str(db), read_only=True) as con:
        reviews = con.execute("SELECT call_id, comment FROM reviews WHERE action = 'comment'").fetchall()
    assert (expired, None) in reviews, "the review stays until the verdicts' term, without its words"
    assert (kept, "обычный комментарий") in reviews


def test_erase_is_applied_again_to_a_restored_backup(work, capsys):
    db, ids = work["db"], work["ids"]
    erased, kept = ids["ru_stereo_rude.flac"], ids["en_stereo_good.flac"]
    with connect(db) as con:
        con.execute(
            "UPDATE calls SET customer_hash = ? WHERE call_id = ?", [customer_hash(NUMBER, load_key(db.parent)), erased]
        )
    _plant(db, erased, kept)
    backup = db.with_name("backup.duckdb")
    shutil.copyfile(db, backup)

    assert main(["erase", "--customer-number", NUMBER, "--db", str(db), "--inbox", str(work["inbox"])]) == 0
    _assert_gone(db)
    shutil.copyfile(backup, db)  # the site restores last night's backup: the erased call is back
    assert CARD.encode() in _file_bytes(db) and _search_calls(db, "4028") == {erased}
    capsys.readouterr()

    assert main(["erase", "--reapply", "--db", str(db), "--inbox", str(work["inbox"]), "--by", "dba"]) == 0
    out = capsys.readouterr().out
    assert f"erased 1 calls of customer {customer_hash(NUMBER, load_key(db.parent))}" in out and "rewritten" in out
    _assert_gone(db)
    audit = [d for d in _deletions(db) if d["kind"] == "erasure"]
    assert [a["detail"].startswith("re-applied after a restore") for a in audit] == [True]
    assert main(["erase", "--reapply", "--db", str(db)]) == 0
    assert "all still erased" in capsys.readouterr().out


def test_a_review_journalled_during_an_erasure_never_brings_its_call_back(work):
    db, ids = work["db"], work["ids"]
    erased = ids["ru_stereo_rude.flac"]
    with connect(db) as con:
        con.execute(
            "UPDATE calls SET customer_hash = ? WHERE call_id = ?", [customer_hash(NUMBER, load_key(db.parent)), erased]
        )
    assert erase_customer(work["settings"], NUMBER).complete
    pending.record(db, "reviews", review_row(erased, "qa.late", "comment", comment=COMMENT))
    with connect(db) as con:  # the next writer applies the journal
        assert con.execute("SELECT count(*) FROM reviews WHERE call_id = ?", [erased]).fetchone()[0] == 0
    assert not pending.journal_path(db).exists()
