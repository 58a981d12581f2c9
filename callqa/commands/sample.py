"""``callqa sample`` (draw the audit sample of a period now) and ``callqa accuracy`` (the accuracy sheet of the
automatic verdicts, from reviews of sampled calls)."""

from __future__ import annotations

import argparse
import sys

from callqa.commands.common import EXIT_BAD_INPUT, EXIT_OK, day, existing_database, load_settings, print_json, who


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("sample", help="draw the audit sample of a period (calls at random, flagged or not) now; "
                                      "the nightly flow draws each night's")
    p.add_argument("--db", default=None)
    p.add_argument("--since", default=None, help="period start (YYYY-MM-DD)")
    p.add_argument("--until", default=None, help="period end, exclusive (YYYY-MM-DD)")
    p.add_argument("--latest-night", action="store_true",
                   help="the last day with processed calls (the default without --since/--until)")
    p.add_argument("--by", default=None, help="who draws it, kept with the sample (default: this user)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=sample)

    p = sub.add_parser("accuracy", help="precision and recall of automatic fails, agreement and unknown share per "
                                        "criterion, with 95%% intervals, from reviews of audit-sampled calls")
    p.add_argument("--db", default=None)
    p.add_argument("--since", default=None, help="period start (default: 30 days before --until)")
    p.add_argument("--until", default=None, help="period end, exclusive (default: tomorrow)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=accuracy)


def sample(args: argparse.Namespace) -> int:
    from usecases import audit_sampling

    settings = load_settings(db=args.db)
    if existing_database(settings) is None:
        return EXIT_BAD_INPUT
    if args.latest_night and (args.since or args.until):
        print("callqa: error: --latest-night or --since/--until, not both", file=sys.stderr)
        return EXIT_BAD_INPUT
    if args.since or args.until:
        if not (args.since and args.until):
            print("callqa: error: give both --since and --until", file=sys.stderr)
            return EXIT_BAD_INPUT
        since, until = day(args.since), day(args.until)
        assert since is not None and until is not None  # both given, checked above
        which = audit_sampling.period(since, until)
    else:
        latest = audit_sampling.latest_night(settings)
        if latest is None:
            print("callqa: error: no processed calls to sample yet", file=sys.stderr)
            return EXIT_BAD_INPUT
        which = latest
    if settings.sampling.per_stratum == 0:
        print("callqa: error: the audit sample is switched off (sample_per_stratum = 0)", file=sys.stderr)
        return EXIT_BAD_INPUT
    drawn = audit_sampling.draw(settings, which, who(args.by))
    if args.json:
        print_json(drawn.to_json(), indent=2)
        return EXIT_OK
    print(f"audit sample {drawn.sample.sample_id} ({drawn.sample.since:%Y-%m-%d %H:%M} to "
          f"{drawn.sample.until:%Y-%m-%d %H:%M}): {len(drawn.added)} calls added, {len(drawn.calls)} in it, from "
          f"{drawn.population} calls in {drawn.strata_count} strata ({', '.join(drawn.strata) or 'all'}, "
          f"{drawn.per_stratum} each, seed {drawn.seed!r})")
    for c in drawn.calls:
        print(f"  {c.call_id}  {c.stratum}  drawn {c.drawn_at:%Y-%m-%d %H:%M} UTC by {c.drawn_by}")
    return EXIT_OK


def _share(r) -> str:
    if r.value is None:
        return "–"
    small = " n<30" if r.small else ""
    return f"{r.value:.0%} [{r.low:.0%}–{r.high:.0%}] {r.hits}/{r.n}{small}"


def accuracy(args: argparse.Namespace) -> int:
    from datetime import datetime, timedelta

    from usecases.accuracy_sheet import MIN_N, accuracy_sheet

    settings = load_settings(db=args.db)
    if existing_database(settings) is None:
        return EXIT_BAD_INPUT
    until = day(args.until) or datetime.combine(datetime.now().date() + timedelta(days=1), datetime.min.time())
    since = day(args.since) or until - timedelta(days=30)
    sheet = accuracy_sheet(settings.storage.db, since, until)
    if args.json:
        print_json(sheet.to_json(), indent=2)
        return EXIT_OK
    print(f"accuracy sheet {since:%Y-%m-%d} to {until:%Y-%m-%d}: {sheet.coverage.sampled_calls} sampled calls, "
          f"{sheet.coverage.reviewed_calls} reviewed (95% Wilson intervals; n<{MIN_N}: too few to rely on)")
    if not sheet.rows:
        print("no reviewed verdicts of sampled calls in this period: review the audit sample first "
              "(the review queue's 'Audit sample' list)")
    for version in sheet.versions():
        print(f"\n{version[0]} v{version[1]}")
        for r in sheet.rows_of(version, "all") + sheet.rows_of(version, "language") + sheet.rows_of(version,
                                                                                                   "channels"):
            where = "all" if r.slice == "all" else f"{r.slice}={r.value or '-'}"
            print(f"  {r.criterion_id:<22} {where:<16} n={r.counts.reviewed:<4} precision {_share(r.precision)}; "
                  f"recall {_share(r.recall)}; agreement {_share(r.agreement)}; unknown {_share(r.unknown_share)}")
    if sheet.disputes:
        print("\noperators' disputes resolved by reviewers (not a sample: confirmed errors, beside the figures)")
    for d in sheet.disputes:
        c = d.counts
        print(f"  {c.scorecard_name} v{c.scorecard_version} {c.criterion_id:<22} {c.overturned} of {c.resolved} "
              f"overturned ({c.overturned_auto_fails} automatic fails); {_share(d.overturned)}")
    print(f"\nwhat the flags miss: {len(sheet.missed)} sampled calls failed by a reviewer with no flag")
    for m in sheet.missed:
        at = "" if m.call_at is None else f"{m.call_at:%Y-%m-%d %H:%M} "
        print(f"  {at}{m.file_name}  {m.operator_id or '-'}  failed: {', '.join(m.failed_criteria)}")
    return EXIT_OK
