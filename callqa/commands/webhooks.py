"""``callqa webhooks``: the delivery log (``list``), a delivery pass now (``deliver``) and events queued again
(``replay``). The nightly run delivers after each run by itself (usecases.webhook_delivery)."""

from __future__ import annotations

import argparse
import sys

from callqa.commands.common import EXIT_BAD_INPUT, EXIT_OK, day, existing_database, load_settings, print_json


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("webhooks", help="webhooks for the CRM: the delivery log, a delivery pass now, replays")
    actions = p.add_subparsers(dest="action", required=True)
    a = actions.add_parser("list", help="deliveries, newest first, with their last status and error")
    a.add_argument("--failed", action="store_true", help="only failed ones (and pending ones whose last try failed)")
    a.add_argument("--limit", type=int, default=100)
    a.add_argument("--json", action="store_true")
    a.add_argument("--db", default=None)
    a.set_defaults(func=list_deliveries)
    a = actions.add_parser("deliver", help="one delivery pass now: new events, and retries that are due")
    a.add_argument("--json", action="store_true")
    a.add_argument("--db", default=None)
    a.set_defaults(func=deliver)
    a = actions.add_parser("replay", help="queue events again for the configured endpoints (the next pass sends)")
    a.add_argument("event_ids", nargs="*", metavar="EVENT_ID")
    a.add_argument("--since", default=None, help="every event created since this time (YYYY-MM-DD or ISO, UTC)")
    a.add_argument("--type", default=None, dest="event_type", help="with --since: only events of this type")
    a.add_argument("--db", default=None)
    a.set_defaults(func=replay)


def list_deliveries(args: argparse.Namespace) -> int:
    from usecases.webhook_delivery import delivery_log, host

    settings = load_settings(db=args.db)
    if existing_database(settings) is None:
        return EXIT_BAD_INPUT
    rows = delivery_log(settings, args.failed, args.limit)
    if args.json:
        print_json([{"event_id": r.event_id, "type": r.event_type, "call_id": r.call_id,
                     "created_at": r.created_at.isoformat(), "endpoint": host(r.endpoint), "status": r.status,
                     "attempts": r.attempts, "last_attempt_at": r.last_attempt_at and r.last_attempt_at.isoformat(),
                     "last_status": r.last_status, "last_error": r.last_error,
                     "next_attempt_at": r.next_attempt_at and r.next_attempt_at.isoformat(),
                     "delivered_at": r.delivered_at and r.delivered_at.isoformat()} for r in rows], indent=2)
        return EXIT_OK
    if not rows:
        print("no failed deliveries" if args.failed else "no deliveries yet")
    for r in rows:
        last = "" if r.last_attempt_at is None else f" last try {r.last_attempt_at:%Y-%m-%d %H:%M:%S} UTC"
        code = "" if r.last_status is None else f" HTTP {r.last_status}"
        nxt = f" next {r.next_attempt_at:%Y-%m-%d %H:%M:%S}" if r.status == "pending" and r.next_attempt_at else ""
        print(f"{r.event_id}  {r.event_type:<16} {r.status:<9} {r.attempts} tries  {host(r.endpoint)}{last}{code}{nxt}"
              + (f"\n    last error: {r.last_error}" if r.last_error else ""))
    return EXIT_OK


def deliver(args: argparse.Namespace) -> int:
    from usecases.webhook_delivery import deliver_pending

    settings = load_settings(db=args.db)
    if existing_database(settings) is None:
        return EXIT_BAD_INPUT
    if not settings.webhooks.endpoints():
        print("callqa: note: no webhook_urls configured: new events are marked dispatched, nothing is sent",
              file=sys.stderr)
    report = deliver_pending(settings)
    if args.json:
        print_json(report.to_json())
        return EXIT_OK
    print(f"{report.queued} deliveries queued for new events; {report.attempted} tried in {report.tries} requests: "
          f"{report.delivered} delivered, {report.retrying + report.deferred} to retry later, {report.failed} failed")
    return EXIT_OK


def replay(args: argparse.Namespace) -> int:
    from usecases.webhook_delivery import replay as queue_again

    settings = load_settings(db=args.db)
    if existing_database(settings) is None:
        return EXIT_BAD_INPUT
    if args.event_type and not args.since:
        print("callqa: error: --type goes with --since", file=sys.stderr)
        return EXIT_BAD_INPUT
    if not args.event_ids and not args.since:
        print("callqa: error: give EVENT_ID... or --since TIME", file=sys.stderr)
        return EXIT_BAD_INPUT
    queued = queue_again(settings, args.event_ids, day(args.since), args.event_type)
    print(f"{queued} deliveries queued again; `callqa webhooks deliver` (or the next nightly run) sends them")
    return EXIT_OK
