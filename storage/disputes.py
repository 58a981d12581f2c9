"""Operators' answers to their evaluations: acknowledgements, disputes of one verdict, and reviewers'
resolutions (migration 024). All append-only: a dispute is open while it has no resolution row.

Also the calls an operator may see (``operator_calls``): processed calls carrying their operator id,
each with its current score; what the operator pages list and nothing more.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

import duckdb

from storage import webhooks
from storage.current_verdicts import CALLS_WITH_CURRENT_SCORE, LATEST_REVIEW
from storage.db import now, transaction

OUTCOMES: tuple[str, ...] = ("upheld", "overturned")


class AlreadyResolved(ValueError):
    """A dispute is resolved once; a second resolution would rewrite what the operator was told."""


@dataclass(frozen=True)
class OperatorCall:
    """One of an operator's evaluated calls, as their own page lists it."""

    call_id: str
    file_name: str
    call_at: datetime
    language: str | None
    score: float | None
    acknowledged_at: datetime | None  # the first acknowledgement, if any
    acknowledged_by: str | None


@dataclass(frozen=True)
class Resolution:
    outcome: str  # upheld | overturned
    resolved_by: str
    resolved_at: datetime
    comment: str | None  # None: deleted with the transcript (retention)
    new_verdict: str | None  # overturned: the verdict the reviewer wrote


@dataclass(frozen=True)
class Dispute:
    dispute_id: str
    call_id: str
    criterion_id: str
    operator_id: str
    raised_by: str
    raised_at: datetime
    comment: str | None  # None: deleted with the transcript (retention)
    disputed_verdict: str
    file_name: str
    auto_result: str | None  # the machine's verdict on the call's current scorecard
    review_verdict: str | None  # a reviewer's latest verdict, if any (after an overturn: the new one)
    resolution: Resolution | None

    @property
    def open(self) -> bool:
        return self.resolution is None


# --- writes --------------------------------------------------------------------------------

def acknowledgement_row(call_id: str, operator_id: str, by: str) -> dict:
    return dict(call_id=call_id, operator_id=operator_id, acknowledged_by=by, acknowledged_at=now())


def dispute_row(call_id: str, criterion_id: str, operator_id: str, by: str, comment: str,
                disputed_verdict: str) -> dict:
    text = (comment or "").strip()
    if not text:
        raise ValueError("a dispute needs a comment: why the verdict is wrong")
    return dict(dispute_id=uuid.uuid4().hex, call_id=call_id, criterion_id=criterion_id, operator_id=operator_id,
                raised_by=by, raised_at=now(), comment=text, disputed_verdict=disputed_verdict)


def resolution_row(dispute_id: str, outcome: str, by: str, comment: str, new_verdict: str | None = None) -> dict:
    text = (comment or "").strip()
    if outcome not in OUTCOMES:
        raise ValueError(f"outcome must be one of {', '.join(OUTCOMES)}, not {outcome!r}")
    if not text:
        raise ValueError("a resolution needs a comment: what the operator is told")
    if (outcome == "overturned") != (new_verdict is not None):
        raise ValueError("an overturned dispute names the new verdict; an upheld one does not")
    return dict(dispute_id=dispute_id, outcome=outcome, resolved_by=by, resolved_at=now(), comment=text,
                new_verdict=new_verdict)


def _insert(con: duckdb.DuckDBPyConnection, table: str, row: dict) -> None:
    columns = list(row)
    con.execute(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})",
                list(row.values()))


def insert_acknowledgement(con: duckdb.DuckDBPyConnection, row: dict) -> None:
    _insert(con, "evaluation_acknowledgements", row)


def insert_dispute(con: duckdb.DuckDBPyConnection, row: dict) -> str:
    """The dispute and its ``dispute.raised`` webhook event, in one transaction (never the operator's comment)."""
    with transaction(con):
        _insert(con, "disputes", row)
        webhooks.add_event(con, webhooks.DISPUTE_RAISED, f"{webhooks.DISPUTE_RAISED}:{row['dispute_id']}", {
            "dispute_id": row["dispute_id"], "call_id": row["call_id"], "criterion_id": row["criterion_id"],
            "operator_id": row["operator_id"], "disputed_verdict": row["disputed_verdict"],
            "raised_at": row["raised_at"].isoformat(),
        }, row["call_id"])
    return row["dispute_id"]


def insert_resolution(con: duckdb.DuckDBPyConnection, row: dict) -> None:
    """Refuses a second resolution of the same dispute (``AlreadyResolved``) and an unknown dispute (KeyError)."""
    disputed = con.execute("SELECT call_id, criterion_id, operator_id, disputed_verdict FROM disputes"
                           " WHERE dispute_id = ?", [row["dispute_id"]]).fetchone()
    if disputed is None:
        raise KeyError(f"no dispute {row['dispute_id']}")
    if con.execute("SELECT 1 FROM dispute_resolutions WHERE dispute_id = ?", [row["dispute_id"]]).fetchone():
        raise AlreadyResolved(f"dispute {row['dispute_id']} is already resolved")
    call_id, criterion_id, operator_id, disputed_verdict = disputed
    with transaction(con):
        _insert(con, "dispute_resolutions", {**row, "call_id": call_id})  # purged and erased with its call
        webhooks.add_event(con, webhooks.DISPUTE_RESOLVED, f"{webhooks.DISPUTE_RESOLVED}:{row['dispute_id']}", {
            "dispute_id": row["dispute_id"], "call_id": call_id, "criterion_id": criterion_id,
            "operator_id": operator_id, "disputed_verdict": disputed_verdict, "outcome": row["outcome"],
            "new_verdict": row["new_verdict"], "resolved_at": row["resolved_at"].isoformat(),
        }, call_id)


# --- reads ---------------------------------------------------------------------------------

def call_operator(con: duckdb.DuckDBPyConnection, call_id: str) -> str | None:
    """Who handled the call (its operator id); None for an unknown or purged call."""
    row = con.execute("SELECT operator_id FROM calls WHERE call_id = ? AND status <> 'purged'", [call_id]).fetchone()
    return row[0] if row else None


def operator_calls(con: duckdb.DuckDBPyConnection, operator_id: str) -> list[OperatorCall]:
    """The operator's processed calls, newest first, each with its current score and first acknowledgement."""
    rows = con.execute(
        f"""
        WITH ack AS (
            SELECT call_id, acknowledged_at, acknowledged_by FROM evaluation_acknowledgements
            WHERE operator_id = ?
            QUALIFY row_number() OVER (PARTITION BY call_id ORDER BY acknowledged_at) = 1
        )
        SELECT c.call_id, c.file_name, coalesce(c.started_at, c.processed_at) AS call_at, c.language, s.score,
               ack.acknowledged_at, ack.acknowledged_by
        {CALLS_WITH_CURRENT_SCORE}
        LEFT JOIN ack ON ack.call_id = c.call_id
        WHERE c.status = 'processed' AND c.operator_id = ?
        ORDER BY call_at DESC, c.call_id
        """,
        [operator_id, operator_id],
    ).fetchall()
    return [OperatorCall(*r) for r in rows]


_DISPUTES = f"""
    WITH latest_review AS ({LATEST_REVIEW})
    SELECT d.dispute_id, d.call_id, d.criterion_id, d.operator_id, d.raised_by, d.raised_at, d.comment,
           d.disputed_verdict, c.file_name, r.result AS auto_result, lr.verdict AS review_verdict,
           res.outcome, res.resolved_by, res.resolved_at, res.comment AS resolution_comment, res.new_verdict
    FROM disputes d
    JOIN calls c ON c.call_id = d.call_id AND c.status <> 'purged'
    LEFT JOIN criteria_results r ON r.call_id = d.call_id AND r.criterion_id = d.criterion_id
         AND r.scorecard_name = c.scorecard_name AND r.scorecard_version = c.scorecard_version
    LEFT JOIN latest_review lr ON lr.call_id = d.call_id AND lr.criterion_id = d.criterion_id
    LEFT JOIN dispute_resolutions res ON res.dispute_id = d.dispute_id
"""


def _dispute(r: tuple) -> Dispute:
    resolution = None if r[11] is None else Resolution(r[11], r[12], r[13], r[14], r[15])
    return Dispute(dispute_id=r[0], call_id=r[1], criterion_id=r[2], operator_id=r[3], raised_by=r[4], raised_at=r[5],
                   comment=r[6], disputed_verdict=r[7], file_name=r[8], auto_result=r[9], review_verdict=r[10],
                   resolution=resolution)


def open_disputes(con: duckdb.DuckDBPyConnection) -> list[Dispute]:
    """Disputes waiting for a reviewer, oldest first."""
    rows = con.execute(f"{_DISPUTES} WHERE res.dispute_id IS NULL ORDER BY d.raised_at, d.dispute_id").fetchall()
    return [_dispute(r) for r in rows]


def operator_disputes(con: duckdb.DuckDBPyConnection, operator_id: str) -> list[Dispute]:
    """An operator's disputes, open and resolved, newest first."""
    rows = con.execute(f"{_DISPUTES} WHERE d.operator_id = ? ORDER BY d.raised_at DESC, d.dispute_id",
                       [operator_id]).fetchall()
    return [_dispute(r) for r in rows]


def call_disputes(con: duckdb.DuckDBPyConnection, call_id: str) -> list[Dispute]:
    """A call's disputes, open and resolved, oldest first."""
    rows = con.execute(f"{_DISPUTES} WHERE d.call_id = ? ORDER BY d.raised_at, d.dispute_id", [call_id]).fetchall()
    return [_dispute(r) for r in rows]


def dispute(con: duckdb.DuckDBPyConnection, dispute_id: str) -> Dispute | None:
    row = con.execute(f"{_DISPUTES} WHERE d.dispute_id = ?", [dispute_id]).fetchone()
    return None if row is None else _dispute(row)
