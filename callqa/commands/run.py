"""``callqa run`` (the nightly flow once, now) and ``callqa backfill`` (the archive's calls of a period)."""

from __future__ import annotations

import argparse
import sys
from datetime import datetime
from typing import Any

from callqa.commands.common import EXIT_BAD_INPUT, EXIT_BUSY, EXIT_INTERNAL, EXIT_OK, ProgressBar, day, load_settings


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("run", help="run the nightly flow once, now")
    p.add_argument("--progress", action=argparse.BooleanOptionalAction, default=None,
                   help="progress bar on stderr: calls done, audio hours, ETA (default: when stderr is a terminal)")
    p.add_argument("--inbox", default=None)
    p.add_argument("--db", default=None)
    p.add_argument("--batch-size", type=int, default=None)
    p.add_argument("--dask-workers", type=int, default=None,
                   help="analyse on a local Dask cluster of N worker processes")
    p.add_argument("--dask-address", default=None, help="analyse on an existing Dask cluster (tcp://host:8786)")
    p.set_defaults(func=run)

    p = sub.add_parser("backfill",
                       help="process the archive's calls of a period (by call time), as the nightly flow would")
    p.add_argument("--since", required=True, help="first day (YYYY-MM-DD)")
    p.add_argument("--until", required=True, help="the day after the last (YYYY-MM-DD)")
    p.add_argument("--inbox", default=None)
    p.add_argument("--db", default=None)
    p.add_argument("--batch-size", type=int, default=None)
    p.add_argument("--progress", action=argparse.BooleanOptionalAction, default=None)
    p.add_argument("--dask-workers", type=int, default=None,
                   help="analyse on a local Dask cluster of N worker processes")
    p.add_argument("--dask-address", default=None, help="analyse on an existing Dask cluster (tcp://host:8786)")
    p.set_defaults(func=run, backfill=True)


def run(args: argparse.Namespace) -> int:
    """The nightly flow once, now; with --since/--until (callqa backfill), the calls of a period."""
    from flows.nightly import backfill, nightly
    from flows.progress import listening
    from flows.runners import task_runner_for
    from flows.server import temporary_server
    from storage.run_lock import RunLocked, run_lock

    period: tuple[datetime, datetime] | None = None  # callqa backfill's
    if getattr(args, "backfill", False):
        since, until = day(args.since), day(args.until)
        if since is None or until is None or until <= since:
            print("callqa: error: backfill needs --since and a later --until (YYYY-MM-DD)", file=sys.stderr)
            return EXIT_BAD_INPUT
        period = (since, until)
    show = args.progress if args.progress is not None else sys.stderr.isatty()
    settings = load_settings(db=args.db, **_dask_overrides(args))
    bar = ProgressBar() if show else None
    # The run lock first (a second run leaves at once, before starting Prefect), then the temporary
    # Prefect server, started here so it gets its time and dies with this process.
    try:
        with run_lock(settings.storage.db, settings.run.lock_wait_s), \
                temporary_server(settings.run.prefect_startup_timeout_s), \
                listening(bar.update if bar else (lambda p: None)):
            runner = task_runner_for(settings)
            if period is not None:
                summary = backfill.with_options(task_runner=runner)(
                    *period, inbox=args.inbox, db=args.db, batch_size=args.batch_size)
            else:
                summary = nightly.with_options(task_runner=runner)(
                    inbox=args.inbox, db=args.db, batch_size=args.batch_size)
    except RunLocked as err:
        print(f"callqa: {err}", file=sys.stderr)
        return EXIT_BUSY
    finally:
        if bar:
            bar.close()
    unreadable = f", {summary.unreadable} unreadable (skipped)" if summary.unreadable else ""
    print(
        f"run {summary.run_id}: {summary.discovered} recordings, {summary.processed} processed, "
        f"{summary.quarantined} quarantined, {summary.failed} failed, {summary.skipped} already known{unreadable} "
        f"({summary.audio_s:.0f} s of audio in {summary.wall_s:.0f} s)"
    )
    if summary.unreadable:
        print(f"the unreadable inbox entries and why: the app's Runs page (run {summary.run_id}) or the run's "
              "report in Prefect", file=sys.stderr)
    print(f"results in {settings.storage.db}; review them with: callqa app --db {settings.storage.db}")
    return EXIT_OK if summary.failed == 0 else EXIT_INTERNAL


def _dask_overrides(args: argparse.Namespace) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if getattr(args, "dask_workers", None) is not None:
        out["dask_workers"] = args.dask_workers
    if getattr(args, "dask_address", None):
        out["dask_address"] = args.dask_address
    return out
