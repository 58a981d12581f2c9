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
    sampled: bool | None = None  # True: only calls in an audit sample (with flagged_only False: the sample's list)

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
        if self.sampled is not None:
            clauses.append(("" if self.sampled else "NOT ")
                           + "EXISTS (SELECT 1 FROM audit_samples sa WHERE sa.call_id = c.call_id)")
        return " AND ".join(clauses), params


_CRITICAL = " OR ".join(f"list_contains(s.flags, '{f}')" for f in CRITICAL_FLAGS)
# A queue row with the columns the orders above sort on.
_ROW = f"""
    c.call_id, c.file_name, c.operator_id, c.team, c.queue, c.language, c.duration_s,
    coalesce(c.started_at, c.processed_at) AS call_at, s.score, coalesce(s.flags, []) AS flags,
    coalesce({_CRITICAL}, false) AS critical, len(coalesce(s.flags, [])) AS n_flags
"""


def review_queue(con: duckdb.DuckDBPyConnection, filt: QueueFilter = QueueFilter(), limit: int = 100,
                 offset: int = 0, sort: Sort = "priority") -> pd.DataFrame:
    """One page of the queue: call id, recording, operator, team, queue, time, score, flags, reviewed."""
    where, params = filt.where()
    return con.execute(
        f"""
        WITH page AS (
            SELECT {_ROW}
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


@dataclass(frozen=True)
class Neighbours:
    """Where a call stands in a filtered, sorted queue: the calls before and after it, its place
    (1-based; None when the call itself is not in the queue, e.g. marked reviewed in a queue of
    unreviewed calls: its neighbours are then the calls around where it would be) and the size."""

    previous: str | None
    next: str | None
    position: int | None
    total: int


def neighbours(con: duckdb.DuckDBPyConnection, call_id: str, filt: QueueFilter = QueueFilter(),
               sort: Sort = "priority") -> Neighbours:
    """The calls just before and after ``call_id`` in the queue ``filt`` sorted by ``sort``, in one query.

    The call takes its place in the order by its own sort values even when the filter leaves it out,
    so "next call" still works after the reviewer marked it reviewed in a queue of unreviewed calls.
    Numbering the filtered rows is one sort of the period's calls (what counting them costs, and a
    page of the queue sorts the same rows)."""
    where, params = filt.where()
    row = one_row(con.execute(
        f"""
        WITH ranked AS (
            SELECT call_id, member,
                   row_number() OVER (ORDER BY {_ORDER[sort]}) AS place,
                   sum(member::INTEGER) OVER (ORDER BY {_ORDER[sort]}
                                              ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS members_so_far
            FROM (
                SELECT {_ROW}, coalesce({where}, false) AS member
                {CALLS_WITH_CURRENT_SCORE}
                WHERE ({where}) OR c.call_id = ?
            )
        ),
        here AS (SELECT place, member, members_so_far FROM ranked WHERE call_id = ?)
        SELECT
            (SELECT call_id FROM ranked, here WHERE ranked.place = here.place - 1),
            (SELECT call_id FROM ranked, here WHERE ranked.place = here.place + 1),
            (SELECT CASE WHEN member THEN members_so_far END FROM here),
            (SELECT count(*) FILTER (member) FROM ranked)
        """,
        [*params, *params, call_id, call_id],
    ))
    previous, following, position, total = row
    return Neighbours(previous, following, None if position is None else int(position), int(total))


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


def call_names(con: duckdb.DuckDBPyConnection, call_ids: list[str]) -> dict[str, tuple[str, datetime | None]]:
    """Each call's recording name and time (the call's start, else when it was processed)."""
    if not call_ids:
        return {}
    rows = con.execute(
        "SELECT call_id, file_name, coalesce(started_at, processed_at) FROM calls WHERE call_id IN "
        f"({', '.join('?' * len(call_ids))})", call_ids,
    ).fetchall()
    return {call_id: (name, at) for call_id, name, at in rows}
