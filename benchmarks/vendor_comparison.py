#!/usr/bin/env python3
"""Does the site/vendor comparison find a true difference, and only that one?

For each seed: a fresh two-vendor set (benchmarks/datasets/make_vendor_set.py: 400 calls, 80/20,
CallNorth skips "anything else?" in 35% of calls against ContactPro's 10%, everything else
drawn alike), judged by the product and stored through the flows' storage functions into a
new DuckDB file, then compared by vendor exactly as ``callqa compare --by vendor`` does
(``storage.comparison.compare``: Holm correction over all metrics, at least 20 values per
group, alpha 0.05). Printed:

- power: in how many seeds the worse criterion is claimed, with CallNorth worse;
- family-wise false-claim rate: in how many seeds ANY metric without a true difference is
  claimed (the QA score is not one of them: it contains the criterion, so it truly differs by
  about 2 points; its claims are counted on their own line);
- how often the 95% interval of the criterion's difference covers the true difference;
- one seed's report as the CLI prints it.

``--null`` gives both vendors ContactPro's rate (no true difference anywhere): then every
claim is false, the QA score's included.

``--generator-truth`` skips the judge and the database: the verdicts are what the generator
put in, the handle time, silence and dead air the product's ``conversation_metrics`` of the
dialogue, compared with ``pipeline.stats.group_comparison`` directly (no QA score). About 0.4 s a
seed instead of 20-40 s, so hundreds of seeds measure the statistics' own false-claim rate.

    .venv/bin/python benchmarks/vendor_comparison.py [--seeds 50] [--calls 400] [--share-b 0.2] [--null]
"""
from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:  # run as a file: the project's packages and the benchmarks
    sys.path.insert(0, str(REPO))

from benchmarks.datasets import make_vendor_set as vendor_set
from pipeline.analyze import build_judge
from pipeline.judging.metrics import conversation_metrics
from pipeline.judging.scorecard import load_scorecard
from pipeline.stats.group_comparison import GroupComparison, Sample, compare_groups
from storage.comparison import DEAD_AIR, ESCALATION, HANDLE_TIME, SILENCE, compare, criterion_metric
from storage.db import connect

WORSE = f"pass:{vendor_set.WORSE_CRITERION}"
CONSEQUENCE = "qa_score"  # truly lower for the worse vendor, by construction


def run_seed(seed: int, calls: int, share_b: float, rates: dict[str, float], judge, folder: Path) -> GroupComparison:
    db = folder / f"vendor_set_{seed}.duckdb"
    vendor_set.store(db, vendor_set.generate(calls, share_b, seed, rates), judge)
    with connect(db, read_only=True) as con:
        result = compare(con, "vendor")
    db.unlink()
    return result


def truth_seed(seed: int, calls: int, share_b: float, rates: dict[str, float]) -> GroupComparison:
    """The same comparison on the generator's own verdicts and the product's timing metrics."""
    generated = vendor_set.generate(calls, share_b, seed, rates)
    values: dict[tuple[str, str], list[float]] = {}
    for call in generated:
        m = conversation_metrics(vendor_set.transcript(call), call.duration_s)
        row = {criterion_metric(k).id: float(v == "pass") for k, v in call.truth}
        row.update({ESCALATION.id: float(call.escalated), HANDLE_TIME.id: m.handle_time_s,
                    SILENCE.id: m.silence_s / m.conversation_s, DEAD_AIR.id: m.dead_air_s / m.handle_time_s})
        for metric_id, value in row.items():
            values.setdefault((metric_id, call.vendor), []).append(value)
    metrics = {criterion_metric(k).id: criterion_metric(k) for k, _ in generated[0].truth}
    metrics.update({m.id: m for m in (ESCALATION, HANDLE_TIME, SILENCE, DEAD_AIR)})
    groups = [vendor_set.VENDOR_A[0], vendor_set.VENDOR_B[0]]
    counts = [sum(c.vendor == g for c in generated) for g in groups]
    return compare_groups([Sample(metrics[mid], g, tuple(v)) for (mid, g), v in values.items()], groups, counts)


def print_report(c: GroupComparison) -> None:
    print("  " + ", ".join(f"{g}: {n} calls" for g, n in zip(c.groups, c.calls)))
    for v in c.verdicts:
        for sentence in v.sentences:
            print(f"  {'CLAIM ' if v.claimed else '      '}{sentence}")
    for note in c.notes:
        print(f"  note: {note}")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seeds", type=int, default=50)
    ap.add_argument("--first-seed", type=int, default=0)
    ap.add_argument("--calls", type=int, default=400)
    ap.add_argument("--share-b", type=float, default=0.2)
    ap.add_argument("--null", action="store_true", help="no true difference: both vendors skip the offer at 10%%")
    ap.add_argument("--generator-truth", action="store_true",
                    help="compare the generator's verdicts directly: no judge, no database (fast)")
    args = ap.parse_args(argv)
    rates = dict(vendor_set.SKIP_EXTRA_HELP)
    if args.null:
        rates["B"] = rates["A"]
    true_difference = rates["A"] - rates["B"]  # pass rate of B minus A

    judge = None if args.generator_truth else build_judge(load_scorecard(vendor_set.SCORECARD))
    found = consequence = any_false = covered = 0
    false_by_metric: Counter[str] = Counter()
    differences = []
    example = None
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="vendor_cmp_") as tmp:
        for seed in range(args.first_seed, args.first_seed + args.seeds):
            c = (truth_seed(seed, args.calls, args.share_b, rates) if args.generator_truth
                 else run_seed(seed, args.calls, args.share_b, rates, judge, Path(tmp)))
            example = example or c
            worse = next(d for d in c.differences if d.metric_id == WORSE)
            differences.append(worse.difference)
            covered += worse.low is not None and worse.low <= true_difference <= worse.high
            claimed = {d.metric_id for d in c.claims}
            if not args.null:
                found += WORSE in claimed and worse.difference < 0
                consequence += CONSEQUENCE in claimed
                false = claimed - {WORSE, CONSEQUENCE}
            else:
                false = claimed
            any_false += bool(false)
            false_by_metric.update(false)
            if args.generator_truth and not false:
                continue  # hundreds of seeds: only the ones with a false claim
            print(f"seed {seed:3d}: {worse.group} {worse.estimate_group:.0%} vs {worse.reference} "
                  f"{worse.estimate_reference:.0%} on {WORSE}, p_adj {worse.p_adjusted:.2g}; "
                  f"claimed {sorted(claimed) or 'nothing'}  ({time.perf_counter() - t0:.0f} s)", flush=True)

    n = args.seeds
    b_calls = round(args.calls * args.share_b)
    print(f"\n{n} seeds x {args.calls} calls ({args.calls - b_calls} ContactPro / {b_calls} CallNorth), "
          f"extra-help skipped {rates['A']:.0%} vs {rates['B']:.0%}; {example.tests} comparisons per report, "
          f"Holm, alpha {example.alpha}, min n {example.min_n}; {time.perf_counter() - t0:.0f} s")
    if not args.null:
        print(f"power (worse criterion claimed, CallNorth worse): {found}/{n} = {found / n:.0%}")
        print(f"QA score claimed lower (a true consequence, ~2 points): {consequence}/{n} = {consequence / n:.0%}")
    print(f"family-wise false-claim rate (any metric without a true difference claimed): {any_false}/{n} = "
          f"{any_false / n:.0%}" + (f"  by metric: {dict(false_by_metric)}" if false_by_metric else ""))
    mean = sum(differences) / len(differences)
    print(f"{WORSE} difference: mean {mean * 100:+.1f} pp (true {true_difference * 100:+.0f} pp); "
          f"95% CI covered the true difference in {covered}/{n} = {covered / n:.0%}")
    print("\nexample report (seed %d):" % args.first_seed)
    print_report(example)
    return 0


if __name__ == "__main__":
    sys.exit(main())
