"""Reading stored transcripts back as pipeline records, for re-judging without the audio.

A reviewer who found the operator and customer the wrong way round flips the roles
(a ``flip_roles`` review), or sets who said one utterance (``set_speaker``); the transcript
read back here has them corrected, so ``callqa rescore`` and the app's re-judging judge the
right party.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import cast

import duckdb

from pipeline.records import Segment, Speaker, Transcript, Word
from storage.calls import ROLE_CHANGES, speaker_roles


@dataclass(frozen=True)
class StoredCall:
    call_id: str
    duration_s: float
    transcript: Transcript


def processed_call_ids(con: duckdb.DuckDBPyConnection, since: datetime | None = None, until: datetime | None = None,
                       operator: str | None = None, flipped_since_scored: bool = False) -> list[str]:
    """Processed calls of the period; ``flipped_since_scored``: only those whose roles a reviewer
    flipped or corrected (one utterance) after their verdicts were last written (they need re-judging)."""
    # A call whose transcript retention deleted cannot be re-judged (its verdicts stay as they are).
    sql = "SELECT call_id FROM calls WHERE status = 'processed' AND transcript_deleted_at IS NULL"
    args: list = []
    if flipped_since_scored:
        sql += f" AND {_ROLES_CHANGED_SINCE_SCORED}"
    if since is not None:
        sql += " AND coalesce(started_at, processed_at) >= ?"
        args.append(since)
    if until is not None:
        sql += " AND coalesce(started_at, processed_at) < ?"
        args.append(until)
    if operator is not None:
        sql += " AND operator_id = ?"
        args.append(operator)
    return [r[0] for r in con.execute(sql + " ORDER BY call_id", args).fetchall()]


# A flip or a one-utterance correction newer than the call's latest verdicts: judged on the old roles.
_ROLES_CHANGED_SINCE_SCORED = (
    "EXISTS (SELECT 1 FROM reviews r WHERE r.call_id = calls.call_id"
    f" AND r.action IN ({', '.join(repr(a) for a in ROLE_CHANGES)})"
    " AND r.created_at > coalesce((SELECT max(s.scored_at) FROM scores s WHERE s.call_id = calls.call_id),"
    " calls.processed_at))"
)


def roles_changed_since_scored(con: duckdb.DuckDBPyConnection, call_id: str) -> bool:
    """Whether a reviewer changed who said what after the call's verdicts were last written."""
    return con.execute(
        f"SELECT 1 FROM calls WHERE call_id = ? AND status = 'processed' AND {_ROLES_CHANGED_SINCE_SCORED}", [call_id]
    ).fetchone() is not None


def load_stored_call(con: duckdb.DuckDBPyConnection, call_id: str) -> StoredCall | None:
    row = con.execute(
        "SELECT duration_s, language, asr_model, speaker_method, coalesce(dropped_segments, 0), speech_regions"
        " FROM calls WHERE call_id = ? AND status = 'processed' AND transcript_deleted_at IS NULL",
        [call_id],
    ).fetchone()
    if row is None:
        return None
    duration_s, language, asr_model, speaker_method, dropped, regions = row
    rows = con.execute(
        "SELECT idx, speaker, start_s, end_s, text, words, channel, asr_confidence, speaker_confidence"
        " FROM segments WHERE call_id = ? ORDER BY idx",
        [call_id],
    ).fetchall()
    roles = speaker_roles(con, call_id)
    segments = tuple(
        Segment(cast(Speaker, roles.speaker(idx, speaker)), start, end, text,
                tuple(Word(w["s"], w["e"], w["w"], w["p"]) for w in (words or ())),
                channel, asr_conf or 0.0, spk_conf or 0.0)
        for idx, speaker, start, end, text, words, channel, asr_conf, spk_conf in rows
    )
    speech_regions = tuple(tuple(tuple(r) for r in ch) for ch in json.loads(regions)) if regions else ()
    transcript = Transcript(
        language or "", segments, asr_model or "", speaker_method or "", dropped, {}, speech_regions
    )
    return StoredCall(call_id, duration_s or 0.0, transcript)
