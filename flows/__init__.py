"""Prefect flows that wire the pipeline's stages together."""

import os

# Offline by default: the temporary Prefect server must not try to send usage telemetry.
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
# Flows started without `callqa run` (tests, `python -m flows.nightly`) let Prefect start its temporary
# server itself: give it the product's default start-up time too (callqa run uses prefect_startup_timeout_s).
os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "120")
