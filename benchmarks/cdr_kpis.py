"""Call detail records at a contact centre's scale: import speed, KPI time, and whether a known difference
between two vendors is found.

Generates ``--records`` records (default 120,000: about two months of a 100-seat centre) of two vendors with
known service level, abandonment and handle time (``benchmarks/datasets/make_cdr_set.py``), writes them as an
outsourcer's CSV export (``;``, Russian headers, a vendor column) and as Asterisk's Master.csv, then measures:

- parsing each file (records/s), storing the CSV's records (records/s), and importing the same file again
  (the upsert that never duplicates) as a ratio of the first import;
- the KPIs per vendor with intervals and tests (``storage.cdr.compare_cdr``), and per week;
- that CallNorth's lower service level, higher abandonment and longer handle time are claimed, and that each
  vendor's true figure lies in its interval.

    PYTHONPATH=. .venv/bin/python benchmarks/cdr_kpis.py [--records 120000]
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
import tempfile
import time
from pathlib import Path

from pipeline.intake.cdr import CdrMapping, read_cdr_file
from pipeline.stats.cdr_kpis import KpiRules, kpis_by_period
from storage.cdr import compare_cdr, import_cdr
from storage.db import connect

HERE = Path(__file__).resolve().parent
_spec = importlib.util.spec_from_file_location("make_cdr_set", HERE / "datasets" / "make_cdr_set.py")
assert _spec is not None and _spec.loader is not None
cdr_set = importlib.util.module_from_spec(_spec)
sys.modules["make_cdr_set"] = cdr_set
_spec.loader.exec_module(cdr_set)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--records", type=int, default=120_000)
    p.add_argument("--share-b", type=float, default=0.3)
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args(argv)
    rules = KpiRules()
    records = cdr_set.generate(args.records, args.share_b, args.seed, days=60)
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        export, master = work / "export.csv", work / "Master.csv"
        cdr_set.write(export, records, "csv")
        cdr_set.write(master, records, "asterisk")
        mapping = CdrMapping.from_toml(cdr_set.CSV_MAPPING)

        t = time.perf_counter()
        asterisk = read_cdr_file(master, "asterisk")
        parse_asterisk_s = time.perf_counter() - t
        t = time.perf_counter()
        parsed = read_cdr_file(export, "csv", mapping)
        parse_csv_s = time.perf_counter() - t
        assert not parsed.errors and not asterisk.errors
        assert len(parsed.records) == len(asterisk.records) == len(records)

        with connect(work / "q.duckdb") as con:
            t = time.perf_counter()
            first = import_cdr(con, parsed, export.name)
            store_s = time.perf_counter() - t
            t = time.perf_counter()
            again = import_cdr(con, parsed, export.name)
            restore_s = time.perf_counter() - t
            stored = con.execute("SELECT count(*) FROM cdr_records").fetchone()
            t = time.perf_counter()
            kpis = compare_cdr(con, "vendor", rules=rules)
            kpi_s = time.perf_counter() - t
        t = time.perf_counter()
        weeks = kpis_by_period(kpis.data.values, rules, "week")
        week_s = time.perf_counter() - t

    n = len(records)
    print(f"{n:,} records, {args.share_b:.0%} CallNorth, seed {args.seed}")
    print(f"parse Asterisk Master.csv: {parse_asterisk_s:.2f} s ({n / parse_asterisk_s:,.0f} records/s)")
    print(f"parse CSV export (;, mapping): {parse_csv_s:.2f} s ({n / parse_csv_s:,.0f} records/s)")
    print(f"store: {store_s:.2f} s ({n / store_s:,.0f} records/s); import again: {restore_s:.2f} s "
          f"({restore_s / store_s:.2f}x the first), {again.updated:,} replaced, {again.added} added, "
          f"{stored[0] if stored else 0:,} rows in the table")
    print(f"KPIs per vendor with intervals and tests: {kpi_s:.2f} s; per week ({len(weeks)} weeks): {week_s:.2f} s")
    c = kpis.comparison
    covered = 0
    for vendor in cdr_set.VENDORS:
        truth = vendor.truth()
        for metric in ("service_level", "abandonment", "talk_time"):
            e = c.estimate(metric, vendor.name)
            inside = e.low is not None and e.high is not None and e.low <= truth[metric] <= e.high
            covered += inside
            print(f"  {vendor.name:10} {metric:14} true {truth[metric]:8.3f}  measured {e.estimate:8.3f} "
                  f"[{e.low:.3f}, {e.high:.3f}] {'ok' if inside else 'MISSED'}")
    for verdict in c.verdicts:
        for sentence in verdict.sentences:
            print(f"{'!' if verdict.claimed else '-'} {sentence}")
    print(f"{covered} of 6 intervals hold the true figure (each a 95% interval: one miss in six is no surprise)")
    worse = {d.metric_id: d for d in c.claims if d.group == cdr_set.CALL_NORTH.name}
    found = (set(worse) >= {"service_level", "abandonment", "talk_time"} and worse["service_level"].difference < 0
             and worse["abandonment"].difference > 0 and worse["talk_time"].difference > 0)
    print(f"known differences found: {'yes' if found else 'NO'} (first import added {first.added:,})")
    return 0 if found else 1


if __name__ == "__main__":
    sys.exit(main())
