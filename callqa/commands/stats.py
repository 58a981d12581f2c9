"""``callqa stats``: counts of calls, verdicts and reviews."""

from __future__ import annotations

import argparse

from callqa.commands.common import EXIT_BAD_INPUT, EXIT_OK, existing_database, load_settings, print_json


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("stats", help="counts of calls, verdicts and reviews")
    p.add_argument("--db", default=None)
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=stats)


def stats(args: argparse.Namespace) -> int:
    from storage.db import connect
    from storage.queries import stats as count

    db = existing_database(load_settings(db=args.db))
    if db is None:
        return EXIT_BAD_INPUT
    with connect(db, read_only=True) as con:
        result = count(con)
    if args.json:
        print_json(result.to_json(), ensure_ascii=True)
    else:
        for key, value in result.to_json().items():
            print(f"{key:>17}: {value}")
    return EXIT_OK
