"""Deleting calls' data by kind, leaving tombstones, and the audit log of deletions.

What belongs to a call: every table with a ``call_id`` column (found in the schema, so a
table added later is covered too). Transcripts are ``segments`` and ``pii_spans`` plus the
quoted evidence in ``criteria_results``, ``detections`` and ``phrase_hits``; everything else with a
``call_id`` goes with the verdicts. ``calls`` itself is never deleted: a call whose
verdicts are gone becomes a tombstone (status ``purged``, ``purged_at``, ``purge_reason``)
that keeps only its content hash and dates, so the flows never analyse that recording again
and no query counts it (they count ``status = 'processed'``). The columns that could point
at a person (customer hash, direction, file name and path) stay until the recording is gone
too, so that retention or an erasure can still find and delete it.

Callers run each kind's deletion and its audit row in one transaction (``storage.db.transaction``):
a crash leaves a kind either done or not started, and the next pass finishes it.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from datetime import datetime

import duckdb
import pandas as pd

from storage import aggregates
from storage.db import now, one_row
from storage.db import transaction as transaction  # kept here for its callers; one helper, in storage.db
from storage.scrub import prune_search_index

# search_utterances: the search index's copy of the text goes with the transcript, not at the next refresh
# (and the fts index's own copy with it: storage.scrub.prune_search_index).
TRANSCRIPT_TABLES = ("segments", "pii_spans", "search_utterances")
# Free text about the call that goes with its transcript: call_insights keeps its reason and outcome, the
# customer's words, their vector and the operator's go; a reviewer's comment may quote or describe what was
# said, so it does not outlive the transcript (the review's verdict stays until the verdicts' term); so do an
# operator's dispute and a reviewer's answer to it (their outcome, who and when stay).
EVIDENCE_QUOTES = (("criteria_results", "evidence_text"), ("detections", "evidence_text"),
                   ("phrase_hits", "evidence_text"),
                   ("call_insights", "problem_statement"), ("call_insights", "problem_embedding"),
                   ("call_insights", "outcome_evidence_text"), ("reviews", "comment"),
                   ("disputes", "comment"), ("dispute_resolutions", "comment"))
CALL_AT = "coalesce(started_at, processed_at, first_seen_at)"
_IDS = "call_id IN (SELECT unnest(?::VARCHAR[]))"


@dataclass(frozen=True)
class StoredRecording:
    """A call whose recording may still be on disk."""

    call_id: str
    status: str
    source_path: str
    file_name: str
    sha256: str
    size: int | None


@dataclass(frozen=True)
class Deletion:
    """One audit row: what went, why, on whose request."""

    kind: str  # audio | transcripts | verdicts | aggregates | erasure
    reason: str  # retention | erasure
    requested_by: str
    call_ids: tuple[str, ...] = ()
    row_counts: dict[str, int] = field(default_factory=dict)
    files: tuple[str, ...] = ()
    files_deleted: int = 0
    files_left: tuple[str, ...] = ()
    detail: str | None = None
    run_id: str | None = None
    customer_hash: str | None = None
    cutoff: datetime | None = None


def per_call_tables(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Every base table with a call_id column, but calls (tombstones stay)."""
    rows = con.execute(
        """
        SELECT DISTINCT c.table_name FROM information_schema.columns c
        JOIN information_schema.tables t ON t.table_schema = c.table_schema AND t.table_name = c.table_name
        WHERE c.column_name = 'call_id' AND c.table_schema = 'main' AND t.table_type = 'BASE TABLE'
          AND c.table_name <> 'calls'
        ORDER BY 1
        """
    ).fetchall()
    return [r[0] for r in rows]


def count_rows(con: duckdb.DuckDBPyConnection, call_ids: list[str], tables: list[str]) -> dict[str, int]:
    """Rows of these calls per table (tables with none left out)."""
    if not call_ids:
        return {}
    out = {}
    for table in tables:
        n = one_row(con.execute(f"SELECT count(*) FROM {table} WHERE {_IDS}", [call_ids]))[0]
        if n:
            out[table] = n
    return out


def _delete_rows(con: duckdb.DuckDBPyConnection, call_ids: list[str], tables: list[str]) -> dict[str, int]:
    counts = count_rows(con, call_ids, tables)
    for table in counts:
        con.execute(f"DELETE FROM {table} WHERE {_IDS}", [call_ids])
    return counts


# -- what is past its term ---------------------------------------------------------------------

def _recordings(con: duckdb.DuckDBPyConnection, where: str, params: list) -> list[StoredRecording]:
    rows = con.execute(
        f"SELECT call_id, status, source_path, file_name, content_sha256, file_size FROM calls"
        f" WHERE audio_deleted_at IS NULL AND source_path <> '' AND {where} ORDER BY call_id",
        params,
    ).fetchall()
    return [StoredRecording(*r) for r in rows]


def audio_candidates(con: duckdb.DuckDBPyConnection, cutoff: datetime) -> list[StoredRecording]:
    """Calls of any status before ``cutoff`` whose recording was not deleted yet."""
    return _recordings(con, f"{CALL_AT} < ?", [cutoff])


def transcript_candidates(con: duckdb.DuckDBPyConnection, cutoff: datetime) -> list[str]:
    rows = con.execute(
        f"SELECT call_id FROM calls WHERE status = 'processed' AND transcript_deleted_at IS NULL AND {CALL_AT} < ?"
        " ORDER BY call_id",
        [cutoff],
    ).fetchall()
    return [r[0] for r in rows]


def verdict_candidates(con: duckdb.DuckDBPyConnection, cutoff: datetime) -> list[str]:
    """Calls before ``cutoff`` not yet tombstones (processed, quarantined or failed), and tombstones
    that a review reached after they were made (one the app journalled meanwhile, storage.pending)."""
    rows = con.execute(
        f"SELECT call_id FROM calls WHERE (status <> 'purged' AND {CALL_AT} < ?)"
        " OR (status = 'purged' AND call_id IN (SELECT call_id FROM reviews)) ORDER BY call_id",
        [cutoff],
    ).fetchall()
    return [r[0] for r in rows]


def customer_calls(con: duckdb.DuckDBPyConnection, customer_hash: str) -> tuple[list[str], list[StoredRecording]]:
    """Every call of this hashed number (tombstones whose recording remains included), and those
    whose recording may still be on disk."""
    ids = [r[0] for r in con.execute(
        "SELECT call_id FROM calls WHERE customer_hash = ? ORDER BY call_id", [customer_hash]).fetchall()]
    return ids, _recordings(con, "customer_hash = ?", [customer_hash])


def erased_before(con: duckdb.DuckDBPyConnection, call_ids: list[str]) -> tuple[list[str], list[StoredRecording]]:
    """Of these calls, erased before, those a restored backup brought back (not an erasure's tombstone now),
    and those whose recording may still be on disk."""
    if not call_ids:
        return [], []
    ids = [r[0] for r in con.execute(
        f"SELECT call_id FROM calls WHERE {_IDS} AND (status <> 'purged' OR purge_reason IS DISTINCT FROM 'erasure')"
        " ORDER BY call_id", [call_ids]).fetchall()]
    return ids, _recordings(con, _IDS, [call_ids])


# -- deleting ----------------------------------------------------------------------------------

def mark_audio_deleted(con: duckdb.DuckDBPyConnection, call_ids: list[str]) -> None:
    """The recordings are gone; a tombstone's last pointers to a person go with them."""
    if not call_ids:
        return
    con.execute(f"UPDATE calls SET audio_deleted_at = ? WHERE audio_deleted_at IS NULL AND {_IDS}", [now(), call_ids])
    con.execute(
        f"UPDATE calls SET customer_hash = NULL, direction = NULL, source_path = '', file_name = ''"
        f" WHERE status = 'purged' AND {_IDS}",
        [call_ids],
    )


def transcript_rows(con: duckdb.DuckDBPyConnection, call_ids: list[str]) -> dict[str, int]:
    """What deleting these calls' transcripts removes: rows per table, quotes per column."""
    counts = count_rows(con, call_ids, list(TRANSCRIPT_TABLES))
    for table, column in EVIDENCE_QUOTES:
        if call_ids:
            n = one_row(con.execute(f"SELECT count(*) FROM {table} WHERE {column} IS NOT NULL AND {_IDS}",
                                    [call_ids]))[0]
            if n:
                counts[f"{table}.{column}"] = n
    return counts


def delete_transcripts(con: duckdb.DuckDBPyConnection, call_ids: list[str]) -> dict[str, int]:
    """Segments (text, words, sentiment), PII spans, their search index entries, quoted evidence, reviewers'
    comments and speech regions; verdicts stay."""
    if not call_ids:
        return {}
    counts = transcript_rows(con, call_ids)
    for table in TRANSCRIPT_TABLES:
        con.execute(f"DELETE FROM {table} WHERE {_IDS}", [call_ids])
    if pruned := prune_search_index(con):
        counts["search_index_documents"] = pruned
    for table, column in EVIDENCE_QUOTES:
        con.execute(f"UPDATE {table} SET {column} = NULL WHERE {column} IS NOT NULL AND {_IDS}", [call_ids])
    con.execute(f"UPDATE calls SET transcript_deleted_at = ?, speech_regions = NULL WHERE {_IDS}", [now(), call_ids])
    return counts


def purge_calls(con: duckdb.DuckDBPyConnection, call_ids: list[str], reason: str) -> dict[str, int]:
    """Fold the processed ones into the daily aggregates, delete every per-call row, leave tombstones.
    Run inside a transaction: the fold and the deletion commit together or not at all."""
    if not call_ids:
        return {}
    folded = aggregates.fold(con, call_ids)
    counts = _delete_rows(con, call_ids, per_call_tables(con))
    if pruned := prune_search_index(con):
        counts["search_index_documents"] = pruned
    ts = now()
    con.execute(
        f"""
        UPDATE calls SET status = 'purged', purged_at = coalesce(purged_at, ?),
               purge_reason = CASE WHEN ? = 'erasure' THEN 'erasure' ELSE coalesce(purge_reason, ?) END,
               transcript_deleted_at = coalesce(transcript_deleted_at, ?),
               operator_id = NULL, team = NULL, queue = NULL, error = NULL, speech_regions = NULL,
               scorecard_name = NULL, scorecard_version = NULL,
               customer_hash = CASE WHEN audio_deleted_at IS NULL THEN customer_hash END,
               direction = CASE WHEN audio_deleted_at IS NULL THEN direction END,
               source_path = CASE WHEN audio_deleted_at IS NULL THEN source_path ELSE '' END,
               file_name = CASE WHEN audio_deleted_at IS NULL THEN file_name ELSE '' END
        WHERE {_IDS}
        """,
        [ts, reason, reason, ts, call_ids],
    )
    if folded:
        counts["folded_into_aggregates"] = folded
    return counts


def record_deletion(con: duckdb.DuckDBPyConnection, d: Deletion) -> str:
    deletion_id = uuid.uuid4().hex[:16]
    con.execute(
        "INSERT INTO deletions (deletion_id, deleted_at, kind, reason, detail, requested_by, run_id, customer_hash,"
        " cutoff, calls, call_ids, row_counts, files_deleted, files, files_left)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [deletion_id, now(), d.kind, d.reason, d.detail, d.requested_by, d.run_id, d.customer_hash, d.cutoff,
         len(d.call_ids), list(d.call_ids), json.dumps(d.row_counts), d.files_deleted, list(d.files),
         list(d.files_left)],
    )
    return deletion_id


def deletions_log(con: duckdb.DuckDBPyConnection, limit: int = 200) -> pd.DataFrame:
    """The latest deletions, newest first (none in a database not migrated yet: read-only readers do not migrate)."""
    if not one_row(con.execute("SELECT count(*) FROM information_schema.tables WHERE table_name = 'deletions'"))[0]:
        return pd.DataFrame()
    return con.execute(
        "SELECT deletion_id, deleted_at, kind, reason, detail, requested_by, run_id, customer_hash, cutoff, calls,"
        " row_counts, files_deleted, files_left FROM deletions ORDER BY deleted_at DESC, deletion_id LIMIT ?",
        [limit],
    ).df()


def any_hashed_customers(con: duckdb.DuckDBPyConnection) -> bool:
    return one_row(con.execute("SELECT count(*) FROM calls WHERE customer_hash IS NOT NULL"))[0] > 0
