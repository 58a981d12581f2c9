"""The webhook outbox (migration 028): events written by the code that makes them happen, in its transaction,
and their delivery to each configured endpoint with a log of every attempt.

An event happens once: its ``dedupe_key`` (e.g. ``call.processed:CALL:SCORECARD:VERSION``) is unique, so a
loader or flow that stores the same result again adds nothing. Payloads hold ids, operator ids, scores,
flags, criterion ids and counts; never transcripts, evidence quotes, customer numbers (or their hashes) or
file paths. ``usecases.webhook_delivery`` sends them; this module only keeps the books.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal, Mapping, Sequence

import duckdb

from pipeline.records import CallAnalysis
from storage.db import now, transaction

__all__ = ["Attempt", "CALL_PROCESSED", "CALL_FLAGGED", "CALL_ESCALATION", "DISPUTE_RAISED", "DISPUTE_RESOLVED",
           "DeliveryRow", "Due", "EVENT_TYPES", "Endpoint", "Event", "RUN_FINISHED", "add_call_events", "add_event",
           "claim_due", "delivery_log", "dispatch", "event_ids_since", "events", "known_event_ids", "record_attempts",
           "requeue", "Settled", "settle"]

CALL_PROCESSED = "call.processed"
CALL_FLAGGED = "call.flagged"
CALL_ESCALATION = "call.escalation"
DISPUTE_RAISED = "dispute.raised"
DISPUTE_RESOLVED = "dispute.resolved"
RUN_FINISHED = "run.finished"
EVENT_TYPES: tuple[str, ...] = (CALL_PROCESSED, CALL_FLAGGED, CALL_ESCALATION, DISPUTE_RAISED, DISPUTE_RESOLVED,
                                RUN_FINISHED)

DeliveryStatus = Literal["pending", "delivered", "failed"]


@dataclass(frozen=True)
class Endpoint:
    """A receiver: its URL and the event types it gets (empty: every type)."""

    url: str
    types: tuple[str, ...] = ()

    def wants(self, event_type: str) -> bool:
        return not self.types or event_type in self.types


@dataclass(frozen=True)
class Event:
    event_id: str
    event_type: str
    call_id: str | None
    created_at: datetime
    data: Mapping[str, Any]


@dataclass(frozen=True)
class Due:
    """A delivery a deliverer has claimed: the event, where it goes, and the tries it has had."""

    event: Event
    endpoint: str
    attempts: int


@dataclass(frozen=True)
class DeliveryRow:
    """One line of the delivery log: an event's state at one endpoint, with its last error."""

    event_id: str
    event_type: str
    call_id: str | None
    created_at: datetime
    endpoint: str
    status: str
    attempts: int
    last_attempt_at: datetime | None
    last_status: int | None
    last_error: str | None
    next_attempt_at: datetime | None
    delivered_at: datetime | None


# --- events -------------------------------------------------------------------------------------------------

def add_event(con: duckdb.DuckDBPyConnection, event_type: str, dedupe_key: str, data: Mapping[str, Any],
              call_id: str | None = None) -> str | None:
    """Put an event in the outbox (in the caller's transaction); its id, or None when it already happened."""
    if event_type not in EVENT_TYPES:
        raise ValueError(f"unknown webhook event type {event_type!r}")
    event_id = uuid.uuid4().hex
    inserted = con.execute(
        "INSERT INTO webhook_events (event_id, event_type, dedupe_key, call_id, created_at, payload)"
        " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (dedupe_key) DO NOTHING RETURNING event_id",
        [event_id, event_type, dedupe_key, call_id, now(), json.dumps(data, ensure_ascii=False, default=str)],
    ).fetchone()
    return None if inserted is None else event_id


def add_call_events(con: duckdb.DuckDBPyConnection, call: Mapping[str, Any], analysis: CallAnalysis) -> list[str]:
    """The events of a stored analysis: processed always, flagged when it has flags, escalation when the customer
    escalated. ``call`` holds who handled it (external_id, operator_id, team, queue, site, vendor, direction,
    started_at): never the customer's number or hash, nor the file. Once per call and scorecard version."""
    score = analysis.score
    failed = [c.id for c in analysis.criteria if c.result == "fail"]
    base: dict[str, Any] = {
        "call_id": analysis.call_id,
        **{k: call.get(k) for k in ("external_id", "operator_id", "team", "queue", "site", "vendor", "direction")},
        "started_at": None if call.get("started_at") is None else call["started_at"].isoformat(),
        "scorecard": {"name": analysis.scorecard_name, "version": analysis.scorecard_version},
        "score": score.value,
    }
    key = f"{analysis.call_id}:{analysis.scorecard_name}:{analysis.scorecard_version}"
    added = [add_event(con, CALL_PROCESSED, f"{CALL_PROCESSED}:{key}", {
        **base,
        "language": analysis.language,
        "duration_s": round(analysis.duration_s, 2),
        "flags": list(score.flags),
        "criteria": [{"id": c.id, "result": c.result, "critical": c.critical} for c in analysis.criteria],
        "failed_criteria": failed,
    }, analysis.call_id)]
    if score.flags:
        added.append(add_event(con, CALL_FLAGGED, f"{CALL_FLAGGED}:{key}", {
            **base,
            "flags": list(score.flags),
            "failed_criteria": failed,
            "critical_failed": [c.id for c in analysis.criteria if c.result == "fail" and c.critical],
        }, analysis.call_id))
    escalations = [d for d in analysis.detections if d.kind == "escalation"]
    if escalations:
        added.append(add_event(con, CALL_ESCALATION, f"{CALL_ESCALATION}:{key}", {
            **base,
            "escalations": [{"category": d.category, "method": d.method, "confidence": round(d.confidence, 3),
                             "at_s": round(d.evidence.start, 2)} for d in escalations],
            "count": len(escalations),
        }, analysis.call_id))
    return [e for e in added if e is not None]


def _event(row: tuple) -> Event:
    return Event(row[0], row[1], row[2], row[3], json.loads(row[4]))


def events(con: duckdb.DuckDBPyConnection, event_type: str | None = None, call_id: str | None = None) -> list[Event]:
    """The outbox's events, oldest first (``event_type``/``call_id``: only those)."""
    rows = con.execute(
        "SELECT event_id, event_type, call_id, created_at, payload FROM webhook_events"
        " WHERE (? IS NULL OR event_type = ?) AND (? IS NULL OR call_id = ?) ORDER BY created_at, event_id",
        [event_type, event_type, call_id, call_id],
    ).fetchall()
    return [_event(r) for r in rows]


def event_ids_since(con: duckdb.DuckDBPyConnection, since: datetime, event_type: str | None = None) -> list[str]:
    rows = con.execute(
        "SELECT event_id FROM webhook_events WHERE created_at >= ? AND (? IS NULL OR event_type = ?)"
        " ORDER BY created_at, event_id",
        [since, event_type, event_type],
    ).fetchall()
    return [r[0] for r in rows]


def known_event_ids(con: duckdb.DuckDBPyConnection, event_ids: Sequence[str]) -> list[str]:
    if not event_ids:
        return []
    rows = con.execute("SELECT event_id FROM webhook_events WHERE event_id IN (SELECT unnest(?))",
                       [list(event_ids)]).fetchall()
    return [r[0] for r in rows]


# --- deliveries ----------------------------------------------------------------------------------------------

def _queue(con: duckdb.DuckDBPyConnection, rows: list[tuple[str, str | None, str]], at: datetime) -> None:
    """(event, call, endpoint) pending from ``at``, tries counted afresh (a replay resets a delivered or failed
    one)."""
    if rows:  # one statement: DuckDB runs executemany row by row (10 ms a row here)
        con.execute(
            "INSERT INTO webhook_deliveries (event_id, call_id, endpoint, status, attempts, next_attempt_at,"
            " queued_at) SELECT unnest($1), unnest($2::VARCHAR[]), unnest($3), 'pending', 0, $4, $4"
            " ON CONFLICT (event_id, endpoint) DO UPDATE SET status = 'pending', attempts = 0,"
            " next_attempt_at = excluded.next_attempt_at, queued_at = excluded.queued_at, delivered_at = NULL",
            [[r[0] for r in rows], [r[1] for r in rows], [r[2] for r in rows], at],
        )


def _pairs(rows: list[tuple], endpoints: Sequence[Endpoint]) -> list[tuple[str, str | None, str]]:
    """Each event (id, type, call) with each endpoint that wants its type."""
    return [(event_id, call_id, e.url) for event_id, event_type, call_id in rows for e in endpoints
            if e.wants(event_type)]


def dispatch(con: duckdb.DuckDBPyConnection, endpoints: Sequence[Endpoint]) -> int:
    """Give every new event a pending delivery per endpoint that wants its type; returns how many were queued.
    With no endpoint the events are marked dispatched all the same: an endpoint configured later gets what
    happens from then on (``requeue`` sends it older ones on purpose)."""
    with transaction(con):
        rows = con.execute("SELECT event_id, event_type, call_id FROM webhook_events WHERE dispatched_at IS NULL"
                           " ORDER BY created_at, event_id").fetchall()
        return _queue_events(con, rows, endpoints)


def requeue(con: duckdb.DuckDBPyConnection, event_ids: Sequence[str], endpoints: Sequence[Endpoint]) -> int:
    """Queue events again for every endpoint that wants them (delivered, failed or pending alike); how many."""
    rows = con.execute("SELECT event_id, event_type, call_id FROM webhook_events WHERE event_id IN (SELECT unnest(?))"
                       " ORDER BY created_at, event_id", [list(event_ids)]).fetchall()
    with transaction(con):
        return _queue_events(con, rows, endpoints)


def _queue_events(con: duckdb.DuckDBPyConnection, rows: list, endpoints: Sequence[Endpoint]) -> int:
    """A pending delivery of each event (id, type, call) per endpoint that wants it, the events marked dispatched."""
    at = now()
    pairs = _pairs(rows, endpoints)
    _queue(con, pairs, at)
    if rows:
        con.execute("UPDATE webhook_events SET dispatched_at = ? WHERE event_id IN (SELECT unnest(?))",
                    [at, [r[0] for r in rows]])
    return len(pairs)


def claim_due(con: duckdb.DuckDBPyConnection, at: datetime, lease_until: datetime, limit: int = 1000) -> list[Due]:
    """Pending deliveries due by ``at``, oldest event first, claimed until ``lease_until`` (their next attempt is
    pushed there, so another deliverer leaves them alone; a deliverer killed midway leaves them due again)."""
    con.execute("BEGIN TRANSACTION")
    try:
        rows = con.execute(
            "SELECT e.event_id, e.event_type, e.call_id, e.created_at, e.payload, d.endpoint, d.attempts"
            " FROM webhook_deliveries d JOIN webhook_events e USING (event_id)"
            " WHERE d.status = 'pending' AND d.next_attempt_at <= ? ORDER BY e.created_at, e.event_id, d.endpoint"
            " LIMIT ?", [at, limit],
        ).fetchall()
        if rows:
            # numbered: DuckDB binds an UPDATE's FROM before its SET
            con.execute("UPDATE webhook_deliveries d SET next_attempt_at = $1 FROM (SELECT unnest($2) AS e,"
                        " unnest($3) AS u) k WHERE d.event_id = k.e AND d.endpoint = k.u",
                        [lease_until, [r[0] for r in rows], [r[5] for r in rows]])
        con.execute("COMMIT")
    except Exception:
        con.execute("ROLLBACK")
        raise
    return [Due(_event(r[:5]), r[5], r[6]) for r in rows]


@dataclass(frozen=True)
class Attempt:
    """One try, for the delivery log."""

    event: Event
    endpoint: str
    delivery_id: str  # sent as X-Callqa-Delivery
    attempt: int  # its number since the delivery was (re)queued
    at: datetime
    status_code: int | None
    error: str | None
    duration_ms: float


def record_attempts(con: duckdb.DuckDBPyConnection, attempts: Sequence[Attempt]) -> None:
    """Append tries to the log, in one statement (DuckDB runs ``executemany`` row by row)."""
    if attempts:
        columns = [[a.event.event_id for a in attempts], [a.event.call_id for a in attempts],
                   [a.endpoint for a in attempts], [a.delivery_id for a in attempts], [a.attempt for a in attempts],
                   [a.at for a in attempts], [a.status_code for a in attempts], [a.error or None for a in attempts],
                   [a.duration_ms for a in attempts]]
        con.execute(
            "INSERT INTO webhook_attempts (event_id, call_id, endpoint, delivery_id, attempt, tried_at, status_code,"
            " error, duration_ms) SELECT unnest(?), unnest(?), unnest(?), unnest(?), unnest(?::INTEGER[]),"
            " unnest(?::TIMESTAMP[]), unnest(?::INTEGER[]), unnest(?::VARCHAR[]), unnest(?::DOUBLE[])",
            columns,
        )


@dataclass(frozen=True)
class Settled:
    """A delivery's state after a pass's tries: delivered, failed (gave up), or pending until ``next_attempt_at``."""

    event_id: str
    endpoint: str
    status: DeliveryStatus
    attempts: int
    last_attempt_at: datetime | None  # None: not tried in this pass (the stored one stays)
    last_status: int | None
    last_error: str | None
    next_attempt_at: datetime | None


def settle(con: duckdb.DuckDBPyConnection, settled: Sequence[Settled]) -> None:
    """Write the deliveries' new states, in one statement."""
    if not settled:
        return
    con.execute(
        "UPDATE webhook_deliveries d SET status = k.status, attempts = k.attempts,"
        " last_attempt_at = coalesce(k.at, d.last_attempt_at), last_status = k.code, last_error = k.error,"
        " next_attempt_at = k.next_at,"
        " delivered_at = CASE WHEN k.status = 'delivered' THEN k.at ELSE d.delivered_at END"
        " FROM (SELECT unnest(?) AS e, unnest(?) AS u, unnest(?) AS status, unnest(?::INTEGER[]) AS attempts,"
        " unnest(?::TIMESTAMP[]) AS at, unnest(?::INTEGER[]) AS code, unnest(?::VARCHAR[]) AS error,"
        " unnest(?::TIMESTAMP[]) AS next_at) k WHERE d.event_id = k.e AND d.endpoint = k.u",
        [[x.event_id for x in settled], [x.endpoint for x in settled], [x.status for x in settled],
         [x.attempts for x in settled], [x.last_attempt_at for x in settled], [x.last_status for x in settled],
         [x.last_error or None for x in settled], [x.next_attempt_at for x in settled]],
    )


def delivery_log(con: duckdb.DuckDBPyConnection, failed_only: bool = False, limit: int = 100) -> list[DeliveryRow]:
    """Deliveries, newest event first; ``failed_only``: those given up, and those pending after a failed try."""
    where = "WHERE d.status = 'failed' OR (d.status = 'pending' AND d.last_error IS NOT NULL)" if failed_only else ""
    rows = con.execute(
        "SELECT d.event_id, e.event_type, e.call_id, e.created_at, d.endpoint, d.status, d.attempts,"
        " d.last_attempt_at, d.last_status, d.last_error, d.next_attempt_at, d.delivered_at"
        f" FROM webhook_deliveries d JOIN webhook_events e USING (event_id) {where}"
        " ORDER BY e.created_at DESC, d.event_id, d.endpoint LIMIT ?", [limit],
    ).fetchall()
    return [DeliveryRow(*r) for r in rows]
