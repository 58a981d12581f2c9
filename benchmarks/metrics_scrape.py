"""What a Prometheus scrape and a health probe cost on a call-center-sized database (issue #19).

    .venv/bin/python benchmarks/app_scale.py --generate-only   # 100k calls -> benchmarks/results/app_scale.duckdb
    .venv/bin/python benchmarks/metrics_scrape.py               # time metrics_text and health on it
    .venv/bin/python benchmarks/metrics_scrape.py --db FILE --repeat 20

Each reading is the whole use case as ``callqa metrics`` / ``GET /metrics`` run it: a fresh read-only
connection, the aggregate queries, the exposition written (resp. the health checks). The baseline, timed the
same way in the same run because the machine is shared and noisy, is a fresh read-only connection running
``SELECT count(*) FROM calls``; each figure is also given as a ratio to it. First reading (cold) and the
median of ``--repeat`` more (warm).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path
from typing import Callable

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from storage.db import connect  # noqa: I001 - after the path is set
from usecases.health import health
from usecases.metrics import metrics_text
from usecases.settings import load_settings

DEFAULT_DB = REPO / "benchmarks" / "results" / "app_scale.duckdb"


def _count(db: Path) -> None:
    with connect(db, read_only=True) as con:
        con.execute("SELECT count(*) FROM calls").fetchone()


def timed(fn: Callable[[], object], repeat: int) -> tuple[float, float]:
    started = time.perf_counter()
    fn()
    cold = time.perf_counter() - started
    warm = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        warm.append(time.perf_counter() - started)
    return cold, statistics.median(warm)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--db", type=Path, default=DEFAULT_DB)
    ap.add_argument("--repeat", type=int, default=10)
    args = ap.parse_args()
    if not args.db.is_file():
        print(f"no database at {args.db}: generate one with benchmarks/app_scale.py --generate-only", file=sys.stderr)
        return 2
    settings = load_settings(db=args.db, inbox=args.db.parent / "inbox")
    with connect(args.db, read_only=True) as con:
        calls = con.execute("SELECT count(*) FROM calls").fetchone()[0]
    text = metrics_text(settings)
    print(f"{args.db}: {calls:,} calls, {args.db.stat().st_size / 2**20:.0f} MiB; exposition {len(text):,} bytes, "
          f"{sum(1 for line in text.splitlines() if line and not line.startswith('#'))} samples")
    base_cold, base_warm = timed(lambda: _count(args.db), args.repeat)
    print(f"{'reading':<28} {'cold s':>8} {'warm s':>8} {'warm / baseline':>16}")
    print(f"{'baseline: count(*) calls':<28} {base_cold:8.3f} {base_warm:8.3f} {1:16.1f}")
    for name, fn in (("metrics_text (a scrape)", lambda: metrics_text(settings)),
                     ("health (a probe)", lambda: health(settings))):
        cold, warm = timed(fn, args.repeat)
        print(f"{name:<28} {cold:8.3f} {warm:8.3f} {warm / base_warm:16.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
