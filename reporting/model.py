"""What a periodic QA report holds: typed records, filled by ``storage.reports``."""

from __future__ import annotations

import calendar
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Literal

PeriodKind = Literal["day", "week", "month"]
ScopeKind = Literal["all", "team", "site"]
UNASSIGNED = "unassigned"  # how a call without a team or site is grouped and labelled


@dataclass(frozen=True, order=True)
class ReportPeriod:
    """A calendar period [start, end): a day, a Monday-to-Sunday week, or a month."""

    kind: PeriodKind
    start: date
    end: date  # exclusive

    @classmethod
    def containing(cls, kind: PeriodKind, day: date) -> ReportPeriod:
        if kind == "day":
            return cls(kind, day, day + timedelta(days=1))
        if kind == "week":
            start = day - timedelta(days=day.weekday())
            return cls(kind, start, start + timedelta(days=7))
        if kind == "month":
            start = day.replace(day=1)
            return cls(kind, start, start + timedelta(days=calendar.monthrange(day.year, day.month)[1]))
        raise ValueError(f"a report period is a day, week or month, not {kind!r}")

    @classmethod
    def last_complete(cls, kind: PeriodKind, today: date) -> ReportPeriod:
        """The last period that ended on or before ``today`` (today itself is not complete)."""
        return cls.containing(kind, today).previous()

    @classmethod
    def from_label(cls, kind: str, label: str) -> ReportPeriod | None:
        """The period a reports folder is named by ("week", "2026-W47"); None for a name it never writes."""
        try:
            if kind == "day":
                return cls.containing("day", datetime.strptime(label, "%Y-%m-%d").date())
            if kind == "week":
                year, week = label.split("-W")
                return cls.containing("week", date.fromisocalendar(int(year), int(week), 1))
            if kind == "month":
                return cls.containing("month", datetime.strptime(label, "%Y-%m").date())
        except ValueError:
            return None
        return None

    def previous(self) -> ReportPeriod:
        return ReportPeriod.containing(self.kind, self.start - timedelta(days=1))

    def last(self, n: int) -> list[ReportPeriod]:
        """This period and the ``n - 1`` before it, oldest first."""
        out = [self]
        while len(out) < n:
            out.append(out[-1].previous())
        return out[::-1]

    @property
    def last_day(self) -> date:
        return self.end - timedelta(days=1)

    @property
    def label(self) -> str:
        """The period's name in file paths and the CLI: "2026-11-20", "2026-W47", "2026-11"."""
        if self.kind == "day":
            return f"{self.start:%Y-%m-%d}"
        if self.kind == "week":
            year, week, _ = self.start.isocalendar()
            return f"{year}-W{week:02d}"
        return f"{self.start:%Y-%m}"

    @property
    def title(self) -> str:
        """For the command line and logs: "week 2026-W47 (2026-11-16 to 2026-11-22)" (a reader's words:
        ``reporting.labels.period_title``)."""
        if self.kind == "day":
            return f"day {self.label}"
        return f"{self.kind} {self.label} ({self.start:%Y-%m-%d} to {self.end - timedelta(days=1):%Y-%m-%d})"


@dataclass(frozen=True)
class ReportScope:
    """Which calls a report covers: all, one team's, or one site's (value None: those without one)."""

    kind: ScopeKind
    value: str | None = None

    @property
    def title(self) -> str:
        if self.kind == "all":
            return "All calls"
        return f"{self.kind.capitalize()} {self.value if self.value else UNASSIGNED}"


@dataclass(frozen=True)
class Summary:
    calls: int
    scored_calls: int
    audio_hours: float
    mean_score: float | None  # None: no scored call
    flagged: int
    escalations: int  # calls with an escalation detected
    satisfaction_mean: float | None  # predicted 1..5; None: none computed for these calls
    satisfaction_calls: int

    @property
    def flagged_share(self) -> float | None:
        return self.flagged / self.calls if self.calls else None

    @property
    def escalation_share(self) -> float | None:
        return self.escalations / self.calls if self.calls else None


@dataclass(frozen=True)
class TrendPoint:
    period: ReportPeriod
    calls: int
    mean_score: float | None
    pass_rate: float | None  # passed / (passed + failed) over every criterion's current verdicts
    flagged_share: float | None


@dataclass(frozen=True)
class CriterionRate:
    criterion_id: str
    title: str
    passed: int
    failed: int
    unknown: int
    pass_rate: float | None  # of the judged (passed + failed)
    previous_pass_rate: float | None  # the period before, for the change

    @property
    def judged(self) -> int:
        return self.passed + self.failed


@dataclass(frozen=True)
class ReasonRow:
    reason_id: str | None  # None: no taxonomy reason matched
    calls: int
    share: float
    outcomes: dict[str, int] = field(default_factory=dict)  # outcome -> calls
    names: dict[str, str] = field(default_factory=dict)  # language -> the taxonomy's label; {}: not in it

    @property
    def label(self) -> str:
        return self.reason_id if self.reason_id else "other (no reason matched)"

    @property
    def resolved_share(self) -> float | None:
        return self.outcomes.get("resolved", 0) / self.calls if self.calls else None


@dataclass(frozen=True)
class CoachingRow:
    """An operator's coaching topic (``storage.coaching.coaching_topics``), as the report shows it."""

    operator_id: str
    team: str | None
    criterion_id: str
    criterion_title: str
    calls: int
    failed: int
    fail_rate: float
    team_fail_rate: float
    excess_failures: float
    example_recordings: tuple[str, ...]  # the missed calls' file names, as a reviewer finds them
    misses: int = 0  # misses among the operator's last ``recent_calls`` judged calls on the criterion
    recent_calls: int = 0
    streak: str = ""  # those calls' outcomes, oldest first: ✗ missed, ✓ passed


@dataclass(frozen=True)
class IntervalShare:
    """``hits`` of ``n`` with its 95% interval (None: n is 0); ``small``: too few behind it to rely on."""

    hits: int
    n: int
    value: float | None
    low: float | None
    high: float | None
    small: bool


@dataclass(frozen=True)
class AccuracyRow:
    """A criterion's row of the accuracy sheet (``usecases.accuracy_sheet``), as the report shows it."""

    criterion_id: str
    title: str
    scorecard_name: str
    scorecard_version: int
    reviewed: int
    precision: IntervalShare
    recall: IntervalShare
    agreement: IntervalShare
    unknown: IntervalShare


@dataclass(frozen=True)
class AccuracySection:
    """The accuracy of the automatic verdicts in the period, from reviews of the audit sample (all teams)."""

    sampled_calls: int
    reviewed_calls: int
    min_n: int
    rows: tuple[AccuracyRow, ...]
    flags_missed: int  # sampled calls a reviewer failed that no flag caught


@dataclass(frozen=True)
class ContactCentreRow:
    """One group's figures from the PBX's call detail records (``pipeline.stats.cdr_kpis``)."""

    group: str  # a vendor, or a queue in a team's or site's report; "" for the total
    offered: int
    answered: int
    abandoned: int  # after the short ones
    short_abandons: int
    failed: int  # busy, failed, congestion
    service_level: IntervalShare
    abandonment: IntervalShare
    speed_of_answer_s: float | None  # None: no answered call
    handle_time_s: float | None


@dataclass(frozen=True)
class ContactCentreSection:
    """Service level, abandoned calls and handle time from the PBX beside the QA figures; no rows: the
    period has no call detail records for this report's calls."""

    by: Literal["vendor", "queue"]
    service_level_s: float
    target: float
    short_abandon_s: float
    abandoned_counted: bool  # True: abandoned calls count against the service level
    rows: tuple[ContactCentreRow, ...]
    total: ContactCentreRow | None

    @property
    def shown(self) -> tuple[ContactCentreRow, ...]:
        """The rows, and the total under them when there is more than one."""
        return self.rows + ((self.total,) if self.total is not None and len(self.rows) > 1 else ())


@dataclass(frozen=True)
class QAReport:
    scope: ReportScope
    period: ReportPeriod
    generated_at: datetime
    summary: Summary
    trend: tuple[TrendPoint, ...]
    criteria: tuple[CriterionRate, ...]  # worst first (lowest pass rate)
    reasons: tuple[ReasonRow, ...]  # most frequent first; empty: no reasons computed for these calls
    outcomes: dict[str, int]  # outcome -> calls, over the calls with insights
    coaching: tuple[CoachingRow, ...]  # most excess failures first
    accuracy: AccuracySection | None = None  # None: not measured for this report (usecases.reports adds it)
    contact_centre: ContactCentreSection | None = None  # None: not part of this report (usecases.reports adds it)

    @property
    def title(self) -> str:
        return f"QA report · {self.scope.title} · {self.period.title}"

    def worst_criteria(self, n: int = 5) -> tuple[CriterionRate, ...]:
        return tuple(c for c in self.criteria if c.pass_rate is not None)[:n]
