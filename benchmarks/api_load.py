"""The REST API under a bounded local load (issue #19): submissions per second, and p50/p95 latency of reads
(a call's results, pages of the call list) on the 100k-call database of ``benchmarks/app_scale.py``.

    .venv/bin/python benchmarks/api_load.py                         # generates benchmarks/results/app_scale.duckdb
    .venv/bin/python benchmarks/api_load.py --reuse                 # an existing file (app_scale.py made it)
    .venv/bin/python benchmarks/api_load.py --calls 10000 --db /tmp/api10k.duckdb --reads 100

The database is a private copy of app_scale's file (tokens and audit rows go into the copy). Baseline, in the
same run: the same reads through the use case (``usecases.api_calls``) in this process, with no HTTP, before the
server starts. Then ``callqa api`` runs as its own process on 127.0.0.1 and httpx clients read the same calls and
pages (one client: latency; ``--clients`` at once: throughput), and submit ``--submissions`` distinct 1 s WAV
recordings (8 kHz, 16 kB) with ``--clients`` at once. Ratios say what HTTP, the token check and the audit add.
"""

from __future__ import annotations

import argparse
import io
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import date, datetime, timezone
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

import httpx
import numpy as np
import soundfile as sf

from storage.db import connect

DEFAULT_DB = REPO / "benchmarks" / "results" / "app_scale.duckdb"


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def summary(values_s: list[float]) -> dict:
    ms = [v * 1000 for v in values_s]
    return {"n": len(ms), "p50_ms": round(statistics.median(ms), 2), "p95_ms": round(pct(ms, 0.95), 2)}


def wav(i: int) -> bytes:
    t = np.arange(8000) / 8000
    out = io.BytesIO()
    sf.write(out, 0.2 * np.sin(2 * np.pi * (200 + i) * t) + 0.001 * i, 8000, format="WAV")
    return out.getvalue()


def sample_calls(db: Path, n: int, seed: int) -> list[str]:
    with connect(db, read_only=True) as con:
        rows = con.execute("SELECT call_id FROM calls WHERE status = 'processed' ORDER BY hash(call_id, ?) LIMIT ?",
                           [seed, n]).fetchall()
    return [r[0] for r in rows]


def timed(fn, items) -> list[float]:
    out = []
    for item in items:
        t = time.perf_counter()
        fn(item)
        out.append(time.perf_counter() - t)
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--db", type=Path, default=DEFAULT_DB)
    ap.add_argument("--calls", type=int, default=100_000)
    ap.add_argument("--reuse", action="store_true", help="use --db as it is (no generation)")
    ap.add_argument("--reads", type=int, default=200, help="calls read (results), one client")
    ap.add_argument("--pages", type=int, default=30, help="list pages of 100 followed by cursor")
    ap.add_argument("--submissions", type=int, default=200)
    ap.add_argument("--clients", type=int, default=4)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--port", type=int, default=8653)
    args = ap.parse_args()

    if not args.reuse or not args.db.exists():
        import app_scale  # benchmarks/app_scale.py: the one generator of the big database

        print(f"generating {args.calls} calls into {args.db} ...", flush=True)
        args.db.parent.mkdir(parents=True, exist_ok=True)
        app_scale.generate(args.db, args.calls, args.seed, datetime.now(timezone.utc).date())
    work = Path(tempfile.mkdtemp(prefix="api_load_"))
    db = work / "callqa.duckdb"
    shutil.copyfile(args.db, db)
    if Path(str(args.db) + ".wal").exists():
        shutil.copyfile(str(args.db) + ".wal", str(db) + ".wal")
    inbox = work / "inbox"
    inbox.mkdir()
    os.environ.update(CALLQA_DB=str(db), CALLQA_INBOX=str(inbox), CALLQA_API_RATE_PER_MINUTE="1000000")

    from storage.review_queue import QueueFilter
    from usecases import api_calls, api_tokens
    from usecases.settings import load_settings
    from usecases.users import Role, User

    settings = load_settings()
    with connect(db, read_only=True) as con:
        total = con.execute("SELECT count(*) FROM calls").fetchone()[0]
    token, _ = api_tokens.create(str(db), "load", "reviewer", ["calls:read", "calls:submit"])
    reviewer = User("api:load", Role.REVIEWER)
    ids = sample_calls(db, args.reads, args.seed)
    api_calls.results(str(db), reviewer, ids[0])  # load the masking models once, as the server will

    def pages(read_page) -> list[float]:
        times, cursor = [], None
        for _ in range(args.pages):
            t = time.perf_counter()
            cursor = read_page(cursor)
            times.append(time.perf_counter() - t)
            if cursor is None:
                break
        return times

    base = {
        "results": summary(timed(lambda cid: api_calls.results(str(db), reviewer, cid), ids)),
        "list_page": summary(pages(lambda c: api_calls.list_calls(str(db), reviewer, QueueFilter(flagged_only=False),
                                                                   c, 100).next_cursor)),
    }
    samples = [wav(i) for i in range(args.submissions)]
    t = time.perf_counter()
    for i, data in enumerate(samples[: args.submissions // 4]):
        api_calls.submit_upload(settings, io.BytesIO(data), f"base{i}.wav", api_calls.CallMetadata(), 10**8)
    base_sub_s = (args.submissions // 4) / (time.perf_counter() - t)
    shutil.rmtree(inbox / "api")
    with connect(db) as con:
        con.execute("DELETE FROM api_submissions")

    server = subprocess.Popen([sys.executable, "-m", "callqa", "api", "--db", str(db), "--port", str(args.port)],
                              cwd=REPO, env={**os.environ, "PYTHONPATH": str(REPO)}, stdout=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{args.port}"
    try:
        headers = {"Authorization": f"Bearer {token}"}
        with httpx.Client(base_url=url, headers=headers, timeout=120) as client:
            deadline = time.monotonic() + 120
            while True:
                try:
                    if client.get("/v1/health").status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                if time.monotonic() > deadline:
                    raise RuntimeError("the API server did not start")
                time.sleep(0.3)
            client.get(f"/v1/calls/{ids[0]}").raise_for_status()  # the masking models load on first use

            def read(cid: str) -> None:
                client.get(f"/v1/calls/{cid}").raise_for_status()

            def page(cursor):
                r = client.get("/v1/calls", params={"limit": 100, **({"cursor": cursor} if cursor else {})})
                r.raise_for_status()
                return r.json()["next_cursor"]

            http = {"results": summary(timed(read, ids)), "list_page": summary(pages(page))}
            t = time.perf_counter()
            with ThreadPoolExecutor(args.clients) as pool:
                list(pool.map(read, ids))
            reads_per_s = len(ids) / (time.perf_counter() - t)

            def submit(i: int) -> None:
                r = client.post("/v1/calls", files={"file": (f"s{i}.wav", samples[i], "audio/wav")})
                assert r.status_code == 202 and not r.json()["duplicate"], r.text

            t = time.perf_counter()
            with ThreadPoolExecutor(args.clients) as pool:
                list(pool.map(submit, range(args.submissions)))
            sub_per_s = args.submissions / (time.perf_counter() - t)
            again = client.post("/v1/calls", files={"file": ("again.wav", samples[0], "audio/wav")}).json()
            assert again["duplicate"] is True
    finally:
        server.terminate()
        server.wait(timeout=60)
    files = len([p for p in (inbox / "api").iterdir() if p.suffix == ".wav"])
    print(f"\nAPI load on {total} calls ({os.cpu_count()} CPUs, {date.today()}); reviewer token, masking on display")
    print(f"{'read':<12} {'use case p50/p95 ms':>22} {'HTTP p50/p95 ms':>18} {'ratio p50':>10}")
    for name in ("results", "list_page"):
        b, h = base[name], http[name]
        print(f"{name:<12} {b['p50_ms']:>10} / {b['p95_ms']:<9} {h['p50_ms']:>8} / {h['p95_ms']:<7} "
              f"{h['p50_ms'] / b['p50_ms']:>9.2f}x")
    print(f"results read by {args.clients} clients at once: {reads_per_s:.1f}/s")
    print(f"submissions: {sub_per_s:.1f}/s over HTTP ({args.clients} clients, {args.submissions} files of 16 kB; "
          f"{files} files in the inbox), {base_sub_s:.1f}/s through the use case directly "
          f"(ratio {sub_per_s / base_sub_s:.2f}x)")
    shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
