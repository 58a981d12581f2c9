"""``callqa load``: store the per-call results a killed run left in the results store."""

from __future__ import annotations

import argparse

from callqa.commands.common import EXIT_OK, load_settings


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("load", help="store the per-call results waiting in the results store (what a killed run left)")
    p.add_argument("--db", default=None)
    p.add_argument("--results", default=None,
                   help="the results store: a folder or an fsspec URL (default: beside the database)")
    p.set_defaults(func=load)


def load(args: argparse.Namespace) -> int:
    """Store the results waiting in the results store (the loader alone writes DuckDB)."""
    import logging

    from usecases.load import load_results

    logging.basicConfig(level=logging.INFO, format="%(message)s")
    settings = load_settings(db=args.db, results_dir=args.results)
    stored = load_results(settings, None, logging.getLogger("callqa.load"))
    by_status = {s: sum(o.status == s for o in stored) for s in ("processed", "quarantined", "failed")}
    print(f"loaded {len(stored)} results from {settings.storage.results_dir} into {settings.storage.db}: "
          + ", ".join(f"{n} {s}" for s, n in by_status.items()))
    return EXIT_OK
