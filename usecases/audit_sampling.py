"""The audit sample (issue #18): calls drawn at random from a period, flagged or not, so that reviewers judge
calls the automatic checks did not pick and their verdicts measure what the checks miss.

Calls are grouped into strata (``settings.sampling.strata``: operator, team, queue, language, channels) and
``per_stratum`` calls drawn from each (all of a smaller stratum). The draw is an order, not a random state:
within a stratum calls go by the SHA-256 of the seed, the sample's id (its period) and the call id, and the
first ones are taken. So the same seed and period give the same calls on any machine, another seed other
calls, and a draw repeated (the nightly flow rerun, ``callqa sample`` after it) only tops up a stratum that
has fewer than ``per_stratum`` calls in the sample (e.g. late calls of a new operator): it never adds a row
twice (``storage.audit_samples``)."""

from __future__ import annotations

import hashlib
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

import duckdb

from storage import audit_samples
from storage.audit_samples import Candidate, SampledCall
from storage.db import connect, now
from usecases.settings import SamplingSettings, Settings

NIGHTLY = "nightly"  # drawn_by of the nightly flow's draws


@dataclass(frozen=True)
class SamplePeriod:
    """A sample's id and the calls' period it draws from, [since, until)."""

    sample_id: str
    since: datetime
    until: datetime


def night(day: date) -> SamplePeriod:
    """The sample of one day's calls: the nightly flow's, and ``callqa sample --latest-night``."""
    start = datetime.combine(day, time())
    return SamplePeriod(f"night-{day.isoformat()}", start, start + timedelta(days=1))


def period(since: datetime, until: datetime) -> SamplePeriod:
    """The sample of [since, until): one whole day is that night's sample, so an on-demand draw of it adds
    to the nightly one instead of drawing a second sample of the same calls."""
    if until <= since:
        raise ValueError(f"the period is empty ({since:%Y-%m-%d %H:%M} to {until:%Y-%m-%d %H:%M})")
    whole_days = since.time() == time() and until.time() == time()
    if whole_days and until - since == timedelta(days=1):
        return night(since.date())
    written = (f"{since:%Y-%m-%d}..{until:%Y-%m-%d}" if whole_days
               else f"{since:%Y-%m-%dT%H:%M}..{until:%Y-%m-%dT%H:%M}")
    return SamplePeriod(f"period-{written}", since, until)


def stratum_of(call: Candidate, strata: tuple[str, ...]) -> str:
    """The stratum's name, e.g. ``operator=op.ivanov; channels=stereo`` (``-`` for an unknown value)."""
    if not strata:
        return "all"
    return "; ".join(f"{name}={getattr(call, name) or '-'}" for name in strata)


def rank(seed: str, sample_id: str, call_id: str) -> str:
    """A call's place in its stratum's draw: the same for the same seed and sample on any machine."""
    return hashlib.sha256(f"{seed}\x1f{sample_id}\x1f{call_id}".encode()).hexdigest()


def choose(candidates: list[Candidate], already: set[str], sampling: SamplingSettings,
           sample_id: str) -> list[tuple[str, str]]:
    """(call id, stratum) of the calls to add: per stratum, the first calls in ``rank`` order not yet in the
    sample, until the stratum has ``per_stratum`` calls in it (or has no more)."""
    by_stratum: dict[str, list[Candidate]] = defaultdict(list)
    for call in candidates:
        by_stratum[stratum_of(call, sampling.strata)].append(call)
    chosen: list[tuple[str, str]] = []
    for stratum in sorted(by_stratum):
        calls = by_stratum[stratum]
        need = sampling.per_stratum - sum(1 for c in calls if c.call_id in already)
        fresh = sorted((c for c in calls if c.call_id not in already),
                       key=lambda c: rank(sampling.seed, sample_id, c.call_id))
        chosen += [(c.call_id, stratum) for c in fresh[:max(need, 0)]]
    return chosen


@dataclass(frozen=True)
class Draw:
    """What a draw did: the sample, the period's calls and strata, the calls it added and all calls in it."""

    sample: SamplePeriod
    seed: str
    per_stratum: int
    strata: tuple[str, ...]
    drawn_by: str
    population: int  # processed calls of the period
    strata_count: int
    added: list[SampledCall] = field(default_factory=list)
    calls: list[SampledCall] = field(default_factory=list)  # everything in the sample now

    def to_json(self) -> dict[str, Any]:
        return {
            "sample_id": self.sample.sample_id,
            "since": self.sample.since.isoformat(),
            "until": self.sample.until.isoformat(),
            "seed": self.seed,
            "per_stratum": self.per_stratum,
            "strata": list(self.strata),
            "drawn_by": self.drawn_by,
            "population": self.population,
            "strata_count": self.strata_count,
            "added": len(self.added),
            "calls": [{"call_id": c.call_id, "stratum": c.stratum, "drawn_at": c.drawn_at.isoformat(),
                       "drawn_by": c.drawn_by} for c in self.calls],
        }


def draw_into(con: duckdb.DuckDBPyConnection, sampling: SamplingSettings, sample: SamplePeriod,
              drawn_by: str) -> Draw:
    """Draws ``sample`` (or tops it up) in an open, writable database."""
    calls = audit_samples.candidates(con, sample.since, sample.until)
    strata = {stratum_of(c, sampling.strata) for c in calls}
    added: list[SampledCall] = []
    if sampling.per_stratum > 0:
        already = {c.call_id for c in audit_samples.drawn(con, sample.sample_id)}
        at = now()
        added = [SampledCall(sample.sample_id, call_id, stratum, at, drawn_by, sampling.seed, sample.since,
                             sample.until)
                 for call_id, stratum in choose(calls, already, sampling, sample.sample_id)]
        audit_samples.add(con, added)
    return Draw(sample, sampling.seed, sampling.per_stratum, sampling.strata, drawn_by, len(calls), len(strata),
                added, audit_samples.drawn(con, sample.sample_id))


def draw(settings: Settings, sample: SamplePeriod, drawn_by: str) -> Draw:
    with connect(settings.storage.db) as con:
        return draw_into(con, settings.sampling, sample, drawn_by)


def samples_of_call(con: duckdb.DuckDBPyConnection, call_id: str) -> list[SampledCall]:
    """The audit samples a call was drawn in, first drawn first (the call page says so)."""
    return audit_samples.samples_of_call(con, call_id)


def latest_night(settings: Settings) -> SamplePeriod | None:
    """The sample of the last day with processed calls (None: no call yet)."""
    with connect(settings.storage.db, read_only=True) as con:
        day = audit_samples.latest_call_day(con)
    return None if day is None else night(day)


def draw_nights_of_run(settings: Settings, run_id: str) -> list[Draw]:
    """The nightly flow's draw after a run: each day whose calls the run brought in, drawn (or topped up)."""
    if settings.sampling.per_stratum == 0:
        return []
    with connect(settings.storage.db) as con:
        days = audit_samples.call_days_of_run(con, run_id)
        return [draw_into(con, settings.sampling, night(day), NIGHTLY) for day in days]
