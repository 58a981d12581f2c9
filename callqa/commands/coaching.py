"""``callqa coaching``: the criteria each operator keeps missing (k of their last n judged calls,
``settings.coaching``), with the streak and the missed calls."""

from __future__ import annotations

import argparse

from callqa.commands.common import EXIT_OK, day, load_settings, print_json


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("coaching", help="criteria each operator keeps missing (k of the last n judged calls), "
                                        "with the streak and the missed calls")
    p.add_argument("--db", default=None)
    p.add_argument("--since", default=None, help="period start (default: 30 days before --until)")
    p.add_argument("--until", default=None, help="period end (default: tomorrow)")
    p.add_argument("--operator", default=None)
    p.add_argument("--limit", type=int, default=20)
    p.add_argument("--min-misses", type=int, default=None, help="k: misses that make a topic (coach_min_misses)")
    p.add_argument("--recent-calls", type=int, default=None,
                   help="n: the operator's last judged calls on the criterion to look at (coach_recent_calls)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=coaching)


def coaching(args: argparse.Namespace) -> int:
    from datetime import datetime, timedelta

    from storage.coaching import MISS_MARK, PASS_MARK, coaching_topics
    from storage.db import connect
    from usecases.coaching_assignments import coaching_rule

    settings = load_settings(db=args.db, coach_min_misses=args.min_misses, coach_recent_calls=args.recent_calls)
    rule = coaching_rule(settings.coaching)
    until = day(args.until) or datetime.now() + timedelta(days=1)
    since = day(args.since) or until - timedelta(days=30)
    with connect(settings.storage.db, read_only=True) as con:
        topics = coaching_topics(con, since, until, operator=args.operator, limit=args.limit, rule=rule)
    if args.json:
        print_json([t.to_json() for t in topics], indent=2)
        return EXIT_OK
    if not topics:
        print(f"no coaching topics between {since:%Y-%m-%d} and {until:%Y-%m-%d}: no operator missed a criterion "
              f"in {rule.min_misses} of their last {rule.recent_calls} judged calls (calls need an operator id)")
    else:
        print(f"topics: {rule.min_misses} or more misses in the operator's last {rule.recent_calls} judged calls "
              f"on the criterion ({MISS_MARK} missed, {PASS_MARK} passed, oldest first)")
    for t in topics:
        print(f"{t.operator_id:<16} {t.criterion_id:<22} missed {t.misses} of the last {t.recent_calls} "
              f"{t.streak_marks}  (period: failed {t.failed}/{t.calls}, {t.fail_rate:.0%} vs team "
              f"{t.team_fail_rate:.0%}, {t.excess_failures:+.1f} calls)")
        for e in t.examples:
            print(f"    {_example(e)}")
    return EXIT_OK


def _example(e) -> str:
    """A call named by its recording and time (a hash tells a trainer nothing), with the evidence moment."""
    when = "" if e.call_at is None else f" {e.call_at:%Y-%m-%d %H:%M} UTC"
    return f"{e.recording}{when}" + ("" if e.at_s is None else f" @{e.at_s:.0f}s")
