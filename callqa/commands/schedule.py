"""``callqa schedule``: serve the nightly flow, and the periodic reports, on their cron schedules."""

from __future__ import annotations

import argparse
import sys

from callqa.commands.common import EXIT_BAD_INPUT, EXIT_OK, load_settings, print_json


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("schedule", help="serve the nightly flow on a cron schedule (needs a Prefect server)")
    p.add_argument("--cron", default="0 2 * * *", help='five-field cron expression (default "0 2 * * *": 02:00 daily)')
    p.add_argument("--timezone", default=None,
                   help="IANA timezone of the cron, e.g. Europe/Moscow (default: this machine's, else UTC)")
    p.add_argument("--inbox", default=None)
    p.add_argument("--db", default=None)
    p.add_argument("--batch-size", type=int, default=None)
    p.add_argument("--reports-cron", default=None,
                   help='cron of the periodic reports flow (default: reports_cron, "0 6 * * 1": Monday 06:00)')
    p.add_argument("--no-reports", action="store_true", help="serve only the nightly flow, no periodic reports")
    p.add_argument("--dry-run", action="store_true",
                   help="print the deployments, their next 3 runs and parameters as JSON; serve nothing")
    p.set_defaults(func=schedule)


def schedule(args: argparse.Namespace) -> int:
    """Serve the nightly deployment, and the periodic reports one, on their cron schedules (blocking),
    or show them with --dry-run."""
    from flows.schedule import ScheduleError, describe, nightly_deployment, reports_deployment, serve_nightly

    settings = load_settings(inbox=args.inbox, db=args.db, batch_size=args.batch_size, reports_cron=args.reports_cron)
    try:
        deployment = nightly_deployment(settings, args.cron, args.timezone)
        reports = None if args.no_reports else reports_deployment(settings, timezone=args.timezone)
        if args.dry_run:
            shown = describe(deployment)
            if reports is not None:
                shown["reports"] = describe(reports)
            print_json(shown, indent=2)
            return EXIT_OK
        serve_nightly(deployment, *([reports] if reports is not None else []))
    except ScheduleError as err:
        print(f"callqa: error: {err}", file=sys.stderr)
        return EXIT_BAD_INPUT
    return EXIT_OK
