"""The review queue: processed calls of a period, filtered and in priority order, a page at a time.

Priority: calls with a critical flag first (a critical criterion failed, a forbidden
phrase, an escalation), then calls with more flags, then lower scores. Pages are
fetched with LIMIT/OFFSET over that fixed order, so a queue of 100k calls is never
loaded whole.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

import duckdb
import pandas as pd

from storage.call_period import period_clauses
from storage.current_verdicts import CALLS_WITH_CURRENT_SCORE
from storage.db import one_row

CRITICAL_FLAGS = ("critical_fail", "forbidden_phrase", "escalation")
Sort = Literal["priority", "newest", "oldest", "score"]
_ORDER: dict[str, str] = {
    "priority": "critical DESC, n_flags DESC, score ASC NULLS FIRST, call_at DESC, call_id",
    "newest": "call_at DESC, call_id",
    "oldest": "call_at ASC, call_id",
    "score": "score ASC NULLS FIRST, call_at DESC, call_id",
}


@dataclass(frozen=True)
class QueueFilter:
    """What the reviewer asked for; ``None`` means "any"."""

    since: datetime | None = None
    until: datetime | None = None  # exclusive
    operators: tuple[str, ...] = ()
    teams: tuple[str, ...] = ()
    queues: tuple[str, ...] = ()
    languages: tuple[str, ...] = ()
    flags: tuple[str, ...] = ()  # any of these flags
    flagged_only: bool = True
    min_score: float | None = None
    max_score: float | None = None
    reviewed: bool | None = None

    def where(self) -> tuple[str, list]:
        period, params = period_clauses(self.since, self.until)
        clauses = ["c.status = 'processed'", *period]
        for column, values in (("c.operator_id", self.operators), ("c.team", self.teams),
                               ("c.queue", self.queues), ("c.language", self.languages)):
            if values:
                clauses.append(f"{column} IN ({', '.join('?' * len(values))})")
                params.extend(values)
        if self.flagged_only:
            clauses.append("len(s.flags) > 0")
        if self.flags:
            clauses.append("list_has_any(s.flags, ?::VARCHAR[])")
            params.append(list(self.flags))
        if self.min_score is not None:
            clauses.append("s.score >= ?")
            params.append(self.min_score)
        if self.max_score is not None:
            clauses.append("s.score <= ?")
            params.append(self.max_score)
        if self.reviewed is not None:
            clauses.append(
                ("" if self.reviewed else "NOT ")
                + "EXISTS (SELECT 1 FROM reviews rv WHERE rv.call_id = c.call_id AND rv.action = 'reviewed')"
            )
        return " AND ".join(clauses), params


def review_queue(con: duckdb.DuckDBPyConnection, filt: QueueFilter = QueueFilter(), limit: int = 100,
                 offset: int = 0, sort: Sort = "priority") -> pd.DataFrame:
    """One page of the queue: call id, recording, operator, team, queue, time, score, flags, reviewed."""
    where, params = filt.where()
    critical = " OR ".join(f"list_contains(s.flags, '{f}')" for f in CRITICAL_FLAGS)
    return con.execute(
        f"""
        WITH page AS (
            SELECT c.call_id, c.file_name, c.operator_id, c.team, c.queue, c.language, c.duration_s,
                   coalesce(c.started_at, c.processed_at) AS call_at, s.score, coalesce(s.flags, []) AS flags,
                   coalesce({critical}, false) AS critical, len(coalesce(s.flags, [])) AS n_flags
            {CALLS_WITH_CURRENT_SCORE}
            WHERE {where}
            ORDER BY {_ORDER[sort]}
            LIMIT ? OFFSET ?
        )
        SELECT page.*,
               EXISTS (SELECT 1 FROM reviews rv WHERE rv.call_id = page.call_id AND rv.action = 'reviewed') AS reviewed
        FROM page
        ORDER BY {_ORDER[sort]}
        """,
        [*params, limit, offset],
    ).df()


def queue_size(con: duckdb.DuckDBPyConnection, filt: QueueFilter = QueueFilter()) -> int:
    where, params = filt.where()
    return int(one_row(con.execute(f"SELECT count(*) {CALLS_WITH_CURRENT_SCORE} WHERE {where}", params))[0])


@dataclass(frozen=True)
class FilterOptions:
    operators: tuple[str, ...]
    teams: tuple[str, ...]
    queues: tuple[str, ...]
    languages: tuple[str, ...]
    flags: tuple[str, ...]
    first: datetime | None
    last: datetime | None


def filter_options(con: duckdb.DuckDBPyConnection) -> FilterOptions:
    """The values the queue's filters can take in this database."""

    def distinct(column: str) -> tuple[str, ...]:
        rows = con.execute(
            f"SELECT DISTINCT {column} FROM calls WHERE status = 'processed' AND {column} IS NOT NULL ORDER BY 1"
        )
        return tuple(str(r[0]) for r in rows.fetchall())

    flags = con.execute("SELECT DISTINCT unnest(flags) FROM scores ORDER BY 1").fetchall()
    first, last = one_row(con.execute(
        "SELECT min(coalesce(started_at, processed_at)), max(coalesce(started_at, processed_at))"
        " FROM calls WHERE status = 'processed'"
    ))
    return FilterOptions(distinct("operator_id"), distinct("team"), distinct("queue"), distinct("language"),
                         tuple(f for (f,) in flags), first, last)
