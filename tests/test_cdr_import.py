"""Call detail records in: Asterisk's Master.csv as cdr_csv writes it, a generic CSV with a mapping (``;``,
Russian headers), bad lines reported and skipped, re-imports that never duplicate, records matched to recordings
by the PBX's id, the group a record counts in and where it came from, and ``callqa import-cdr``."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import pytest

from callqa.cli import main
from pipeline.intake.cdr import CdrFileError, CdrMapping, agent_of_channel, read_cdr_file, read_cdr_text
from storage.calls import SourceFile, save_problem
from storage.cdr import cdr_values, import_cdr
from storage.db import connect

# Lines as cdr_csv's build_csv_record writes them (asterisk/asterisk cdr/cdr_csv.c): every value quoted (a quote
# doubled) except the numbers and an empty time; uniqueid and userfield with loguniqueid/loguserfield, then
# peeraccount, linkedid and sequence with newcdrcolumns.
ANSWERED_21 = ('"","79161234567","600","from-queue","""Ivan Petrov"" <79161234567>","PJSIP/trunk-00000001",'
               '"PJSIP/1001-0000002a","Queue","support,t,,,300","2026-11-02 09:00:00","2026-11-02 09:00:12",'
               '"2026-11-02 09:04:12",252,240,"ANSWERED","DOCUMENTATION","1762074000.1","","","1762074000.1",3')
ABANDONED_21 = ('"","79161234568","600","from-queue","","PJSIP/trunk-00000002","","Queue","support,t,,,300",'
                '"2026-11-02 09:01:00",,"2026-11-02 09:01:40",40,0,"NO ANSWER","DOCUMENTATION","1762074060.2","",'
                '"","1762074060.2",4')
ANSWERED_18 = ('"sales","79161234569","700","from-queue","","SIP/trunk-00000003","SIP/2002-0000000b","Queue",'
               '"sales|t","2026-11-02 10:00:00","2026-11-02 10:00:31","2026-11-02 10:02:31",151,120,"ANSWERED",'
               '"BILLING","1762077600.3","vip"')
BUSY_16 = ('"","79161234570","800","internal","","SIP/3003-0000000c","SIP/4004-0000000d","Dial","SIP/4004,30",'
           '"2026-11-02 11:00:00",,"2026-11-02 11:00:05",5,0,"BUSY","DOCUMENTATION"')

MAPPING = """
[columns]
call_id = "ID звонка"
queue = "Очередь"
entered = "Вход в очередь"
answered = "Ответ"
ended = "Завершение"
agent = "Оператор"
disposition = "Статус"
vendor = "Подрядчик"

[times]
format = "%d.%m.%Y %H:%M:%S"

[dispositions]
"Принят" = "answered"
"Потерян" = "abandoned"
"""
CSV = """ID звонка;Очередь;Вход в очередь;Ответ;Завершение;Оператор;Статус;Подрядчик
crm-1;Поддержка;02.11.2026 09:00:00;02.11.2026 09:00:15;02.11.2026 09:05:15;op.ivanova;Принят;ContactPro
crm-2;Поддержка;02.11.2026 09:02:00;;02.11.2026 09:03:10;;Потерян;CallNorth
"""


def test_asterisk_master_csv_lines_as_cdr_csv_writes_them():
    parsed = read_cdr_text("\n".join([ANSWERED_21, ABANDONED_21, ANSWERED_18, BUSY_16]) + "\n")
    assert not parsed.errors and parsed.lines == 4
    answered, abandoned, sales, busy = parsed.records
    assert (answered.call_ref, answered.linked_ref, answered.queue, answered.agent, answered.outcome) == (
        "1762074000.1", "1762074000.1", "support", "1001", "answered")
    assert answered.entered_at == datetime(2026, 11, 2, 9, 0) and answered.wait_s == 12 and answered.talk_s == 240
    assert answered.key == "1762074000.1#3"  # uniqueid with newcdrcolumns' sequence
    assert (abandoned.outcome, abandoned.answered_at, abandoned.wait_s, abandoned.agent) == (
        "abandoned", None, 40, None)
    # 18 values: uniqueid and userfield, no linkedid; an old "queue|options" argument; no sequence: the start time keys
    assert (sales.queue, sales.agent, sales.linked_ref, sales.key) == ("sales", "2002", None,
                                                                       "1762077600.3@2026-11-02T10:00:00")
    # 16 values: no uniqueid at all; the queue falls back to dst; busy is a failed call
    assert (busy.call_ref, busy.queue, busy.outcome) == (None, "800", "failed") and busy.key.startswith("h:")
    assert read_cdr_text(ANSWERED_21 + "\n").records[0].key == answered.key  # the same line, the same key


@pytest.mark.parametrize("channel,agent", [("PJSIP/1001-0000002a", "1001"), ("SIP/agent-7-00000101", "agent-7"),
                                           ("Local/1001@agents-00000001;1", "1001"), ("Agent/7", "7"), ("", None)])
def test_the_agent_is_the_peer_of_the_destination_channel(channel, agent):
    assert agent_of_channel(channel) == agent


def test_generic_csv_with_semicolons_and_a_mapping():
    parsed = read_cdr_text(CSV, "csv", CdrMapping.from_toml(MAPPING))
    assert not parsed.errors
    first, second = parsed.records
    assert (first.key, first.queue, first.agent, first.vendor, first.outcome, first.wait_s, first.talk_s) == (
        "crm-1", "Поддержка", "op.ivanova", "ContactPro", "answered", 15, 300)
    assert (second.outcome, second.answered_at, second.vendor, second.wait_s) == ("abandoned", None, "CallNorth", 70)


def test_a_mapping_without_the_required_columns_or_naming_absent_ones_is_refused():
    with pytest.raises(CdrFileError, match="must name entered"):
        CdrMapping.from_toml('[columns]\nqueue = "Q"\nended = "E"\n')
    with pytest.raises(CdrFileError, match="unknown fields"):
        CdrMapping.from_toml('[columns]\nqueue = "Q"\nentered = "S"\nended = "E"\nwrap = "W"\n')
    with pytest.raises(CdrFileError, match="no column for entered"):
        read_cdr_text("queue;start;ended\nq;2026-11-02 09:00:00;2026-11-02 09:01:00\n", "csv")


def test_bad_lines_are_reported_with_their_number_and_the_good_ones_kept():
    lines = [
        ANSWERED_21,
        '"","1","600"',  # 3 values
        ANSWERED_21.replace('"2026-11-02 09:00:12"', '"2026-13-02 09:00:12"'),  # month 13
        ANSWERED_21.replace('"2026-11-02 09:04:12"', '"2026-11-02 08:59:00"'),  # hang-up before entering
        ANSWERED_21.replace('"ANSWERED"', '"TRANSFERRED"'),  # a disposition Asterisk never writes
        ABANDONED_21.replace('"NO ANSWER"', '"ANSWERED"'),  # answered without an answer time
        "",
        ABANDONED_21,
    ]
    parsed = read_cdr_text("\n".join(lines) + "\n")
    assert sorted(r.line for r in parsed.records) == [1, 8]
    problems = {p.line: p.message for p in parsed.errors}
    assert set(problems) == {2, 3, 4, 5, 6}, problems
    assert "3 values" in problems[2] and "does not read" in problems[3] and "before entering" in problems[4]
    assert "unknown disposition" in problems[5] and "no answer time" in problems[6]
    assert parsed.lines == 7  # the blank line is no data


def _call(con, call_id: str, external_id: str | None, operator: str | None, vendor: str | None,
          started_at: datetime) -> None:
    """A recording as the loader stores one (failed here: only its metadata matters to matching)."""
    save_problem(con, SourceFile(f"/inbox/{call_id}.wav", call_id * 4, call_id, 1000, operator_id=operator,
                                 team="support", queue="support", started_at=started_at, vendor=vendor,
                                 external_id=external_id), "failed", "test")


def test_reimporting_the_same_or_an_overlapping_file_never_duplicates(tmp_path):
    db = tmp_path / "q.duckdb"
    first = read_cdr_text("\n".join([ANSWERED_21, ABANDONED_21]) + "\n")
    overlapping = read_cdr_text("\n".join([ABANDONED_21, ANSWERED_18, BUSY_16]) + "\n")
    with connect(db) as con:
        a = import_cdr(con, first, "Master.csv")
        again = import_cdr(con, first, "Master.csv")
        b = import_cdr(con, overlapping, "Master-2.csv")
        b_again = import_cdr(con, overlapping, "Master-2.csv")
        total, keys = con.execute("SELECT count(*), count(DISTINCT record_key) FROM cdr_records").fetchone()
    assert (a.added, a.updated, again.added, again.updated) == (2, 0, 0, 2)
    assert (b.added, b.updated, b_again.added, b_again.updated) == (2, 1, 0, 3)
    assert total == keys == 4


def test_records_match_recordings_by_uniqueid_or_linkedid_and_say_where_their_group_came_from(tmp_path):
    db = tmp_path / "q.duckdb"
    linked = ABANDONED_21.replace(',"","1762074060.2",4', ',"","1762074000.1",4')  # a leg of the first call
    with connect(db) as con:
        _call(con, "c1", "1762074000.1", "1001", "ContactPro", datetime(2026, 11, 2, 9, 0))  # MixMonitor's UNIQUEID
        _call(con, "c2", None, "2002", "CallNorth", datetime(2026, 11, 1, 12, 0))  # agent 2002's earlier call
        _call(con, "c3", None, "2002", None, datetime(2026, 11, 3, 12, 0))  # ...and a later, in-house one
        result = import_cdr(con, read_cdr_text("\n".join([ANSWERED_21, linked, ANSWERED_18, BUSY_16]) + "\n"), "M.csv")
        by_vendor = cdr_values(con, "vendor")
        mapped = import_cdr(con, read_cdr_text(CSV, "csv", CdrMapping.from_toml(MAPPING)), "crm.csv")
        with_file = cdr_values(con, "vendor", datetime(2026, 11, 2, 9, 0), datetime(2026, 11, 2, 9, 5))
    assert (result.read, result.stored, result.matched, mapped.matched) == (4, 4, 2, 0)
    groups = [v.group for v in by_vendor.values]  # in the order of entering the queue
    # the answered call and its linked leg: the recording's vendor; 2002 at 10:00 on 2 Nov: their latest call
    # before (CallNorth on 1 Nov), not the later in-house one; the busy call's agent 4004 has no call: not known
    assert groups == ["ContactPro", "ContactPro", "CallNorth", "(not known)"]
    assert by_vendor.attribution == {"file": 0, "recording": 2, "agent": 1, "unknown": 1} and by_vendor.matched == 2
    # the CRM's own vendor column wins over everything else
    assert sorted(v.group for v in with_file.values) == ["CallNorth", "ContactPro", "ContactPro", "ContactPro"]
    assert with_file.attribution["file"] == 2


def test_cli_import_cdr_prints_read_skipped_matched(tmp_path, capsys):
    db = tmp_path / "q.duckdb"
    with connect(db) as con:
        _call(con, "c1", "1762074000.1", "1001", "ContactPro", datetime(2026, 11, 2, 9, 0))
    master = tmp_path / "Master.csv"
    master.write_text("\n".join([ANSWERED_21, '"","1","600"', ABANDONED_21]) + "\n", encoding="utf-8")
    assert main(["import-cdr", str(master), "--db", str(db)]) == 0
    out = capsys.readouterr()
    assert ("Master.csv: read 3 records, skipped 1, stored 2 (2 new, 0 already there), matched 1 to recordings"
            in out.out)
    assert "line 2: 3 values" in out.err
    assert main(["import-cdr", str(master), "--db", str(db), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert (report["added"], report["updated"], report["skipped"][0]["line"]) == (0, 2, 2)

    export = tmp_path / "crm.csv"
    export.write_bytes(CSV.encode("cp1251"))  # as Russian Excel saves it
    mapping = tmp_path / "crm.toml"
    mapping.write_text(MAPPING, encoding="utf-8")
    assert main(["import-cdr", str(export), "--format", "csv", "--mapping", str(mapping), "--db", str(db)]) == 0
    assert "read 2 records, skipped 0, stored 2" in capsys.readouterr().out
    assert main(["cdr-kpis", "--by", "queue", "--db", str(db), "--json"]) == 0
    kpis = json.loads(capsys.readouterr().out)
    assert {g["group"]: g["records"] for g in kpis["groups"]} == {"support": 2, "Поддержка": 2}

    bad_mapping = tmp_path / "bad.toml"
    bad_mapping.write_text("[columns]\nqueue = 1\n", encoding="utf-8")
    assert main(["import-cdr", str(export), "--format", "csv", "--mapping", str(bad_mapping), "--db", str(db)]) == 2
    assert main(["import-cdr", str(tmp_path / "absent.csv"), "--db", str(db)]) == 2
    with connect(db, read_only=True) as con:
        assert con.execute("SELECT count(*) FROM cdr_records").fetchone()[0] == 4  # nothing lost, nothing doubled


def test_read_cdr_file_reads_windows_1251(tmp_path):
    path = Path(tmp_path / "x.csv")
    path.write_bytes(CSV.encode("cp1251"))
    assert read_cdr_file(path, "csv", CdrMapping.from_toml(MAPPING)).records[0].queue == "Поддержка"
