"""``callqa users``: who may use the QA app (add, list, remove, passwd), its login lockouts (unlock, events)
and its login sessions (sessions, logout). A new password or a removal ends the user's sessions at once."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from callqa.commands.common import EXIT_BAD_INPUT, EXIT_OK, existing_database, load_settings, print_json, who

if TYPE_CHECKING:
    from usecases.password_policy import PasswordPolicy


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("users", help="who may use the QA app: add, list, remove users, change passwords")
    users_sub = p.add_subparsers(dest="users_command", required=True)
    users_file = argparse.ArgumentParser(add_help=False)
    users_file.add_argument("--users", default=None,
                            help="users file (default: users.toml beside the database, or $CALLQA_USERS)")
    users_file.add_argument("--db", default=None, help="database whose folder holds the default users file")
    password_stdin = argparse.ArgumentParser(add_help=False)
    password_stdin.add_argument("--password-stdin", action="store_true",
                                help="read the password from the first line of stdin")
    u = users_sub.add_parser("add", parents=[users_file, password_stdin],
                             help="add a user (prompts for the password twice)")
    u.add_argument("name", help="user name, or with --sso the OIDC e-mail")
    u.add_argument("--role", required=True, help="reviewer, trainer, admin or operator")
    u.add_argument("--operator-id", default=None,
                   help="with --role operator (required there): the operator id their calls carry; they see only those")
    u.add_argument("--display-name", default=None)
    u.add_argument("--sso", action="store_true",
                   help="grant an OIDC identity (e-mail) a role; it logs in with st.login, no password")
    u.set_defaults(func=add)
    u = users_sub.add_parser("list", parents=[users_file], help="list users and OIDC identities with their roles")
    u.add_argument("--json", action="store_true")
    u.set_defaults(func=list_users)
    u = users_sub.add_parser("remove", parents=[users_file], help="remove a user or an OIDC identity")
    u.add_argument("name")
    u.set_defaults(func=remove)
    u = users_sub.add_parser("passwd", parents=[users_file, password_stdin], help="change a user's password")
    u.add_argument("name")
    u.set_defaults(func=passwd)
    u = users_sub.add_parser("unlock", parents=[users_file], help="lift a login lockout of a user name (or --address)")
    u.add_argument("name", nargs="?", default=None, help="the user name as typed at the login")
    u.add_argument("--address", default=None, help="a client address to unlock (its failures no longer count)")
    u.set_defaults(func=unlock)
    u = users_sub.add_parser("events", parents=[users_file],
                             help="recent logins, failures, lockouts and logouts (newest first)")
    u.add_argument("--user", default=None, help="only this user name")
    u.add_argument("--address", default=None, help="only this client address")
    u.add_argument("--limit", type=int, default=50)
    u.add_argument("--json", action="store_true")
    u.set_defaults(func=events)
    u = users_sub.add_parser("sessions", parents=[users_file],
                             help="login sessions still open (a login lasts login_session_hours across reloads)")
    u.add_argument("--user", default=None, help="only this user name")
    u.add_argument("--json", action="store_true")
    u.set_defaults(func=sessions)
    u = users_sub.add_parser("logout", parents=[users_file], help="end every login session of a user now")
    u.add_argument("name")
    u.set_defaults(func=logout)


def add(args: argparse.Namespace) -> int:
    from usecases import users as accounts

    path = _users_file(args)
    if args.sso:
        accounts.add_oidc_role(path, args.name, args.role, args.operator_id)
        print(f"OIDC identity {args.name.lower()} may log in as {args.role}{_as_operator(args.operator_id)} ({path})")
        return EXIT_OK
    # a bad name, role or operator id, or a duplicate, fails before the prompt
    accounts.check_new_user(path, args.name, args.role, args.operator_id)
    user = accounts.add_user(path, args.name, args.role, _new_password(args, args.name), display_name=args.display_name,
                             policy=_password_policy(args), operator_id=args.operator_id)
    print(f"added {user.name} ({user.role.value}{_as_operator(user.operator_id)}) to {path}")
    return EXIT_OK


def list_users(args: argparse.Namespace) -> int:
    from usecases import users as accounts

    path = _users_file(args)
    users = accounts.list_users(path)
    if args.json:
        print_json([{"name": u.name, "role": u.role.value, "display_name": u.display_name, "source": u.source,
                     **({"operator_id": u.operator_id} if u.operator_id else {})} for u in users])
        return EXIT_OK
    if not users:
        print(f"no users in {path}: `callqa app` runs as local admin on 127.0.0.1 only")
    for u in users:
        kind = "sso" if u.source == "oidc" else "password"
        print(f"{u.name:<32} {u.role.value:<9} {kind:<9} {u.display_name or ''}{_as_operator(u.operator_id)}".rstrip())
    return EXIT_OK


def remove(args: argparse.Namespace) -> int:
    from usecases import users as accounts

    path = _users_file(args)
    removed = accounts.remove_user(path, args.name)
    print(f"removed {args.name} ({' and '.join(removed)}) from {path}")
    _end_sessions(args, args.name, "user removed")
    return EXIT_OK


def passwd(args: argparse.Namespace) -> int:
    from usecases import users as accounts

    path = _users_file(args)
    if args.name not in accounts.load(path).users:  # fail before the prompt
        raise accounts.UsersError(f"no local user {args.name!r} in {path}")
    accounts.set_password(path, args.name, _new_password(args, args.name), policy=_password_policy(args))
    print(f"changed the password of {args.name} ({path})")
    _end_sessions(args, args.name, "password changed")
    return EXIT_OK


def _end_sessions(args: argparse.Namespace, name: str, reason: str) -> None:
    """Ends the user's login sessions in the database too (the app already refuses them: it reads the users
    file, whose entry is gone or holds a new password hash), so they are listed and audited as ended."""
    import duckdb

    from usecases import login_sessions

    settings = load_settings(db=args.db)
    try:
        count = login_sessions.revoke_user(name, reason, by=who(None), db=settings.storage.db)
    except duckdb.Error as err:  # the nightly run holds the database: the app refuses them all the same
        print(f"the login sessions of {name} end at their next use (database busy: {' '.join(str(err).split())})")
        return
    if count:
        print(f"ended {count} login session{'s' if count != 1 else ''} of {name}")


def sessions(args: argparse.Namespace) -> int:
    """Login sessions neither ended nor expired, newest first."""
    from usecases import login_sessions

    settings = load_settings(db=args.db)
    db = existing_database(settings, missing=" yet: no sessions")
    if db is None:
        return EXIT_BAD_INPUT
    found = login_sessions.list_active(user_name=args.user, db=db)
    if args.json:
        print_json([{"user": s.user_name, "address": s.address, "id": s.token_hash[:12],
                     "created_at": s.created_at.isoformat(), "last_seen_at": s.last_seen_at.isoformat(),
                     "expires_at": s.expires_at.isoformat()} for s in found])
        return EXIT_OK
    for s in found:
        print(f"{s.user_name:<24} {s.address or '-':<15} {s.token_hash[:12]}  since {s.created_at:%Y-%m-%d %H:%M} "
              f"last seen {s.last_seen_at:%Y-%m-%d %H:%M} until {s.expires_at:%Y-%m-%d %H:%M} UTC")
    if not found:
        print("no open login sessions")
    return EXIT_OK


def logout(args: argparse.Namespace) -> int:
    """Ends every login session of a user now: each of their tabs asks for a login at its next step."""
    from usecases import login_sessions

    settings = load_settings(db=args.db)
    db = existing_database(settings, missing=" yet: no sessions")
    if db is None:
        return EXIT_BAD_INPUT
    count = login_sessions.revoke_user(args.name, "logged out by an administrator", by=who(None), db=db)
    print(f"ended {count} login session{'s' if count != 1 else ''} of {args.name}")
    return EXIT_OK


def unlock(args: argparse.Namespace) -> int:
    """Lift a login lockout (and the delays) of a name, or of a client address, now."""
    from storage import auth_events
    from storage.db import connect, now

    if not args.name and not args.address:
        raise ValueError("name a user to unlock, or give --address")
    settings = load_settings(db=args.db)
    db = existing_database(settings, missing=" yet: nothing is locked")
    if db is None:
        return EXIT_BAD_INPUT
    with connect(db) as con:
        at = now()
        before = auth_events.locked(con, at, settings.login.limits())
        auth_events.unlock(con, at, user_name=args.name, address=args.address, by=who(None))
    for scope, value in ((s, v) for s, v in (("user", args.name), ("address", args.address)) if v):
        was = any(s == scope and v == value for s, v, _ in before)
        print(f"unlocked {scope} {value!r}" + ("" if was else " (it was not locked; its failures no longer count)"))
    return EXIT_OK


def events(args: argparse.Namespace) -> int:
    """Recent logins, failures, refusals, lockouts and logouts, newest first, and what is locked now."""
    from storage import auth_events
    from storage.db import connect, now

    settings = load_settings(db=args.db)
    db = existing_database(settings, missing=" yet")
    if db is None:
        return EXIT_BAD_INPUT
    with connect(db, read_only=True) as con:
        recent = auth_events.recent(con, args.limit, user_name=args.user, address=args.address)
        locks = auth_events.locked(con, now(), settings.login.limits())
    if args.json:
        print_json({"events": [{**e.row(), "occurred_at": e.occurred_at.isoformat()} for e in recent],
                    "locked": [{"scope": s, "value": v, "until": u.isoformat()} for s, v, u in locks]})
        return EXIT_OK
    for scope, value, until in locks:
        print(f"LOCKED {scope} {value!r} until {until:%Y-%m-%d %H:%M:%S} UTC (`callqa users unlock`)")
    for e in recent:
        print(f"{e.occurred_at:%Y-%m-%d %H:%M:%S}  {e.outcome:<11} {e.user_name!r:<24} {e.address or '-':<15} "
              f"{e.scope or ''} {e.detail or ''}".rstrip())
    if not recent:
        print("no login events")
    return EXIT_OK


def _as_operator(operator_id: str | None) -> str:
    return f" as operator {operator_id}" if operator_id else ""


def _users_file(args: argparse.Namespace) -> Path:
    from usecases.users import users_path

    if args.users:
        return Path(args.users)
    if os.environ.get("CALLQA_USERS"):
        return users_path()
    return users_path(load_settings(db=args.db).storage.db)  # beside the configured database, as the app finds it


def _new_password(args: argparse.Namespace, name: str) -> str:
    import getpass

    if args.password_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    first = getpass.getpass(f"password for {name}: ")
    if getpass.getpass("again: ") != first:
        raise ValueError("the passwords do not match")
    return first


def _password_policy(args: argparse.Namespace) -> PasswordPolicy:
    from usecases.password_policy import PasswordPolicy

    settings = load_settings(db=args.db)
    return PasswordPolicy(settings.passwords.min_length, settings.passwords.min_score)
