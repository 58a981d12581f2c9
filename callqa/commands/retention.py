"""``callqa retention`` (delete what is past its term now) and ``callqa erase`` (a customer's calls, on request)."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING, Any

from callqa.commands.common import (
    EXIT_BAD_INPUT,
    EXIT_INTERNAL,
    EXIT_OK,
    existing_database,
    load_settings,
    print_json,
    who,
)

if TYPE_CHECKING:
    from usecases.retention import ErasureSummary


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("retention",
                       help="delete what is past its retention term now (the nightly flow does after each run)")
    p.add_argument("--db", default=None)
    p.add_argument("--inbox", default=None,
                   help="the inbox whose recordings may be deleted (default: the configured one)")
    p.add_argument("--dry-run", action="store_true", help="only say what would be deleted")
    p.add_argument("--by", default=None, help="who applies it, for the audit log (default: this user)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=retention)

    p = sub.add_parser("erase",
                       help="erase every call of one customer's phone number (recordings, transcripts, verdicts)")
    which = p.add_mutually_exclusive_group(required=True)
    which.add_argument("--customer-number", action="append",
                       help="the number as the recorder gives it; repeat it, or - (one number a line on stdin), "
                            "to erase several with one rewrite of the database")
    which.add_argument("--reapply", action="store_true",
                       help="erase again the calls of every logged erasure (after restoring a backup); "
                            "also rewrites the database file if an erasure's rewrite failed")
    p.add_argument("--db", default=None)
    p.add_argument("--inbox", default=None,
                   help="the inbox whose recordings may be deleted (default: the configured one)")
    p.add_argument("--reason", default=None, help="why, for the audit log (e.g. the request's reference)")
    p.add_argument("--by", default=None, help="who asked or applies it, for the audit log (default: this user)")
    p.add_argument("--dry-run", action="store_true", help="only say what would be erased")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=erase)


def retention(args: argparse.Namespace) -> int:
    """The retention policy now (the nightly flow applies it after each run)."""
    from usecases.retention import apply_policy

    settings = load_settings(db=args.db, inbox=args.inbox)
    if existing_database(settings, missing=" yet") is None:
        return EXIT_BAD_INPUT
    summary = apply_policy(settings, requested_by=f"{who(args.by)} (callqa retention)", dry_run=args.dry_run)
    if args.json:
        print_json(summary.to_json())
        return EXIT_OK
    verb = "would delete" if args.dry_run else "deleted"
    for r in summary.results:
        if r.cutoff is None:
            print(f"{r.kind:<12} kept forever")
            continue
        rows = ", ".join(f"{n} {t}" for t, n in r.rows.items()) or "no rows"
        print(f"{r.kind:<12} before {r.cutoff:%Y-%m-%d}: {verb} {len(r.call_ids)} calls, {rows}, {len(r.files)} files")
        for left in r.files_left:
            print(f"{'':<12} not deleted: {left}")
    if summary.rewrite or summary.rewrite_error:
        print(_rewrite_line(summary.rewrite, summary.rewrite_error).replace("erased", "deleted"))
    return EXIT_OK if not any(r.files_left for r in summary.results) and not summary.rewrite_error else EXIT_INTERNAL


def erase(args: argparse.Namespace) -> int:
    """Every call of one or more customers' numbers, with an audit row each (the hash, never the number), and
    one rewrite of the database file; or (--reapply) the erasure log's calls again, after a restore."""
    from dataclasses import replace

    from usecases.retention import erase_customers, reapply_erasures

    settings = load_settings(db=args.db, inbox=args.inbox)
    if existing_database(settings, missing="") is None:
        return EXIT_BAD_INPUT
    if args.reapply:
        batch = reapply_erasures(settings, requested_by=who(args.by), dry_run=args.dry_run)
    else:
        numbers = []
        for number in args.customer_number:
            # "-": one number a line on stdin (a batch of requests: one rewrite for them all)
            numbers += [n.strip() for n in sys.stdin if n.strip()] if number == "-" else [number]
        if not numbers:
            print("callqa: error: no customer number given", file=sys.stderr)
            return EXIT_BAD_INPUT
        try:
            batch = erase_customers(settings, numbers, reason=args.reason or "", requested_by=who(args.by),
                                    dry_run=args.dry_run)
        except ValueError as err:  # a malformed number: nothing was erased
            print(f"callqa: error: {err}", file=sys.stderr)
            return EXIT_BAD_INPUT
    if args.json:
        if len(batch.erasures) == 1 and not args.reapply:  # one number: its summary, as before batches
            one = replace(batch.erasures[0], rewrite=batch.rewrite, rewrite_error=batch.rewrite_error)
            print_json(one.to_json())
        else:
            print_json(batch.to_json())
        return EXIT_OK if batch.complete else EXIT_INTERNAL
    if args.reapply and not batch.erasures:
        print("the erasure log's calls are all still erased")
    for summary in batch.erasures:
        _print_erasure(summary, args.dry_run)
    if not args.dry_run:
        print(_rewrite_line(batch.rewrite, batch.rewrite_error))
    return EXIT_OK if batch.complete else EXIT_INTERNAL


def _rewrite_line(rewrite: Any, error: str | None) -> str:  # Any: a Rewrite whenever error is None
    if error:
        return (f"database NOT rewritten ({error}): the erased rows' bytes may remain in the file; "
                "run `callqa erase --reapply` to rewrite it")
    mib = 1024 * 1024
    return (f"database rewritten in {rewrite.seconds:.1f} s ({rewrite.bytes_before / mib:.1f} -> "
            f"{rewrite.bytes_after / mib:.1f} MiB): the erased bytes are gone from it")


def _print_erasure(summary: ErasureSummary, dry_run: bool) -> None:
    if not summary.call_ids:
        print(f"no calls of this customer (hash {summary.customer_hash or '-'})"
              + ("" if dry_run else f"; the request is recorded as deletion {summary.deletion_id}"))
        return
    verb = "would erase" if dry_run else "erased"
    rows = ", ".join(f"{n} {t}" for t, n in summary.rows.items()) or "no rows"
    print(f"{verb} {len(summary.call_ids)} calls of customer {summary.customer_hash}: {rows}")
    for call_id in summary.call_ids:
        print(f"  call {call_id}")
    for path in summary.files:
        print(f"  file {path}")
    for left in summary.files_left:
        print(f"  NOT deleted: {left}")
    if not dry_run:
        print(f"recorded as deletion {summary.deletion_id}")
