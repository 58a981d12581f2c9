"""``callqa rescore``: re-judge stored transcripts with a scorecard (version), without re-transcribing."""

from __future__ import annotations

import argparse

from callqa.commands.common import EXIT_BAD_INPUT, EXIT_OK, day, existing_database, load_settings, print_json


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("rescore",
                       help="re-judge stored transcripts with a scorecard (version), without re-transcribing")
    p.add_argument("--scorecard", required=True,
                   help="NAME or NAME@VERSION (older versions: scorecards/archive or the database)")
    p.add_argument("--db", default=None)
    p.add_argument("--since", default=None, help="only calls from this date (YYYY-MM-DD)")
    p.add_argument("--until", default=None, help="only calls before this date")
    p.add_argument("--operator", default=None)
    p.add_argument("--flipped", action="store_true", help="only calls whose operator/customer roles a reviewer flipped")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=rescore)


def rescore(args: argparse.Namespace) -> int:
    from usecases.rescore import rescore as rejudge
    from usecases.rescore import resolve_for_rescore

    settings = load_settings(db=args.db)
    if existing_database(settings, missing=" yet: run `callqa run` first") is None:
        return EXIT_BAD_INPUT
    scorecard = resolve_for_rescore(args.scorecard, settings.storage.db, settings.judging.scorecards_dir)
    summary = rejudge(settings.storage.db, scorecard, since=day(args.since), until=day(args.until),
                      operator=args.operator,
                      flipped_only=args.flipped)
    if args.json:
        print_json(summary.to_json(), ensure_ascii=True)
    else:
        print(f"re-judged {summary.calls} stored calls with {summary.scorecard} in {summary.wall_s:.1f} s; "
              f"{summary.changed_scores} scores changed. Earlier versions' verdicts stay queryable.")
    return EXIT_OK
