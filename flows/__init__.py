"""Prefect flows that wire the pipeline's stages together."""

import os

# Offline by default: the temporary Prefect server must not try to send usage telemetry.
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
