"""``callqa metrics``: the Prometheus text exposition on stdout (for node_exporter's textfile collector)."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from callqa.commands.common import EXIT_OK, load_settings


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("metrics", help="Prometheus metrics of the database (text format) on stdout or into a file")
    p.add_argument("--db", default=None)
    p.add_argument("--out", default=None, metavar="FILE",
                   help="write FILE atomically instead (e.g. /var/lib/node_exporter/textfile/callqa.prom)")
    p.set_defaults(func=metrics)


def metrics(args: argparse.Namespace) -> int:
    from usecases.metrics import metrics_text

    text = metrics_text(load_settings(db=args.db))
    if args.out is None:
        sys.stdout.write(text)
        return EXIT_OK
    # node_exporter may read the file at any moment: write beside it, then rename over it.
    target = Path(args.out)
    partial = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    partial.write_text(text, encoding="utf-8")
    os.replace(partial, target)
    return EXIT_OK
