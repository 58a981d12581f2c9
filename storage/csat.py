"""Imported survey scores (CSAT): storing a parsed file, and pairing surveys with predictions.

A survey row names its call by ``call_id`` or by the recording's file name. Only processed
calls take a survey: a key that matches no call, a call that was quarantined, failed or
purged, or a file name shared by several processed calls (use ``call_id`` then) is not
stored and is reported with its line. Importing again replaces a call's score (the latest
import wins, as the ``csat`` table says).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import duckdb

from pipeline.intake.csat_file import CsatFile
from pipeline.intake.spreadsheet_csv import LineProblem
from storage.db import now, one_row
from storage.satisfaction import period_where


@dataclass(frozen=True)
class CsatImport:
    source: str
    added: int  # calls that had no survey
    updated: int  # calls whose stored survey changed
    unchanged: int  # the same score again
    unmatched: tuple[LineProblem, ...]  # rows naming no processed call, with why
    errors: tuple[LineProblem, ...]  # lines of the file that could not be read
    warnings: tuple[LineProblem, ...]

    @property
    def stored(self) -> int:
        return self.added + self.updated + self.unchanged

    def to_json(self) -> dict:
        return {
            "source": self.source, "stored": self.stored, "added": self.added, "updated": self.updated,
            "unchanged": self.unchanged,
            "unmatched": [{"line": p.line, "message": p.message} for p in self.unmatched],
            "errors": [{"line": p.line, "message": p.message} for p in self.errors],
            "warnings": [{"line": p.line, "message": p.message} for p in self.warnings],
        }


def _matches(con: duckdb.DuckDBPyConnection, column: str, keys: list[str]) -> dict[str, list[tuple[str, str]]]:
    """key -> [(call_id, status)] of every call whose ``column`` is that key."""
    rows = con.execute(
        f"SELECT {column}, call_id, status FROM calls WHERE {column} IN (SELECT unnest(?::VARCHAR[]))", [keys]
    ).fetchall()
    out: dict[str, list[tuple[str, str]]] = {}
    for key, call_id, status in rows:
        out.setdefault(key, []).append((call_id, status))
    return out


def import_csat(con: duckdb.DuckDBPyConnection, parsed: CsatFile, source: str,
                imported_at: datetime | None = None) -> CsatImport:
    """Store the file's surveys for the calls they name, in one transaction."""
    column = "call_id" if parsed.key_kind == "call_id" else "file_name"
    found = _matches(con, column, [r.key for r in parsed.rows])
    chosen: dict[str, tuple[int, int]] = {}  # call_id -> (score, line)
    unmatched: list[LineProblem] = []
    for row in parsed.rows:
        calls = found.get(row.key, [])
        processed = [call_id for call_id, status in calls if status == "processed"]
        if len(processed) == 1:  # keys are unique in a parsed file, and a call has one id and one file name
            chosen[processed[0]] = (row.score, row.line)
        elif len(processed) > 1:
            unmatched.append(LineProblem(row.line, f"{row.key}: {len(processed)} processed calls have this file name; "
                                                   "use a call_id column"))
        elif calls:
            statuses = ", ".join(sorted({status for _, status in calls}))
            unmatched.append(
                LineProblem(row.line, f"{row.key}: the call was not processed ({statuses}): no survey stored")
            )
        else:
            what = "call id" if parsed.key_kind == "call_id" else "recording file name"
            unmatched.append(LineProblem(row.line, f"{row.key}: no call with this {what}"))
    ids = list(chosen)
    before = dict(con.execute("SELECT call_id, score FROM csat WHERE call_id IN (SELECT unnest(?::VARCHAR[]))",
                              [ids]).fetchall()) if ids else {}
    stamp = imported_at or now()
    con.execute("BEGIN TRANSACTION")
    try:
        if ids:
            con.execute(  # one statement over parallel lists: executemany costs milliseconds per row
                "INSERT INTO csat (call_id, score, source, imported_at) "
                "SELECT unnest(?::VARCHAR[]), unnest(?::INTEGER[]), ?, ? "
                "ON CONFLICT (call_id) DO UPDATE SET score = excluded.score, source = excluded.source, "
                "imported_at = excluded.imported_at",
                [ids, [chosen[c][0] for c in ids], source, stamp],
            )
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    added = sum(1 for c in ids if c not in before)
    unchanged = sum(1 for c in ids if c in before and before[c] == chosen[c][0])
    return CsatImport(source, added, len(ids) - added - unchanged, unchanged,
                      tuple(sorted(unmatched, key=lambda p: p.line)), parsed.errors, parsed.warnings)


def survey_pairs(con: duckdb.DuckDBPyConnection, since: datetime | None = None, until: datetime | None = None,
                 teams: tuple[str, ...] = ()) -> list[tuple[str, float, int]]:
    """(call_id, predicted, surveyed) of every call with both, in the period (by call time) and teams."""
    where, params = period_where(since, until, teams)
    return con.execute(
        f"""
        SELECT c.call_id, s.predicted, q.score
        FROM calls c JOIN csat q ON q.call_id = c.call_id JOIN call_satisfaction s ON s.call_id = c.call_id
        WHERE {where} ORDER BY c.call_id
        """,
        params,
    ).fetchall()


def survey_counts(con: duckdb.DuckDBPyConnection) -> tuple[int, int]:
    """(surveys stored, of those: calls without a prediction yet)."""
    row = one_row(con.execute(
        "SELECT count(*), count(*) FILTER (WHERE s.call_id IS NULL) FROM csat q "
        "LEFT JOIN call_satisfaction s ON s.call_id = q.call_id"
    ))
    return int(row[0]), int(row[1])
