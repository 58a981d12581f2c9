"""Training needs: operators x criteria failure rates against the team, coaching assignments and their
status, and whether an operator improved on a topic after it was coached.

Assignments and their status changes are append-only like reviews: assigning the same topic again
adds a row; moving it to "in progress", "done" or cancelling it (the trainer's undo) adds an event
with who and when, and the latest event is the assignment's status. Nothing is deleted, so the
history stays, and a journalled write (storage.pending) replays without conflict.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime
from typing import Literal, get_args

import duckdb
import pandas as pd

from storage.coaching import CoachingRule, recent_misses_sql, team_filter, topic_rule_sql
from storage.current_verdicts import CURRENT_VERDICTS, RATES_VS_TEAM
from storage.db import now

Status = Literal["assigned", "in_progress", "done", "cancelled"]
STATUSES: tuple[Status, ...] = get_args(Status)
# The statuses a trainer moves an assignment through; "cancelled" is the undo, and final.
WORKFLOW: tuple[Status, ...] = ("assigned", "in_progress", "done")

# How many of the operator's judged calls on the criterion, just before and just after the
# assignment, the before/after comparison reads.
COMPARE_CALLS = 20

# Every call ever: CURRENT_VERDICTS takes a period, the comparison looks at calls, not days.
_ALL_TIME = [datetime(1970, 1, 1), datetime(9999, 1, 1)]


def failure_heatmap(con: duckdb.DuckDBPyConnection, since: datetime, until: datetime,
                    teams: tuple[str, ...] = (), min_calls: int = 1,
                    rule: CoachingRule = CoachingRule()) -> pd.DataFrame:
    """Long format: operator, team, criterion, calls, failed, fail rate, team fail rate, difference, the
    misses among the last n judged calls (``misses``, of ``recent_calls``) and ``is_topic``: whether the cell
    is a coaching topic by ``rule`` (storage.coaching.topic_rule_sql, the rule the topics follow)."""
    return con.execute(
        f"""
        WITH v AS ({CURRENT_VERDICTS}),
        judged AS (SELECT * FROM v WHERE verdict IN ('pass', 'fail') {team_filter(teams)}),
        {RATES_VS_TEAM},
        {recent_misses_sql(rule)}
        SELECT o.operator_id, nullif(o.team, '') AS team, o.criterion_id, o.calls, o.failed,
               o.failed / o.calls AS fail_rate, t.team_fail_rate, o.failed / o.calls - t.team_fail_rate AS difference,
               coalesce(s.misses, 0) AS misses, coalesce(s.recent_calls, 0) AS recent_calls,
               {topic_rule_sql(rule)} AS is_topic
        FROM per_op o JOIN per_team t USING (team, criterion_id)
        LEFT JOIN streaks s USING (operator_id, criterion_id)
        WHERE o.calls >= ?
        ORDER BY o.operator_id, o.criterion_id
        """,
        [since, until, *teams, min_calls],
    ).df()


@dataclass(frozen=True)
class Assignment:
    assignment_id: str
    operator_id: str
    criterion_id: str
    assigned_by: str
    assigned_at: datetime
    note: str | None
    due_on: date | None = None
    status: Status = "assigned"
    status_by: str | None = None  # who set the status (the assigning trainer until someone changes it)
    status_at: datetime | None = None
    pending: bool = False  # still in the journal: stored when the nightly flow lets go of the database

    @property
    def active(self) -> bool:
        return self.status != "cancelled"


@dataclass(frozen=True)
class StatusChange:
    """One step of an assignment's history."""

    status: Status
    changed_by: str
    changed_at: datetime
    pending: bool = False


def assign_topic(con: duckdb.DuckDBPyConnection, operator_id: str, criterion_id: str, assigned_by: str,
                 note: str | None = None, assignment_id: str | None = None, due_on: date | None = None,
                 assigned_at: datetime | None = None) -> str:
    """Record that a trainer assigned a coaching topic; an ``assignment_id`` makes a replay idempotent."""
    if not operator_id or not criterion_id:
        raise ValueError("a coaching assignment needs an operator and a criterion")
    assignment_id = assignment_id or uuid.uuid4().hex
    con.execute(
        "INSERT INTO coaching_assignments (assignment_id, operator_id, criterion_id, assigned_by, assigned_at, note,"
        " due_on) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
        [assignment_id, operator_id, criterion_id, assigned_by, assigned_at or now(), (note or "").strip() or None,
         due_on],
    )
    return assignment_id


def check_status(status: str) -> Status:
    if status not in STATUSES:
        raise ValueError(f"an assignment's status is one of {', '.join(STATUSES)}, not {status!r}")
    return status


def change_status(con: duckdb.DuckDBPyConnection, assignment_id: str, status: str, changed_by: str,
                  event_id: str | None = None, changed_at: datetime | None = None) -> str:
    """Move an assignment to ``status`` ("cancelled" is the undo); an ``event_id`` makes a replay idempotent.
    A cancelled assignment stays cancelled: the trainer assigns the topic again instead."""
    check_status(status)
    current = con.execute(
        f"SELECT coalesce(e.status, 'assigned') FROM coaching_assignments a LEFT JOIN ({_LATEST_EVENT}) e "
        "USING (assignment_id) WHERE a.assignment_id = ?",
        [assignment_id],
    ).fetchone()
    if current is None:
        raise ValueError(f"no coaching assignment {assignment_id!r}")
    event_id = event_id or uuid.uuid4().hex
    if current[0] == "cancelled":
        already = con.execute("SELECT 1 FROM coaching_assignment_events WHERE event_id = ?", [event_id]).fetchone()
        if already is None:
            raise ValueError("this assignment was cancelled: assign the topic again")
        return event_id
    con.execute(
        "INSERT INTO coaching_assignment_events (event_id, assignment_id, status, changed_by, changed_at) "
        "VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
        [event_id, assignment_id, status, changed_by, changed_at or now()],
    )
    return event_id


_LATEST_EVENT = """
    SELECT assignment_id, status, changed_by, changed_at FROM coaching_assignment_events
    QUALIFY row_number() OVER (PARTITION BY assignment_id ORDER BY changed_at DESC, event_id DESC) = 1
"""


def assignments(con: duckdb.DuckDBPyConnection, operator_id: str | None = None,
                include_cancelled: bool = False) -> list[Assignment]:
    """Assignments (of ``operator_id``, or everybody's), newest first, with their current status."""
    rows = con.execute(
        f"""
        SELECT a.assignment_id, a.operator_id, a.criterion_id, a.assigned_by, a.assigned_at, a.note, a.due_on,
               coalesce(e.status, 'assigned'), coalesce(e.changed_by, a.assigned_by),
               coalesce(e.changed_at, a.assigned_at)
        FROM coaching_assignments a LEFT JOIN ({_LATEST_EVENT}) e USING (assignment_id)
        WHERE (? IS NULL OR a.operator_id = ?) AND (? OR coalesce(e.status, 'assigned') <> 'cancelled')
        ORDER BY a.assigned_at DESC, a.assignment_id
        """,
        [operator_id, operator_id, include_cancelled],
    ).fetchall()
    return [Assignment(*r) for r in rows]


def history(con: duckdb.DuckDBPyConnection, assignment_id: str) -> list[StatusChange]:
    """An assignment's steps, oldest first: its assignment, then every status change."""
    rows = con.execute(
        """
        SELECT 'assigned', assigned_by, assigned_at, '' FROM coaching_assignments WHERE assignment_id = ?
        UNION ALL
        SELECT status, changed_by, changed_at, event_id FROM coaching_assignment_events WHERE assignment_id = ?
        ORDER BY 3, 4
        """,
        [assignment_id, assignment_id],
    ).fetchall()
    return [StatusChange(status, by, at) for status, by, at, _ in rows]


def before_after(con: duckdb.DuckDBPyConnection, calls: int = COMPARE_CALLS) -> pd.DataFrame:
    """For each assignment not cancelled: the operator's judged calls on the criterion, failures and failure
    rate among the ``calls`` latest before it was assigned and the ``calls`` first after (NaN rate: no calls)."""
    return con.execute(
        f"""
        WITH a AS (
            SELECT a.assignment_id, a.operator_id, a.criterion_id, a.assigned_at, a.assigned_by
            FROM coaching_assignments a LEFT JOIN ({_LATEST_EVENT}) e USING (assignment_id)
            WHERE coalesce(e.status, 'assigned') <> 'cancelled'
        ),
        v AS ({CURRENT_VERDICTS}),
        judged AS (SELECT * FROM v WHERE verdict IN ('pass', 'fail')),
        sides AS (
            SELECT a.assignment_id, j.verdict, j.call_at < a.assigned_at AS before,
                   row_number() OVER (PARTITION BY a.assignment_id, j.call_at < a.assigned_at
                                      ORDER BY CASE WHEN j.call_at < a.assigned_at THEN -epoch(j.call_at)
                                                    ELSE epoch(j.call_at) END, j.call_id) AS nth
            FROM a JOIN judged j ON j.operator_id = a.operator_id AND j.criterion_id = a.criterion_id
        )
        SELECT a.assignment_id, a.operator_id, a.criterion_id, a.assigned_at, a.assigned_by,
               count(s.verdict) FILTER (s.before) AS calls_before,
               count(s.verdict) FILTER (s.before AND s.verdict = 'fail') AS failed_before,
               count(s.verdict) FILTER (s.before AND s.verdict = 'fail')
                   / nullif(count(s.verdict) FILTER (s.before), 0) AS fail_rate_before,
               count(s.verdict) FILTER (NOT s.before) AS calls_after,
               count(s.verdict) FILTER (NOT s.before AND s.verdict = 'fail') AS failed_after,
               count(s.verdict) FILTER (NOT s.before AND s.verdict = 'fail')
                   / nullif(count(s.verdict) FILTER (NOT s.before), 0) AS fail_rate_after
        FROM a LEFT JOIN sides s ON s.assignment_id = a.assignment_id AND s.nth <= ?
        GROUP BY ALL
        ORDER BY a.assigned_at DESC, a.assignment_id
        """,
        [*_ALL_TIME, calls],
    ).df()


def weekly_fail_rate(con: duckdb.DuckDBPyConnection, operator_id: str, criterion_id: str,
                     since: datetime, until: datetime) -> pd.DataFrame:
    """The operator's weekly failure rate on one criterion: the trend line around a coaching."""
    return con.execute(
        f"""
        WITH v AS ({CURRENT_VERDICTS})
        SELECT date_trunc('week', call_at) AS week, count(*) AS calls,
               count(*) FILTER (verdict = 'fail') / count(*) AS fail_rate
        FROM v WHERE verdict IN ('pass', 'fail') AND operator_id = ? AND criterion_id = ?
        GROUP BY week ORDER BY week
        """,
        [since, until, operator_id, criterion_id],
    ).df()

