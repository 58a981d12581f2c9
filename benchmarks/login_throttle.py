"""How many passwords an online attacker gets checked under the login throttle (issue #15).

Drives the storage-level throttle (storage/auth_events.py) on a migrated in-memory DuckDB with
a simulated clock: the attacker tries again the very moment the throttle allows (the best an
attacker can do; refused tries gain nothing and are not counted). Prints guesses per hour per
name and per address, and the time to the first lockout, for the limits of the settings
(callqa.toml / CALLQA_LOGIN_* change them) or the defaults.

    python benchmarks/login_throttle.py [--hours 6] [--defaults] [--json]
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import datetime, timedelta
from pathlib import Path

import duckdb

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from storage import auth_events
from storage.auth_events import LoginLimits
from storage.db import migrate

T0 = datetime(2026, 1, 1)


def _fresh() -> duckdb.DuckDBPyConnection:
    con = duckdb.connect(":memory:")
    migrate(con)
    return con


def attack(limits: LoginLimits, hours: float, names, addresses) -> dict:
    """Greedy guessing for ``hours``; ``names``/``addresses`` yield the name and address of each try."""
    con = _fresh()
    now, end = T0, T0 + timedelta(hours=hours)
    checked, first_lock, first_hour = 0, None, None
    while True:
        name, address = next(names), next(addresses)
        decision = auth_events.check(con, name, address, now, limits)
        if not decision.allowed:
            now += timedelta(seconds=decision.wait_s)
        if now >= end:
            break
        result = auth_events.login(con, name, address, lambda: False, now, limits)
        assert result.outcome == "failure", result
        checked += 1
        if first_lock is None and any(e.outcome == "lockout" for e in result.events):
            first_lock = (now - T0).total_seconds()
        if first_hour is None and now >= T0 + timedelta(hours=1):
            first_hour = checked - 1
    return {"guesses": checked, "per_hour": checked / hours,
            "first_hour": first_hour if first_hour is not None else checked, "time_to_first_lockout_s": first_lock}


def _same(value):
    while True:
        yield value


def _numbered(prefix: str):
    i = 0
    while True:
        yield f"{prefix}{i}"
        i += 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hours", type=float, default=6.0)
    parser.add_argument("--defaults", action="store_true",
                        help="ignore callqa.toml / CALLQA_LOGIN_* and use the defaults")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    if args.defaults:
        limits = LoginLimits()
    else:
        from usecases.settings import load_settings

        limits = load_settings().login.limits()
    scenarios = {
        # one name, one address
        "one name from one address": attack(limits, args.hours, _same("alice"), _same("198.51.100.1")),
        # one name from a new address every try (a botnet): the per-name count holds
        "one name from a new address per try": attack(limits, args.hours, _same("alice"), _numbered("10.0.")),
        # password spraying: one guess per name, all from one address: the per-address count holds
        "a new name per try from one address": attack(limits, args.hours, _numbered("user"), _same("198.51.100.1")),
    }
    if args.json:
        print(json.dumps({"limits": repr(limits), "hours": args.hours, "scenarios": scenarios}, indent=2))
        return 0
    print(f"limits: {limits}")
    print(f"simulated {args.hours:g} h of an attacker who retries the moment the throttle allows:\n")
    print(f"{'scenario':<40} {'guesses/h':>10} {'1st hour':>9} {'first lockout after':>20}")
    for name, r in scenarios.items():
        lock = f"{r['time_to_first_lockout_s']:.0f} s" if r["time_to_first_lockout_s"] is not None else "never"
        print(f"{name:<40} {r['per_hour']:>10.1f} {r['first_hour']:>9} {lock:>20}")
    quiet = limits.user.free_failures * 3600 / limits.window_s
    print(f"\nwithout ever waiting (free failures only): {quiet:.0f} guesses/h per name")
    return 0


if __name__ == "__main__":
    sys.exit(main())
