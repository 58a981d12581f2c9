"""Who is calling: the bearer token checked on every request (unknown, expired or revoked: 401), its scope and
role for the route (403), and its rate limit (429 with Retry-After). The token's name goes into the request's
state for the audit; the token itself is never logged or stored."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from fastapi import Depends, HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from api.limits import RateLimiter
from usecases import api_tokens
from usecases.api_tokens import SCOPES
from usecases.users import User

bearer = HTTPBearer(auto_error=False,
                    description="`Authorization: Bearer cqa_...` (a token from `callqa tokens create`)")
UNAUTHORIZED = {"WWW-Authenticate": "Bearer"}


@dataclass(frozen=True)
class Caller:
    token_name: str
    scopes: frozenset[str]
    user: User  # the role's permissions (usecases.users): admin alone sees personal data, operators their calls


def caller(request: Request, credentials: HTTPAuthorizationCredentials | None = Depends(bearer)) -> Caller:
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise HTTPException(401, "a bearer token is required", headers=UNAUTHORIZED)
    token = api_tokens.authenticate(request.app.state.db, credentials.credentials)
    if token is None:
        # One answer for unknown, expired and revoked tokens: nothing to learn about which it was.
        raise HTTPException(401, "the token is not valid (unknown, expired or revoked)", headers=UNAUTHORIZED)
    request.state.token_name = token.name
    limiter: RateLimiter = request.app.state.limiter
    wait_s = limiter.take(token.name)
    if wait_s:
        raise HTTPException(429, f"more than {int(limiter.capacity)} requests a minute for this token",
                            headers={"Retry-After": str(wait_s)})
    return Caller(token.name, frozenset(token.scopes), api_tokens.as_user(token))


def needs(scope: str) -> Callable[..., Caller]:
    """A dependency: the caller, when its token holds ``scope`` and its role may use it; else 403."""
    if scope not in SCOPES:
        raise ValueError(f"unknown scope {scope}")

    def check(who: Caller = Depends(caller)) -> Caller:
        if scope not in who.scopes:
            raise HTTPException(403, f"the token lacks the scope {scope}")
        if not SCOPES[scope].allowed(who.user):
            raise HTTPException(403, f"a {who.user.role} token may not use {scope}")
        return who

    return check
