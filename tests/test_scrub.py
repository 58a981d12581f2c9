"""storage.scrub on real DuckDB files: the fts index pruned as a rebuild would leave it, and the file rewritten
with everything but the deleted rows' bytes (schema, constraints, indexes, the fts macros, a concurrent write)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from storage import scrub
from storage.db import connect
from storage.search import FTS_SCHEMA, load_fts, refresh_search_index, search

SECRET = "номер карты 4028 6380 0123 4567 9"
COMMENT = "КОММЕНТАРИЙ-УНИКАЛЬНЫЙ-42"


def _fill(db: Path, calls: int = 20) -> None:
    """Calls with a few utterances each (one of them dictates a card) and a reviewer's comment each, indexed."""
    with connect(db) as con:
        con.execute("INSERT INTO calls (call_id, content_sha256, source_path, file_name, status, first_seen_at)"
                    " SELECT 'c' || i, 'h' || i, '', 'a.wav', 'processed', now() FROM range(?) t(i)", [calls])
        con.execute(
            "INSERT INTO segments (call_id, idx, speaker, start_s, end_s, text)"
            " SELECT 'c' || (i % ?), i, 'customer', 0, 1,"
            " CASE WHEN i = 1 THEN 'Да, ' || ? ELSE 'Здравствуйте, слово' || (i % 7) || ' карта номер ' || (i % 13) END"
            " FROM range(?) t(i)",
            [calls, SECRET, calls * 15],
        )
        con.execute(
            "INSERT INTO reviews (review_id, call_id, action, comment, reviewer, created_at)"
            " SELECT 'r' || i, 'c' || i, 'comment', CASE WHEN i = 1 THEN ? ELSE 'обычный комментарий ' || i END,"
            " 'qa', now() FROM range(?) t(i)",
            [COMMENT, calls],
        )
        refresh_search_index(con)


def _raw(db: Path) -> bytes:
    wal = Path(f"{db}.wal")
    return db.read_bytes() + (wal.read_bytes() if wal.exists() else b"")


def _catalog(con: duckdb.DuckDBPyConnection) -> tuple:
    return (con.execute("SELECT schema_name, table_name, sql FROM duckdb_tables() ORDER BY ALL").fetchall(),
            con.execute("SELECT schema_name, index_name, sql FROM duckdb_indexes() ORDER BY ALL").fetchall(),
            con.execute("SELECT schema_name, table_name, constraint_type, constraint_text FROM duckdb_constraints()"
                        " ORDER BY ALL").fetchall(),
            con.execute("SELECT schema_name, function_name, macro_definition FROM duckdb_functions()"
                        " WHERE schema_name = ? ORDER BY ALL", [FTS_SCHEMA]).fetchall())


def test_a_pruned_index_is_the_index_a_rebuild_would_make(tmp_path):
    db = tmp_path / "x.duckdb"
    _fill(db)
    s = FTS_SCHEMA
    with connect(db) as con:
        con.execute("DELETE FROM segments WHERE call_id IN ('c1', 'c4')")
        con.execute("DELETE FROM search_utterances WHERE call_id IN ('c1', 'c4')")
        assert scrub.prune_search_index(con) == 30
        assert scrub.prune_search_index(con) == 0
        load_fts(con)  # match_bm25 stems the query

        def state():
            scores = con.execute(
                f"SELECT round({s}.match_bm25(doc_id, 'карт 5 слово3'), 9) AS sc FROM search_utterances"
                " WHERE sc IS NOT NULL ORDER BY sc"
            ).fetchall()
            return (con.execute(f"SELECT * FROM {s}.stats").fetchall(),
                    con.execute(f"SELECT term, df FROM {s}.dict ORDER BY term").fetchall(), scores,
                    con.execute("SELECT utterances, calls FROM search_index").fetchall())

        pruned = state()
        assert not any(t in ("4028", "6380") for t, _ in pruned[1])
        assert search(con, "4028").total == 0 and search(con, "карта").total == 18 * 15
        refresh_search_index(con)  # renumbers documents: compared by terms, counts and scores
        assert state() == pruned


def test_the_rewritten_file_keeps_everything_but_the_deleted_bytes(tmp_path):
    db = tmp_path / "x.duckdb"
    _fill(db)
    with connect(db) as con:
        before = _catalog(con)
        con.execute("DELETE FROM segments WHERE call_id = 'c1'")
        con.execute("DELETE FROM reviews WHERE call_id = 'c1'")
        con.execute("DELETE FROM search_utterances WHERE call_id = 'c1'")
        scrub.prune_search_index(con)
        con.execute("CHECKPOINT")
    raw = _raw(db)
    assert SECRET.encode() in raw and COMMENT.encode() in raw, "DuckDB keeps deleted rows' bytes after a CHECKPOINT"
    assert scrub.generation(db) is None

    done = scrub.rewrite_database(db)

    raw = _raw(db)
    assert SECRET.encode() not in raw and COMMENT.encode() not in raw and "4028".encode() not in raw
    assert done.bytes_after <= done.bytes_before and not Path(f"{db}.wal").exists()
    assert not list(tmp_path.glob("*.rewrite*")), "no copy left beside it"
    first = scrub.generation(db)
    assert first
    with connect(db) as con:
        assert _catalog(con) == before
        assert con.execute("SELECT count(*) FROM segments").fetchone()[0] == 20 * 15 - 15
        assert con.execute("SELECT count(*) FROM reviews").fetchone()[0] == 19
        assert search(con, "карта").total == 19 * 15 and search(con, "4028").total == 0
        with pytest.raises(duckdb.ConstraintException):  # the primary key came along
            con.execute("INSERT INTO reviews (review_id, call_id, action, reviewer, created_at)"
                        " VALUES ('r2', 'c2', 'comment', 'qa', now())")
    scrub.rewrite_database(db)
    assert scrub.generation(db) not in (None, first)


def test_a_write_made_just_after_the_replace_is_kept(tmp_path, monkeypatch):
    """Another process that opens the new file while the rewrite still holds the old one, and writes (its change
    only in the WAL), keeps its change: closing the old connection touches neither the new file nor its WAL."""
    db = tmp_path / "x.duckdb"
    _fill(db, calls=3)
    replace = os.replace
    writer = (f"import duckdb, os\nc = duckdb.connect({str(db)!r})\n"
              "c.execute(\"INSERT INTO reviews (review_id, call_id, action, comment, reviewer, created_at)"
              " VALUES ('late', 'c2', 'comment', 'saved during the rewrite', 'qa', now())\")\n"
              "os._exit(0)  # no checkpoint: the row is in the WAL only\n")

    def replace_then_write(src, dst):
        replace(src, dst)
        if Path(dst) == db:
            subprocess.run([sys.executable, "-c", writer], check=True, timeout=60)
            assert Path(f"{db}.wal").stat().st_size > 0

    monkeypatch.setattr(scrub.os, "replace", replace_then_write)
    scrub.rewrite_database(db)
    monkeypatch.undo()
    with duckdb.connect(str(db), read_only=True) as con:
        assert con.execute("SELECT comment FROM reviews WHERE review_id = 'late'").fetchone() == (
            "saved during the rewrite",
        )
