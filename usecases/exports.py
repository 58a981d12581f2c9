"""The app's CSV downloads: the review queue, one call's verdicts, the coaching plan, for Excel users.

Excel opens a double-clicked CSV in the reader's system code page and list separator: without a
byte-order mark UTF-8 Russian becomes mojibake, and in a Russian Excel (list separator ``;``,
decimal comma) a comma-separated file lands in one column. So every file starts with the UTF-8
BOM, Russian readers get ``;`` and decimal commas, English readers ``,`` and decimal points; the
headers are in the reader's language, verdicts and flags in words, scores whole, confidences to
two places, times in the site's zone to the minute.

Cells a spreadsheet opens as text: operator ids and comments come from outside and could
otherwise start a formula (``reporting.cells``).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

import pandas as pd

from reporting.cells import csv_cell
from reporting.i18n import N_, Words
from storage import review_queue
from storage.coaching import CoachingTopic
from storage.review_queue import QueueFilter, Sort
from storage.training import Assignment
from usecases.call_details import CriterionView
from usecases.masking import masked
from usecases.shared_database import connection

__all__ = ["CsvDialect", "call_names", "coaching_plan_csv", "dialect", "queue_csv", "verdicts_csv"]

BOM = "\ufeff"
CriterionTitle = Callable[[str], str]


@dataclass(frozen=True)
class CsvDialect:
    """How the reader's spreadsheet splits a line and writes a fraction."""

    separator: str
    decimal: str


def dialect(words: Words) -> CsvDialect:
    """``;`` and a decimal comma for Russian (Excel's list separator there), ``,`` and a point for English."""
    return CsvDialect(";", ",") if words.locale == "ru" else CsvDialect(",", ".")


class _Cells:
    """Values as the reader's spreadsheet reads them (no grouping: ``1234``, not ``1 234``)."""

    def __init__(self, words: Words) -> None:
        self.words = words
        self.decimal = dialect(words).decimal

    def number(self, value: float | None, digits: int = 0) -> str:
        if value is None or value != value:
            return ""
        text = f"{value:.{digits}f}"
        return text.replace(".", self.decimal) if digits else text

    def time(self, moment: datetime | None) -> str:
        """In the site's zone, to the minute, in the order Excel of that language reads as a date and time."""
        if moment is None or pd.isna(moment):
            return ""
        local = self.words.local(pd.Timestamp(moment).to_pydatetime())
        return local.strftime("%d.%m.%Y %H:%M" if self.words.locale == "ru" else "%Y-%m-%d %H:%M")

    def yes_no(self, value: bool | None) -> str:
        if value is None:
            return ""
        return self.words(N_("yes")) if value else self.words(N_("no"))


def _csv(words: Words, header: Sequence[str], rows: Iterable[Sequence[object]]) -> bytes:
    """The file: BOM, the reader's separator, translated ``header``; text cells opened as text."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=dialect(words).separator, lineterminator="\r\n")
    writer.writerow([words(h) for h in header])
    for row in rows:
        writer.writerow(["" if v is None else csv_cell(v) for v in row])
    return (BOM + out.getvalue()).encode("utf-8")


QUEUE_HEADER = (N_("Recording"), N_("Operator"), N_("Team"), N_("Queue"), N_("Time"), N_("Duration, s"),
                N_("Language"), N_("Score"), N_("Flags"), N_("Reviewed"))


def queue_csv(db: str, filt: QueueFilter, sort: Sort, words: Words) -> bytes:
    """The whole filtered queue, in the queue's order (built when the reviewer clicks the download)."""
    with connection(db, read_only=True) as con:
        total = review_queue.queue_size(con, filt)
        rows = review_queue.review_queue(con, filt, limit=max(total, 1), offset=0, sort=sort)
    cell = _Cells(words)
    return _csv(words, QUEUE_HEADER, (
        (r.file_name, r.operator_id, r.team, r.queue, cell.time(r.call_at), cell.number(r.duration_s),
         words.of("language", r.language) if r.language else "", cell.number(r.score),
         ", ".join(words.flag(f) for f in (r.flags if r.flags is not None else [])), cell.yes_no(bool(r.reviewed)))
        for r in rows.itertuples(index=False)
    ))


VERDICTS_HEADER = (N_("Criterion"), N_("Automatic verdict"), N_("How it was judged"), N_("Confidence"),
                   N_("Critical"), N_("Reason"), N_("Evidence"), N_("Evidence at, s"), N_("Reviewer's verdict"),
                   N_("Reviewer"), N_("Reviewer's comment"), N_("Verdict that counts"))


def verdicts_csv(criteria: Iterable[CriterionView], words: Words, criterion_title: CriterionTitle | None = None,
                 mask_language: str | None = None) -> bytes:
    """The call's verdicts (``criteria``, journalled reviews included); with ``mask_language`` the
    evidence quotes have personal data masked (for non-admins, as the call page shows them, also when
    stored transcripts are not redacted)."""
    title = criterion_title or (lambda criterion_id: words.of("criterion", criterion_id))
    cell = _Cells(words)

    def shown(text: str) -> str:
        return text if mask_language is None else masked(text, mask_language)

    return _csv(words, VERDICTS_HEADER, (
        (title(c.id), words.verdict(c.result), words.of("method", c.method), cell.number(c.confidence, 2),
         cell.yes_no(c.critical), c.reason, shown(c.evidence.text) if c.evidence else None,
         cell.number(c.evidence.start) if c.evidence else None,
         words.verdict(c.review.verdict) if c.review else None, c.review.reviewer if c.review else None,
         c.review.comment if c.review else None, words.verdict(c.review.verdict if c.review else c.result))
        for c in criteria
    ))


PLAN_HEADER = (N_("Operator"), N_("Team"), N_("Criterion"), N_("Misses in the last calls"),
               N_("Last calls judged"), N_("Last calls, oldest first"), N_("Calls judged"), N_("Failed"),
               N_("Fail rate, %"), N_("Team's fail rate, %"), N_("Failures above the team"), N_("Missed calls"),
               N_("Assigned by"), N_("Assigned"), N_("Trainer's note"))


def coaching_plan_csv(topics: Iterable[CoachingTopic], assignments: list[Assignment], words: Words,
                      criterion_title: CriterionTitle | None = None,
                      call_name: Callable[[str], str] | None = None) -> bytes:
    """Ranked coaching ``topics`` with their misses among the last judged calls and the streak (``✗✓✗``), their
    latest assignment (if any) and the missed calls (named by ``call_name``: the recording and time, where the
    caller knows them)."""
    title = criterion_title or (lambda criterion_id: words.of("criterion", criterion_id))
    name = call_name or (lambda call_id: call_id)
    assigned = {(a.operator_id, a.criterion_id): a for a in reversed(assignments)}
    cell = _Cells(words)
    rows = []
    for t in topics:
        a = assigned.get((t.operator_id, t.criterion_id))
        rows.append((
            t.operator_id, t.team, title(t.criterion_id), t.misses, t.recent_calls, t.streak_marks, t.calls, t.failed,
            cell.number(100 * t.fail_rate),
            cell.number(100 * t.team_fail_rate), cell.number(t.excess_failures, 1),
            ", ".join(name(c) for c, _ in t.example_calls),
            a.assigned_by if a else None, cell.time(a.assigned_at) if a else None, a.note if a else None,
        ))
    return _csv(words, PLAN_HEADER, rows)


def call_names(db: str, call_ids: Iterable[str], words: Words) -> dict[str, str]:
    """``recording (time)`` for each call, as the reader knows calls (not by their hash)."""
    with connection(db, read_only=True) as con:
        found = review_queue.call_names(con, list(dict.fromkeys(call_ids)))
    cell = _Cells(words)
    return {call_id: f"{name} ({cell.time(at)})" if at is not None else name
            for call_id, (name, at) in found.items()}
