"""``callqa watch``: analyse recordings within seconds of the PBX closing them (``usecases.watch``)."""

from __future__ import annotations

import argparse

from callqa.commands.common import EXIT_OK, load_settings


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("watch", help="watch the inbox and analyse each recording once it is closed, until stopped")
    p.add_argument("--inbox", default=None)
    p.add_argument("--db", default=None)
    p.add_argument("--poll", type=float, default=None, help="seconds between looks at the inbox (watch_poll_s)")
    p.add_argument("--settle", type=float, default=None,
                   help="seconds a file must stay unchanged before it is taken (settle_s)")
    p.set_defaults(func=watch)


def watch(args: argparse.Namespace) -> int:
    """Poll the inbox until SIGINT or SIGTERM; the call in flight is finished and stored first."""
    import logging
    import signal

    from usecases.watch import Watcher

    logger = logging.getLogger("callqa.watch")
    logger.setLevel(logging.INFO)  # what it takes and stores, without -v (which also logs the models' loading)
    settings = load_settings(inbox=args.inbox, db=args.db, watch_poll_s=args.poll, settle_s=args.settle)
    watcher = Watcher(settings, logger)

    def stop(signum: int, _frame: object) -> None:
        logger.info("%s: stopping after the call in flight", signal.Signals(signum).name)
        watcher.stop()

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    watcher.run()
    stored = watcher.stored
    print(f"watch stopped: {len(watcher.runs)} runs, {sum(c.status == 'processed' for c in stored)} calls processed, "
          f"{sum(c.status == 'quarantined' for c in stored)} quarantined, {sum(c.status == 'failed' for c in stored)} "
          "failed")
    return EXIT_OK
