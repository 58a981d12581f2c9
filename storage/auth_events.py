"""The login throttle and the audit trail of logins, kept in the database (issue #15).

Every login outcome is a row of ``auth_events`` (migration 013). The throttle is worked out
from those rows at each attempt, so a new browser session, tab, websocket or app restart
starts from the same count: nothing lives in a web session.

The rule (``LoginLimits``), applied to the user name as typed and, separately, to the
client address:

- failures count within ``window_s``, and only since the scope's last reset (a user: a
  successful login or an admin unlock; an address: an admin unlock only, so one valid
  account cannot launder an address) and since its last lockout;
- after ``free_failures`` failures, the next attempt must wait ``base_delay_s``, doubling
  with each further failure, at most ``max_delay_s``, counted from the last failure;
- at ``lockout_failures`` failures the scope is locked for ``lockout_s``: every attempt is
  refused, the right password too, until the lock expires or an admin unlocks it.

A refused attempt (``throttled``, ``locked``) is audited but is not a failure: its password
was never checked, so it taught the attacker nothing. Unknown names are counted exactly like
known ones, so the answers never tell which names exist.

``login`` does the whole attempt in one transaction: decide, check the password only when
allowed, record. Callers serialise attempts (one writer process; the app holds
``storage.db.PROCESS_LOCK``), so parallel sessions cannot all slip past one count.
"""

from __future__ import annotations

import secrets
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from typing import Callable, Literal

import duckdb

from storage.db import one_row

# resume: a tab came back in on its login session's cookie; session_refused: a cookie that was forged,
# unknown, expired, idle too long or revoked (the detail says which); revoke: sessions ended by an admin
# or a password change (a logout is "logout").
Outcome = Literal["success", "failure", "throttled", "locked", "lockout", "unavailable", "logout", "unlock",
                  "resume", "session_refused", "revoke"]
OUTCOMES: tuple[str, ...] = ("success", "failure", "throttled", "locked", "lockout", "unavailable", "logout", "unlock",
                             "resume", "session_refused", "revoke")
Scope = Literal["user", "address"]
MAX_NAME = 128  # what is stored of a typed name: enough for any real one, bounded for a hostile one
MAX_ADDRESS = 64


@dataclass(frozen=True)
class Limit:
    """Failures before delays start, and before a lockout, for one scope (user or address)."""

    free_failures: int
    lockout_failures: int
    base_delay_s: float = 1.0
    max_delay_s: float = 60.0

    def __post_init__(self) -> None:
        if not 0 <= self.free_failures < self.lockout_failures:
            raise ValueError("login limits: need 0 <= free failures < lockout failures")
        if self.base_delay_s < 0 or self.max_delay_s < self.base_delay_s:
            raise ValueError("login limits: need 0 <= base delay <= max delay")

    def delay_after(self, failures: int) -> float:
        """Seconds the next attempt must wait after ``failures`` counted failures."""
        if failures < self.free_failures:
            return 0.0
        return min(self.base_delay_s * 2.0 ** min(failures - self.free_failures, 60), self.max_delay_s)


@dataclass(frozen=True)
class LoginLimits:
    window_s: float = 900.0
    lockout_s: float = 900.0
    # One person mistyping does not get near these; an attacker on one name does at once.
    user: Limit = field(default_factory=lambda: Limit(free_failures=3, lockout_failures=10))
    # Higher: an office behind one NAT address shares them, and one user's typos must not lock it.
    address: Limit = field(default_factory=lambda: Limit(free_failures=20, lockout_failures=100))

    def __post_init__(self) -> None:
        if self.window_s <= 0 or self.lockout_s <= 0:
            raise ValueError("login limits: the window and the lockout must be positive durations")

    def of(self, scope: Scope) -> Limit:
        return self.user if scope == "user" else self.address


@dataclass(frozen=True)
class Decision:
    """May an attempt go ahead now; if not, why and for how long."""

    allowed: bool
    reason: Literal["ok", "delay", "locked"] = "ok"
    wait_s: float = 0.0
    scope: Scope | None = None


ALLOWED = Decision(True)


@dataclass(frozen=True)
class AuthEvent:
    event_id: str
    occurred_at: datetime
    user_name: str
    address: str
    outcome: str
    scope: str | None = None
    detail: str | None = None

    def row(self) -> dict:
        return asdict(self)


COLUMNS: tuple[str, ...] = ("event_id", "occurred_at", "user_name", "address", "outcome", "scope", "detail")


@dataclass(frozen=True)
class LoginResult:
    outcome: Literal["success", "failure", "throttled", "locked"]
    decision: Decision  # for a refusal, why; for a failure, what the next attempt faces
    events: tuple[AuthEvent, ...]


def clean_name(name: str) -> str:
    return (name or "").strip()[:MAX_NAME].strip()


def clean_address(address: str | None) -> str:
    return (address or "").strip()[:MAX_ADDRESS].strip()


def event(user_name: str, address: str | None, outcome: Outcome, at: datetime, scope: Scope | None = None,
          detail: str | None = None) -> AuthEvent:
    if outcome not in OUTCOMES:
        raise ValueError(f"unknown auth outcome {outcome!r}")
    return AuthEvent(secrets.token_hex(16), at, clean_name(user_name), clean_address(address), outcome, scope, detail)


def record(con: duckdb.DuckDBPyConnection, ev: AuthEvent) -> AuthEvent:
    con.execute(f"INSERT INTO auth_events ({', '.join(COLUMNS)}) VALUES ({', '.join('?' * len(COLUMNS))})",
                [getattr(ev, c) for c in COLUMNS])
    return ev


# --- the state of one scope ----------------------------------------------------------------

@dataclass(frozen=True)
class _State:
    failures: int
    last_failure: datetime | None
    locked_until: datetime | None


def _state(con: duckdb.DuckDBPyConnection, scope: Scope, value: str, limits: LoginLimits, now: datetime) -> _State:
    column = "user_name" if scope == "user" else "address"
    window_start = now - timedelta(seconds=limits.window_s)
    # Failures count after the window start, the last reset and the last lockout (a lockout consumes
    # the failures that caused it); one query, as it runs several times per login.
    row = one_row(con.execute(
        f"""
        WITH marks AS (
            SELECT max(occurred_at) FILTER (WHERE (outcome = 'success' AND ? = 'user')
                                               OR (outcome = 'unlock' AND scope = ?)) AS last_reset,
                   max(occurred_at) FILTER (WHERE outcome = 'lockout' AND scope = ?) AS last_lockout
            FROM auth_events WHERE {column} = ? AND occurred_at <= ?
        )
        SELECT any_value(m.last_reset), any_value(m.last_lockout), count(f.occurred_at), max(f.occurred_at)
        FROM marks m LEFT JOIN auth_events f
          ON f.{column} = ? AND f.outcome = 'failure' AND f.occurred_at <= ?
         AND f.occurred_at > greatest(?::TIMESTAMP, coalesce(m.last_reset, ?::TIMESTAMP),
                                      coalesce(m.last_lockout, ?::TIMESTAMP))
        """,
        [scope, scope, scope, value, now, value, now, window_start, window_start, window_start],
    ))
    last_reset, last_lockout, failures, last_failure = row
    locked_until = None
    if last_lockout is not None and (last_reset is None or last_lockout > last_reset):
        until = last_lockout + timedelta(seconds=limits.lockout_s)
        locked_until = until if until > now else None
    return _State(int(failures), last_failure, locked_until)


def _decision(scope: Scope, state: _State, limits: LoginLimits, now: datetime) -> Decision:
    if state.locked_until is not None:
        return Decision(False, "locked", (state.locked_until - now).total_seconds(), scope)
    delay = limits.of(scope).delay_after(state.failures)
    ready = state.last_failure + timedelta(seconds=delay) if state.last_failure and delay else now
    return Decision(False, "delay", (ready - now).total_seconds(), scope) if ready > now else ALLOWED


def _scopes(user_name: str, address: str) -> tuple[tuple[Scope, str], ...]:
    return (("user", user_name), ("address", address))


def check(con: duckdb.DuckDBPyConnection, user_name: str, address: str | None, now: datetime,
          limits: LoginLimits = LoginLimits()) -> Decision:
    """Whether an attempt for this name from this address may have its password checked now."""
    user_name, address = clean_name(user_name), clean_address(address)
    worst = ALLOWED
    for scope, value in _scopes(user_name, address):
        worst = _worse(worst, _decision(scope, _state(con, scope, value, limits, now), limits, now))
    return worst


def _worse(a: Decision, b: Decision) -> Decision:
    rank = {"ok": 0, "delay": 1, "locked": 2}
    return max(a, b, key=lambda d: (rank[d.reason], d.wait_s))


def login(con: duckdb.DuckDBPyConnection, user_name: str, address: str | None, password_ok: Callable[[], bool],
          now: datetime, limits: LoginLimits = LoginLimits()) -> LoginResult:
    """One login attempt: refused unchecked while throttled or locked, else ``password_ok()`` decides.

    Records what happened (and a ``lockout`` row per scope this failure locks) in one transaction.
    """
    user_name, address = clean_name(user_name), clean_address(address)
    con.execute("BEGIN TRANSACTION")
    try:
        result = _login(con, user_name, address, password_ok, now, limits)
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    return result


def _login(con, user_name: str, address: str, password_ok: Callable[[], bool], now: datetime,
           limits: LoginLimits) -> LoginResult:
    decision = check(con, user_name, address, now, limits)
    if not decision.allowed:
        outcome: Literal["locked", "throttled"] = "locked" if decision.reason == "locked" else "throttled"
        ev = record(con, event(user_name, address, outcome, now, decision.scope, f"wait {decision.wait_s:.0f} s"))
        return LoginResult(outcome, decision, (ev,))
    if password_ok():
        return LoginResult("success", ALLOWED, (record(con, event(user_name, address, "success", now)),))
    events = [record(con, event(user_name, address, "failure", now))]
    after = ALLOWED  # what the next attempt faces
    for scope, value in _scopes(user_name, address):
        state = _state(con, scope, value, limits, now)
        if state.failures >= limits.of(scope).lockout_failures:
            detail = f"{state.failures} failures within {limits.window_s:.0f} s; locked for {limits.lockout_s:.0f} s"
            events.append(record(con, event(user_name, address, "lockout", now, scope, detail)))
            state = _State(0, None, now + timedelta(seconds=limits.lockout_s))
        after = _worse(after, _decision(scope, state, limits, now))
    return LoginResult("failure", after, tuple(events))


def unlock(con: duckdb.DuckDBPyConnection, now: datetime, *, user_name: str | None = None, address: str | None = None,
           by: str = "") -> list[AuthEvent]:
    """An admin's reset: the user's (or address's) failures and lockout no longer count."""
    if not user_name and not address:
        raise ValueError("unlock needs a user name or an address")
    detail = f"by {by}" if by else None
    out = []
    if user_name:
        out.append(record(con, event(user_name, "", "unlock", now, "user", detail)))
    if address:
        out.append(record(con, event("", address, "unlock", now, "address", detail)))
    return out


def recent(con: duckdb.DuckDBPyConnection, limit: int = 50, *, user_name: str | None = None,
           address: str | None = None) -> list[AuthEvent]:
    """The latest events, newest first; optionally of one user name or one address."""
    where, params = [], []
    if user_name is not None:
        where.append("user_name = ?")
        params.append(clean_name(user_name))
    if address is not None:
        where.append("address = ?")
        params.append(clean_address(address))
    sql = f"SELECT {', '.join(COLUMNS)} FROM auth_events"
    sql += f" WHERE {' AND '.join(where)}" if where else ""
    rows = con.execute(sql + " ORDER BY occurred_at DESC, rowid DESC LIMIT ?", [*params, int(limit)]).fetchall()
    return [AuthEvent(*row) for row in rows]


def locked(
    con: duckdb.DuckDBPyConnection, now: datetime, limits: LoginLimits = LoginLimits()
) -> list[tuple[Scope, str, datetime]]:
    """Scopes locked now: (scope, user name or address, locked until)."""
    candidates = con.execute(
        "SELECT DISTINCT scope, CASE WHEN scope = 'user' THEN user_name ELSE address END FROM auth_events "
        "WHERE outcome = 'lockout' AND occurred_at > ?",
        [now - timedelta(seconds=limits.lockout_s)],
    ).fetchall()
    out = []
    for scope, value in sorted(candidates):
        until = _state(con, scope, value, limits, now).locked_until
        if until is not None:
            out.append((scope, value, until))
    return out
