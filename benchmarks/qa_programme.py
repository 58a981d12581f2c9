"""Do the QA programme's intervals mean what they say? (issue #18)

Synthetic, with known truth (no real recording has enough reviewed verdicts for this):

1. The accuracy sheet's 95% Wilson intervals (``usecases.accuracy_sheet.rate``): audit samples of n
   reviewed verdicts are simulated from a known machine (fail prevalence, recall, precision); the share of
   samples whose interval holds the true precision and the true recall is the coverage (about 95% when
   the intervals are right), with the mean width a QA lead reads.
2. The calibration sessions' interval of kappa (``pipeline.stats.rater_agreement``): sessions of
   a few calls scored by three reviewers who each give the true verdict with a known probability; the true
   kappa is that of a very large session. Coverage and width per session size.
3. Proof of the whole path on a real DuckDB file: 400 sampled calls with known verdicts drawn by the real
   sampler, reviewed, read back through ``usecases.accuracy_sheet``: the sheet's counts equal the truth.

Real (``--real FILE``, the JSON that ``benchmarks/real_calls.py`` writes over ``../shared/eval/hvb_dev``):

4. The accuracy sheet of the product's verdicts on the six real phone calls, with the reviewer's labels
   (labels.json) as the sampled reviews: each call once as stereo and once as its mono mix, so the
   per-stereo/mono rows come from the same calls. Too few for a figure to rely on, which the sheet says.

    .venv/bin/python benchmarks/qa_programme.py [--trials 2000] [--real benchmarks/results/real_calls.json]
                                                [--json FILE]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from pipeline.stats.rater_agreement import kappa, kappa_interval
from storage.calls import add_review
from storage.db import connect
from usecases.accuracy_sheet import accuracy_sheet, rate
from usecases.audit_sampling import draw, night
from usecases.settings import SamplingSettings, Settings, StorageSettings

PREVALENCE, RECALL, PRECISION = 0.15, 0.80, 0.75  # the simulated machine, per criterion verdict
# How often it fails a verdict the reviewer passed, so that PRECISION of its fails are right.
FALSE_FAIL_RATE = PREVALENCE * RECALL * (1 / PRECISION - 1) / (1 - PREVALENCE)


def wilson_coverage(n: int, trials: int, rng: np.random.Generator) -> dict:
    """Samples of n reviewed verdicts: reviewer's fail with PREVALENCE; the machine finds RECALL of them and
    raises false fails at FALSE_FAIL_RATE."""
    fails = rng.binomial(n, PREVALENCE, trials)
    caught = rng.binomial(fails, RECALL)
    false = rng.binomial(n - fails, FALSE_FAIL_RATE)
    held = {"precision": 0, "recall": 0}
    widths: dict[str, list[float]] = {"precision": [], "recall": []}
    defined = {"precision": 0, "recall": 0}
    for f, c, x in zip(fails, caught, false):
        for name, r, truth in (("precision", rate(int(c), int(c + x)), PRECISION), ("recall", rate(int(c), int(f)),
                                                                                      RECALL)):
            if r.value is None:
                continue
            defined[name] += 1
            held[name] += r.low <= truth <= r.high
            widths[name].append(r.high - r.low)
    return {"n": n, **{f"{k}_coverage": round(held[k] / max(defined[k], 1), 3) for k in held},
            **{f"{k}_mean_width": round(float(np.mean(widths[k])), 3) for k in widths}}


def ratings(calls: int, raters: int, right: float, rng: np.random.Generator) -> np.ndarray:
    """pass/fail/na (0/1/2) truths 70/25/5%; each reviewer gives the truth with ``right``, else any verdict."""
    truth = rng.choice(3, size=calls, p=[0.70, 0.25, 0.05])
    keep = rng.random((calls, raters)) < right
    return np.where(keep, truth[:, None], rng.integers(0, 3, (calls, raters)))


def kappa_coverage(calls: int, trials: int, rng: np.random.Generator, true_kappa: float) -> dict:
    held, widths, undefined = 0, [], 0
    for t in range(trials):
        interval = kappa_interval(ratings(calls, 3, 0.8, rng), 3, resamples=1000, seed=t)
        if interval is None:
            undefined += 1
            continue
        held += interval.low <= true_kappa <= interval.high
        widths.append(interval.high - interval.low)
    shown = trials - undefined
    return {"calls": calls, "coverage": round(held / max(shown, 1), 3),
            "mean_width": round(float(np.mean(widths)), 3) if widths else None, "no_interval": undefined}


def sheet_on_duckdb(calls: int, seed: int) -> dict:
    """The real sampler and sheet on a real DuckDB file; returns the truth and what the sheet read."""
    rng = np.random.default_rng(seed)
    at = datetime(2026, 3, 2, 9)
    truth = {"true_fails": 0, "false_fails": 0, "missed_fails": 0, "reviewed": 0}
    reviewer_verdicts: dict[str, str] = {}
    with tempfile.TemporaryDirectory() as folder:
        db = Path(folder) / "programme.duckdb"
        with connect(db) as con:
            for i in range(calls):
                reviewer_fails = rng.random() < PREVALENCE
                machine_fails = rng.random() < (RECALL if reviewer_fails else FALSE_FAIL_RATE)
                call_id = f"c{i:05d}"
                con.execute(
                    "INSERT INTO calls (call_id, content_sha256, source_path, file_name, status, channels, language,"
                    " scorecard_name, scorecard_version, first_seen_at, processed_at, operator_id, team, started_at)"
                    " VALUES (?, ?, ?, ?, 'processed', 2, 'ru', 'inbound_support', 1, ?, ?, ?, 'A', ?)",
                    [call_id, call_id, f"/in/{call_id}.wav", f"{call_id}.wav", at, at, f"op{i % 20:02d}",
                     at + timedelta(seconds=i)])
                con.execute("INSERT INTO scores VALUES (?, 'inbound_support', 1, ?, ?, ?)",
                            [call_id, 50.0 if machine_fails else 100.0, ["critical_fail"] if machine_fails else [], at])
                con.execute("INSERT INTO criteria_results (call_id, scorecard_name, scorecard_version, criterion_id,"
                            " result, method, scored_at) VALUES (?, 'inbound_support', 1, 'greeting', ?, 'rules', ?)",
                            [call_id, "fail" if machine_fails else "pass", at])
                truth["reviewed"] += 1
                truth["true_fails"] += machine_fails and reviewer_fails
                truth["false_fails"] += machine_fails and not reviewer_fails
                truth["missed_fails"] += reviewer_fails and not machine_fails
                reviewer_verdicts[call_id] = "fail" if reviewer_fails else "pass"
            settings = replace(Settings(), storage=replace(StorageSettings(), db=str(db)),
                               sampling=SamplingSettings(per_stratum=calls, strata=("operator",)))
        started = time.perf_counter()
        drawn = draw(settings, night(at.date()), "benchmark")
        draw_s = time.perf_counter() - started
        with connect(db) as con:
            for row in drawn.calls:
                add_review(con, row.call_id, "qa.bench", "confirm", "greeting", reviewer_verdicts[row.call_id],
                           reviewer_role="reviewer")
        started = time.perf_counter()
        sheet = accuracy_sheet(db, at - timedelta(days=1), at + timedelta(days=1))
        sheet_s = time.perf_counter() - started
    (row,) = [r for r in sheet.rows if r.slice == "all"]
    got = {"true_fails": row.counts.true_fails, "false_fails": row.counts.false_fails,
           "missed_fails": row.counts.missed_fails, "reviewed": row.counts.reviewed}
    return {"calls": calls, "sampled": len(drawn.calls), "truth": truth, "sheet": got, "equal": got == truth,
            "precision": row.precision.to_json(), "recall": row.recall.to_json(),
            "draw_s": round(draw_s, 3), "sheet_s": round(sheet_s, 3)}


def sheet_of_real_calls(results: Path) -> dict:
    """Section 4: the real calls' verdicts (stereo and mono paths) and labels through the real sampler and sheet."""
    rows = json.loads(results.read_text())["rows"]
    at = datetime(2026, 3, 2, 9)
    with tempfile.TemporaryDirectory() as folder:
        db = Path(folder) / "real.duckdb"
        with connect(db) as con:
            for n, row in enumerate(rows):
                for path, channels in (("stereo", 2), ("mono", 1)):
                    got = row.get(path) or {}
                    if "verdicts" not in got:
                        continue
                    call_id = f"{row['call']}-{path}"
                    con.execute(
                        "INSERT INTO calls (call_id, content_sha256, source_path, file_name, status, channels,"
                        " language, scorecard_name, scorecard_version, first_seen_at, processed_at, operator_id,"
                        " team, started_at) VALUES (?, ?, ?, ?, 'processed', ?, 'en', 'inbound_support', 1, ?, ?,"
                        " 'agent', 'hvb', ?)",
                        [call_id, call_id, call_id, f"{call_id}.flac", channels, at, at, at + timedelta(minutes=n)])
                    con.execute("INSERT INTO scores VALUES (?, 'inbound_support', 1, 0, ?, ?)",
                                [call_id, got.get("flags", []), at])
                    for criterion, verdict in got["verdicts"].items():
                        con.execute("INSERT INTO criteria_results (call_id, scorecard_name, scorecard_version,"
                                    " criterion_id, result, method, scored_at)"
                                    " VALUES (?, 'inbound_support', 1, ?, ?, 'rules', ?)", [call_id, criterion,
                                                                                             verdict, at])
        settings = replace(Settings(), storage=replace(StorageSettings(), db=str(db)),
                           sampling=SamplingSettings(per_stratum=100, strata=("operator",)))
        drawn = draw(settings, night(at.date()), "benchmark")
        with connect(db) as con:
            for sampled in drawn.calls:
                labels = next(r["labels"] for r in rows if sampled.call_id.startswith(r["call"]))
                for criterion, verdict in labels.items():
                    if verdict in ("pass", "fail"):  # the reviewer's "ambiguous" is no verdict
                        add_review(con, sampled.call_id, "hvb.reviewer", "confirm", criterion, verdict,
                                   reviewer_role="reviewer")
        sheet = accuracy_sheet(db, at - timedelta(days=1), at + timedelta(days=1))
    out = []
    for r in sheet.rows:
        out.append({"criterion": r.criterion_id, "slice": r.slice, "value": r.value, "reviewed": r.counts.reviewed,
                    "false_fails": r.counts.false_fails, "missed_fails": r.counts.missed_fails,
                    "agreement": r.agreement.to_json(), "precision": r.precision.to_json(),
                    "recall": r.recall.to_json(), "unknown_share": r.unknown_share.to_json()})
    return {"calls": len(rows), "sampled": len(drawn.calls), "missed_by_flags": len(sheet.missed), "rows": out}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--trials", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=18)
    parser.add_argument("--json", type=Path)
    parser.add_argument("--real", type=Path, help="benchmarks/real_calls.py's JSON over the real hvb_dev calls")
    args = parser.parse_args()
    rng = np.random.default_rng(args.seed)
    out: dict = {"machine": {"prevalence": PREVALENCE, "recall": RECALL, "precision": PRECISION}}
    print(f"1. accuracy sheet: Wilson 95% intervals, {args.trials} simulated samples each "
          f"(true precision {PRECISION}, recall {RECALL}, fail prevalence {PREVALENCE})")
    out["wilson"] = [wilson_coverage(n, args.trials, rng) for n in (30, 100, 300, 1000)]
    for w in out["wilson"]:
        print(f"   n={w['n']:<5} precision held {w['precision_coverage']:.1%} (width {w['precision_mean_width']:.2f}); "
              f"recall held {w['recall_coverage']:.1%} (width {w['recall_mean_width']:.2f})")
    true_kappa = kappa(ratings(200_000, 3, 0.8, np.random.default_rng(1)), 3)
    trials = max(args.trials // 10, 50)
    print(f"2. calibration sessions: 95% interval of Fleiss' kappa, 3 reviewers right 80% of the time "
          f"(true kappa {true_kappa:.3f}), {trials} sessions each")
    out["kappa"] = {"true": round(true_kappa, 4),
                    "sessions": [kappa_coverage(c, trials, rng, true_kappa) for c in (5, 10, 30, 100)]}
    for k in out["kappa"]["sessions"]:
        print(f"   {k['calls']:>3} calls: held {k['coverage']:.1%}, mean width {k['mean_width']}, "
              f"no interval {k['no_interval']}")
    out["duckdb"] = sheet_on_duckdb(400, args.seed)
    d = out["duckdb"]
    print(f"3. real DuckDB file: {d['sampled']} of {d['calls']} calls sampled and reviewed; sheet counts equal the "
          f"truth: {d['equal']} ({d['sheet']}); precision {d['precision']['value']:.3f} "
          f"[{d['precision']['low']:.3f}, {d['precision']['high']:.3f}], recall {d['recall']['value']:.3f} "
          f"[{d['recall']['low']:.3f}, {d['recall']['high']:.3f}]; draw {d['draw_s']} s, sheet {d['sheet_s']} s")
    if args.real:
        out["real"] = real = sheet_of_real_calls(args.real)
        print(f"4. REAL calls ({args.real}): {real['calls']} calls x stereo/mono, {real['sampled']} sampled, "
              f"reviewed with the labels")
        for r in real["rows"]:
            a = r["agreement"]
            where = "all" if r["slice"] == "all" else r["value"]
            print(f"   {r['criterion']:<14} {where:<7} n={r['reviewed']:<3} agreement {a['value']:.0%} "
                  f"[{a['low']:.0%}, {a['high']:.0%}]{' (too few)' if a['small_n'] else ''}; "
                  f"false fails {r['false_fails']}, missed fails {r['missed_fails']}")
    if args.json:
        args.json.write_text(json.dumps(out, indent=2))
    return 0 if d["equal"] else 1


if __name__ == "__main__":
    sys.exit(main())
