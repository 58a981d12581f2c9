"""Time to build the periodic QA reports (issue #7): one weekly report, and every group's, on the
demo database and on a generated call-center-sized one.

    .venv/bin/python benchmarks/reports.py --demo-db data/callqa.duckdb          # after `make demo`
    .venv/bin/python benchmarks/reports.py --calls 100000                        # -> benchmarks/data/reports.duckdb
    .venv/bin/python benchmarks/reports.py --reuse                               # time that file again

The large database is ``benchmarks/app_scale.py``'s (operators in 20 teams, calls over 90 days,
verdicts, reviews, escalations), plus what the reports also read: a site per operator (80/20
over two sites), a call reason and outcome and a predicted satisfaction for every processed
call, and, with ``--fold-days``, the calls older than that purged by retention (folded into
the daily aggregates, as after ``retention_verdicts_days``), so the trends read both.

Timed (median of ``--repeat``, each on a fresh read-only connection as the flow opens one):
building the "all calls" report record and one team's, rendering them as HTML (matplotlib
charts) and Excel, and ``usecases.reports.write_reports`` for the last complete week: every
group's report built and written, what one scheduled run does.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import statistics
import sys
import tempfile
import time
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Callable, TypeVar

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from reporting.excel import render_xlsx
from reporting.html import render_html
from reporting.model import ReportPeriod, ReportScope
from storage.db import connect
from storage.reports import build_report, report_scopes
from usecases.reports import write_reports
from usecases.settings import load_settings

DEFAULT_DB = ROOT / "benchmarks" / "data" / "reports.duckdb"
REASONS = ["no_connection", "billing", "tariff_change", "account_access", "order_status", "cancellation"]
OUTCOMES = ["resolved", "follow_up", "order_placed", "transferred", "unresolved"]


def _app_scale():
    spec = importlib.util.spec_from_file_location("app_scale", ROOT / "benchmarks" / "app_scale.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["app_scale"] = module  # its dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def generate(path: Path, calls: int, seed: int, end: date, fold_days: int) -> dict:
    path.parent.mkdir(parents=True, exist_ok=True)
    out = _app_scale().generate(path, calls, seed, end)
    t = time.perf_counter()
    with connect(path) as con:
        con.execute("UPDATE calls SET site = CASE WHEN hash(operator_id || ?) % 5 = 0 THEN 'site-b' ELSE 'site-a' END "
                    "WHERE operator_id IS NOT NULL", [str(seed)])
        con.execute(
            f"""
            INSERT INTO call_insights (call_id, insights_version, reason_id, reason_score, outcome, computed_at)
            SELECT call_id, 'bench',
                   CASE WHEN hash(call_id || 'r') % 10 = 0 THEN NULL
                        ELSE ({REASONS!r})[CAST(1 + hash(call_id || 'r') % {len(REASONS)} AS BIGINT)] END,
                   0.7, ({OUTCOMES!r})[CAST(1 + hash(call_id || 'o') % {len(OUTCOMES)} AS BIGINT)], now()
            FROM calls WHERE status = 'processed'
            """
        )
        con.execute("INSERT INTO call_satisfaction SELECT call_id, 'bench', 1 + (hash(call_id || 's') % 400) / 100.0, "
                    "'{}', now() FROM calls WHERE status = 'processed'")
        out["extra_rows_s"] = round(time.perf_counter() - t, 2)
        if fold_days:
            from storage.retention import purge_calls, transaction

            cutoff = datetime.combine(end - timedelta(days=fold_days), datetime.min.time())
            ids = [i for (i,) in con.execute("SELECT call_id FROM calls WHERE status = 'processed' "
                                             "AND coalesce(started_at, processed_at) < ?", [cutoff]).fetchall()]
            t = time.perf_counter()
            with transaction(con):
                purge_calls(con, ids, "retention")
            out["folded_calls"], out["fold_s"] = len(ids), round(time.perf_counter() - t, 2)
        con.execute("CHECKPOINT")
    return out


_T = TypeVar("_T")


def _median(fn: Callable[[], _T], repeat: int) -> tuple[float, _T]:
    """The median wall time of ``repeat`` (at least one) calls, and the last call's result."""
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times), result


def time_reports(db: Path, period: ReportPeriod, repeat: int) -> dict:
    with connect(db, read_only=True) as con:
        scopes = report_scopes(con, period)
        calls = con.execute("SELECT count(*) FROM calls WHERE status = 'processed'").fetchone()[0]
        folded = con.execute("SELECT coalesce(sum(calls), 0) FROM daily_aggregates").fetchone()[0]
    team = next((s for s in scopes if s.kind == "team"), ReportScope("all"))

    def build(scope: ReportScope):
        with connect(db, read_only=True) as con:
            return build_report(con, scope, period)

    out: dict = {"db": str(db), "period": period.title, "live_calls": calls, "folded_calls": int(folded),
                 "groups": len(scopes)}
    out["build_all_s"], report = _median(lambda: build(ReportScope("all")), repeat)
    out["calls_in_week"] = report.summary.calls
    out["build_team_s"], _ = _median(lambda: build(team), repeat)
    out["html_s"], page = _median(lambda: render_html(report), repeat)
    out["xlsx_s"], book = _median(lambda: render_xlsx(report), repeat)
    out["html_kb"], out["xlsx_kb"] = round(len(page) / 1024), round(len(book) / 1024)
    with tempfile.TemporaryDirectory() as tmp:
        settings = load_settings(db=db, reports_dir=Path(tmp))
        out["write_all_groups_s"], written = _median(lambda: write_reports(settings, period), max(1, repeat // 2))
        out["reports_written"] = len(written)
    return {k: round(v, 3) if isinstance(v, float) else v for k, v in out.items()}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--demo-db", type=Path, default=None, help="also time the demo database (make demo)")
    ap.add_argument("--demo-end", type=date.fromisoformat, default=date(2026, 11, 23),
                    help="the demo's report: the last complete week before this day (the samples are of 2026-11-20)")
    ap.add_argument("--db", type=Path, default=DEFAULT_DB)
    ap.add_argument("--calls", type=int, default=100_000, help="calls in the generated database (0: no large database)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--end", type=date.fromisoformat, default=date.today(), help="the generated calls' last day")
    ap.add_argument("--fold-days", type=int, default=60,
                    help="purge (fold) the generated calls older than this; 0: none")
    ap.add_argument("--reuse", action="store_true", help="time the existing --db, do not generate")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--json", type=Path, default=None)
    args = ap.parse_args()

    results = {}
    if args.demo_db:
        results["demo"] = time_reports(args.demo_db, ReportPeriod.last_complete("week", args.demo_end), args.repeat)
        print(json.dumps(results["demo"], indent=2), flush=True)
    if args.calls or args.reuse:
        if not args.reuse:
            t = time.perf_counter()
            results["generation"] = generate(args.db, args.calls, args.seed, args.end, args.fold_days)
            print(f"generated {args.db} in {time.perf_counter() - t:.0f} s", flush=True)
        results["large"] = time_reports(args.db, ReportPeriod.last_complete("week", args.end), args.repeat)
        print(json.dumps(results["large"], indent=2))
    if args.json:
        args.json.write_text(json.dumps(results, indent=2, default=str), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
