"""Call detail records: ``callqa import-cdr`` (from the PBX's CDR CSV or a mapped CSV) and ``callqa cdr-kpis``
(service level, abandonment, speed of answer and handle time per queue, team, site or vendor)."""

from __future__ import annotations

import argparse
import sys

from callqa.commands.common import (
    EXIT_BAD_INPUT,
    EXIT_OK,
    day,
    existing_database,
    existing_file,
    load_settings,
    print_json,
)

SHOWN_PROBLEMS = 20  # lines listed on the terminal; --json lists them all


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("import-cdr", help="import call detail records (Asterisk Master.csv, or a CSV with a mapping)")
    p.add_argument("file", help="the CDR file")
    p.add_argument("--format", choices=("asterisk", "csv"), default="asterisk",
                   help="asterisk: cdr_csv's Master.csv (no header); csv: a CSV with a header, see --mapping")
    p.add_argument("--mapping", default=None,
                   help="TOML naming the CSV's columns ([columns] queue = ..., entered = ..., answered = ..., "
                        "ended = ...) and its time format ([times] format = ...); default: columns named as the fields")
    p.add_argument("--db", default=None)
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=import_cdr)

    p = sub.add_parser("cdr-kpis", help="service level, abandoned calls, speed of answer and handle time from the "
                                        "imported call detail records, per queue, vendor, site or team")
    p.add_argument("--by", choices=("queue", "vendor", "site", "team"), default="vendor")
    p.add_argument("--db", default=None)
    p.add_argument("--since", default=None, help="period start, time of entering the queue (YYYY-MM-DD)")
    p.add_argument("--until", default=None, help="period end, exclusive")
    p.add_argument("--per", choices=("day", "week", "month"), default=None,
                   help="also the figures per period (every group together)")
    p.add_argument("--min-n", type=int, default=20, help="fewest values per group for a difference to be tested")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cdr_kpis)


def import_cdr(args: argparse.Namespace) -> int:
    """Records from a CDR file into cdr_records (an upsert by key: importing again never duplicates)."""
    from pipeline.intake.cdr import CdrFileError, CdrMapping, read_cdr_file
    from storage.cdr import import_cdr as store_records
    from storage.db import connect

    db = existing_database(load_settings(db=args.db))
    if db is None:
        return EXIT_BAD_INPUT
    path = existing_file(args.file)
    if path is None:
        return EXIT_BAD_INPUT
    try:
        mapping = None
        if args.mapping:
            if args.format != "csv":
                raise CdrFileError("--mapping is for --format csv")
            mapping_path = existing_file(args.mapping)
            if mapping_path is None:
                return EXIT_BAD_INPUT
            mapping = CdrMapping.from_file(mapping_path)
        parsed = read_cdr_file(path, args.format, mapping)
    except CdrFileError as err:
        print(f"callqa: error: {path}: {err}", file=sys.stderr)
        return EXIT_BAD_INPUT
    with connect(db) as con:
        result = store_records(con, parsed, path.name)
    if args.json:
        print_json(result.to_json(), indent=2)
        return EXIT_OK
    print(f"{path.name}: read {result.read} records, skipped {len(result.skipped)}, stored {result.stored} "
          f"({result.added} new, {result.updated} already there), matched {result.matched} to recordings")
    for title, problems in (("bad lines, skipped", result.skipped), ("warnings", result.warnings)):
        if problems:
            print(f"{len(problems)} {title}:", file=sys.stderr)
            for problem in problems[:SHOWN_PROBLEMS]:
                print(f"  {problem}", file=sys.stderr)
            if len(problems) > SHOWN_PROBLEMS:
                print(f"  ... and {len(problems) - SHOWN_PROBLEMS} more (--json lists them all)", file=sys.stderr)
    return EXIT_OK


def cdr_kpis(args: argparse.Namespace) -> int:
    """The KPIs per group with 95% intervals, and which differences between groups are real."""
    from pipeline.stats.cdr_kpis import kpis_by_period
    from storage.cdr import compare_cdr
    from storage.db import connect

    settings = load_settings(db=args.db)
    db = existing_database(settings)
    if db is None:
        return EXIT_BAD_INPUT
    since, until = day(args.since), day(args.until)
    rules = settings.cdr.rules()
    with connect(db, read_only=True) as con:
        kpis = compare_cdr(con, args.by, since, until, rules, min_n=args.min_n)
    periods = kpis_by_period(kpis.data.values, rules, args.per) if args.per else []
    if args.json:
        report = kpis.to_json()
        if args.per:
            report["periods"] = [row.to_json() for row in periods]
        print_json(report, indent=2)
        return EXIT_OK
    if kpis.empty:
        print("no call detail records in this period: import some with `callqa import-cdr`")
        return EXIT_OK
    print(f"{len(kpis.data.values)} records by {args.by}; {kpis.data.matched} match a recording; groups from "
          + ", ".join(f"{source} {n}" for source, n in kpis.data.attribution.items() if n))
    print(rules.rule)
    print(f"\n{'group':24} {'offered':>8} {'abandoned':>9} {'short':>6} {'failed':>6} {'service level':>22} "
          f"{'abandonment':>20} {'ASA':>16} {'AHT':>18}")
    for row in [*kpis.table, *periods]:
        print(f"{row.group[:24]:24} {row.offered:>8} {row.abandoned:>9} {row.short_abandons:>6} {row.failed:>6} "
              f"{_share(row.service_level):>22} {_share(row.abandonment):>20} {_seconds(row.speed_of_answer):>16} "
              f"{_seconds(row.handle_time):>18}")
    print(f"\n[low–high]: 95% confidence interval. {kpis.comparison.rule}\n")
    for verdict in kpis.comparison.verdicts:
        for sentence in verdict.sentences:
            print(f"{'!' if verdict.claimed else '-'} {sentence}")
    return EXIT_OK


def _share(i) -> str:
    return "–" if i is None else f"{i.estimate:.1%} [{i.low:.1%}–{i.high:.1%}]"


def _seconds(i) -> str:
    if i is None:
        return "–"
    if i.low == float("-inf"):
        return f"{i.estimate:.0f} s"
    return f"{i.estimate:.0f} s [{i.low:.0f}–{i.high:.0f}]"
