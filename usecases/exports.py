"""The app's CSV downloads: the review queue, one call's verdicts, the coaching plan.

Cells a spreadsheet opens as text: operator ids and comments come from outside and could
otherwise start a formula (``reporting.cells``).
"""

from __future__ import annotations

from typing import Iterable

import pandas as pd

from reporting.cells import csv_cell
from storage import review_queue
from storage.coaching import CoachingTopic
from storage.review_queue import QueueFilter, Sort
from storage.training import Assignment
from usecases.call_details import CriterionView
from usecases.masking import masked
from usecases.shared_database import connection


def _csv(rows: pd.DataFrame) -> str:
    """CSV text whose cells a spreadsheet opens as text (``reporting.cells``)."""
    return rows.map(csv_cell).to_csv(index=False)


def queue_csv(db: str, filt: QueueFilter, sort: Sort = "priority") -> str:
    """The whole filtered queue as CSV (built when the reviewer clicks the download)."""
    with connection(db, read_only=True) as con:
        total = review_queue.queue_size(con, filt)
        rows = review_queue.review_queue(con, filt, limit=max(total, 1), offset=0, sort=sort)
    rows = rows.drop(columns=["critical", "n_flags"])
    rows["flags"] = [";".join(f) for f in rows["flags"]]
    return _csv(rows)


def verdicts_csv(call_id: str, criteria: Iterable[CriterionView], mask_language: str | None = None) -> str:
    """The call's verdicts (``criteria``, journalled reviews included) as CSV; with ``mask_language`` the
    evidence quotes have personal data masked (for non-admins, as the call page shows them, also when
    stored transcripts are not redacted)."""
    def shown(text: str) -> str:
        return text if mask_language is None else masked(text, mask_language)

    rows = [
        {
            "call_id": call_id, "criterion": c.id, "automatic": c.result, "method": c.method,
            "confidence": c.confidence, "critical": c.critical, "reason": c.reason,
            "evidence": shown(c.evidence.text) if c.evidence else None,
            "evidence_start_s": c.evidence.start if c.evidence else None,
            "reviewer_verdict": c.review.verdict if c.review else None,
            "reviewer": c.review.reviewer if c.review else None,
            "review_comment": c.review.comment if c.review else None,
            "current": c.review.verdict if c.review else c.result,
        }
        for c in criteria
    ]
    return _csv(pd.DataFrame(rows))


def coaching_plan_csv(topics: Iterable[CoachingTopic], assignments: list[Assignment]) -> str:
    """Ranked coaching ``topics`` with their latest assignment (if any) and example calls."""
    assigned = {(a.operator_id, a.criterion_id): a for a in reversed(assignments)}
    rows = []
    for t in topics:
        a = assigned.get((t.operator_id, t.criterion_id))
        rows.append({
            "operator": t.operator_id, "team": t.team, "criterion": t.criterion_id, "calls": t.calls,
            "failed": t.failed, "fail_rate": round(t.fail_rate, 3), "team_fail_rate": round(t.team_fail_rate, 3),
            "excess_failures": round(t.excess_failures, 2),
            "example_calls": " ".join(c for c, _ in t.example_calls),
            "assigned_by": a.assigned_by if a else None, "assigned_at": a.assigned_at if a else None,
            "note": a.note if a else None,
        })
    return _csv(pd.DataFrame(rows, columns=["operator", "team", "criterion", "calls", "failed", "fail_rate",
                                            "team_fail_rate", "excess_failures", "example_calls", "assigned_by",
                                            "assigned_at", "note"]))
