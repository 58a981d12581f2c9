"""The figures of a periodic QA report, read from the database into a ``reporting.model.QAReport``.

Calls, scores, flags, escalations, audio and criterion verdicts come from ``storage.aggregates``
(live details plus the daily aggregates of calls whose verdicts retention already deleted), so
a trend reaching back past the verdicts' term still counts every call. Predicted satisfaction
and call reasons exist only for live calls. Coaching needs are ``storage.coaching``'s topics.

A scope selects calls by ``calls.team`` or ``calls.site``; a call without one belongs to the
"unassigned" group (value None), as in the aggregates ('').
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime, time

import duckdb
import pandas as pd
import yaml

from reporting.model import (
    CoachingRow,
    CriterionRate,
    QAReport,
    ReasonRow,
    ReportPeriod,
    ReportScope,
    Summary,
    TrendPoint,
)
from storage import aggregates
from storage.call_period import CALL_AT
from storage.coaching import CoachingRule, CoachingTopic, coaching_topics
from storage.db import now, one_row

OUTCOMES = ("resolved", "follow_up", "order_placed", "transferred", "unresolved")


def latest_call_day(con: duckdb.DuckDBPyConnection, before: date | None = None) -> date | None:
    """The day of the latest processed call (before ``before`` when given), or None when there is none."""
    until = "" if before is None else f" AND {CALL_AT} < ?"
    row = con.execute(f"SELECT max(CAST({CALL_AT} AS DATE)) FROM calls c WHERE c.status = 'processed'{until}",
                      [] if before is None else [_at(before)]).fetchone()
    return row[0] if row else None


def _at(day: date) -> datetime:
    return datetime.combine(day, time())


def _scope_sql(scope: ReportScope) -> tuple[str, list]:
    """A condition on ``calls c`` selecting the scope's calls, and its parameters."""
    if scope.kind == "all":
        return "TRUE", []
    return f"coalesce(c.{scope.kind}, '') = ?", [scope.value or ""]


def _in_scope(df: pd.DataFrame, scope: ReportScope) -> pd.DataFrame:
    return df if scope.kind == "all" else df[df[scope.kind] == (scope.value or "")]


def report_scopes(con: duckdb.DuckDBPyConnection, period: ReportPeriod,
                  groups: tuple[str, ...] = ("all", "team", "site")) -> list[ReportScope]:
    """The reports a period gets: all calls (always, even none), and each team and site with calls in it.
    Where no call of the period has a site (or a team), there is no per-site (per-team) report: it
    would only repeat the one over all calls."""
    stats = aggregates.daily_call_stats(con, period.start, period.end)
    stats = stats[stats["calls"] > 0]
    out = [ReportScope("all")] if "all" in groups else []
    for kind in ("team", "site"):
        values = sorted(stats[kind].unique())
        if kind in groups and values != [""]:
            out += [ReportScope(kind, value or None) for value in values]
    return out


def criterion_titles(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    """Criterion id -> title, from the stored scorecards (a later version's title wins)."""
    titles: dict[str, str] = {}
    for (text,) in con.execute("SELECT yaml FROM scorecards ORDER BY registered_at, scorecard_version").fetchall():
        try:
            card = yaml.safe_load(text) or {}
        except yaml.YAMLError:
            continue
        forbidden = card.get("forbidden")  # the forbidden-phrases criterion is written apart from the list
        for c in [*(card.get("criteria") or []), *([forbidden] if isinstance(forbidden, dict) else [])]:
            if isinstance(c, dict) and c.get("id"):
                titles[str(c["id"])] = str(c.get("title") or c["id"])
    return titles


def _with_period(df: pd.DataFrame, kind: str) -> pd.DataFrame:
    """The rows with the start of their report period (a day, week or month) as ``period_start``."""
    days = pd.to_datetime(df["day"])
    if kind == "week":
        days = days - pd.to_timedelta(days.dt.weekday, unit="D")
    elif kind == "month":
        days = days.dt.to_period("M").dt.start_time
    return df.assign(period_start=days.dt.date)


def _summary(con: duckdb.DuckDBPyConnection, calls: pd.DataFrame, scope: ReportScope,
             period: ReportPeriod) -> Summary:
    where, params = _scope_sql(scope)
    sat_mean, sat_calls = one_row(con.execute(
        f"""
        SELECT avg(cs.predicted), count(*)
        FROM calls c JOIN call_satisfaction cs ON cs.call_id = c.call_id
        WHERE c.status = 'processed' AND {CALL_AT} >= ? AND {CALL_AT} < ? AND {where}
        """,
        [_at(period.start), _at(period.end), *params],
    ))
    scored = int(calls["scored_calls"].sum())
    return Summary(
        calls=int(calls["calls"].sum()),
        scored_calls=scored,
        audio_hours=float(calls["audio_s"].sum()) / 3600,
        mean_score=float(calls["score_sum"].sum()) / scored if scored else None,
        flagged=int(calls["flagged"].sum()),
        escalations=int(calls["escalated"].sum()),
        satisfaction_mean=None if sat_mean is None else float(sat_mean),
        satisfaction_calls=int(sat_calls),
    )


def _trend(calls: pd.DataFrame, criteria: pd.DataFrame, periods: list[ReportPeriod]) -> tuple[TrendPoint, ...]:
    c = calls.groupby("period_start")[["calls", "scored_calls", "score_sum", "flagged"]].sum()
    v = criteria.groupby("period_start")[["passed", "failed"]].sum()
    out = []
    for p in periods:
        n, scored, score_sum, flagged = (c.loc[p.start].tolist() if p.start in c.index else (0, 0, 0, 0))
        passed, failed = v.loc[p.start].tolist() if p.start in v.index else (0, 0)
        out.append(TrendPoint(
            period=p, calls=int(n),
            mean_score=float(score_sum) / int(scored) if scored else None,
            pass_rate=int(passed) / int(passed + failed) if passed + failed else None,
            flagged_share=int(flagged) / int(n) if n else None,
        ))
    return tuple(out)


def _criteria(criteria: pd.DataFrame, period: ReportPeriod, titles: dict[str, str]) -> tuple[CriterionRate, ...]:
    def per_criterion(p: ReportPeriod) -> pd.DataFrame:
        rows = criteria[criteria["period_start"] == p.start]
        return rows.groupby("criterion_id")[["passed", "failed", "unknown"]].sum()

    now_, before = per_criterion(period), per_criterion(period.previous())

    def rate(passed, failed) -> float | None:
        return int(passed) / int(passed + failed) if passed + failed else None

    out = [
        CriterionRate(
            criterion_id=cid,
            title=titles.get(cid, cid),
            passed=int(r.passed),
            failed=int(r.failed),
            unknown=int(r.unknown),
            pass_rate=rate(r.passed, r.failed),
            previous_pass_rate=rate(before.loc[cid, "passed"], before.loc[cid, "failed"])
            if cid in before.index
            else None,
        )
        for cid, r in now_.iterrows()
    ]
    # Worst first; a criterion nobody could judge (all unknown / n.a.) goes last.
    return tuple(sorted(out, key=lambda c: (c.pass_rate is None, c.pass_rate or 0.0, -c.failed, c.criterion_id)))


def _reasons(con: duckdb.DuckDBPyConnection, scope: ReportScope, period: ReportPeriod,
             names: Mapping[str, Mapping[str, str]]) -> tuple[tuple[ReasonRow, ...], dict[str, int]]:
    where, params = _scope_sql(scope)
    rows = con.execute(
        f"""
        SELECT i.reason_id, i.outcome, count(*) AS calls
        FROM calls c JOIN call_insights i ON i.call_id = c.call_id
        WHERE c.status = 'processed' AND {CALL_AT} >= ? AND {CALL_AT} < ? AND {where}
        GROUP BY ALL
        """,
        [_at(period.start), _at(period.end), *params],
    ).fetchall()
    total = sum(n for _, _, n in rows)
    by_reason: dict[str | None, dict[str, int]] = {}
    outcomes: dict[str, int] = {}
    for reason, outcome, n in rows:
        by_reason.setdefault(reason, {})[outcome] = n
        outcomes[outcome] = outcomes.get(outcome, 0) + n
    order = {o: i for i, o in enumerate(OUTCOMES)}
    reasons = [ReasonRow(r, sum(o.values()), sum(o.values()) / total,
                         dict(sorted(o.items(), key=lambda kv: order.get(kv[0], len(order)))),
                         dict(names.get(r, {})) if r else {})
               for r, o in by_reason.items()]
    reasons.sort(key=lambda r: (-r.calls, r.reason_id is None, r.reason_id or ""))
    return tuple(reasons), dict(sorted(outcomes.items(), key=lambda kv: order.get(kv[0], len(order))))


def _coaching(con: duckdb.DuckDBPyConnection, scope: ReportScope, period: ReportPeriod, topics: list[CoachingTopic],
              titles: dict[str, str], limit: int) -> tuple[CoachingRow, ...]:
    if scope.kind == "team":
        topics = [t for t in topics if (t.team or "") == (scope.value or "")]
    elif scope.kind == "site":  # the operators who took calls at the site in the period
        where, params = _scope_sql(scope)
        at_site = {op for (op,) in con.execute(
            f"SELECT DISTINCT c.operator_id FROM calls c WHERE c.status = 'processed' AND c.operator_id IS NOT NULL "
            f"AND {CALL_AT} >= ? AND {CALL_AT} < ? AND {where}",
            [_at(period.start), _at(period.end), *params]).fetchall()}
        topics = [t for t in topics if t.operator_id in at_site]
    topics = topics[:limit]
    examples = [c for t in topics for c, _ in t.example_calls]
    recordings = dict(con.execute("SELECT call_id, file_name FROM calls WHERE call_id IN (SELECT unnest(?))",
                                  [examples]).fetchall()) if examples else {}
    return tuple(
        CoachingRow(t.operator_id, t.team, t.criterion_id, titles.get(t.criterion_id, t.criterion_id), t.calls,
                    t.failed, t.fail_rate, t.team_fail_rate, t.excess_failures,
                    tuple(recordings.get(c) or c for c, _ in t.example_calls), t.misses, t.recent_calls,
                    t.streak_marks)
        for t in topics
    )


def build_reports(con: duckdb.DuckDBPyConnection, scopes: list[ReportScope], period: ReportPeriod,
                  trend_periods: int = 8, coaching_limit: int = 10, generated_at: datetime | None = None,
                  reason_names: Mapping[str, Mapping[str, str]] | None = None,
                  coaching_rule: CoachingRule = CoachingRule()) -> list[QAReport]:
    """Everything each scope's report shows, for one period. What all scopes share (the daily
    aggregates of the trend's periods, coaching topics, criterion titles) is read once.
    ``reason_names``: reason id -> language -> label, from the call reason taxonomy."""
    periods = period.last(max(trend_periods, 2))  # at least the period before, for the criteria's change
    calls = _with_period(aggregates.daily_call_stats(con, periods[0].start, period.end), period.kind)
    criteria = _with_period(aggregates.daily_criterion_stats(con, periods[0].start, period.end), period.kind)
    titles = criterion_titles(con)
    topics = coaching_topics(con, _at(period.start), _at(period.end), limit=100_000, rule=coaching_rule)
    generated_at = generated_at or now()
    out = []
    for scope in scopes:
        scope_calls, scope_criteria = _in_scope(calls, scope), _in_scope(criteria, scope)
        reasons, outcomes = _reasons(con, scope, period, reason_names or {})
        out.append(QAReport(
            scope=scope,
            period=period,
            generated_at=generated_at,
            summary=_summary(con, scope_calls[scope_calls["period_start"] == period.start], scope, period),
            trend=_trend(scope_calls, scope_criteria, periods[-trend_periods:]),
            criteria=_criteria(scope_criteria, period, titles),
            reasons=reasons,
            outcomes=outcomes,
            coaching=_coaching(con, scope, period, topics, titles, coaching_limit),
        ))
    return out


def build_report(con: duckdb.DuckDBPyConnection, scope: ReportScope, period: ReportPeriod, trend_periods: int = 8,
                 coaching_limit: int = 10, generated_at: datetime | None = None,
                 reason_names: Mapping[str, Mapping[str, str]] | None = None,
                 coaching_rule: CoachingRule = CoachingRule()) -> QAReport:
    """Everything one report shows, for one scope and period."""
    return build_reports(con, [scope], period, trend_periods, coaching_limit, generated_at, reason_names,
                         coaching_rule)[0]
