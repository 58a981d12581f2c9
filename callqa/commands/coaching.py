"""``callqa coaching``: the criteria each operator fails more often than the team, with example calls."""

from __future__ import annotations

import argparse

from callqa.commands.common import EXIT_OK, day, load_settings, print_json


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("coaching", help="criteria each operator fails more often than the team, with example calls")
    p.add_argument("--db", default=None)
    p.add_argument("--since", default=None, help="period start (default: 30 days before --until)")
    p.add_argument("--until", default=None, help="period end (default: tomorrow)")
    p.add_argument("--operator", default=None)
    p.add_argument("--limit", type=int, default=20)
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=coaching)


def coaching(args: argparse.Namespace) -> int:
    from datetime import datetime, timedelta

    from storage.coaching import coaching_topics
    from storage.db import connect

    settings = load_settings(db=args.db)
    until = day(args.until) or datetime.now() + timedelta(days=1)
    since = day(args.since) or until - timedelta(days=30)
    with connect(settings.storage.db, read_only=True) as con:
        topics = coaching_topics(con, since, until, operator=args.operator, limit=args.limit)
    if args.json:
        print_json([t.to_json() for t in topics], indent=2)
        return EXIT_OK
    if not topics:
        print(f"no coaching topics between {since:%Y-%m-%d} and {until:%Y-%m-%d} (calls need an operator id)")
    for t in topics:
        examples = ", ".join(_example(e) for e in t.examples)
        print(f"{t.operator_id:<16} {t.criterion_id:<22} failed {t.failed}/{t.calls} ({t.fail_rate:.0%}) "
              f"vs team {t.team_fail_rate:.0%}, +{t.excess_failures:.1f} calls  e.g. {examples}")
    return EXIT_OK


def _example(e) -> str:
    """A call named by its recording and time (a hash tells a trainer nothing), with the evidence moment."""
    when = "" if e.call_at is None else f" {e.call_at:%Y-%m-%d %H:%M} UTC"
    return f"{e.recording}{when}" + ("" if e.at_s is None else f" @{e.at_s:.0f}s")
