"""Prefect flows, tasks and deployments around the use cases (``usecases``): the work is there, the
wiring (retries, task runners, artifacts, schedules, the temporary server, progress) is here."""

import os

# Offline by default: the temporary Prefect server must not try to send usage telemetry.
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
# Flows started without `callqa run` (tests, `python -m flows.nightly`) let Prefect start its temporary
# server itself: give it the product's default start-up time too (callqa run uses prefect_startup_timeout_s).
os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "120")

__all__ = [
    "analysis",
    "insights",
    "nightly",
    "periodic_reports",
    "progress",
    "retention",
    "run_report",
    "runners",
    "satisfaction",
    "schedule",
    "server",
    "server_guard",
]
