"""Orchestration overhead of the nightly flow: N short calls through `callqa run`, against the same
calls analysed in a plain loop (no Prefect, no analysis process, no results store) in the same run.

    CALLQA_MODELS_DIR=data/models .venv/bin/python benchmarks/orchestration.py [--calls 200] [--dask-workers 2]
    .venv/bin/python benchmarks/orchestration.py --calls 100 1000 --skip-baseline     # growth of a night

Makes N short calls (8-20 s windows of the bundled sample calls, 8 kHz FLAC, each with its own
bytes and a metadata sidecar) in benchmarks/data/orchestration/inbox, then:
- baseline: one CallAnalyzer in this process analyses every call in a loop (the stage time alone);
- `callqa run` on a fresh database, as a user runs it (a subprocess).
Prints calls per hour, audio hours per hour, and the orchestration overhead per call: the flow's
wall time minus the stage time the analyzer measured inside it, also as a share of the stage time,
and the ratio of the whole command's wall time to the baseline loop's.

With several ``--calls`` sizes it runs the flow once per size, each over the first N calls of one
generated set (so the small night is a prefix of the large one), and reports how the night grows:
the wall time per call at each size, the marginal cost of each call past the smallest night, and,
inside every run, the calls stored per minute in each tenth of the run (from ``calls.processed_at``),
which stays flat when a call's cost does not depend on how many came before it.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
WORK = REPO / "benchmarks" / "data" / "orchestration"


def make_calls(inbox: Path, count: int, seed: int) -> list[Path]:
    """``count`` distinct short calls cut from the bundled samples (reused when already there)."""
    import numpy as np
    import soundfile as sf

    existing = sorted(inbox.glob("*.flac"))
    if len(existing) == count:
        return existing
    inbox.mkdir(parents=True, exist_ok=True)
    for old in inbox.iterdir():
        old.unlink()
    rng = random.Random(seed)
    samples = sorted((REPO / "samples" / "calls").glob("*.flac"))
    sources = [(p, *sf.read(p, always_2d=True)) for p in samples]
    out = []
    for i in range(count):
        path, audio, rate = sources[i % len(sources)]
        length = int(rng.uniform(8.0, 20.0) * rate)
        start = rng.randrange(0, max(1, audio.shape[0] - length))
        window = audio[start : start + length] * rng.uniform(0.8, 1.0)  # own bytes for every call
        target = inbox / f"call-{i:04d}-{path.stem}.flac"
        sf.write(target, np.clip(window, -1, 1), rate, subtype="PCM_16")
        meta = json.loads(path.with_suffix(".meta.json").read_text()) if path.with_suffix(".meta.json").exists() else {}
        meta["started_at"] = f"2026-11-{1 + i % 28:02d}T{8 + i % 10:02d}:{i % 60:02d}:00"
        target.with_name(target.stem + ".meta.json").write_text(json.dumps(meta))
        out.append(target)
    return out


def prefix_inbox(paths: list[Path], count: int) -> Path:
    """An inbox holding the first ``count`` calls and their sidecars, as hard links (no copy of the audio)."""
    inbox = WORK / f"inbox-{count}"
    if inbox.is_dir() and len(list(inbox.glob("*.flac"))) == count:
        return inbox
    if inbox.is_dir():
        for old in inbox.iterdir():
            old.unlink()
    inbox.mkdir(parents=True, exist_ok=True)
    for path in paths[:count]:
        for member in (path, path.with_name(path.stem + ".meta.json")):
            if member.exists():
                os.link(member, inbox / member.name)
    return inbox


def baseline(paths: list[Path]) -> dict:
    from usecases.runtime import build_analyzer
    from usecases.settings import load_settings

    t0 = time.perf_counter()
    analyzer = build_analyzer(load_settings(db=WORK / "baseline.duckdb"))
    load_s = time.perf_counter() - t0
    stage, audio, bad = 0.0, 0.0, 0
    t1 = time.perf_counter()
    for path in paths:
        try:
            result = analyzer.analyze(path)
        except Exception:  # noqa: BLE001 - counted, as the flow would quarantine it
            bad += 1
            continue
        stage += result.timings_s["total_s"]
        audio += result.duration_s
    return {"load_s": load_s, "loop_s": time.perf_counter() - t1, "stage_s": stage, "audio_s": audio, "bad": bad}


def flow_run(inbox: Path, db: Path, dask_workers: int, batch_size: int | None) -> dict:
    import duckdb

    for stale in (db, db.with_suffix(".duckdb.wal"), db.parent / "results", db.parent / "quarantine"):
        if stale.is_dir():
            import shutil

            shutil.rmtree(stale)
        elif stale.exists():
            stale.unlink()
    cmd = [str(REPO / ".venv" / "bin" / "callqa"), "run", "--inbox", str(inbox), "--db", str(db), "--no-progress"]
    if dask_workers:
        cmd += ["--dask-workers", str(dask_workers)]
    if batch_size:
        cmd += ["--batch-size", str(batch_size)]
    env = dict(os.environ, CALLQA_SETTLE_S="0", PREFECT_HOME=str(WORK / "prefect"))
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True)
    command_s = time.perf_counter() - t0
    if proc.returncode not in (0, 1):
        raise SystemExit(f"callqa run failed ({proc.returncode}):\n{proc.stderr[-3000:]}")
    con = duckdb.connect(str(db), read_only=True)
    run = con.execute("SELECT wall_s, processed, quarantined, failed, audio_s FROM runs").fetchone()
    sums = con.execute("SELECT sum(stage_s), sum(worker_s), count(*) FROM calls WHERE status = 'processed'").fetchone()
    stored = [row[0] for row in con.execute(
        "SELECT epoch(processed_at) FROM calls WHERE status = 'processed' ORDER BY processed_at").fetchall()]
    con.close()
    return {"command_s": command_s, "flow_s": run[0], "processed": run[1], "quarantined": run[2], "failed": run[3],
            "audio_s": run[4], "stage_s": sums[0] or 0.0, "worker_s": sums[1] or 0.0,
            "tenths_calls_per_min": calls_per_minute_by_tenth(stored)}


def calls_per_minute_by_tenth(stored_at: list[float]) -> list[float]:
    """Calls stored per minute in each tenth of the span from the first stored call to the last: flat when
    the hundredth call costs what the first did."""
    if len(stored_at) < 20:
        return []
    first, last = stored_at[0], stored_at[-1]
    width = (last - first) / 10
    counts = [0] * 10
    for t in stored_at[1:]:
        counts[min(9, int((t - first) / width))] += 1
    return [60 * c / width for c in counts]


def one_night(paths: list[Path], args: argparse.Namespace) -> dict:
    base = None if args.skip_baseline else baseline(paths)
    run = flow_run(WORK / "inbox", WORK / "flow" / "callqa.duckdb", args.dask_workers, args.batch_size)
    n = run["processed"]
    overhead = run["flow_s"] - run["stage_s"]
    report = {
        "machine": f"{platform.node()} ({os.cpu_count()} cores)",
        "calls": n,
        "audio_h": run["audio_s"] / 3600,
        "calls_per_hour": n / run["command_s"] * 3600,
        "audio_hours_per_hour": run["audio_s"] / run["command_s"],
        "flow_s": run["flow_s"],
        "command_s": run["command_s"],
        "stage_s": run["stage_s"],
        "worker_s": run["worker_s"],
        "overhead_per_call_s": overhead / n,
        "overhead_share_of_stage": overhead / run["stage_s"],
        "baseline": base,
        "run": run,
    }
    print(f"{n} calls, {report['audio_h']:.2f} h of audio, on {report['machine']}"
          + (f", {args.dask_workers} Dask workers" if args.dask_workers else "")
          + (f", batches of {args.batch_size}" if args.batch_size else ""))
    print(f"  callqa run:   {run['command_s']:.0f} s in all ({run['flow_s']:.0f} s in the flow), "
          f"{report['calls_per_hour']:.0f} calls/hour, {report['audio_hours_per_hour']:.2f} audio hours/hour")
    print(f"  stage time inside the flow: {run['stage_s']:.0f} s; worker time per call incl. its analysis process: "
          f"{run['worker_s']:.0f} s")
    print(f"  orchestration overhead: {overhead / n:.2f} s per call = {100 * report['overhead_share_of_stage']:.1f}% "
          f"of stage time (target < 5%)")
    if base:
        print(f"  baseline loop (no Prefect): models {base['load_s']:.0f} s + {base['loop_s']:.0f} s "
              f"(stage {base['stage_s']:.0f} s); callqa run / baseline = "
              f"{run['command_s'] / (base['load_s'] + base['loop_s']):.2f}x whole command, "
              f"{run['stage_s'] / base['stage_s']:.2f}x stage time")
    return report


def growth(paths: list[Path], sizes: list[int], args: argparse.Namespace) -> dict:
    """One flow run per night size over prefixes of the same calls; how the wall time grows with the calls."""
    runs = {}
    for size in sizes:
        run = flow_run(prefix_inbox(paths, size), WORK / f"flow-{size}" / "callqa.duckdb", args.dask_workers,
                       args.batch_size)
        runs[size] = run
        tenths = " ".join(f"{r:.0f}" for r in run["tenths_calls_per_min"])
        print(f"{run['processed']} calls ({run['audio_s'] / 3600:.2f} h of audio): callqa run {run['command_s']:.0f} s "
              f"({run['command_s'] / run['processed']:.2f} s per call, {run['audio_s'] / run['command_s']:.2f} audio "
              f"hours/hour); flow {run['flow_s']:.0f} s; calls stored per minute by tenth of the run: {tenths}",
              flush=True)
    small, large = runs[sizes[0]], runs[sizes[-1]]
    extra_calls = large["processed"] - small["processed"]
    marginal_s = (large["command_s"] - small["command_s"]) / extra_calls
    fixed_s = small["command_s"] - marginal_s * small["processed"]
    marginal_rate = (large["audio_s"] - small["audio_s"]) / (large["command_s"] - small["command_s"])
    print(f"each call past the first {small['processed']}: {marginal_s:.2f} s ({marginal_rate:.2f} audio hours/hour); "
          f"what does not grow with the night: {fixed_s:.0f} s; {sizes[-1]} calls took "
          f"{large['command_s'] / small['command_s']:.2f}x the time of {sizes[0]} "
          f"(x{sizes[-1] / sizes[0]:.0f} the calls, x{large['audio_s'] / small['audio_s']:.2f} the audio)")
    return {"machine": f"{platform.node()} ({os.cpu_count()} cores)", "sizes": sizes,
            "runs": {str(k): v for k, v in runs.items()}, "marginal_s_per_call": marginal_s, "fixed_s": fixed_s}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, nargs="+", default=[200],
                        help="calls in the night; several sizes measure how the night grows")
    parser.add_argument("--seed", type=int, default=6)
    parser.add_argument("--dask-workers", type=int, default=0, help="run the flow on a local Dask cluster")
    parser.add_argument("--batch-size", type=int, default=None, help="calls per flow task (default: the setting's)")
    parser.add_argument("--skip-baseline", action="store_true")
    parser.add_argument("--json", default=str(REPO / "benchmarks" / "results" / "orchestration.json"))
    args = parser.parse_args()

    sizes = sorted(args.calls)
    paths = make_calls(WORK / "inbox", sizes[-1], args.seed)
    if len(sizes) > 1:
        report = growth(paths, sizes, args)
    else:
        report = one_night(paths, args)
    Path(args.json).parent.mkdir(parents=True, exist_ok=True)
    Path(args.json).write_text(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
