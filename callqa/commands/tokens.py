"""``callqa tokens create|list|revoke``: the REST API's tokens (usecases.api_tokens). A new token is printed once;
only its hash is kept."""

from __future__ import annotations

import argparse
import sys

from callqa.commands.common import EXIT_BAD_INPUT, EXIT_OK, load_settings, print_json, who


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("tokens", help="tokens for the REST API: create (shown once), list, revoke")
    tokens_sub = p.add_subparsers(dest="tokens_command", required=True)
    c = tokens_sub.add_parser("create", help="a new token, printed once (keep it: only its hash is stored)")
    c.add_argument("name", help="the integration it is for (crm, pbx-upload): shown in the audit")
    c.add_argument("--role", required=True, help="reviewer, trainer, admin or operator: the permissions it acts with")
    c.add_argument("--operator-id", default=None, help="an operator token's operator: the only calls it sees")
    c.add_argument("--scope", action="append", default=[],
                   help="repeatable: calls:read, transcripts:read, recordings:read, calls:submit, reviews:write, "
                        "csat:write, erasure:write, reports:read (a scope the role may not hold is refused)")
    c.add_argument("--expires-days", type=float, default=None, help="days until it stops working (default never)")
    c.add_argument("--by", default=None, help="who creates it (default: the login name)")
    c.add_argument("--db", default=None)
    c.set_defaults(func=create)
    ls = tokens_sub.add_parser("list", help="every token: name, role, scopes, state (never the token)")
    ls.add_argument("--db", default=None)
    ls.add_argument("--json", action="store_true")
    ls.set_defaults(func=list_tokens)
    r = tokens_sub.add_parser("revoke", help="stop a token now")
    r.add_argument("name")
    r.add_argument("--db", default=None)
    r.set_defaults(func=revoke)


def create(args: argparse.Namespace) -> int:
    from usecases.api_tokens import create as make

    settings = load_settings(db=args.db)
    try:
        token, record = make(str(settings.storage.db), args.name, args.role, args.scope, args.operator_id,
                             args.expires_days, who(args.by))
    except ValueError as err:
        print(f"callqa: error: {err}", file=sys.stderr)
        return EXIT_BAD_INPUT
    expires = record.expires_at.isoformat(timespec="seconds") + "Z" if record.expires_at else "never"
    print(token)
    print(f"token {record.name}: role {record.role}, scopes {', '.join(record.scopes)}, expires {expires}. "
          "It is shown only now: only its hash is stored.", file=sys.stderr)
    return EXIT_OK


def list_tokens(args: argparse.Namespace) -> int:
    from usecases.api_tokens import listed, state

    settings = load_settings(db=args.db)
    rows = [{"name": t.name, "role": t.role, "operator_id": t.operator_id, "scopes": list(t.scopes),
             "state": state(t), "created_at": t.created_at.isoformat(timespec="seconds"),
             "expires_at": t.expires_at.isoformat(timespec="seconds") if t.expires_at else None,
             "revoked_at": t.revoked_at.isoformat(timespec="seconds") if t.revoked_at else None,
             "created_by": t.created_by} for t in listed(str(settings.storage.db))]
    if args.json:
        print_json(rows, indent=2)
        return EXIT_OK
    for t in listed(str(settings.storage.db)):
        operator = f" ({t.operator_id})" if t.operator_id else ""
        expires = t.expires_at.isoformat(timespec="seconds") if t.expires_at else "never"
        print(f"{t.name}\t{t.role}{operator}\t{state(t)}\texpires {expires}\t{','.join(t.scopes)}")
    return EXIT_OK


def revoke(args: argparse.Namespace) -> int:
    from usecases.api_tokens import revoke as stop

    settings = load_settings(db=args.db)
    if not stop(str(settings.storage.db), args.name):
        print(f"callqa: error: no active token named {args.name}", file=sys.stderr)
        return EXIT_BAD_INPUT
    print(f"token {args.name} revoked")
    return EXIT_OK
