"""Call detail records (``cdr_records``, migration 029): storing a parsed file, matching records to recordings,
and the per-record values the KPIs (``pipeline.stats.cdr_kpis``) are computed from.

Importing is an upsert by the record's key (``pipeline.intake.cdr``): the same file, or an overlapping export,
read again replaces rows and never adds them.

A record matches a recording when they share an id: ``calls.external_id`` (migration 026) equals the record's
``call_ref`` (Asterisk's uniqueid, a CRM's call id) or its ``linked_ref`` (Asterisk's linkedid, which MixMonitor
file names often carry). Matching happens when the figures are read, so recordings processed after the
import match too.

The team, site or vendor a record counts for, in this order (``Attribution``):
1. ``file``: the file's own column (a generic CSV mapped with team/site/vendor);
2. ``recording``: the matched recording's metadata;
3. ``agent``: the agent's latest call (``calls.operator_id`` = the record's agent) at or before the record,
   else their first call after it;
4. ``unknown``: none of these: the record counts in the group "(not known)".
A record whose attribution found a call without that field counts as the call would on the QA side
(no vendor: in-house). Queues always come from the record itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

import duckdb

from pipeline.intake.cdr import CdrFile
from pipeline.intake.spreadsheet_csv import LineProblem
from pipeline.stats.cdr_kpis import CdrValue, KpiRow, KpiRules, compare_kpis, kpi_table
from pipeline.stats.group_comparison import ALPHA, MIN_N, Correction, GroupComparison
from reporting.i18n import N_
from storage.comparison import UNSET
from storage.db import now, one_row

CdrDimension = Literal["queue", "vendor", "site", "team"]
CDR_DIMENSIONS: tuple[CdrDimension, ...] = ("queue", "vendor", "site", "team")
Attribution = Literal["file", "recording", "agent", "unknown"]
ATTRIBUTIONS: tuple[Attribution, ...] = ("file", "recording", "agent", "unknown")
NO_QUEUE = N_("(no queue)")
NOT_KNOWN = N_("(not known)")
_COLUMNS = ("record_key", "call_ref", "linked_ref", "queue", "agent", "entered_at", "answered_at", "ended_at",
            "outcome", "team", "site", "vendor")
_ATTRIBUTES = ("key",) + _COLUMNS[1:]  # CdrRecord's names of the same values


@dataclass(frozen=True)
class CdrImport:
    source: str
    read: int  # data lines read
    added: int  # records new to the database
    updated: int  # records already there, replaced (the same key again)
    matched: int  # records of this file that share an id with a recording
    skipped: tuple[LineProblem, ...]  # bad lines
    warnings: tuple[LineProblem, ...]

    @property
    def stored(self) -> int:
        return self.added + self.updated

    def to_json(self) -> dict:
        return {"source": self.source, "read": self.read, "stored": self.stored, "added": self.added,
                "updated": self.updated, "matched": self.matched,
                "skipped": [{"line": p.line, "message": p.message} for p in self.skipped],
                "warnings": [{"line": p.line, "message": p.message} for p in self.warnings]}


def import_cdr(con: duckdb.DuckDBPyConnection, parsed: CdrFile, source: str,
               imported_at: datetime | None = None) -> CdrImport:
    """Store the file's records in one transaction (an upsert by key) and count those matching a recording."""
    records = parsed.records
    # The records as parallel lists, zipped back into rows by DuckDB's unnest: one statement for the whole file.
    lists = [[getattr(r, a) for r in records] for a in _ATTRIBUTES]
    unnest = ", ".join(f"unnest(?::{'TIMESTAMP' if c.endswith('_at') else 'VARCHAR'}[]) AS {c}" for c in _COLUMNS)
    name = "cdr_incoming"
    con.execute(f"CREATE OR REPLACE TEMP TABLE {name} AS SELECT {unnest}", lists)
    try:
        con.execute("BEGIN TRANSACTION")
        try:
            updated = one_row(con.execute(
                f"SELECT count(*) FROM {name} i JOIN cdr_records r ON r.record_key = i.record_key"))[0]
            columns = ", ".join(_COLUMNS)
            # Delete and insert rather than INSERT OR REPLACE: DuckDB's upsert of many existing rows is several
            # times slower (benchmarks/cdr_kpis.py).
            if updated:
                con.execute(f"DELETE FROM cdr_records WHERE record_key IN (SELECT record_key FROM {name})")
            con.execute(f"INSERT INTO cdr_records ({columns}, source_file, imported_at) "
                        f"SELECT {columns}, ?, ? FROM {name}", [source, imported_at or now()])
            matched = one_row(con.execute(
                f"""SELECT count(*) FROM {name} i WHERE EXISTS (
                        SELECT 1 FROM calls c WHERE c.external_id IS NOT NULL
                        AND (c.external_id = i.call_ref OR c.external_id = i.linked_ref))"""))[0]
            con.execute("COMMIT")
        except Exception:
            con.execute("ROLLBACK")
            raise
    finally:
        con.execute(f"DROP TABLE IF EXISTS {name}")
    return CdrImport(source, parsed.lines, len(records) - updated, updated, matched, parsed.errors, parsed.warnings)


@dataclass(frozen=True)
class CdrData:
    dimension: CdrDimension
    values: tuple[CdrValue, ...]
    attribution: dict[str, int]  # how many records got their group from where (Attribution)
    matched: int  # records sharing an id with a recording


# [since, until) on entering the queue; a NULL end is open. Parameters: since, since, until, until.
_PERIOD = "(? IS NULL OR r.entered_at >= ?) AND (? IS NULL OR r.entered_at < ?)"


def cdr_values(con: duckdb.DuckDBPyConnection, dimension: CdrDimension, since: datetime | None = None,
               until: datetime | None = None) -> CdrData:
    """Every record that entered a queue in [since, until), with the group it counts in and why."""
    if dimension not in CDR_DIMENSIONS:
        raise ValueError(f"unknown dimension {dimension!r}: one of {', '.join(CDR_DIMENSIONS)}")
    period = [since, since, until, until]
    if not _has_table(con):  # a database opened read-only before migration 029 reached it: no records yet
        return CdrData(dimension, (), {a: 0 for a in ATTRIBUTIONS}, 0)
    if dimension == "queue":
        rows = con.execute(
            f"""SELECT r.queue, 'file', r.outcome, epoch(coalesce(r.answered_at, r.ended_at) - r.entered_at),
                       epoch(r.ended_at - r.answered_at), r.entered_at,
                       EXISTS (SELECT 1 FROM calls c WHERE c.external_id IS NOT NULL
                               AND (c.external_id = r.call_ref OR c.external_id = r.linked_ref))
                FROM cdr_records r WHERE {_PERIOD} ORDER BY r.entered_at, r.record_key""", period).fetchall()
        unset = NO_QUEUE
    else:
        d = dimension
        rows = con.execute(
            f"""
            WITH r AS (SELECT * FROM cdr_records r WHERE {_PERIOD}),
            matched AS (
                SELECT r.record_key, arg_max(c.{d}, c.call_id) AS value
                FROM r JOIN calls c ON c.external_id IS NOT NULL
                     AND (c.external_id = r.call_ref OR c.external_id = r.linked_ref)
                GROUP BY r.record_key),
            agent_calls AS (
                SELECT operator_id, coalesce(started_at, processed_at, first_seen_at) AS call_at, {d} AS value
                FROM calls WHERE operator_id IS NOT NULL),
            before AS (
                SELECT r.record_key, a.value, a.call_at IS NOT NULL AS found FROM r
                ASOF LEFT JOIN agent_calls a ON r.agent = a.operator_id AND r.entered_at >= a.call_at),
            first_after AS (
                SELECT operator_id, arg_min(value, call_at) AS value FROM agent_calls GROUP BY operator_id)
            SELECT CASE WHEN r.{d} IS NOT NULL THEN r.{d}
                        WHEN m.record_key IS NOT NULL THEN m.value
                        WHEN b.found THEN b.value
                        ELSE f.value END,
                   CASE WHEN r.{d} IS NOT NULL THEN 'file'
                        WHEN m.record_key IS NOT NULL THEN 'recording'
                        WHEN b.found OR f.operator_id IS NOT NULL THEN 'agent'
                        ELSE 'unknown' END,
                   r.outcome, epoch(coalesce(r.answered_at, r.ended_at) - r.entered_at),
                   epoch(r.ended_at - r.answered_at), r.entered_at, m.record_key IS NOT NULL
            FROM r
            LEFT JOIN matched m ON m.record_key = r.record_key
            LEFT JOIN before b ON b.record_key = r.record_key
            LEFT JOIN first_after f ON f.operator_id = r.agent
            ORDER BY r.entered_at, r.record_key
            """, period).fetchall()
        unset = UNSET[dimension]
    attribution: dict[str, int] = {a: 0 for a in ATTRIBUTIONS}
    values = []
    matched = 0
    for group, source, outcome, wait_s, talk_s, entered_at, is_matched in rows:
        attribution[source] += 1
        matched += bool(is_matched)
        name = NOT_KNOWN if source == "unknown" else (group or unset)
        values.append(CdrValue(name, outcome, float(wait_s), None if talk_s is None else float(talk_s), entered_at))
    return CdrData(dimension, tuple(values), attribution, matched)


def _has_table(con: duckdb.DuckDBPyConnection) -> bool:
    return bool(one_row(con.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_name = 'cdr_records'"))[0])


@dataclass(frozen=True)
class CdrKpis:
    """The period's KPIs by one dimension: the comparison (intervals, tests), the plain table, and where the
    groups came from."""

    data: CdrData
    rules: KpiRules
    table: tuple[KpiRow, ...]  # per group, busiest first
    comparison: GroupComparison

    @property
    def empty(self) -> bool:
        return not self.data.values

    def to_json(self) -> dict:
        return {"dimension": self.data.dimension, "records": len(self.data.values), "rule": self.rules.rule,
                "matched_recordings": self.data.matched, "attribution": self.data.attribution,
                "groups": [row.to_json() for row in self.table], "comparison": self.comparison.to_json()}


def compare_cdr(con: duckdb.DuckDBPyConnection, dimension: CdrDimension, since: datetime | None = None,
                until: datetime | None = None, rules: KpiRules | None = None, *, min_n: int = MIN_N,
                alpha: float = ALPHA, correction: Correction = "holm") -> CdrKpis:
    """Service level, abandonment, speed of answer and handle time per group of ``dimension`` in [since, until)."""
    rules = rules or KpiRules()
    data = cdr_values(con, dimension, since, until)
    return CdrKpis(data, rules, tuple(kpi_table(data.values, rules)),
                   compare_kpis(data.values, rules, min_n=min_n, alpha=alpha, correction=correction))
