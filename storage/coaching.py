"""Coaching topics: which criteria an operator fails more often than the team.

For a period, each operator's failure rate per criterion (automatic verdicts of
the calls' current scorecard, overridden by a reviewer's latest verdict) against
the rate of the operator's team (all operators when teams are not known).
Topics are ranked by *excess failures*: how many more calls the operator failed
than a team-average operator would have with the same number of calls. That
weighs a big gap on many calls above a 100% rate on one call.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import duckdb

from storage.current_verdicts import CURRENT_VERDICTS, RATES_VS_TEAM

# A topic needs at least this many judged calls of the operator to be worth coaching on.
MIN_CALLS = 2


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
            "examples": [{"call_id": c, "at_s": None if t is None else round(t, 1)} for c, t in self.example_calls],
        }


def coaching_topics(con: duckdb.DuckDBPyConnection, since: datetime, until: datetime, operator: str | None = None,
                    limit: int = 20, examples: int = 3) -> list[CoachingTopic]:
    rows = con.execute(
        f"""
        WITH v AS ({CURRENT_VERDICTS}),
        judged AS (SELECT * FROM v WHERE verdict IN ('pass', 'fail')),
        {RATES_VS_TEAM},
        ranked AS (
            SELECT o.operator_id, o.team, o.criterion_id, o.calls, o.failed, o.failed / o.calls AS rate,
                   t.team_fail_rate,
                   o.failed - t.team_fail_rate * o.calls AS excess
            FROM per_op o JOIN per_team t USING (team, criterion_id)
            WHERE o.calls >= ? AND o.failed > 0 AND o.failed / o.calls > t.team_fail_rate
              AND (? IS NULL OR o.operator_id = ?)
        )
        SELECT ranked.*,
               list(struct_pack(call_id := j.call_id, at := j.evidence_start) ORDER BY j.call_at DESC)[1:?] AS ex
        FROM ranked
        JOIN judged j ON j.operator_id = ranked.operator_id AND j.criterion_id = ranked.criterion_id
                     AND j.verdict = 'fail'
        GROUP BY ALL
        ORDER BY excess DESC, rate DESC, operator_id, criterion_id
        LIMIT ?
        """,
        [since, until, MIN_CALLS, operator, operator, examples, limit],
    ).fetchall()
    return [
        CoachingTopic(op, team or None, crit, n, failed, rate, team_rate, excess,
                      tuple((e["call_id"], e["at"]) for e in ex))
        for op, team, crit, n, failed, rate, team_rate, excess, ex in rows
    ]
