"""Coaching topics: which criteria an operator fails more often than the team.

For a period, each operator's failure rate per criterion (automatic verdicts of
the calls' current scorecard, overridden by a reviewer's latest verdict) against
the rate of the operator's team (all operators when teams are not known).
Topics are ranked by *excess failures*: how many more calls the operator failed
than a team-average operator would have with the same number of calls. That
weighs a big gap on many calls above a 100% rate on one call.

The rule that makes a topic (``TOPIC_RULE``) is written once here: the training heatmap
marks its cells with it, so the page can say why a red cell is not a topic.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import duckdb

from storage.current_verdicts import CURRENT_VERDICTS, RATES_VS_TEAM

# A topic needs at least this many judged calls of the operator to be worth coaching on.
MIN_CALLS = 2

# Over ``per_op o JOIN per_team t`` (storage.current_verdicts.RATES_VS_TEAM): the operator fails the
# criterion more often than the team, on at least MIN_CALLS judged calls.
TOPIC_RULE = f"(o.calls >= {MIN_CALLS} AND o.failed > 0 AND o.failed / o.calls > t.team_fail_rate)"


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
class CoachingTopic:
    operator_id: str
    team: str | None
    criterion_id: str
    calls: int  # the operator's judged calls on this criterion
    failed: int
    fail_rate: float
    team_fail_rate: float
    excess_failures: float
    example_calls: tuple[tuple[str, float | None], ...] = field(default=())  # (call_id, evidence/moment seconds)
    examples: tuple[ExampleCall, ...] = field(default=())  # the same calls with their recording and time

    def to_json(self) -> dict:
        return {
            "operator": self.operator_id,
            "team": self.team,
            "criterion": self.criterion_id,
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
                    limit: int = 20, examples: int = 3, teams: tuple[str, ...] = ()) -> list[CoachingTopic]:
    rows = con.execute(
        f"""
        WITH v AS ({CURRENT_VERDICTS}),
        judged AS (SELECT * FROM v WHERE verdict IN ('pass', 'fail') {team_filter(teams)}),
        {RATES_VS_TEAM},
        ranked AS (
            SELECT o.operator_id, o.team, o.criterion_id, o.calls, o.failed, o.failed / o.calls AS rate,
                   t.team_fail_rate,
                   o.failed - t.team_fail_rate * o.calls AS excess
            FROM per_op o JOIN per_team t USING (team, criterion_id)
            WHERE {TOPIC_RULE} AND (? IS NULL OR o.operator_id = ?)
        )
        SELECT ranked.*,
               list(struct_pack(call_id := j.call_id, at := j.evidence_start, call_at := j.call_at,
                                recording := c.file_name)
                    ORDER BY j.call_at DESC, j.call_id)[1:?] AS ex
        FROM ranked
        JOIN judged j ON j.operator_id = ranked.operator_id AND j.criterion_id = ranked.criterion_id
                     AND j.verdict = 'fail'
        JOIN calls c ON c.call_id = j.call_id
        GROUP BY ALL
        ORDER BY excess DESC, rate DESC, operator_id, criterion_id
        LIMIT ?
        """,
        [since, until, *teams, operator, operator, examples, limit],
    ).fetchall()
    return [
        CoachingTopic(op, team or None, crit, n, failed, rate, team_rate, excess,
                      tuple((e["call_id"], e["at"]) for e in ex),
                      tuple(ExampleCall(e["call_id"], e["recording"], e["call_at"], e["at"]) for e in ex))
        for op, team, crit, n, failed, rate, team_rate, excess, ex in rows
    ]
