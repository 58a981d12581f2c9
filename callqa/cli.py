"""The ``callqa`` command line: the top-level parser and the dispatch; each command is a module of
callqa/commands/.

Exit codes: 0 success, 2 bad input (unreadable audio, bad arguments), 1 internal error,
75 another run holds the database (``callqa run``: try again later; nothing was touched).
"""

from __future__ import annotations

import argparse
import os
import sys

from callqa.commands import (
    analyze,
    api,
    app,
    cdr,
    coaching,
    compare,
    diarize,
    health,
    load,
    metrics,
    models,
    report,
    rescore,
    retention,
    run,
    sample,
    satisfaction,
    schedule,
    sentiment,
    stats,
    tokens,
    users,
    watch,
    webhooks,
)
from callqa.commands.common import EXIT_BAD_INPUT, EXIT_INTERNAL
from callqa.logs import configure_logging, log_format

# In the order `callqa --help` lists them.
COMMANDS = (analyze, run, watch, load, schedule, report, diarize, sentiment, stats, rescore, coaching, compare,
            retention, sample, satisfaction, cdr, app, users, api, tokens, webhooks, models, metrics, health)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="callqa", description="Offline speech analytics for call-center QA.")
    parser.add_argument("-v", "--verbose", action="store_true", help="log progress and model loading")
    sub = parser.add_subparsers(dest="command", required=True)
    for command in COMMANDS:
        command.register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    configure_logging(args.verbose, log_format())
    try:
        return args.func(args)
    except KeyboardInterrupt:
        return 130
    except Exception as err:  # one line for users; the traceback with CALLQA_DEBUG=1
        from models.weights import WeightsNotFound
        from pipeline.judging.scorecard import ScorecardError

        if os.environ.get("CALLQA_DEBUG"):
            raise
        bad_input = isinstance(err, (ScorecardError, ValueError, FileNotFoundError)) and not isinstance(
            err, WeightsNotFound)
        code = EXIT_BAD_INPUT if bad_input else EXIT_INTERNAL
        message = " ".join(str(err).split()) or type(err).__name__
        print(f"callqa: error: {message}", file=sys.stderr)
        return code


if __name__ == "__main__":
    sys.exit(main())
