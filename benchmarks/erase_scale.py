"""What an erasure costs at call-center scale (issue #15): the deletion with the search index pruned, and the
rewrite of the database file that makes the erased bytes unrecoverable.

    .venv/bin/python benchmarks/erase_scale.py --calls 10000 --db /tmp/erase10k.duckdb
    .venv/bin/python benchmarks/erase_scale.py --db benchmarks/results/app_scale.duckdb --reuse   # 100k calls

Generation is benchmarks/app_scale.py's (same seed, same rows), then the search index is built over it. The
timed steps work on a copy, so --reuse leaves the generated file as it was: erase ``--erase`` calls (every
per-call row, the fts index's documents of their utterances, in one transaction, as ``callqa erase`` does),
then ``storage.scrub.rewrite_database``. Times are wall seconds on this machine, once.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from benchmarks.app_scale import generate
from storage.db import connect
from storage.retention import purge_calls, transaction
from storage.scrub import rewrite_database
from storage.search import refresh_search_index


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--db", type=Path, required=True)
    ap.add_argument("--calls", type=int, default=10_000)
    ap.add_argument("--seed", type=int, default=3)
    ap.add_argument("--erase", type=int, default=1, help="calls erased in the batch")
    ap.add_argument("--reuse", action="store_true", help="an existing --db (its search index rebuilt if missing)")
    ap.add_argument("--json", type=Path, default=None)
    args = ap.parse_args()
    out: dict = {"calls": args.calls, "erased": args.erase}
    if not args.reuse:
        out["generate_s"] = generate(args.db, args.calls, args.seed, datetime.now(timezone.utc).date())["seconds"]
    with connect(args.db) as con:
        built = con.execute("SELECT count(*) FROM search_index").fetchone()[0]
        if not built:
            out["index_build_s"] = round(refresh_search_index(con).build_s, 2)
        out["utterances"] = con.execute("SELECT count(*) FROM search_utterances").fetchone()[0]
        out["calls_in_db"] = con.execute("SELECT count(*) FROM calls").fetchone()[0]
    work = args.db.with_name(args.db.name + ".erase-bench")
    shutil.copyfile(args.db, work)
    try:
        with connect(work) as con:
            ids = [r[0] for r in con.execute(
                "SELECT call_id FROM calls WHERE status = 'processed' ORDER BY hash(call_id) LIMIT ?",
                [args.erase]).fetchall()]
            t = time.perf_counter()
            with transaction(con):
                rows = purge_calls(con, ids, "erasure")
            out["delete_s"] = round(time.perf_counter() - t, 2)
            out["rows"] = rows
        done = rewrite_database(work)
        out["rewrite_s"] = round(done.seconds, 2)
        out["bytes_before"], out["bytes_after"] = done.bytes_before, done.bytes_after
    finally:
        for p in (work, work.with_name(work.name + ".wal"), work.with_name(work.name + ".generation")):
            p.unlink(missing_ok=True)
    print(json.dumps(out, indent=2))
    if args.json:
        args.json.write_text(json.dumps(out, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
