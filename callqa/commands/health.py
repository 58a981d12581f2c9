"""``callqa health``: database, latest run, model weights and disk checked; exit status 0 healthy, 1 not."""

from __future__ import annotations

import argparse

from callqa.commands.common import EXIT_INTERNAL, EXIT_OK, load_settings, print_json


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("health", help="is it healthy? database, latest run's age, weights, disk (exit status 0/1)")
    p.add_argument("--db", default=None)
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=health)


def health(args: argparse.Namespace) -> int:
    from usecases.health import health as check

    result = check(load_settings(db=args.db))
    if args.json:
        print_json(result.as_dict())
    else:
        for c in result.checks:
            print(f"{'ok' if c.ok else 'FAIL':>4}  {c.name:<9} {c.detail}")
        print("healthy" if result.ok else "unhealthy")
    return EXIT_OK if result.ok else EXIT_INTERNAL
