"""From a recording closed to its call stored: `callqa watch` per call, against the nightly flow's per-call
time on the same calls in the same run.

    CALLQA_MODELS_DIR=data/models .venv/bin/python benchmarks/watch_latency.py [--calls 6] [--settle 2] [--poll 0.5]

Makes N short calls (8-20 s windows of the bundled sample calls, as benchmarks/orchestration.py does), then:
- watcher: `callqa watch` (a subprocess, default settings: the analysis child keeps the models) on an empty
  inbox; one warm-up call (model loading, excluded), then each call published (copied under a hidden name and
  renamed, as a PBX's mover closes a file) once the previous one is stored. Latency = the moment the call's row
  is seen in the database (polled every 0.1 s) minus the moment the file appeared; its parts: the settle time,
  the analysis (the call's stage time) and the rest (polling, hashing, the run's bookkeeping, loading);
- nightly: `callqa run` on a fresh database with the same calls in its inbox: its wall time per call (Prefect's
  start-up and the night's housekeeping included) and its stage time per call.
Prints per-call latencies, their median and max, and the ratios to the nightly flow's per-call time.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import signal
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
WORK = REPO / "benchmarks" / "data" / "watch_latency"


def _fresh(folder: Path) -> Path:
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    return folder


def _stored(db: Path, name: str) -> tuple[str, float] | None:
    from storage.db import connect

    if not db.exists():
        return None
    with connect(db, read_only=True, timeout_s=60) as con:
        row = con.execute("SELECT status, coalesce(stage_s, 0) FROM calls WHERE file_name = ?", [name]).fetchone()
    return (row[0], row[1]) if row else None


def _publish(source: Path, target: Path) -> float:
    hidden = target.with_name("." + target.name)
    shutil.copyfile(source, hidden)
    os.replace(hidden, target)
    return time.time()


def watcher(calls: list[Path], settle_s: float, poll_s: float) -> dict:
    _fresh(WORK / "watch")  # a fresh database, results store and quarantine too
    inbox, db = _fresh(WORK / "watch" / "inbox"), WORK / "watch" / "callqa.duckdb"
    env = dict(os.environ, PYTHONPATH=str(REPO), CALLQA_SAMPLE_PER_STRATUM="0")
    log = open(WORK / "watch" / "watch.log", "w")
    proc = subprocess.Popen([sys.executable, "-m", "callqa", "watch", "--inbox", str(inbox), "--db", str(db),
                             "--poll", str(poll_s), "--settle", str(settle_s)], env=env, stdout=log,
                            stderr=subprocess.STDOUT)
    rows = []
    try:
        for i, call in enumerate(calls):
            name = ("warmup-" if i == 0 else "") + call.name
            appeared = _publish(call, inbox / name)
            while (stored := _stored(db, name)) is None:
                if proc.poll() is not None:
                    raise SystemExit(f"callqa watch ended ({proc.returncode}); see {log.name}")
                time.sleep(0.1)
            latency = time.time() - appeared
            if i:
                rows.append({"call": name, "status": stored[0], "latency_s": latency, "stage_s": stored[1]})
                print(f"  {name}: stored {latency:.1f} s after it appeared (analysis {stored[1]:.1f} s)")
            else:
                print(f"  warm-up {name}: {latency:.1f} s (model loading included; excluded)")
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(300)
    return {"calls": rows}


def nightly(calls: list[Path]) -> dict:
    import duckdb

    _fresh(WORK / "night")
    inbox, db = _fresh(WORK / "night" / "inbox"), WORK / "night" / "callqa.duckdb"
    for call in calls[1:]:
        shutil.copyfile(call, inbox / call.name)
    env = dict(os.environ, PYTHONPATH=str(REPO), CALLQA_SAMPLE_PER_STRATUM="0", CALLQA_SETTLE_S="0",
               PREFECT_HOME=str(WORK / "prefect"))
    env.pop("PREFECT_API_URL", None)
    t0 = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "callqa", "run", "--inbox", str(inbox), "--db", str(db),
                           "--no-progress"], env=env, capture_output=True, text=True)
    command_s = time.perf_counter() - t0
    if proc.returncode != 0:
        raise SystemExit(f"callqa run failed ({proc.returncode}):\n{proc.stderr[-3000:]}")
    con = duckdb.connect(str(db), read_only=True)
    processed, stage_s = con.execute("SELECT count(*), sum(stage_s) FROM calls WHERE status = 'processed'").fetchone()
    con.close()
    return {"command_s": command_s, "processed": processed, "stage_s": stage_s or 0.0}


def main() -> int:
    from benchmarks.orchestration import make_calls

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=6, help="calls measured (one warm-up call more is made)")
    parser.add_argument("--settle", type=float, default=2.0)
    parser.add_argument("--poll", type=float, default=0.5)
    parser.add_argument("--seed", type=int, default=19)
    parser.add_argument("--json", default=str(REPO / "benchmarks" / "results" / "watch_latency.json"))
    args = parser.parse_args()

    calls = make_calls(WORK / "calls", args.calls + 1, args.seed)
    print(f"{args.calls} calls (+1 warm-up), settle {args.settle:g} s, poll {args.poll:g} s, "
          f"on {platform.node()} ({os.cpu_count()} cores)")
    print("callqa watch:")
    watched = watcher(calls, args.settle, args.poll)
    print("callqa run (nightly flow) on the same calls:")
    night = nightly(calls)
    latencies = [r["latency_s"] for r in watched["calls"]]
    stages = [r["stage_s"] for r in watched["calls"]]
    n = night["processed"]
    night_per_call = night["command_s"] / n
    rest = [lat - settle - st for lat, st, settle in zip(latencies, stages, [args.settle] * len(stages))]
    report = {
        "machine": f"{platform.node()} ({os.cpu_count()} cores)", "settle_s": args.settle, "poll_s": args.poll,
        "watch_latency_median_s": statistics.median(latencies), "watch_latency_max_s": max(latencies),
        "watch_stage_median_s": statistics.median(stages), "watch_rest_median_s": statistics.median(rest),
        "nightly_command_s": night["command_s"], "nightly_per_call_s": night_per_call,
        "nightly_stage_per_call_s": night["stage_s"] / n, "watch": watched, "nightly": night,
    }
    print(f"  {n} calls in {night['command_s']:.1f} s: {night_per_call:.1f} s per call "
          f"(analysis {night['stage_s'] / n:.1f} s per call)")
    print(f"watch: latency median {report['watch_latency_median_s']:.1f} s, max {max(latencies):.1f} s "
          f"(settle {args.settle:g} s + analysis median {report['watch_stage_median_s']:.1f} s + the rest "
          f"{report['watch_rest_median_s']:.1f} s)")
    print(f"ratio: watch latency median / nightly per-call time = "
          f"{report['watch_latency_median_s'] / night_per_call:.2f}; watch analysis / nightly analysis per call = "
          f"{report['watch_stage_median_s'] / (night['stage_s'] / n):.2f}")
    Path(args.json).parent.mkdir(parents=True, exist_ok=True)
    Path(args.json).write_text(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
