"""``callqa compare``: sites, vendors or teams side by side, with 95% intervals, and which differences are real."""

from __future__ import annotations

import argparse

from callqa.commands.common import EXIT_BAD_INPUT, EXIT_OK, day, existing_database, load_settings, print_json


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("compare", help="sites, vendors or teams side by side, with confidence intervals and "
                                       "which differences are real")
    p.add_argument("--by", choices=("vendor", "site", "team"), default="vendor")
    p.add_argument("--db", default=None)
    p.add_argument("--since", default=None, help="period start, call time (YYYY-MM-DD; default: the first call)")
    p.add_argument("--until", default=None, help="period end, exclusive (default: after the last call)")
    p.add_argument("--min-n", type=int, default=20, help="fewest values per group for a difference to be tested")
    p.add_argument("--correction", choices=("holm", "bh"), default="holm",
                   help="multiple-comparison correction: holm (family-wise) or bh (false discovery rate)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=compare)


def compare(args: argparse.Namespace) -> int:
    """Sites, vendors or teams side by side: estimates with 95% intervals, and what is (not) a real difference."""
    from pipeline.stats.group_comparison import format_value
    from storage.comparison import compare as compare_groups
    from storage.db import connect

    db = existing_database(load_settings(db=args.db))
    if db is None:
        return EXIT_BAD_INPUT
    since, until = day(args.since), day(args.until)
    with connect(db, read_only=True) as con:
        result = compare_groups(con, args.by, since, until, min_n=args.min_n, correction=args.correction)
    if args.json:
        print_json(result.to_json(), indent=2)
        return EXIT_OK
    period = f"{since:%Y-%m-%d}" if since else "the first call"
    period += f" to {until:%Y-%m-%d}" if until else " to the last"
    print(f"calls by {args.by}, {period}: " + (", ".join(f"{g} {n}" for g, n in zip(result.groups, result.calls))
                                                or "none"))
    if result.groups:
        width = max(len(m.label) for m in result.metrics) if result.metrics else 10
        print(f"\n{'':{width}}  " + "  ".join(f"{g[:26]:>26}" for g in result.groups))
        for metric in result.metrics:
            cells = []
            for group in result.groups:
                e = result.estimate(metric.id, group)
                bounds = "" if e.low is None else f" [{format_value(metric, e.low)}–{format_value(metric, e.high)}]"
                cell = "–" if e.estimate is None else f"{format_value(metric, e.estimate)}{bounds} n={e.n}"
                cells.append(f"{cell:>26}")
            print(f"{metric.label:{width}}  " + "  ".join(cells))
        print(f"\n[low–high]: 95% confidence interval. {result.rule}\n")
    for verdict in result.verdicts:
        for sentence in verdict.sentences:
            print(f"{'!' if verdict.claimed else '-'} {sentence}")
    for note in result.notes:
        print(f"note: {note}")
    return EXIT_OK
