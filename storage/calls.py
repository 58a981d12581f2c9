"""Writing calls: analyses, quarantined and failed recordings, runs, reviews.

Every write for one call happens in one transaction and replaces that call's
previous rows, so a rerun never duplicates a call and a crash never leaves
half of one. Reviews are append-only and never touched by reprocessing.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Literal, Mapping, Sequence, cast

import duckdb

from pipeline.judging.scorecard import Scorecard
from pipeline.records import CallAnalysis, CriterionResult, Detection, Score, Segment, Speaker
from storage import phrase_hits, webhooks
from storage.db import now, one_row
from storage.run_lock import RunLock

CallStatus = Literal["processed", "quarantined", "failed"]
PIPELINE_VERSION = "2"
# Contents a flow never analyses again: done, bad input, or deleted on purpose (a tombstone
# left by retention or erasure, storage.retention). Failed calls are retried.
SKIP_STATUSES = ("processed", "quarantined", "purged")


@dataclass(frozen=True)
class SourceFile:
    path: str
    sha256: str
    call_id: str
    size: int
    # Who handled the call and when, from the recording's metadata (pipeline.intake.call_meta).
    operator_id: str | None = None
    team: str | None = None
    queue: str | None = None
    started_at: datetime | None = None
    direction: str | None = None
    customer_hash: str | None = None  # pipeline.intake.customer_id: never the number itself
    site: str | None = None    # the contact-centre site that handled it
    vendor: str | None = None  # the outsourcing company running that site (None: in-house)
    external_id: str | None = None  # the PBX's or the CRM's own id of the call
    # The stereo channel of the operator on this call (the recorder preset's rule for its direction, or the
    # sidecar/manifest); None: the global operator_channel setting. Read by the analysis, not stored.
    operator_channel: str | None = None

    @property
    def name(self) -> str:
        return Path(self.path).name


def _upsert_call(
    con: duckdb.DuckDBPyConnection,
    source: SourceFile,
    status: CallStatus,
    error: str | None,
    run_id: str | None,
    **fields,
) -> None:
    ts = now()
    row = con.execute("SELECT attempts FROM calls WHERE call_id = ?", [source.call_id]).fetchone()
    attempts = (row[0] if row else 0) + 1
    values = dict(
        content_sha256=source.sha256,
        source_path=source.path,
        file_name=source.name,
        file_size=source.size,
        status=status,
        error=error,
        attempts=attempts,
        processed_at=ts,
        run_id=run_id,
        operator_id=source.operator_id,
        team=source.team,
        queue=source.queue,
        started_at=source.started_at,
        direction=source.direction,
        customer_hash=source.customer_hash,
        site=source.site,
        vendor=source.vendor,
        external_id=source.external_id,
        **fields,
    )
    if row is None:
        cols = ["call_id", "first_seen_at", *values]
        con.execute(
            f"INSERT INTO calls ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})",
            [source.call_id, ts, *values.values()],
        )
    else:
        assignments = ", ".join(f"{c} = ?" for c in values)
        con.execute(f"UPDATE calls SET {assignments} WHERE call_id = ?", [*values.values(), source.call_id])


def _who(source: SourceFile) -> dict:
    """What a webhook may say of who handled the call: never the customer's number (or hash), nor the file."""
    return dict(external_id=source.external_id, operator_id=source.operator_id, team=source.team,
                queue=source.queue, site=source.site, vendor=source.vendor, direction=source.direction,
                started_at=source.started_at)


def _purged(con: duckdb.DuckDBPyConnection, call_id: str) -> bool:
    row = con.execute("SELECT status FROM calls WHERE call_id = ?", [call_id]).fetchone()
    return row is not None and row[0] == "purged"


def save_analysis(con: duckdb.DuckDBPyConnection, source: SourceFile, analysis: CallAnalysis, run_id: str | None = None,
                  worker: str | None = None, worker_s: float | None = None) -> None:
    if _purged(con, source.call_id):  # deleted on purpose: never stored (or counted) again
        return
    ts = now()
    con.execute("BEGIN TRANSACTION")
    try:
        _upsert_call(
            con,
            source,
            "processed",
            None,
            run_id,
            duration_s=analysis.duration_s,
            channels=analysis.channels,
            sample_rate=analysis.sample_rate,
            language=analysis.language,
            asr_model=analysis.transcript.asr_model,
            speaker_method=analysis.transcript.speaker_method,
            asr_confidence=analysis.transcript.asr_confidence,
            scorecard_name=analysis.scorecard_name,
            scorecard_version=analysis.scorecard_version,
            pipeline_version=PIPELINE_VERSION,
            dropped_segments=analysis.transcript.dropped_segments,
            speech_regions=json.dumps(analysis.transcript.speech_regions),
            stage_s=analysis.timings_s.get("total_s"),
            worker_s=worker_s,
            worker=worker,
        )
        scores = analysis.sentiment.segment_scores if analysis.sentiment else ()
        _replace_segments(con, source.call_id, analysis.segments, scores)
        _replace_analytics(con, analysis)
        _replace_verdicts(con, source.call_id, analysis.scorecard_name, analysis.scorecard_version,
                          analysis.criteria, analysis.score, analysis.detections, ts)
        # The webhook events of this result, in its transaction: stored twice, they still happen once.
        webhooks.add_call_events(con, _who(source), analysis)
        con.execute("COMMIT")
    except Exception:
        con.execute("ROLLBACK")
        raise


def _replace_segments(con: duckdb.DuckDBPyConnection, call_id: str, segments: Sequence[Segment],
                      sentiment: Sequence[float]) -> None:
    con.execute("DELETE FROM segments WHERE call_id = ?", [call_id])
    if segments:
        con.executemany(
            "INSERT INTO segments (call_id, idx, speaker, channel, start_s, end_s, text, asr_confidence,"
            " speaker_confidence, words, sentiment) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                [call_id, i, s.speaker, s.channel, s.start, s.end, s.text, s.asr_confidence, s.speaker_confidence,
                 [{"s": w.start, "e": w.end, "w": w.text, "p": w.probability} for w in s.words],
                 sentiment[i] if i < len(sentiment) else None]
                for i, s in enumerate(segments)
            ],
        )


def _replace_analytics(con: duckdb.DuckDBPyConnection, analysis: CallAnalysis) -> None:
    call_id = analysis.call_id
    con.execute("DELETE FROM call_analytics WHERE call_id = ?", [call_id])
    m, s = analysis.metrics, analysis.sentiment
    con.execute(
        "INSERT INTO call_analytics VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        [call_id, json.dumps(m.to_json()) if m else None, json.dumps(s.to_json()) if s else None,
         s.customer_end if s else None, m.talk_listen_ratio if m else None, m.dead_air_s if m else None,
         m.overtalk_s if m else None, m.handle_time_s if m else None],
    )
    con.execute("DELETE FROM pii_spans WHERE call_id = ?", [call_id])
    if analysis.pii:
        con.executemany(
            "INSERT INTO pii_spans VALUES (?, ?, ?, ?, ?, ?)",
            [[call_id, i, p.kind, p.segment_index, p.start, p.end] for i, p in enumerate(analysis.pii)],
        )


def _replace_verdicts(con: duckdb.DuckDBPyConnection, call_id: str, scorecard_name: str, scorecard_version: int,
                      criteria: Sequence[CriterionResult], score: Score, detections: Sequence[Detection],
                      ts: datetime) -> None:
    """One scorecard version's verdicts for a call; other versions' rows stay queryable."""
    key = [call_id, scorecard_name, scorecard_version]
    where = "WHERE call_id = ? AND scorecard_name = ? AND scorecard_version = ?"
    con.execute(f"DELETE FROM detections {where}", key)
    if detections:
        con.executemany(
            "INSERT INTO detections VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [[*key, d.kind, d.category, d.method, d.confidence, d.evidence.text, d.evidence.start, d.evidence.end]
             for d in detections],
        )
    con.execute(f"DELETE FROM criteria_results {where}", key)
    con.executemany(
        "INSERT INTO criteria_results VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            [
                *key,
                c.id,
                c.result,
                c.method,
                c.confidence,
                c.weight,
                c.critical,
                c.reason or None,
                c.evidence.text if c.evidence else None,
                c.evidence.start if c.evidence else None,
                c.evidence.end if c.evidence else None,
                c.evidence.speaker if c.evidence else None,
                ts,
            ]
            for c in criteria
        ],
    )
    con.execute(f"DELETE FROM scores {where}", key)
    con.execute("INSERT INTO scores VALUES (?, ?, ?, ?, ?, ?)", [*key, score.value, list(score.flags), ts])
    # Every forbidden phrase and escalation heard, beside the one verdict (or detection) they make.
    phrase_hits.replace_hits(con, call_id, scorecard_name, scorecard_version, criteria, detections)


def save_rescore(con: duckdb.DuckDBPyConnection, call_id: str, scorecard: Scorecard,
                 criteria: Sequence[CriterionResult], score: Score, detections: Sequence[Detection],
                 make_current: bool = True) -> None:
    """Verdicts of another scorecard version for a stored call; earlier versions' verdicts stay."""
    con.execute("BEGIN TRANSACTION")
    try:
        _replace_verdicts(con, call_id, scorecard.name, scorecard.version, criteria, score, detections, now())
        if make_current:
            con.execute("UPDATE calls SET scorecard_name = ?, scorecard_version = ? WHERE call_id = ?",
                        [scorecard.name, scorecard.version, call_id])
        con.execute("COMMIT")
    except Exception:
        con.execute("ROLLBACK")
        raise


class ScorecardConflict(ValueError):
    pass


def register_scorecard(con: duckdb.DuckDBPyConnection, scorecard: Scorecard) -> None:
    """Keep the exact text of each scorecard version; a changed file under an old version number is refused."""
    if not scorecard.digest:
        return
    row = con.execute(
        "SELECT digest FROM scorecards WHERE scorecard_name = ? AND scorecard_version = ?",
        [scorecard.name, scorecard.version],
    ).fetchone()
    if row is None:
        con.execute("INSERT INTO scorecards VALUES (?, ?, ?, ?, ?)",
                    [scorecard.name, scorecard.version, scorecard.digest, scorecard.text, now()])
    elif row[0] != scorecard.digest:
        raise ScorecardConflict(
            f"scorecard {scorecard.label} ({scorecard.source}) differs from the {scorecard.label} already used "
            f"for stored verdicts: bump 'version' when changing a scorecard"
        )


def stored_scorecard_text(con: duckdb.DuckDBPyConnection, name: str, version: int) -> str | None:
    row = con.execute("SELECT yaml FROM scorecards WHERE scorecard_name = ? AND scorecard_version = ?",
                      [name, version]).fetchone()
    return row[0] if row else None


def save_problem(
    con: duckdb.DuckDBPyConnection, source: SourceFile, status: CallStatus, reason: str, run_id: str | None = None
) -> None:
    """Record a quarantined (bad input) or failed (internal error) recording; earlier results stay."""
    if _purged(con, source.call_id):
        return
    con.execute("BEGIN TRANSACTION")
    try:
        _upsert_call(con, source, status, reason, run_id)
        con.execute("COMMIT")
    except Exception:
        con.execute("ROLLBACK")
        raise


def call_statuses(con: duckdb.DuckDBPyConnection, call_ids: list[str]) -> dict[str, str]:
    if not call_ids:
        return {}
    rows = con.execute("SELECT call_id, status FROM calls WHERE call_id IN (SELECT unnest(?))", [call_ids]).fetchall()
    return dict(rows)


def call_attempts(con: duckdb.DuckDBPyConnection, call_ids: list[str]) -> dict[str, tuple[str, int]]:
    """call_id -> (status, how many times a run stored an outcome for it)."""
    if not call_ids:
        return {}
    rows = con.execute("SELECT call_id, status, attempts FROM calls WHERE call_id IN (SELECT unnest(?))",
                       [call_ids]).fetchall()
    return {cid: (status, attempts) for cid, status, attempts in rows}


def start_run(con: duckdb.DuckDBPyConnection, flow: str, inbox: str | None) -> str:
    run_id = uuid.uuid4().hex[:12]
    con.execute(
        "INSERT INTO runs (run_id, flow, inbox, started_at, status) VALUES (?, ?, ?, ?, 'running')",
        [run_id, flow, inbox, now()],
    )
    return run_id


def mark_interrupted_runs(con: duckdb.DuckDBPyConnection, flow: str, lock: RunLock) -> list[str]:
    """Runs of ``flow`` still 'running' while this process holds the database's run lock were killed
    (a live run would hold the lock): call them interrupted. Their stored calls stay; the new run does
    the rest. ``lock`` is the proof: without it a live run could be marked."""
    if not lock.held:
        raise RuntimeError(f"runs can only be marked interrupted under the run lock of {lock.db}")
    rows = con.execute("SELECT run_id FROM runs WHERE flow = ? AND status = 'running'", [flow]).fetchall()
    if rows:
        con.execute("UPDATE runs SET status = 'interrupted' WHERE flow = ? AND status = 'running'", [flow])
    return [r[0] for r in rows]


def finish_run(con: duckdb.DuckDBPyConnection, run_id: str, status: str, **counts: float) -> None:
    allowed = {"discovered", "new_calls", "processed", "quarantined", "failed", "skipped", "unreadable", "audio_s",
               "wall_s"}
    unknown = set(counts) - allowed
    if unknown:
        raise ValueError(f"unknown run counters: {sorted(unknown)}")
    assignments = ", ".join(f"{k} = ?" for k in counts)
    sep = ", " if counts else ""
    con.execute(
        f"UPDATE runs SET status = ?, finished_at = ?{sep}{assignments} WHERE run_id = ?",
        [status, now(), *counts.values(), run_id],
    )


def record_unreadable(con: duckdb.DuckDBPyConnection, run_id: str, entries: Sequence[tuple[str, str]]) -> None:
    """Inbox entries (path, reason) the run skipped because they could not be read."""
    if entries:
        seen = now()
        con.executemany("INSERT INTO unreadable_entries VALUES (?, ?, ?, ?)",
                        [[run_id, path, reason, seen] for path, reason in entries])


ReviewAction = Literal["confirm", "override", "comment", "reviewed", "flip_roles", "set_speaker"]
ROLE_CHANGES = ("flip_roles", "set_speaker")  # the reviews that change who said what (re-judge the call after)


def review_row(call_id: str, reviewer: str, action: ReviewAction, criterion_id: str | None = None,
               verdict: str | None = None, comment: str | None = None, reviewer_role: str | None = None,
               segment_idx: int | None = None, speaker: str | None = None) -> dict:
    """A new review, checked, with its id and time: stored now or journalled (``storage.pending``)."""
    if action in ("confirm", "override") and verdict not in ("pass", "fail", "na"):
        raise ValueError("confirm/override needs a verdict: pass, fail or na")
    if action == "flip_roles" and criterion_id is not None:
        raise ValueError("roles are flipped for the whole call, not for one criterion")
    if action == "set_speaker":
        if segment_idx is None or segment_idx < 0 or speaker not in _OTHER_ROLE or criterion_id is not None:
            raise ValueError("set_speaker needs an utterance (segment_idx >= 0) and a speaker: operator or customer")
    elif segment_idx is not None or speaker is not None:
        raise ValueError("only set_speaker names an utterance and its speaker")
    return dict(review_id=uuid.uuid4().hex, call_id=call_id, criterion_id=criterion_id, action=action,
                verdict=verdict, comment=(comment or "").strip() or None, reviewer=reviewer, created_at=now(),
                reviewer_role=reviewer_role, segment_idx=segment_idx, speaker=speaker)


def insert_review(con: duckdb.DuckDBPyConnection, row: dict) -> str:
    """Append a review (append-only; inserting the same review id twice adds nothing)."""
    if con.execute("SELECT 1 FROM calls WHERE call_id = ? AND status <> 'purged'", [row["call_id"]]).fetchone() is None:
        raise KeyError(f"no call {row['call_id']}")
    columns = list(row)
    con.execute(
        f"INSERT INTO reviews ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))}) ON CONFLICT DO NOTHING",
        list(row.values()),
    )
    return row["review_id"]


def add_review(
    con: duckdb.DuckDBPyConnection,
    call_id: str,
    reviewer: str,
    action: ReviewAction,
    criterion_id: str | None = None,
    verdict: str | None = None,
    comment: str | None = None,
    reviewer_role: str | None = None,
    segment_idx: int | None = None,
    speaker: str | None = None,
) -> str:
    return insert_review(con, review_row(call_id, reviewer, action, criterion_id, verdict, comment, reviewer_role,
                                         segment_idx, speaker))


_OTHER_ROLE: dict[Speaker, Speaker] = {"operator": "customer", "customer": "operator"}


def flipped_role(speaker: Speaker) -> Speaker:
    """The other party ("unknown" stays unknown): what a role flip makes of a segment's speaker."""
    return _OTHER_ROLE.get(speaker, speaker)


def roles_flipped(con: duckdb.DuckDBPyConnection, call_id: str) -> bool:
    """True when reviewers flipped the call's operator/customer roles an odd number of times."""
    n = one_row(con.execute("SELECT count(*) FROM reviews WHERE call_id = ? AND action = 'flip_roles'", [call_id]))[0]
    return n % 2 == 1


@dataclass(frozen=True)
class SpeakerRoles:
    """Who said each utterance of a call as reviewers left it: flips of the whole call and utterances
    set one by one, replayed in the order they were made (a later flip swaps a corrected line too)."""

    flipped: bool = False
    fixed: Mapping[int, Speaker] = field(default_factory=dict)  # utterance (segments.idx) -> its speaker

    def speaker(self, idx: int, stored: str) -> str:
        """The speaker of utterance ``idx``, which the recognition labelled ``stored``."""
        if idx in self.fixed:
            return self.fixed[idx]
        return flipped_role(cast(Speaker, stored)) if self.flipped else stored

    @property
    def changed(self) -> bool:
        return self.flipped or bool(self.fixed)


def speaker_roles(con: duckdb.DuckDBPyConnection, call_id: str) -> SpeakerRoles:
    """The call's role flips and per-utterance corrections (``set_speaker`` reviews), replayed in order."""
    rows = con.execute(
        "SELECT action, segment_idx, speaker FROM reviews WHERE call_id = ? AND action IN ('flip_roles', 'set_speaker')"
        " ORDER BY created_at, review_id",
        [call_id],
    ).fetchall()
    flipped, fixed = False, dict[int, Speaker]()
    for action, idx, speaker in rows:
        if action == "flip_roles":
            flipped = not flipped
            fixed = {i: flipped_role(s) for i, s in fixed.items()}
        elif idx is not None and speaker in _OTHER_ROLE:
            fixed[int(idx)] = speaker
    return SpeakerRoles(flipped, fixed)


@dataclass(frozen=True)
class ReviewEntry:
    """One line of a call's review history."""

    action: str  # confirm | override | comment | reviewed | flip_roles | set_speaker
    reviewer: str
    reviewer_role: str | None
    created_at: datetime
    criterion_id: str | None
    verdict: str | None
    comment: str | None
    segment_idx: int | None
    speaker: str | None


def review_history(con: duckdb.DuckDBPyConnection, call_id: str) -> list[ReviewEntry]:
    """Every review of the call, oldest first (the audit trail)."""
    rows = con.execute(
        "SELECT action, reviewer, reviewer_role, created_at, criterion_id, verdict, comment, segment_idx, speaker"
        " FROM reviews WHERE call_id = ? ORDER BY created_at, review_id",
        [call_id],
    ).fetchall()
    return [ReviewEntry(*r) for r in rows]
