"""``callqa report``: the QA reports (HTML and Excel, per group) of the last complete period, now."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from callqa.commands.common import EXIT_BAD_INPUT, EXIT_OK, existing_database, load_settings, print_json


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("report",
                       help="write the QA reports (HTML and Excel, per team and site) of the last complete period")
    p.add_argument("--period", choices=["day", "week", "month"], default=None, help="default: report_period (week)")
    p.add_argument("--end", default=None,
                   help="report the last complete period ending on or before this day (YYYY-MM-DD; default today)")
    p.add_argument("--latest", action="store_true",
                   help="report the period holding the latest processed call instead "
                        "(e.g. calls loaded from an archive)")
    p.add_argument("--db", default=None)
    p.add_argument("--out", default=None,
                   help="the reports folder (default: reports_dir, a reports folder beside the database)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=report)


def report(args: argparse.Namespace) -> int:
    """The QA reports (HTML and Excel, per group) of the last complete period, now."""
    from datetime import date

    from usecases.reports import period_of_latest_call, period_to_report, write_reports

    settings = load_settings(db=args.db, reports_dir=args.out, report_period=args.period)
    if existing_database(settings) is None:
        return EXIT_BAD_INPUT
    if args.latest:
        period = period_of_latest_call(settings)
        if period is None:
            print(f"callqa: error: no processed call in {settings.storage.db} to report on", file=sys.stderr)
            return EXIT_BAD_INPUT
    else:
        period = period_to_report(settings, end=date.fromisoformat(args.end) if args.end else None)
    written = write_reports(settings, period)
    if args.json:
        print_json([{"scope": w.scope.kind, "group": w.scope.value, "period": period.label, "calls": w.calls,
                     "html": str(w.html), "xlsx": str(w.xlsx)} for w in written])
        return EXIT_OK
    assert settings.reports.dir is not None  # load_settings puts it beside the database when not configured
    print(f"{period.title}: {len(written)} reports in {Path(settings.reports.dir) / period.kind / period.label}")
    for w in written:
        print(f"  {w.scope.title:<32} {w.calls:>6} calls  {w.html.name}, {w.xlsx.name}")
    return EXIT_OK
