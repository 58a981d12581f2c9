"""Tokens for the REST API: what each scope allows, which roles may hold it, creating (the token shown once,
kept as a hash), revoking, listing, and checking a presented token.

A token is 32 random bytes (``secrets.token_urlsafe``), so its SHA-256 is enough to keep: nobody can guess
one, and the stored hash lets nobody in (unlike a password, no slow hash is needed). A token acts as a user
of its role (``usecases.users``): an admin token alone sees unmasked transcripts and recordings, an
operator token sees only its operator's calls, masked, and only a reviewer or admin token writes verdicts.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Callable

from storage import api_tokens
from storage.api_tokens import StoredToken
from storage.db import now
from usecases.shared_database import connection
from usecases.users import ROLES, Role, User, can_admin, can_review, is_staff

TOKEN_PREFIX = "cqa_"  # lets secret scanners and people recognise a callqa token in a leaked file
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")


@dataclass(frozen=True)
class Scope:
    name: str
    meaning: str
    allowed: Callable[[User], bool]  # which users (roles) may hold it


def _anyone(user: User) -> bool:
    return True


SCOPES: dict[str, Scope] = {s.name: s for s in (
    Scope("calls:read", "a call's status and results, and lists of calls (an operator token: its own calls only)",
          _anyone),
    Scope("transcripts:read", "a call's transcript (masked unless the token's role is admin)", _anyone),
    Scope("recordings:read", "a call's recording (masked moments silenced unless the token's role is admin)",
          _anyone),
    Scope("calls:submit", "submit recordings for analysis", is_staff),
    Scope("reviews:write", "reviewer verdicts on a call's criteria (reviewer or admin tokens)", can_review),
    Scope("csat:write", "customer satisfaction survey scores", is_staff),
    Scope("erasure:write", "erase every call of a customer's number (admin tokens)", can_admin),
    Scope("reports:read", "operators' scores, coaching topics and run reports (staff tokens)", is_staff),
    Scope("metrics:read", "the Prometheus metrics (/metrics) and the operational health checks (staff tokens)",
          is_staff),
)}


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def as_user(token: StoredToken) -> User:
    """The user a token acts as: its role's permissions, its name in reviews and audits as ``api:NAME``."""
    return User(f"api:{token.name}", Role(token.role), f"API token {token.name}", operator_id=token.operator_id)


def check_request(name: str, role: str, scopes: list[str], operator_id: str | None) -> None:
    """Raises ``ValueError`` saying what is wrong with a token's name, role, scopes or operator id."""
    if not _NAME.match(name):
        raise ValueError(f"token name {name!r}: letters, digits, '.', '_' or '-', at most 64")
    if role not in ROLES:
        raise ValueError(f"role must be one of {', '.join(ROLES)}, not {role!r}")
    if role == Role.OPERATOR and not operator_id:
        raise ValueError("an operator token needs --operator-id (the operator whose calls it sees)")
    if role != Role.OPERATOR and operator_id:
        raise ValueError("--operator-id is for operator tokens only")
    if not scopes:
        raise ValueError(f"give at least one --scope: {', '.join(SCOPES)}")
    user = User(name, Role(role), operator_id=operator_id)
    for scope in scopes:
        if scope not in SCOPES:
            raise ValueError(f"unknown scope {scope!r}: {', '.join(SCOPES)}")
        if not SCOPES[scope].allowed(user):
            raise ValueError(f"a {role} token cannot hold {scope} ({SCOPES[scope].meaning})")


def create(db: str, name: str, role: str, scopes: list[str], operator_id: str | None = None,
           expires_days: float | None = None, created_by: str | None = None) -> tuple[str, StoredToken]:
    """A new token: ``(the token, shown once and never stored; its stored record)``."""
    scopes = list(dict.fromkeys(scopes))
    check_request(name, role, scopes, operator_id)
    if expires_days is not None and expires_days <= 0:
        raise ValueError("--expires-days must be more than 0")
    created = now()
    record = StoredToken(name, role, operator_id, tuple(scopes), created,
                         None if expires_days is None else created + timedelta(days=expires_days), None, created_by)
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    with connection(db, read_only=False) as con:
        api_tokens.insert_token(con, record, token_hash(token))
    return token, record


def revoke(db: str, name: str) -> bool:
    with connection(db, read_only=False) as con:
        return api_tokens.revoke(con, name)


def listed(db: str) -> list[StoredToken]:
    with connection(db, read_only=True) as con:
        return api_tokens.all_tokens(con)


def state(token: StoredToken, at: datetime | None = None) -> str:
    """active | expired | revoked"""
    if token.revoked_at is not None:
        return "revoked"
    if token.expires_at is not None and token.expires_at <= (at or now()):
        return "expired"
    return "active"


def authenticate(db: str, presented: str) -> StoredToken | None:
    """The active token presented (expired, revoked and unknown ones: None). Raises ``DatabaseUnavailable``."""
    if not presented.startswith(TOKEN_PREFIX) or len(presented) > 200:
        return None
    wanted = token_hash(presented)
    with connection(db, read_only=True) as con:
        found = api_tokens.token_by_hash(con, wanted)
    # Looked up by its hash: the lookup's time says nothing about the token's characters.
    if found is None or state(found) != "active":
        return None
    return found


__all__ = ["SCOPES", "Scope", "TOKEN_PREFIX", "as_user", "authenticate", "check_request", "create", "listed",
           "revoke", "state", "token_hash"]
