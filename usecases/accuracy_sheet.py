"""The accuracy sheet (issue #18): per criterion, how good the automatic verdicts are, measured on reviews of
AUDIT-SAMPLED calls only (drawn at random, flagged or not: the unbiased ground truth), each figure with its 95%
Wilson interval and the count behind it, per scorecard version, over all calls and per language and stereo/mono;
and what the flags miss (sampled calls a reviewer failed that nothing flagged).

Fail is the positive class: precision = automatic fails the reviewer also failed / automatic fails; recall =
reviewer's fails the machine also failed / reviewer's fails; agreement = automatic verdict equal to the
reviewer's / judged pairs; unknown share = automatic ``unknown`` / judged pairs. A figure on fewer than
``MIN_N`` pairs is marked small: its interval is wide, and the sheet says so rather than leave a bare
percentage."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb
from statsmodels.stats.proportion import proportion_confint

from storage import accuracy
from storage.accuracy import DisputeCounts, MissedCall, PairCounts, SampleCoverage
from storage.db import connect

MIN_N = 30  # fewer pairs behind a figure than this: "n too small" beside it
CONFIDENCE = 0.95


@dataclass(frozen=True)
class Rate:
    """``hits`` of ``n`` as a share with its 95% Wilson interval; no value when n is 0."""

    hits: int
    n: int
    value: float | None
    low: float | None
    high: float | None

    @property
    def small(self) -> bool:
        return self.n < MIN_N

    def to_json(self) -> dict[str, Any]:
        return {"hits": self.hits, "n": self.n, "value": self.value, "low": self.low, "high": self.high,
                "small_n": self.small}


def rate(hits: int, n: int) -> Rate:
    if n == 0:
        return Rate(0, 0, None, None, None)
    low, high = proportion_confint(hits, n, alpha=1 - CONFIDENCE, method="wilson")
    return Rate(hits, n, hits / n, float(low), float(high))


@dataclass(frozen=True)
class CriterionAccuracy:
    """One row of the sheet: a criterion of a scorecard version, over all sampled calls (``slice`` all) or
    those of one language or stereo/mono. Later sources of ground truth (e.g. overturned operator disputes)
    are added here as their own fields beside ``counts``."""

    scorecard_name: str
    scorecard_version: int
    criterion_id: str
    slice: str  # all | language | channels
    value: str  # the language, stereo or mono; '' for all (or not known)
    counts: PairCounts
    precision: Rate
    recall: Rate
    agreement: Rate
    unknown_share: Rate

    @property
    def small(self) -> bool:
        """Fewer than MIN_N judged pairs behind the row."""
        return self.counts.reviewed < MIN_N

    def to_json(self) -> dict[str, Any]:
        c = self.counts
        return {
            "scorecard_name": self.scorecard_name, "scorecard_version": self.scorecard_version,
            "criterion_id": self.criterion_id, "slice": self.slice, "value": self.value,
            "reviewed": c.reviewed, "true_fails": c.true_fails, "false_fails": c.false_fails,
            "missed_fails": c.missed_fails, "agreed": c.agreed, "unknown": c.unknown, "small_n": self.small,
            "precision": self.precision.to_json(), "recall": self.recall.to_json(),
            "agreement": self.agreement.to_json(), "unknown_share": self.unknown_share.to_json(),
        }


def criterion_accuracy(c: PairCounts) -> CriterionAccuracy:
    return CriterionAccuracy(
        c.scorecard_name, c.scorecard_version, c.criterion_id, c.slice, c.value, c,
        precision=rate(c.true_fails, c.true_fails + c.false_fails),
        recall=rate(c.true_fails, c.true_fails + c.missed_fails),
        agreement=rate(c.agreed, c.reviewed),
        unknown_share=rate(c.unknown, c.reviewed),
    )


@dataclass(frozen=True)
class DisputeTally:
    """Operators' disputes of a criterion resolved by reviewers, and the share overturned (with its interval).
    Beside the sample's figures, never mixed into them: disputed verdicts are chosen by the operators."""

    counts: DisputeCounts
    overturned: Rate

    def to_json(self) -> dict[str, Any]:
        c = self.counts
        return {"scorecard_name": c.scorecard_name, "scorecard_version": c.scorecard_version,
                "criterion_id": c.criterion_id, "resolved": c.resolved, "overturned": c.overturned,
                "overturned_automatic_fails": c.overturned_auto_fails, "overturned_share": self.overturned.to_json()}


@dataclass(frozen=True)
class AccuracySheet:
    since: datetime
    until: datetime  # exclusive
    coverage: SampleCoverage
    rows: list[CriterionAccuracy] = field(default_factory=list)
    missed: list[MissedCall] = field(default_factory=list)
    disputes: list[DisputeTally] = field(default_factory=list)

    def disputes_of(self, version: tuple[str, int]) -> list[DisputeTally]:
        return [d for d in self.disputes if (d.counts.scorecard_name, d.counts.scorecard_version) == version]

    def versions(self) -> list[tuple[str, int]]:
        """The scorecard versions in the sheet, newest first within a scorecard."""
        return list(dict.fromkeys([*((r.scorecard_name, r.scorecard_version) for r in self.rows),
                                   *((d.counts.scorecard_name, d.counts.scorecard_version) for d in self.disputes)]))

    def rows_of(self, version: tuple[str, int], slice: str = "all") -> list[CriterionAccuracy]:
        return [r for r in self.rows if (r.scorecard_name, r.scorecard_version) == version and r.slice == slice]

    def to_json(self) -> dict[str, Any]:
        return {
            "since": self.since.isoformat(), "until": self.until.isoformat(),
            "min_n": MIN_N, "confidence": CONFIDENCE,
            "sampled_calls": self.coverage.sampled_calls, "reviewed_calls": self.coverage.reviewed_calls,
            "criteria": [r.to_json() for r in self.rows],
            "flags_missed": [{"call_id": m.call_id, "file_name": m.file_name,
                              "call_at": None if m.call_at is None else m.call_at.isoformat(),
                              "operator_id": m.operator_id, "team": m.team, "language": m.language,
                              "failed_criteria": list(m.failed_criteria)} for m in self.missed],
            "disputes": [d.to_json() for d in self.disputes],
        }


def accuracy_sheet_of(con: duckdb.DuckDBPyConnection, since: datetime, until: datetime) -> AccuracySheet:
    return AccuracySheet(since, until, accuracy.coverage(con, since, until),
                         [criterion_accuracy(c) for c in accuracy.pair_counts(con, since, until)],
                         accuracy.flags_missed(con, since, until),
                         [DisputeTally(d, rate(d.overturned, d.resolved))
                          for d in accuracy.dispute_counts(con, since, until)])


def accuracy_sheet(db: str | Path, since: datetime, until: datetime) -> AccuracySheet:
    """The sheet of the calls that took place in [since, until), read from the database ``db``."""
    with connect(db, read_only=True) as con:
        return accuracy_sheet_of(con, since, until)
