"""Reviewer calibration sessions (migration 023): the session, its calls and reviewers, and the blind answers.

The answers are kept in ``calibration_session_answers``, never in ``reviews``: a session measures how
reviewers agree and does not change any call's verdict. The machine's verdicts are read here only for the
results (``machine_verdicts``); the blind scoring reads the criteria's ids alone (``criteria``).
A database older than the tables reads as holding no session (the first write migrates it).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import duckdb

from storage.db import now

__all__ = [
    "Candidate",
    "SessionCall",
    "SessionRow",
    "answers",
    "candidates",
    "close",
    "create",
    "criteria",
    "has_tables",
    "machine_verdicts",
    "save_answers",
    "session",
    "session_calls",
    "sessions",
]

VERDICTS = ("pass", "fail", "na")


@dataclass(frozen=True)
class SessionRow:
    session_id: str
    name: str
    created_by: str
    created_at: datetime
    closed_by: str | None
    closed_at: datetime | None
    reviewers: tuple[str, ...]
    calls: int

    @property
    def closed(self) -> bool:
        return self.closed_at is not None


@dataclass(frozen=True)
class SessionCall:
    call_id: str
    position: int
    file_name: str
    scorecard_name: str
    scorecard_version: int


@dataclass(frozen=True)
class Candidate:
    """A processed call a lead may put in a session."""

    call_id: str
    file_name: str
    operator_id: str | None
    call_at: datetime | None


def has_tables(con: duckdb.DuckDBPyConnection) -> bool:
    return bool(con.execute("SELECT 1 FROM duckdb_tables() WHERE table_name = 'calibration_sessions'").fetchall())


def candidates(con: duckdb.DuckDBPyConnection, limit: int = 500) -> list[Candidate]:
    """The latest processed calls that have verdicts on their current scorecard, newest first."""
    rows = con.execute(
        """
        SELECT c.call_id, c.file_name, c.operator_id, coalesce(c.started_at, c.processed_at) AS call_at
        FROM calls c
        WHERE c.status = 'processed' AND c.scorecard_name IS NOT NULL
          AND EXISTS (SELECT 1 FROM criteria_results r WHERE r.call_id = c.call_id
                      AND r.scorecard_name = c.scorecard_name AND r.scorecard_version = c.scorecard_version)
        ORDER BY call_at DESC NULLS LAST, c.file_name
        LIMIT ?
        """,
        [limit],
    ).fetchall()
    return [Candidate(*r) for r in rows]


def create(con: duckdb.DuckDBPyConnection, session_id: str, name: str, created_by: str, call_ids: list[str],
           reviewers: list[str], created_at: datetime | None = None) -> None:
    """A new session over ``call_ids`` (their current scorecard version pinned) for ``reviewers``."""
    con.execute("BEGIN")
    try:
        con.execute("INSERT INTO calibration_sessions (session_id, name, created_by, created_at) VALUES (?, ?, ?, ?)",
                    [session_id, name, created_by, created_at or now()])
        for position, call_id in enumerate(call_ids):
            inserted = con.execute(
                "INSERT INTO calibration_session_calls (session_id, call_id, position, scorecard_name,"
                " scorecard_version) SELECT ?, call_id, ?, scorecard_name, scorecard_version FROM calls"
                " WHERE call_id = ? AND status = 'processed' AND scorecard_name IS NOT NULL RETURNING call_id",
                [session_id, position, call_id],
            ).fetchall()
            if not inserted:
                raise ValueError(f"call {call_id!r} is not a processed call with verdicts")
        for reviewer in reviewers:
            con.execute("INSERT INTO calibration_session_reviewers (session_id, reviewer) VALUES (?, ?)",
                        [session_id, reviewer])
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise


_SESSION_ROW = """
    SELECT s.session_id, s.name, s.created_by, s.created_at, s.closed_by, s.closed_at,
           coalesce((SELECT list(r.reviewer ORDER BY r.reviewer) FROM calibration_session_reviewers r
                     WHERE r.session_id = s.session_id), []) AS reviewers,
           (SELECT count(*) FROM calibration_session_calls c WHERE c.session_id = s.session_id) AS calls
    FROM calibration_sessions s
"""


def _row(r: tuple) -> SessionRow:
    return SessionRow(r[0], r[1], r[2], r[3], r[4], r[5], tuple(r[6]), int(r[7]))


def sessions(con: duckdb.DuckDBPyConnection, visible_to: str | None = None) -> list[SessionRow]:
    """Sessions newest first: all of them (``visible_to`` None), or those ``visible_to`` leads or takes part in."""
    if not has_tables(con):
        return []
    rows = con.execute(
        _SESSION_ROW + """
        WHERE ? IS NULL OR s.created_by = ?
           OR EXISTS (SELECT 1 FROM calibration_session_reviewers r
                      WHERE r.session_id = s.session_id AND r.reviewer = ?)
        ORDER BY s.created_at DESC, s.session_id
        """,
        [visible_to, visible_to, visible_to],
    ).fetchall()
    return [_row(r) for r in rows]


def session(con: duckdb.DuckDBPyConnection, session_id: str) -> SessionRow | None:
    if not has_tables(con):
        return None
    row = con.execute(_SESSION_ROW + " WHERE s.session_id = ?", [session_id]).fetchone()
    return _row(row) if row else None


def session_calls(con: duckdb.DuckDBPyConnection, session_id: str) -> list[SessionCall]:
    rows = con.execute(
        """
        SELECT sc.call_id, sc.position, coalesce(c.file_name, sc.call_id), sc.scorecard_name, sc.scorecard_version
        FROM calibration_session_calls sc LEFT JOIN calls c USING (call_id)
        WHERE sc.session_id = ? ORDER BY sc.position
        """,
        [session_id],
    ).fetchall()
    return [SessionCall(*r) for r in rows]


def criteria(con: duckdb.DuckDBPyConnection, session_id: str) -> list[tuple[str, str]]:
    """(call_id, criterion_id) of every question in the session: the pinned scorecard's criteria per call.
    Only the ids: the blind scoring must not see the machine's verdicts."""
    return [
        (r[0], r[1]) for r in con.execute(
            """
            SELECT sc.call_id, r.criterion_id
            FROM calibration_session_calls sc
            JOIN criteria_results r ON r.call_id = sc.call_id AND r.scorecard_name = sc.scorecard_name
                 AND r.scorecard_version = sc.scorecard_version
            WHERE sc.session_id = ?
            ORDER BY sc.position, r.criterion_id
            """,
            [session_id],
        ).fetchall()
    ]


def answers(con: duckdb.DuckDBPyConnection, session_id: str,
            reviewer: str | None = None) -> list[tuple[str, str, str, str]]:
    """(call_id, criterion_id, reviewer, verdict) of the session: everybody's, or one ``reviewer``'s."""
    return [
        (r[0], r[1], r[2], r[3]) for r in con.execute(
            "SELECT call_id, criterion_id, reviewer, verdict FROM calibration_session_answers"
            " WHERE session_id = ? AND (? IS NULL OR reviewer = ?) ORDER BY call_id, criterion_id, reviewer",
            [session_id, reviewer, reviewer],
        ).fetchall()
    ]


def save_answers(con: duckdb.DuckDBPyConnection, session_id: str, call_id: str, reviewer: str,
                 verdicts: dict[str, str], answered_at: datetime | None = None) -> None:
    """``reviewer``'s verdicts on ``call_id``'s criteria (criterion -> pass|fail|na); replaces earlier ones."""
    bad = {v for v in verdicts.values() if v not in VERDICTS}
    if bad:
        raise ValueError(f"a calibration verdict is one of {', '.join(VERDICTS)}, not {sorted(bad)}")
    at = answered_at or now()
    for criterion_id, verdict in verdicts.items():
        con.execute(
            "INSERT INTO calibration_session_answers"
            " (session_id, call_id, criterion_id, reviewer, verdict, answered_at) VALUES (?, ?, ?, ?, ?, ?)"
            " ON CONFLICT (session_id, call_id, criterion_id, reviewer)"
            " DO UPDATE SET verdict = excluded.verdict, answered_at = excluded.answered_at",
            [session_id, call_id, criterion_id, reviewer, verdict, at],
        )


def close(con: duckdb.DuckDBPyConnection, session_id: str, closed_by: str, closed_at: datetime | None = None) -> bool:
    """Closes an open session; False when it was closed already."""
    done = con.execute(
        "UPDATE calibration_sessions SET closed_by = ?, closed_at = ? WHERE session_id = ? AND closed_at IS NULL"
        " RETURNING session_id",
        [closed_by, closed_at or now(), session_id],
    ).fetchall()
    return bool(done)


def machine_verdicts(con: duckdb.DuckDBPyConnection, session_id: str) -> dict[tuple[str, str], str]:
    """(call_id, criterion_id) -> the automatic verdict on the pinned scorecard (pass|fail|unknown|na)."""
    rows = con.execute(
        """
        SELECT sc.call_id, r.criterion_id, r.result
        FROM calibration_session_calls sc
        JOIN criteria_results r ON r.call_id = sc.call_id AND r.scorecard_name = sc.scorecard_name
             AND r.scorecard_version = sc.scorecard_version
        WHERE sc.session_id = ?
        """,
        [session_id],
    ).fetchall()
    return {(r[0], r[1]): r[2] for r in rows}
