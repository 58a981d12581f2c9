"""What waits for each team's reviewers after a night: the counts and first calls of the morning digest.

Per team (the operator's team of the call; "" for calls without one): the run's critical calls and
escalations nobody has marked reviewed yet, the operators' open disputes (any age: a dispute waits until a
reviewer resolves it), and the audit sample's calls not reviewed yet (any draw: the queue's "Audit sample"
list, not reviewed). Calls are named as the app names them (recording, operator, time), never by content.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import duckdb

from storage.call_period import CALL_AT
from storage.current_verdicts import CALLS_WITH_CURRENT_SCORE

_NOT_REVIEWED = "NOT EXISTS (SELECT 1 FROM reviews rv WHERE rv.call_id = c.call_id AND rv.action = 'reviewed')"

# kind -> the calls (c: calls, s: their current score) that make it; one ``?`` for the run where it is used.
_WAITING = {
    "critical": f"""
        SELECT c.call_id {CALLS_WITH_CURRENT_SCORE}
        WHERE c.run_id = ? AND c.status = 'processed' AND {_NOT_REVIEWED}
          AND list_has_any(s.flags, ['critical_fail', 'forbidden_phrase'])""",
    "escalations": f"""
        SELECT c.call_id {CALLS_WITH_CURRENT_SCORE}
        WHERE c.run_id = ? AND c.status = 'processed' AND {_NOT_REVIEWED} AND list_contains(s.flags, 'escalation')""",
    "disputes": """
        SELECT d.call_id FROM disputes d
        WHERE NOT EXISTS (SELECT 1 FROM dispute_resolutions r WHERE r.dispute_id = d.dispute_id)""",
    "sample": f"""
        SELECT DISTINCT a.call_id FROM audit_samples a JOIN calls c USING (call_id)
        WHERE c.status = 'processed' AND {_NOT_REVIEWED}""",
}
KINDS: tuple[str, ...] = tuple(_WAITING)


@dataclass(frozen=True)
class WaitingCall:
    kind: str  # one of KINDS
    team: str
    call_id: str
    recording: str
    operator_id: str | None
    call_at: datetime | None


@dataclass(frozen=True)
class Waiting:
    """Per (kind, team): how many wait (disputes count one per dispute), and the first ``per_kind`` calls,
    newest first."""

    counts: dict[tuple[str, str], int]
    calls: list[WaitingCall]


def waiting(con: duckdb.DuckDBPyConnection, run_id: str, per_kind: int) -> Waiting:
    parts, params = [], []
    for kind, sql in _WAITING.items():
        parts.append(f"SELECT '{kind}' AS kind, call_id FROM ({sql})")
        params.extend([run_id] * sql.count("?"))
    rows = con.execute(
        f"""
        WITH w AS ({' UNION ALL '.join(parts)}),
        per_call AS (SELECT kind, call_id, count(*) AS items FROM w GROUP BY ALL),  -- two disputes, one call
        named AS (
            SELECT p.kind, coalesce(c.team, '') AS team, c.call_id, c.file_name, c.operator_id,
                   {CALL_AT} AS call_at, p.items
            FROM per_call p JOIN calls c USING (call_id)
        )
        SELECT kind, team, call_id, file_name, operator_id, call_at,
               sum(items) OVER (PARTITION BY kind, team) AS n,
               row_number() OVER (PARTITION BY kind, team ORDER BY call_at DESC NULLS LAST, call_id) AS place
        FROM named
        QUALIFY place <= greatest(?, 1)
        ORDER BY kind, team, place
        """,
        [*params, per_kind],
    ).fetchall()
    counts = {(kind, team): int(n) for kind, team, _c, _f, _o, _a, n, _p in rows}
    calls = [WaitingCall(kind, team, call_id, recording, operator, call_at)
             for kind, team, call_id, recording, operator, call_at, _n, place in rows if place <= per_kind]
    return Waiting(counts, calls)


def run_teams(con: duckdb.DuckDBPyConnection, run_id: str) -> tuple[list[str], datetime | None, datetime | None]:
    """The teams of the calls a run processed, and the earliest and latest of those calls' times."""
    rows = con.execute(
        "SELECT DISTINCT coalesce(c.team, '') FROM calls c WHERE c.run_id = ? AND c.status = 'processed' ORDER BY 1",
        [run_id],
    ).fetchall()
    first, last = con.execute(
        f"SELECT min({CALL_AT}), max({CALL_AT}) FROM calls c WHERE c.run_id = ? AND c.status = 'processed'",
        [run_id],
    ).fetchone() or (None, None)
    return [r[0] for r in rows], first, last
