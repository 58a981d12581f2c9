"""Counts behind the accuracy sheet (issue #18): per criterion, the automatic verdicts of AUDIT-SAMPLED calls
beside the reviewer's verdict on them. Only sampled calls count: the flagged calls a reviewer opens were
picked by the very checks being measured, so their reviews would flatter precision and hide misses.

A pair is one sampled call x one criterion of its current scorecard that a reviewer confirmed or overrode
(the latest such review, ``storage.current_verdicts.LATEST_REVIEW``). Fail is the positive class."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import duckdb

from storage.call_period import CALL_AT, period_clauses
from storage.current_verdicts import LATEST_REVIEW
from storage.db import one_row

# stereo | mono | '' (not known): how the call was recorded, which decides how speakers are told apart.
CHANNELS = "CASE WHEN c.channels >= 2 THEN 'stereo' WHEN c.channels IS NOT NULL THEN 'mono' ELSE '' END"


@dataclass(frozen=True)
class PairCounts:
    """One slice of one criterion: ``slice`` is all | language | channels, ``value`` the language or
    stereo/mono ('' for all, or not known)."""

    scorecard_name: str
    scorecard_version: int
    criterion_id: str
    slice: str
    value: str
    reviewed: int  # pairs a reviewer judged (pass, fail or n/a)
    true_fails: int  # automatic fail, reviewer fail
    false_fails: int  # automatic fail, reviewer pass or n/a
    missed_fails: int  # reviewer fail, automatic pass, unknown or n/a
    agreed: int  # automatic verdict == reviewer's
    unknown: int  # automatic verdict unknown


def _sampled_pairs(since: datetime, until: datetime) -> tuple[str, list]:
    clauses, params = period_clauses(since, until)
    return f"""
        latest_review AS ({LATEST_REVIEW}),
        pairs AS (
            SELECT c.scorecard_name, c.scorecard_version, r.criterion_id, coalesce(c.language, '') AS language,
                   {CHANNELS} AS channels, r.result AS auto, lr.verdict AS review
            FROM calls c
            JOIN criteria_results r ON r.call_id = c.call_id
                 AND r.scorecard_name = c.scorecard_name AND r.scorecard_version = c.scorecard_version
            JOIN latest_review lr ON lr.call_id = c.call_id AND lr.criterion_id = r.criterion_id
            WHERE c.status = 'processed' AND {' AND '.join(clauses)}
              AND lr.verdict IN ('pass', 'fail', 'na')
              AND EXISTS (SELECT 1 FROM audit_samples sa WHERE sa.call_id = c.call_id)
        )""", params


def pair_counts(con: duckdb.DuckDBPyConnection, since: datetime, until: datetime) -> list[PairCounts]:
    """Per scorecard version and criterion: all sampled pairs, then per language, then per stereo/mono."""
    pairs, params = _sampled_pairs(since, until)
    rows = con.execute(
        f"""
        WITH {pairs}
        SELECT scorecard_name, scorecard_version, criterion_id,
               CASE WHEN grouping(language) = 0 THEN 'language'
                    WHEN grouping(channels) = 0 THEN 'channels' ELSE 'all' END AS slice,
               CASE WHEN grouping(language) = 0 THEN language
                    WHEN grouping(channels) = 0 THEN channels ELSE '' END AS value,
               count(*),
               count(*) FILTER (auto = 'fail' AND review = 'fail'),
               count(*) FILTER (auto = 'fail' AND review <> 'fail'),
               count(*) FILTER (auto <> 'fail' AND review = 'fail'),
               count(*) FILTER (auto = review),
               count(*) FILTER (auto = 'unknown')
        FROM pairs
        GROUP BY GROUPING SETS ((scorecard_name, scorecard_version, criterion_id),
                                (scorecard_name, scorecard_version, criterion_id, language),
                                (scorecard_name, scorecard_version, criterion_id, channels))
        ORDER BY scorecard_name, scorecard_version DESC, criterion_id,
                 CASE slice WHEN 'all' THEN 0 WHEN 'language' THEN 1 ELSE 2 END, value
        """,
        params,
    ).fetchall()
    return [PairCounts(name, int(version), criterion, kind, value, *(int(x) for x in counts))
            for name, version, criterion, kind, value, *counts in rows]


@dataclass(frozen=True)
class SampleCoverage:
    """How much of the period's audit sample reviewers have judged."""

    sampled_calls: int
    reviewed_calls: int  # with at least one verdict confirmed or overridden


def coverage(con: duckdb.DuckDBPyConnection, since: datetime, until: datetime) -> SampleCoverage:
    clauses, params = period_clauses(since, until)
    sampled, reviewed = one_row(con.execute(
        f"""
        WITH latest_review AS ({LATEST_REVIEW})
        SELECT count(*),
               count(*) FILTER (EXISTS (SELECT 1 FROM latest_review lr WHERE lr.call_id = c.call_id))
        FROM calls c
        WHERE c.status = 'processed' AND {' AND '.join(clauses)}
          AND EXISTS (SELECT 1 FROM audit_samples sa WHERE sa.call_id = c.call_id)
        """,
        params,
    ))
    return SampleCoverage(int(sampled), int(reviewed))


@dataclass(frozen=True)
class MissedCall:
    """A sampled call a reviewer failed on some criterion that no automatic check flagged."""

    call_id: str
    file_name: str
    call_at: datetime | None
    operator_id: str | None
    team: str | None
    language: str | None
    failed_criteria: tuple[str, ...]  # the reviewer's fails


def flags_missed(con: duckdb.DuckDBPyConnection, since: datetime, until: datetime) -> list[MissedCall]:
    """What the flags miss: sampled calls of the period with a reviewer's fail and no flag, newest first."""
    clauses, params = period_clauses(since, until)
    rows = con.execute(
        f"""
        WITH latest_review AS ({LATEST_REVIEW})
        SELECT c.call_id, c.file_name, {CALL_AT}, c.operator_id, c.team, c.language,
               list(DISTINCT lr.criterion_id ORDER BY lr.criterion_id)
        FROM calls c
        JOIN latest_review lr ON lr.call_id = c.call_id AND lr.verdict = 'fail'
        LEFT JOIN scores s ON s.call_id = c.call_id AND s.scorecard_name = c.scorecard_name
             AND s.scorecard_version = c.scorecard_version
        WHERE c.status = 'processed' AND {' AND '.join(clauses)}
          AND EXISTS (SELECT 1 FROM audit_samples sa WHERE sa.call_id = c.call_id)
          AND len(coalesce(s.flags, [])) = 0
        GROUP BY ALL
        ORDER BY 3 DESC, 1
        """,
        params,
    ).fetchall()
    return [MissedCall(call_id, name, at, operator, team, language, tuple(failed))
            for call_id, name, at, operator, team, language, failed in rows]


@dataclass(frozen=True)
class DisputeCounts:
    """Operators' disputes of one criterion of a scorecard version, on calls of the period, that a reviewer
    resolved: ``overturned`` of them changed the verdict. Not a sample: operators dispute the verdicts they
    think wrong, so these count confirmed errors and never enter precision or recall."""

    scorecard_name: str
    scorecard_version: int
    criterion_id: str
    resolved: int
    overturned: int
    overturned_auto_fails: int  # overturned while the verdict disputed was the machine's fail


def dispute_counts(con: duckdb.DuckDBPyConnection, since: datetime, until: datetime) -> list[DisputeCounts]:
    clauses, params = period_clauses(since, until)
    rows = con.execute(
        f"""
        WITH resolved AS (
            SELECT d.dispute_id, d.call_id, d.criterion_id, d.disputed_verdict, r.outcome
            FROM disputes d
            JOIN dispute_resolutions r USING (dispute_id)
            QUALIFY row_number() OVER (PARTITION BY d.dispute_id ORDER BY r.resolved_at DESC) = 1
        )
        SELECT c.scorecard_name, c.scorecard_version, x.criterion_id, count(*),
               count(*) FILTER (x.outcome = 'overturned'),
               count(*) FILTER (x.outcome = 'overturned' AND x.disputed_verdict = 'fail' AND cr.result = 'fail')
        FROM resolved x
        JOIN calls c ON c.call_id = x.call_id
        LEFT JOIN criteria_results cr ON cr.call_id = c.call_id AND cr.criterion_id = x.criterion_id
             AND cr.scorecard_name = c.scorecard_name AND cr.scorecard_version = c.scorecard_version
        WHERE c.status = 'processed' AND {' AND '.join(clauses)}
        GROUP BY ALL
        ORDER BY c.scorecard_name, c.scorecard_version DESC, x.criterion_id
        """,
        params,
    ).fetchall()
    return [DisputeCounts(name, int(version), criterion, int(n), int(over), int(over_fail))
            for name, version, criterion, n, over, over_fail in rows]
