"""Coaching topics: the criteria an operator keeps missing, not those they missed once.

A topic is proposed when the operator missed the criterion in at least ``min_misses`` (k) of their last
``recent_calls`` (n) calls judged on it in the period (``CoachingRule``, from ``settings.coaching``). A
call's verdict is the current one: a reviewer's latest override or confirmation, else the automatic
verdict; only pass and fail count, and "last" is by the call's time. Each topic carries its *streak*
(the outcomes of those last n calls, oldest first) and the missed calls, so the trainer can listen to them.

Topics are ranked by misses in the window, then by *excess failures* over the period: how many more calls
the operator failed than a team-average operator would have with the same number of calls.

The rule is written once here (``recent_misses_sql`` and ``topic_rule_sql``): the training heatmap marks
its cells with it, so the page can say why a red cell is not a topic.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import duckdb

from storage.current_verdicts import CURRENT_VERDICTS, RATES_VS_TEAM

MISS_MARK, PASS_MARK = "✗", "✓"


@dataclass(frozen=True)
class CoachingRule:
    """k of the last n: a topic needs ``min_misses`` misses among the operator's last ``recent_calls``
    calls judged on the criterion. The defaults are ``settings.coaching``'s."""

    min_misses: int = 3
    recent_calls: int = 10

    def __post_init__(self) -> None:
        if not 1 <= self.min_misses <= self.recent_calls:
            raise ValueError("a coaching rule needs 1 <= min_misses <= recent_calls")


def recent_misses_sql(rule: CoachingRule) -> str:
    """CTEs over ``judged``: ``recent`` (each operator x criterion's last n judged calls, ``nth`` 1 = latest)
    and ``streaks`` (per operator x criterion: ``recent_calls`` judged in the window, ``misses`` among them)."""
    return f"""
    recent AS (
        SELECT *, row_number() OVER (PARTITION BY operator_id, criterion_id ORDER BY call_at DESC, call_id DESC) AS nth
        FROM judged QUALIFY nth <= {int(rule.recent_calls)}
    ),
    streaks AS (
        SELECT operator_id, criterion_id, count(*) AS recent_calls, count(*) FILTER (verdict = 'fail') AS misses
        FROM recent GROUP BY ALL
    )
    """


def topic_rule_sql(rule: CoachingRule, streak: str = "s") -> str:
    """Over a ``streaks`` row aliased ``streak``: the operator missed the criterion k times in the window."""
    return f"(coalesce({streak}.misses, 0) >= {int(rule.min_misses)})"


def team_filter(teams: tuple[str, ...]) -> str:
    """SQL over ``judged`` keeping the calls of ``teams`` (one ``?`` per team); empty for every team."""
    return f"AND team IN ({', '.join('?' * len(teams))})" if teams else ""


@dataclass(frozen=True)
class ExampleCall:
    """A failed call to listen to: named by its recording and time, with the moment the evidence starts."""

    call_id: str
    recording: str
    call_at: datetime | None
    at_s: float | None  # where the evidence starts in the recording, when the judge found one


@dataclass(frozen=True)
class StreakCall:
    """One of the last n judged calls on the criterion: missed or passed."""

    call_id: str
    recording: str
    call_at: datetime | None
    missed: bool
    at_s: float | None

    def to_json(self) -> dict:
        return {"call_id": self.call_id, "recording": self.recording,
                "call_at": None if self.call_at is None else self.call_at.isoformat(),
                "missed": self.missed, "at_s": None if self.at_s is None else round(self.at_s, 1)}


@dataclass(frozen=True)
class CoachingTopic:
    operator_id: str
    team: str | None
    criterion_id: str
    calls: int  # the operator's judged calls on this criterion in the period
    failed: int
    fail_rate: float
    team_fail_rate: float
    excess_failures: float
    example_calls: tuple[tuple[str, float | None], ...] = field(default=())  # (call_id, evidence/moment seconds)
    examples: tuple[ExampleCall, ...] = field(default=())  # the missed calls of the window, latest first
    misses: int = 0  # misses among the last ``recent_calls`` judged calls
    recent_calls: int = 0  # judged calls in the window (n, or fewer when the operator has fewer)
    window: int = 0  # n, the rule's window
    streak: tuple[StreakCall, ...] = field(default=())  # the window's calls, oldest first

    @property
    def streak_marks(self) -> str:
        """The window's outcomes oldest first, e.g. ``✗✓✗✗``."""
        return "".join(MISS_MARK if c.missed else PASS_MARK for c in self.streak)

    def to_json(self) -> dict:
        return {
            "operator": self.operator_id,
            "team": self.team,
            "criterion": self.criterion_id,
            "misses": self.misses,
            "recent_calls": self.recent_calls,
            "window": self.window,
            "streak_marks": self.streak_marks,
            "streak": [c.to_json() for c in self.streak],
            "calls": self.calls,
            "failed": self.failed,
            "fail_rate": round(self.fail_rate, 3),
            "team_fail_rate": round(self.team_fail_rate, 3),
            "excess_failures": round(self.excess_failures, 2),
            "examples": [{"call_id": e.call_id, "recording": e.recording,
                          "call_at": None if e.call_at is None else e.call_at.isoformat(),
                          "at_s": None if e.at_s is None else round(e.at_s, 1)} for e in self.examples],
        }


def coaching_topics(con: duckdb.DuckDBPyConnection, since: datetime, until: datetime, operator: str | None = None,
                    limit: int = 20, examples: int | None = None, teams: tuple[str, ...] = (),
                    rule: CoachingRule = CoachingRule()) -> list[CoachingTopic]:
    """Topics of the period by ``rule``, most misses in the window first; ``examples`` caps the missed calls
    listed per topic (None: every miss of the window)."""
    rows = con.execute(
        f"""
        WITH v AS ({CURRENT_VERDICTS}),
        judged AS (SELECT * FROM v WHERE verdict IN ('pass', 'fail') {team_filter(teams)}),
        {RATES_VS_TEAM},
        {recent_misses_sql(rule)},
        ranked AS (
            SELECT o.operator_id, o.team, o.criterion_id, o.calls, o.failed, o.failed / o.calls AS rate,
                   t.team_fail_rate, o.failed - t.team_fail_rate * o.calls AS excess, s.misses,
                   s.recent_calls
            FROM per_op o JOIN per_team t USING (team, criterion_id)
            JOIN streaks s USING (operator_id, criterion_id)
            WHERE {topic_rule_sql(rule)} AND (? IS NULL OR o.operator_id = ?)
        )
        SELECT ranked.*,
               list(struct_pack(call_id := r.call_id, at := r.evidence_start, call_at := r.call_at,
                                recording := c.file_name, missed := (r.verdict = 'fail'))
                    ORDER BY r.call_at, r.call_id) AS streak
        FROM ranked
        JOIN recent r ON r.operator_id = ranked.operator_id AND r.criterion_id = ranked.criterion_id
        JOIN calls c ON c.call_id = r.call_id
        GROUP BY ALL
        ORDER BY misses DESC, excess DESC, rate DESC, operator_id, criterion_id
        LIMIT ?
        """,
        [since, until, *teams, operator, operator, limit],
    ).fetchall()
    out = []
    for op, team, crit, n, failed, rate, team_rate, excess, misses, recent, streak in rows:
        calls = tuple(StreakCall(e["call_id"], e["recording"], e["call_at"], e["missed"], e["at"]) for e in streak)
        missed = [ExampleCall(c.call_id, c.recording, c.call_at, c.at_s) for c in reversed(calls) if c.missed]
        missed = missed[:examples] if examples is not None else missed
        out.append(CoachingTopic(op, team or None, crit, n, failed, rate, team_rate, excess,
                                 tuple((e.call_id, e.at_s) for e in missed), tuple(missed), misses, recent,
                                 rule.recent_calls, calls))
    return out
