"""Sending a run's alerts: POSTed as JSON to ``alert_webhook`` when one is set (the rules that
raise them are ``pipeline.stats.alerts``). Only figures and alerts leave the machine, never file
names or transcripts, and a webhook that fails is logged, never failing the run.
"""

from __future__ import annotations

import json
import logging
import urllib.parse
from typing import Mapping, Sequence

from pipeline.stats.alerts import Alert
from storage.run_report import RunReport
from usecases.http_post import WebhookResult, post
from usecases.settings import Settings

WEBHOOK_TIMEOUT_S = 5.0

log = logging.getLogger(__name__)


def post_webhook(url: str, payload: Mapping, timeout: float = 5.0,
                 logger: logging.Logger | logging.LoggerAdapter | None = None) -> WebhookResult:
    """POST ``payload`` as JSON. Never raises: a failure is logged (a warning) and returned, so an
    unreachable chat server cannot fail the nightly run."""
    logger = logger or log
    result = post(url, json.dumps(payload, ensure_ascii=False, default=str).encode("utf-8"), timeout)
    if not result.ok:
        # Only the host: a webhook's path often is its secret (chat servers put the token there).
        logger.warning("alert webhook at %s failed: %s", urllib.parse.urlsplit(url).netloc or "?", result.error)
    return result


def webhook_payload(report: RunReport, alerts: Sequence[Alert]) -> dict:
    """Figures and alerts only, no file names or transcripts. ``text`` makes it readable as is by
    Slack-compatible incoming webhooks (Mattermost, Rocket.Chat)."""
    heading = f"callqa {report.flow} run {report.run_id}: {len(alerts)} alert(s)"
    return {
        "text": "\n".join([heading, *(f"- {a.message}" for a in alerts)]),
        "run_id": report.run_id,
        "flow": report.flow,
        "started_at": report.started_at.isoformat(),
        "alerts": [a.to_json() for a in alerts],
        "metrics": report.metrics(),
        "baseline": {**report.baseline_metrics(), "runs": len(report.baseline)},
    }


def send_alerts(settings: Settings, report: RunReport, alerts: Sequence[Alert],
                logger: logging.Logger | logging.LoggerAdapter) -> WebhookResult | None:
    """POST the alerts to ``alert_webhook``; None when none is set or there is nothing to alert about."""
    if not alerts or not settings.alerts.webhook:
        return None
    return post_webhook(settings.alerts.webhook, webhook_payload(report, alerts), WEBHOOK_TIMEOUT_S, logger)
