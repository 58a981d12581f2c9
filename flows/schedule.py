"""The schedules: the nightly flow, and the periodic reports flow, as Prefect deployments with cron schedules.

Building the deployment is kept apart from serving it, so the schedule can be checked
(`callqa schedule --dry-run`) and registered (tests: ``deployment.apply()``, what serving does first)
without starting the blocking runner.

Serving needs a real Prefect server: the temporary API that `callqa run` starts by itself
does not run Prefect's scheduler service, so a schedule registered there never fires.
"""

from __future__ import annotations

import asyncio
import os
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from usecases.settings import Settings

if TYPE_CHECKING:
    from prefect.deployments.runner import RunnerDeployment

DEPLOYMENT_NAME = "nightly"
DEFAULT_CRON = "0 2 * * *"
ENTRYPOINT = "flows.nightly.nightly"  # module path: found wherever callqa is installed, whatever the working directory
REPORTS_DEPLOYMENT_NAME = "periodic-reports"


class ScheduleError(ValueError):
    """A bad cron expression or timezone, or nowhere to serve: one line for the user (exit code 2)."""


@dataclass(frozen=True)
class NightlySchedule:
    """A validated cron expression and IANA timezone."""

    cron: str
    timezone: str

    def next_runs(self, n: int = 3, start: datetime | None = None) -> list[datetime]:
        """The next ``n`` run times (on or after ``start``, default now), in the schedule's timezone.

        Computed by the same code Prefect's scheduler service uses, so daylight-saving
        changes come out as the server will schedule them."""
        from prefect.server.schemas.schedules import CronSchedule

        schedule = CronSchedule(cron=self.cron, timezone=self.timezone)
        return list(asyncio.run(schedule.get_dates(n=n, start=start)))


def system_timezone() -> str:
    """The machine's IANA timezone ($TZ, /etc/timezone or the /etc/localtime link), else UTC.

    The default, because the plain cron line it replaces also runs at the machine's local time."""
    from zoneinfo import available_timezones

    known = available_timezones()
    candidates = [os.environ.get("TZ", "").lstrip(":")]
    try:
        candidates.append(Path("/etc/timezone").read_text(encoding="utf-8").strip())
    except OSError:
        pass
    try:
        link = os.path.realpath("/etc/localtime")
        if "zoneinfo/" in link:
            candidates.append(link.split("zoneinfo/", 1)[1])
    except OSError:
        pass
    return next((c for c in candidates if c in known), "UTC")


def check_schedule(cron: str, timezone: str | None = None) -> NightlySchedule:
    """Validate ``cron`` and ``timezone`` (None: the machine's) by Prefect's own rules; ScheduleError if bad."""
    from prefect.client.schemas.schedules import CronSchedule
    from pydantic import ValidationError

    cron = " ".join(cron.split())
    try:
        if len(cron.split()) != 5:  # croniter would also take a sixth (seconds) field: not cron as people read it
            raise ValueError("not five fields")
        CronSchedule(cron=cron)
    except (ValidationError, ValueError):
        raise ScheduleError(
            f'invalid cron expression "{cron}": expected minute hour day-of-month month day-of-week, '
            f'e.g. "{DEFAULT_CRON}" for 02:00 every day'
        ) from None
    zone = system_timezone() if timezone is None else timezone.strip()
    try:
        if not zone:
            raise ValueError("empty")
        CronSchedule(cron=cron, timezone=zone)
    except (ValidationError, ValueError):
        raise ScheduleError(f'unknown timezone "{zone}": use an IANA name such as Europe/Moscow or UTC') from None
    return NightlySchedule(cron, zone)


def nightly_parameters(settings: Settings) -> dict[str, Any]:
    """The flow's parameters from the settings, paths made absolute, so scheduled runs use this configuration."""
    return {
        "inbox": str(Path(settings.intake.inbox).resolve()),
        "db": str(Path(settings.storage.db).resolve()),
        "batch_size": settings.run.batch_size,
    }


def nightly_deployment(settings: Settings, cron: str = DEFAULT_CRON, timezone: str | None = None) -> RunnerDeployment:
    """The nightly flow as a deployment named "nightly" with one cron schedule; nothing is registered yet."""
    from flows.nightly import nightly

    return _deployment(nightly, DEPLOYMENT_NAME, check_schedule(cron, timezone), nightly_parameters(settings),
                       "Scan the inbox, analyse new recordings, store the results (callqa).")


def _deployment(flow: Any, name: str, schedule: NightlySchedule, parameters: dict[str, Any],
                description: str) -> RunnerDeployment:
    """A flow as a callqa deployment on one cron schedule."""
    from prefect.deployments.runner import EntrypointType
    from prefect.schedules import Cron

    return flow.to_deployment(
        name=name,
        schedules=[Cron(schedule.cron, timezone=schedule.timezone)],
        parameters=parameters,
        # One run at a time: DuckDB has one writer, and a late run must not overlap the next.
        concurrency_limit=1,
        description=description,
        tags=["callqa"],
        entrypoint_type=EntrypointType.MODULE_PATH,
    )


def reports_parameters(settings: Settings) -> dict[str, Any]:
    return {
        "period": settings.reports.period,
        "db": str(Path(settings.storage.db).resolve()),
        "reports_dir": str(Path(settings.reports.dir or Path(settings.storage.db).parent / "reports").resolve()),
    }


def reports_deployment(settings: Settings, cron: str | None = None, timezone: str | None = None) -> RunnerDeployment:
    """The periodic reports flow as a deployment "periodic-reports" on ``cron`` (default ``reports_cron``:
    Monday 06:00, after the night's run); each run writes the last complete period's reports."""
    from flows.periodic_reports import periodic_reports

    return _deployment(periodic_reports, REPORTS_DEPLOYMENT_NAME,
                       check_schedule(cron or settings.reports.cron, timezone),
                       reports_parameters(settings),
                       "Write the QA reports (HTML and Excel, per team and site) of the last complete period (callqa).")


def schedule_of(deployment: RunnerDeployment) -> NightlySchedule:
    """The cron schedule a deployment made by ``nightly_deployment`` carries."""
    from prefect.client.schemas.schedules import CronSchedule

    inner = deployment.schedules[0].schedule if deployment.schedules else None
    if not isinstance(inner, CronSchedule):
        raise ScheduleError(f"deployment {deployment.name} has no cron schedule")
    return NightlySchedule(inner.cron, inner.timezone or "UTC")


def describe(deployment: RunnerDeployment, runs: int = 3, start: datetime | None = None) -> dict[str, Any]:
    """What `callqa schedule` would serve, as JSON-ready data."""
    schedule = schedule_of(deployment)
    return {
        "deployment": deployment.full_name,
        "entrypoint": deployment.entrypoint,
        "cron": schedule.cron,
        "timezone": schedule.timezone,
        "next_runs": [d.isoformat() for d in schedule.next_runs(runs, start)],
        "parameters": deployment.parameters,
        "concurrency_limit": deployment.concurrency_limit,
        "prefect_api_url": api_url(),  # null: serving would fail, no Prefect server is configured
    }


def api_url() -> str | None:
    """The configured Prefect server (PREFECT_API_URL, from the environment or the Prefect profile)."""
    from prefect.settings import PREFECT_API_URL

    return PREFECT_API_URL.value() or None


def serve_nightly(deployment: RunnerDeployment, *others: RunnerDeployment) -> None:
    """Register the deployments (the nightly one, and the reports one) and run their scheduled runs
    in this process until stopped (blocking)."""
    from prefect import serve

    if api_url() is None:
        raise ScheduleError(
            "no Prefect server configured: start one (`prefect server start`) and set "
            "PREFECT_API_URL=http://127.0.0.1:4200/api; the temporary API does not run schedules"
        )
    # limit=1: this process runs one flow run at a time, on top of the deployments' own limits; the
    # reports then wait for a night's run still writing the database, instead of failing on its lock.
    serve(deployment, *others, limit=1)
