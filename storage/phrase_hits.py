"""Every listed phrase heard in a call (forbidden phrases, escalations), each with its evidence: the table
``phrase_hits`` (migration 020), written with the verdicts by ``storage.calls`` and read for the call page.

A verdict stays one row per criterion in ``criteria_results`` (and an escalation one row per category in
``detections``): the reports and training pages count those, so several phrases never count a call twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import duckdb

from pipeline.records import CriterionResult, Detection, PhraseHit
from storage.db import one_row

_KEY = "call_id = ? AND scorecard_name = ? AND scorecard_version = ?"


@dataclass(frozen=True)
class StoredHit:
    """One phrase as stored: which criterion (or ``escalation``) it belongs to, and where it was said."""

    criterion_id: str
    category: str
    phrase: str
    method: str
    confidence: float | None
    text: str | None  # None once retention deleted the call's transcript
    start: float
    end: float
    segment_idx: int | None
    char_start: int | None
    char_end: int | None


def replace_hits(con: duckdb.DuckDBPyConnection, call_id: str, scorecard_name: str, scorecard_version: int,
                 criteria: Sequence[CriterionResult], detections: Sequence[Detection]) -> int:
    """One scorecard version's phrases for a call, replacing what an earlier run stored (inside the
    caller's transaction); returns how many."""
    key = [call_id, scorecard_name, scorecard_version]
    con.execute(f"DELETE FROM phrase_hits WHERE {_KEY}", key)
    owned: list[tuple[str, PhraseHit]] = [(c.id, h) for c in criteria for h in c.hits]
    owned += [(d.kind, h) for d in detections for h in d.hits]
    rows = [
        [*key, owner, i, h.category, h.phrase, h.method, h.confidence, h.evidence.text, h.evidence.start,
         h.evidence.end, h.segment, h.char_start, h.char_end]
        for i, (owner, h) in enumerate(sorted(owned, key=lambda p: (p[0], p[1].evidence.start)))
    ]
    if rows:
        con.executemany(
            "INSERT INTO phrase_hits (call_id, scorecard_name, scorecard_version, criterion_id, idx, category, phrase,"
            " method, confidence, evidence_text, evidence_start, evidence_end, segment_idx, char_start, char_end)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            rows,
        )
    return len(rows)


def call_hits(con: duckdb.DuckDBPyConnection, call_id: str) -> list[StoredHit]:
    """The call's phrases under its current scorecard, in time order (none in a database not migrated yet)."""
    if not one_row(con.execute("SELECT count(*) FROM information_schema.tables WHERE table_name = 'phrase_hits'"))[0]:
        return []
    rows = con.execute(
        """
        SELECT h.criterion_id, h.category, h.phrase, h.method, h.confidence, h.evidence_text, h.evidence_start,
               h.evidence_end, h.segment_idx, h.char_start, h.char_end
        FROM phrase_hits h JOIN calls c ON c.call_id = h.call_id
             AND c.scorecard_name = h.scorecard_name AND c.scorecard_version = h.scorecard_version
        WHERE h.call_id = ? ORDER BY h.evidence_start, h.idx
        """,
        [call_id],
    ).fetchall()
    return [StoredHit(*r) for r in rows]
