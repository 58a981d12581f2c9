"""The login throttle in storage (storage/auth_events.py), driven with a simulated clock on a real DuckDB file."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from storage import auth_events
from storage.auth_events import Limit, LoginLimits
from storage.db import connect

T0 = datetime(2026, 12, 1, 9, 0, 0)
LIMITS = LoginLimits()  # the shipped defaults


@pytest.fixture
def con(tmp_path):
    with connect(tmp_path / "callqa.duckdb") as c:
        yield c


class Guesser:
    """An attacker who tries again the moment the throttle allows, counting the passwords checked."""

    def __init__(self, con, limits: LoginLimits = LIMITS):
        self.con, self.limits, self.checked = con, limits, 0

    def attempt(self, name: str, address: str, at: datetime, right: bool = False) -> auth_events.LoginResult:
        def password_ok() -> bool:
            self.checked += 1
            return right

        return auth_events.login(self.con, name, address, password_ok, at, self.limits)

    def next_allowed(self, name: str, address: str, at: datetime) -> datetime:
        decision = auth_events.check(self.con, name, address, at, self.limits)
        return at + timedelta(seconds=decision.wait_s) if not decision.allowed else at


def _outcomes(con, name=None) -> list[str]:
    return [e.outcome for e in reversed(auth_events.recent(con, 1000, user_name=name))]


def test_delays_double_then_the_name_locks_even_for_the_right_password(con):
    g = Guesser(con)
    now, waits = T0, []
    for i in range(10):
        result = g.attempt("alice", "198.51.100.1", now)
        assert result.outcome == "failure"
        if i < 9:
            waits.append(result.decision.wait_s)
            now += timedelta(seconds=result.decision.wait_s)
    assert waits == [0, 0, 1, 2, 4, 8, 16, 32, 60], "3 free failures, then 1 s doubling, capped at 60 s"
    assert result.decision.reason == "locked" and result.decision.wait_s == 900
    assert [e.scope for e in result.events if e.outcome == "lockout"] == ["user"]

    checked = g.checked
    right = g.attempt("alice", "198.51.100.1", now + timedelta(minutes=5), right=True)
    assert right.outcome == "locked" and g.checked == checked, "a locked name gets no password check"
    other = g.attempt("alice", "192.0.2.9", now + timedelta(minutes=6), right=True)
    assert other.outcome == "locked", "the lock is on the name, whatever the address"

    later = g.attempt("alice", "198.51.100.1", now + timedelta(seconds=901), right=True)
    assert later.outcome == "success", "the lock expires after 15 min"
    assert _outcomes(con, "alice") == ["failure"] * 10 + ["lockout", "locked", "locked", "success"]


def test_a_refused_attempt_is_not_a_failure_and_waits_are_enforced(con):
    g = Guesser(con)
    for _ in range(3):
        g.attempt("bob", "", T0)
    refused = g.attempt("bob", "", T0 + timedelta(milliseconds=500))
    assert refused.outcome == "throttled" and refused.decision.reason == "delay"
    assert refused.decision.wait_s == pytest.approx(0.5)
    assert g.checked == 3
    assert auth_events.check(con, "bob", "", T0 + timedelta(seconds=1)).allowed, "refusals do not push the wait"


def test_a_success_resets_the_name_but_not_the_address(con):
    g = Guesser(con)
    tick = (T0 + timedelta(milliseconds=i) for i in range(1000))
    for _ in range(2):
        g.attempt("carol", "203.0.113.5", next(tick))
    assert g.attempt("carol", "203.0.113.5", next(tick), right=True).outcome == "success"
    for _ in range(2):
        assert g.attempt("carol", "203.0.113.5", next(tick)).outcome == "failure"
    assert g.attempt("carol", "203.0.113.5", next(tick)).outcome == "failure", (
        "2 + 2 failures, but the count restarted at 0"
    )
    assert g.attempt("carol", "203.0.113.5", next(tick)).outcome == "throttled"

    limits = LoginLimits(address=Limit(free_failures=4, lockout_failures=20, base_delay_s=30, max_delay_s=120))
    g2 = Guesser(con, limits)
    for name in ("n1", "n2", "n3", "n4"):
        g2.attempt(name, "192.0.2.50", T0)
    later = T0 + timedelta(seconds=31)
    assert g2.attempt("dave", "192.0.2.50", later, right=True).outcome == "success"  # a valid login from the address...
    assert g2.attempt("n5", "192.0.2.50", later + timedelta(seconds=1)).outcome == "failure"
    refused = g2.attempt("n6", "192.0.2.50", later + timedelta(seconds=2))
    assert refused.outcome == "throttled" and refused.decision.scope == "address", "...did not reset its count"


def test_address_limits_are_higher_than_a_name_s(con):
    """Spraying one guess per name from one address: the address throttles at 20 failures, not 3."""
    g = Guesser(con)
    for i in range(20):
        assert g.attempt(f"user{i}", "198.51.100.77", T0).outcome == "failure"
    refused = g.attempt("user20", "198.51.100.77", T0)
    assert refused.outcome == "throttled" and refused.decision.scope == "address"
    assert g.attempt("user20", "192.0.2.1", T0, right=True).outcome == "success", "other addresses are not held"


def test_an_office_behind_one_address_survives_one_user_s_lockout(con):
    g = Guesser(con)
    now = T0
    for _ in range(10):  # one person hammers their own name from the office NAT until it locks
        now = g.next_allowed("mallory", "10.0.0.1", now)
        g.attempt("mallory", "10.0.0.1", now)
    assert auth_events.locked(con, now, LIMITS) == [("user", "mallory", now + timedelta(seconds=900))]
    assert g.attempt("olga", "10.0.0.1", now, right=True).outcome == "success"


def test_the_address_locks_at_its_own_count(con):
    limits = LoginLimits(address=Limit(free_failures=3, lockout_failures=5, base_delay_s=0, max_delay_s=0))
    g = Guesser(con, limits)
    results = [g.attempt(f"u{i}", "192.0.2.66", T0 + timedelta(seconds=i)) for i in range(6)]
    assert [r.outcome for r in results] == ["failure"] * 5 + ["locked"]
    assert [e.scope for e in results[4].events if e.outcome == "lockout"] == ["address"]


def test_unlock_lifts_the_lock_and_the_count(con):
    g = Guesser(con)
    now = T0
    for _ in range(10):
        now = g.next_allowed("erin", "", now)
        g.attempt("erin", "", now)
    assert g.attempt("erin", "", now, right=True).outcome == "locked"
    auth_events.unlock(con, now, user_name="erin", by="admin")
    assert auth_events.locked(con, now, LIMITS) == []
    assert g.attempt("erin", "", now, right=True).outcome == "success"
    with pytest.raises(ValueError, match="needs a user name or an address"):
        auth_events.unlock(con, now)


def test_failures_age_out_of_the_window(con):
    g = Guesser(con)
    for _ in range(3):
        g.attempt("frank", "", T0)
    assert not auth_events.check(con, "frank", "", T0).allowed
    later = T0 + timedelta(seconds=LIMITS.window_s + 1)
    assert auth_events.check(con, "frank", "", later).allowed
    assert g.attempt("frank", "", later).decision.allowed, "one failure in the window: free again"


def test_hostile_names_are_stored_bounded_and_as_typed(con):
    g = Guesser(con)
    g.attempt("  x" * 200 + "'; DROP TABLE auth_events; --", "::ffff:198.51.100.1", T0)
    (ev,) = auth_events.recent(con, 5)
    assert len(ev.user_name) <= auth_events.MAX_NAME and ev.user_name.startswith("x  x")
    assert con.execute("SELECT count(*) FROM auth_events").fetchone()[0] == 1


def test_a_failing_password_check_records_nothing(con):
    def broken() -> bool:
        raise ValueError("users file unreadable")

    with pytest.raises(ValueError):
        auth_events.login(con, "gina", "", broken, T0)
    assert con.execute("SELECT count(*) FROM auth_events").fetchone()[0] == 0


def test_bad_limits_are_refused():
    with pytest.raises(ValueError):
        Limit(free_failures=10, lockout_failures=3)
    with pytest.raises(ValueError):
        LoginLimits(window_s=0)
    with pytest.raises(ValueError, match="unknown auth outcome"):  # a typo'd outcome never reaches the table
        auth_events.event("x", "", "succes", T0)


def test_the_benchmark_s_per_name_figure():
    """benchmarks/login_throttle.py, one simulated hour: the figure the README states for the defaults."""
    import importlib.util
    from pathlib import Path

    path = Path(__file__).resolve().parent.parent / "benchmarks" / "login_throttle.py"
    spec = importlib.util.spec_from_file_location("login_throttle", path)
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    result = bench.attack(LIMITS, 1.0, bench._same("alice"), bench._numbered("10.0."))
    # 10 guesses in the first 123 s (3 free, then 1+2+4+8+16+32+60 s), locked 15 min, again: 4 rounds
    assert result["time_to_first_lockout_s"] == 123
    assert result["guesses"] == 40
