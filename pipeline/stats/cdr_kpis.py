"""Contact-centre KPIs from call detail records: service level, abandonment rate, average speed of answer and
average handle time, per group (queue, team, site, vendor) and per period, compared between groups with the
same intervals and tests as the QA figures (``pipeline.stats.group_comparison``).

How each record counts (``KpiRules``; the defaults are the settings' defaults):

- A *failed* record (busy, failed, congestion: the call never waited for an agent) is offered to no one and
  counts in no KPI; it is counted apart.
- A *short abandon* (the caller hung up within ``short_abandon_s`` of entering the queue, default 5 s: a
  wrong number, a caller who changed their mind) is left out of every KPI, as most ACDs do; it is counted apart.
  0 keeps every abandoned call.
- *Offered* calls are the answered ones and the other abandoned ones.
- **Service level**: the share answered within ``service_level_s`` (default 20 s, inclusive) of entering the
  queue. With ``abandoned="against"`` (default) the share is of offered calls, so every abandoned call (after
  the short ones) counts as not answered in time; with ``abandoned="excluded"`` it is of answered calls only,
  which ignores abandoned callers and reads higher. The target (default 80%) is only shown beside it.
- **Abandonment rate**: abandoned (not short) / offered.
- **Average speed of answer (ASA)**: the mean wait of answered calls, entering the queue to the answer.
- **Average handle time (AHT)**: the mean time from the answer to the hang-up of answered calls. A CDR has no
  wrap-up (after-call work), so this is talk time, holds included.

Shares get Wilson intervals and Fisher's exact test, means Student's t intervals and a permutation test, all
comparisons corrected together (Holm): ``compare_groups`` does all of it, on one value per record. A PBX logs
thousands of calls a day, so where both sides of a mean's comparison have ``WELCH_FROM_N`` values or more,
Welch's t test stands in for the permutation test (whose cost grows with n; see ``compare_groups``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Literal, Sequence

from pipeline.stats.group_comparison import (
    ALPHA,
    MIN_N,
    Correction,
    GroupComparison,
    Interval,
    Metric,
    Sample,
    compare_groups,
    group_interval,
)

Outcome = Literal["answered", "abandoned", "failed"]
AbandonedRule = Literal["against", "excluded"]
PeriodKind = Literal["day", "week", "month"]
ABANDONED_RULES: tuple[AbandonedRule, ...] = ("against", "excluded")
WELCH_FROM_N = 2000

SERVICE_LEVEL = Metric("service_level", "Service level", "proportion", "share", "higher")
ABANDONMENT = Metric("abandonment", "Abandonment rate", "proportion", "share", "lower")
SPEED_OF_ANSWER = Metric("speed_of_answer", "Average speed of answer", "mean", "seconds", "lower")
HANDLE_TIME = Metric("talk_time", "Average handle time", "mean", "seconds", None)
METRICS = (SERVICE_LEVEL, ABANDONMENT, SPEED_OF_ANSWER, HANDLE_TIME)


@dataclass(frozen=True)
class KpiRules:
    service_level_s: float = 20.0
    target: float = 0.8
    short_abandon_s: float = 5.0
    abandoned: AbandonedRule = "against"

    @property
    def rule(self) -> str:
        """How the figures were counted, in words (the CLI's and the JSON's; the app says it in its own)."""
        base = ("answered and abandoned calls" if self.abandoned == "against" else
                "answered calls only (abandoned ones left out)")
        short = (f"abandons within {self.short_abandon_s:g} s are left out of every figure"
                 if self.short_abandon_s > 0 else "every abandoned call counts")
        return (f"Service level: calls answered within {self.service_level_s:g} s of entering the queue, "
                f"as a share of {base}; target {self.target:.0%}. {short[:1].upper()}{short[1:]}; "
                f"busy and failed calls count in none. Handle time runs from the answer to the hang-up (no "
                f"wrap-up in a CDR).")


@dataclass(frozen=True)
class CdrValue:
    """What the KPIs need of one record, and the group it counts in."""

    group: str
    outcome: Outcome
    wait_s: float  # entering the queue to the answer, or to the hang-up when not answered
    talk_s: float | None  # the answer to the hang-up
    entered_at: datetime | None = None  # for figures per period


@dataclass(frozen=True)
class KpiRow:
    """One group's (or period's) figures, counted by ``rules``."""

    group: str
    records: int
    offered: int
    answered: int
    abandoned: int
    short_abandons: int
    failed: int
    service_level: Interval | None  # None: no call in its denominator
    abandonment: Interval | None
    speed_of_answer: Interval | None  # None: no answered call; low/high infinite with one
    handle_time: Interval | None

    def to_json(self) -> dict:
        def iv(i: Interval | None, digits: int) -> dict | None:
            if i is None:
                return None
            bounded = math.isfinite(i.low) and math.isfinite(i.high)
            return {"estimate": round(i.estimate, digits), "low": round(i.low, digits) if bounded else None,
                    "high": round(i.high, digits) if bounded else None}

        return {"group": self.group, "records": self.records, "offered": self.offered, "answered": self.answered,
                "abandoned": self.abandoned, "short_abandons": self.short_abandons, "failed": self.failed,
                "service_level": iv(self.service_level, 4), "abandonment": iv(self.abandonment, 4),
                "speed_of_answer_s": iv(self.speed_of_answer, 1), "handle_time_s": iv(self.handle_time, 1)}


def is_short_abandon(value: CdrValue, rules: KpiRules) -> bool:
    return value.outcome == "abandoned" and value.wait_s < rules.short_abandon_s


def is_offered(value: CdrValue, rules: KpiRules) -> bool:
    return value.outcome != "failed" and not is_short_abandon(value, rules)


def per_metric(values: Sequence[CdrValue], rules: KpiRules) -> dict[str, list[float]]:
    """Each KPI's values, one per record it counts: 0/1 for the shares, seconds for the means."""
    out: dict[str, list[float]] = {m.id: [] for m in METRICS}
    for v in values:
        if not is_offered(v, rules):
            continue
        answered = v.outcome == "answered"
        if answered or rules.abandoned == "against":
            out[SERVICE_LEVEL.id].append(1.0 if answered and v.wait_s <= rules.service_level_s else 0.0)
        out[ABANDONMENT.id].append(0.0 if answered else 1.0)
        if answered:
            out[SPEED_OF_ANSWER.id].append(v.wait_s)
            if v.talk_s is not None:
                out[HANDLE_TIME.id].append(v.talk_s)
    return out


def _interval(metric: Metric, values: list[float]) -> Interval | None:
    return group_interval(metric, values) if values else None


def kpi_row(group: str, values: Sequence[CdrValue], rules: KpiRules) -> KpiRow:
    m = per_metric(values, rules)
    return KpiRow(
        group, len(values),
        sum(is_offered(v, rules) for v in values),
        sum(v.outcome == "answered" for v in values),
        sum(v.outcome == "abandoned" and not is_short_abandon(v, rules) for v in values),
        sum(is_short_abandon(v, rules) for v in values),
        sum(v.outcome == "failed" for v in values),
        *(_interval(metric, m[metric.id]) for metric in METRICS),
    )


def groups_by_size(values: Sequence[CdrValue]) -> list[str]:
    counts: dict[str, int] = {}
    for v in values:
        counts[v.group] = counts.get(v.group, 0) + 1
    return sorted(counts, key=lambda g: (-counts[g], g))


def kpi_table(values: Sequence[CdrValue], rules: KpiRules) -> list[KpiRow]:
    """Per group (busiest first)."""
    by_group: dict[str, list[CdrValue]] = {}
    for v in values:
        by_group.setdefault(v.group, []).append(v)
    return [kpi_row(g, by_group[g], rules) for g in groups_by_size(values)]


def period_start(day: date, kind: PeriodKind) -> date:
    if kind == "day":
        return day
    if kind == "week":
        return day - timedelta(days=day.weekday())  # Monday
    return day.replace(day=1)


def kpis_by_period(values: Sequence[CdrValue], rules: KpiRules, kind: PeriodKind = "week") -> list[KpiRow]:
    """Per period (its first day, ISO, as the row's group), oldest first; every group together."""
    by_period: dict[str, list[CdrValue]] = {}
    for v in values:
        if v.entered_at is None:
            continue
        by_period.setdefault(period_start(v.entered_at.date(), kind).isoformat(), []).append(v)
    return [kpi_row(p, by_period[p], rules) for p in sorted(by_period)]


def metric_label(metric: Metric, rules: KpiRules) -> Metric:
    """Service level names its threshold: "Service level (20 s)"."""
    if metric.id != SERVICE_LEVEL.id:
        return metric
    return Metric(metric.id, f"{metric.label} ({rules.service_level_s:g} s)", metric.kind, metric.unit, metric.better)


def compare_kpis(values: Sequence[CdrValue], rules: KpiRules, groups: Sequence[str] | None = None, *,
                 min_n: int = MIN_N, alpha: float = ALPHA, correction: Correction = "holm",
                 notes: Sequence[str] = ()) -> GroupComparison:
    """The KPIs per group with intervals, and which differences between groups are real (compare_groups)."""
    groups = list(groups) if groups is not None else groups_by_size(values)
    per_group: dict[str, list[CdrValue]] = {g: [] for g in groups}
    for v in values:
        if v.group in per_group:
            per_group[v.group].append(v)
    samples: list[Sample] = []
    metrics_per_group = {g: per_metric(vs, rules) for g, vs in per_group.items()}
    for metric in METRICS:
        if not any(metrics_per_group[g][metric.id] for g in groups):
            continue
        labelled = metric_label(metric, rules)
        samples.extend(Sample(labelled, g, tuple(metrics_per_group[g][metric.id])) for g in groups)
    return compare_groups(samples, groups, [len(per_group[g]) for g in groups], min_n=min_n, alpha=alpha,
                          correction=correction, notes=notes, welch_from_n=WELCH_FROM_N)
