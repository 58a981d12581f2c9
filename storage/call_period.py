"""A call's time and a period on it, as SQL on ``calls c``: when the call took place, or when it
was processed where the metadata gave no start time."""

from __future__ import annotations

from datetime import datetime

CALL_AT = "coalesce(c.started_at, c.processed_at)"


def period_clauses(since: datetime | None, until: datetime | None) -> tuple[list[str], list]:
    """Conditions (for the caller to join with AND) and their parameters: the call's time in
    [since, until); a None end is open."""
    clauses, params = [], []
    if since is not None:
        clauses.append(f"{CALL_AT} >= ?")
        params.append(since)
    if until is not None:
        clauses.append(f"{CALL_AT} < ?")
        params.append(until)
    return clauses, params
