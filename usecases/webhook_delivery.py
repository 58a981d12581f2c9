"""Delivering the webhook outbox (``storage.webhooks``) to the CRM's receivers: signed JSON POSTs, retried.

``deliver_pending(settings)`` is the one entry point: the nightly housekeeping calls it after each run, and
`callqa webhooks deliver` (or a watcher) whenever it likes. A pass gives each new event a delivery per
endpoint that wants its type, then tries each due delivery up to ``QUICK_TRIES`` times with short pauses
(exponential, jittered). A delivery still failing is left pending with ``next_attempt_at`` (``webhook_backoff_s``
doubled per pass, jittered) for a later pass, until ``webhook_max_attempts`` tries, then marked failed. An
endpoint that fails a delivery's quick tries is skipped for the rest of the pass (its deliveries wait, without
spending tries). Every try is in the delivery log. Nothing here raises into a run: failures are logged.

Delivery is at least once: a deliverer killed between a receiver's 200 and the log's write sends the event
again later, so receivers deduplicate by the ``X-Callqa-Event-Id`` header (the body's ``id``).

Each POST carries ``X-Callqa-Event`` (the type), ``X-Callqa-Event-Id``, ``X-Callqa-Delivery`` (one id per try),
``X-Callqa-Timestamp`` (Unix seconds) and ``X-Callqa-Signature: sha256=HEX``, the HMAC-SHA256 under the secret
of ``TIMESTAMP + "." + BODY`` (README, *Webhooks*, shows a receiver verifying it).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import random
import time
import urllib.parse
import uuid
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Callable, Sequence

from pipeline.intake.customer_id import load_key
from storage import webhooks as outbox
from storage.db import connect, now, transaction
from storage.webhooks import Attempt, DeliveryRow, Due, Endpoint, Event
from usecases.digest_delivery import call_link
from usecases.http_post import WebhookResult, post
from usecases.settings import Settings, WebhookSettings

__all__ = ["DeliveryReport", "KEY_FILE", "deliver_after_run", "delivery_log", "deliver_pending", "envelope", "host",
           "next_attempt_delay", "replay", "sign", "webhook_secret"]

log = logging.getLogger(__name__)

KEY_FILE = "webhook.key"  # beside the database, like customer.key
QUICK_TRIES = 3  # tries of one delivery within a pass
QUICK_PAUSE_S = 0.5  # before the second quick try; doubled for the third, with jitter
MAX_BACKOFF_S = 24 * 3600.0
CLAIM_BATCH = 100  # deliveries claimed, tried, then written down at a time (the lease covers their tries)
USER_AGENT = "callqa-webhooks/1"


@dataclass(frozen=True)
class DeliveryReport:
    """What one pass did: deliveries queued for new events, tried, delivered, left for a later pass, given up."""

    queued: int = 0
    attempted: int = 0
    delivered: int = 0
    retrying: int = 0
    failed: int = 0
    tries: int = 0  # HTTP requests made
    deferred: int = 0  # not tried: their endpoint was failing in this pass

    def to_json(self) -> dict:
        return asdict(self)


# --- what is sent ---------------------------------------------------------------------------------------------

def webhook_secret(settings: Settings) -> bytes:
    """The HMAC key: ``webhook_secret`` when set, else the text of ``webhook.key`` beside the database (64 hex
    characters, created once with mode 0600; a receiver uses the same text)."""
    if settings.webhooks.secret:
        return settings.webhooks.secret.encode("utf-8")
    return load_key(Path(settings.storage.db).parent, KEY_FILE).hex().encode("ascii")


def sign(secret: bytes, timestamp: str, body: bytes) -> str:
    """``sha256=`` and the hex HMAC-SHA256 of ``timestamp + "." + body``: what X-Callqa-Signature carries."""
    return "sha256=" + hmac.new(secret, timestamp.encode("ascii") + b"." + body, hashlib.sha256).hexdigest()


def envelope(event: Event, app_url: str = "") -> dict:
    """The JSON body: the event's id, type and time (UTC), and its data with a link to the call in the app
    when ``digest_app_url`` is set."""
    data: dict[str, Any] = dict(event.data)
    if event.call_id and app_url:
        data["link"] = call_link(app_url, event.call_id)
    return {"id": event.event_id, "type": event.event_type, "created_at": event.created_at.isoformat() + "Z",
            "data": data}


def _headers(event: Event, delivery_id: str, timestamp: str, signature: str) -> dict[str, str]:
    return {"User-Agent": USER_AGENT, "X-Callqa-Event": event.event_type, "X-Callqa-Event-Id": event.event_id,
            "X-Callqa-Delivery": delivery_id, "X-Callqa-Timestamp": timestamp, "X-Callqa-Signature": signature}


def host(url: str) -> str:
    """Only the host for logs and listings: a receiver's path or query often holds its token."""
    return urllib.parse.urlsplit(url).netloc or "?"


# --- a pass -----------------------------------------------------------------------------------------------------

def next_attempt_delay(config: WebhookSettings, attempts: int) -> float:
    """Seconds before the next pass's try: ``backoff_s`` doubled for each pass already spent, times a random
    0.5-1 (so receivers coming back are not hit by every sender at once)."""
    passes = max((attempts - 1) // QUICK_TRIES, 0)
    return min(config.backoff_s * 2 ** passes, MAX_BACKOFF_S) * random.uniform(0.5, 1.0)


@dataclass
class _Tried:
    status: outbox.DeliveryStatus
    tries: list[Attempt]
    result: WebhookResult


def _try(due: Due, config: WebhookSettings, secret: bytes, app_url: str, sleep: Callable[[float], None]) -> _Tried:
    """A delivery's quick tries (no database connection is held meanwhile: the app keeps reading)."""
    body = json.dumps(envelope(due.event, app_url), ensure_ascii=False).encode("utf-8")
    attempts, tries = due.attempts, list[Attempt]()
    result = WebhookResult(False, error="webhook_max_attempts reached")  # lowered since it was queued
    while attempts < config.max_attempts and len(tries) < QUICK_TRIES:
        if tries:
            sleep(QUICK_PAUSE_S * 2 ** (len(tries) - 1) * random.uniform(0.5, 1.5))
        delivery_id, timestamp = uuid.uuid4().hex, str(int(time.time()))
        at, started = now(), time.perf_counter()
        result = post(due.endpoint, body, config.timeout_s,
                      _headers(due.event, delivery_id, timestamp, sign(secret, timestamp, body)))
        attempts += 1
        tries.append(Attempt(due.event, due.endpoint, delivery_id, attempts, at, result.status, result.error,
                             (time.perf_counter() - started) * 1000))
        if result.ok:
            return _Tried("delivered", tries, result)
    return _Tried("failed" if attempts >= config.max_attempts else "pending", tries, result)


@dataclass(frozen=True)
class _Settled:
    due: Due
    status: outbox.DeliveryStatus
    attempts: int
    at: datetime | None
    result: WebhookResult
    next_at: datetime | None


def deliver_pending(settings: Settings, logger: logging.Logger | logging.LoggerAdapter | None = None,
                    sleep: Callable[[float], None] = time.sleep) -> DeliveryReport:
    """One delivery pass over the outbox (see the module's docstring). Never raises for a receiver's failure;
    the database being locked for longer than ``storage.db.LOCK_RETRY_S`` does raise (callers log it)."""
    logger = logger or log
    config, db = settings.webhooks, str(settings.storage.db)
    endpoints = config.endpoints()
    if not endpoints:
        with connect(db) as con:
            return DeliveryReport(queued=outbox.dispatch(con, endpoints))
    configured = {e.url for e in endpoints}
    secret, app_url = webhook_secret(settings), settings.digest.app_url
    lease = timedelta(seconds=CLAIM_BATCH * QUICK_TRIES * (config.timeout_s + 2 * QUICK_PAUSE_S) + 60)
    down: dict[str, str] = {}  # endpoint -> the error that stopped it this pass
    counts = dict.fromkeys(("attempted", "delivered", "retrying", "failed", "tries", "deferred"), 0)
    queued, settled, tries = 0, list[_Settled](), list[Attempt]()
    pass_started = None
    while True:
        # One short connection per batch: write down the last batch's tries, claim the next. No connection is
        # held while POSTing (the app keeps reading), and one per try would cost more than the POSTs themselves.
        with connect(db) as con:
            if pass_started is None:
                queued = outbox.dispatch(con, endpoints)
                pass_started = now()  # deliveries put back in this pass are due after it: never tried twice in it
            with transaction(con):
                outbox.record_attempts(con, tries)
                outbox.settle(con, [outbox.Settled(s.due.event.event_id, s.due.endpoint, s.status, s.attempts, s.at,
                                                   s.result.status, None if s.result.ok else s.result.error,
                                                   s.next_at) for s in settled])
            claimed = outbox.claim_due(con, pass_started, now() + lease, CLAIM_BATCH)
        if not claimed:
            break
        settled, tries = [], []
        for due in claimed:
            if due.endpoint not in configured:  # removed from the settings since it was queued
                gone = WebhookResult(False, error="endpoint no longer configured")
                settled.append(_Settled(due, "failed", due.attempts, None, gone, None))
                counts["failed"] += 1
                continue
            if due.endpoint in down:
                wait = now() + timedelta(seconds=next_attempt_delay(config, max(due.attempts, 1)))
                settled.append(_Settled(due, "pending", due.attempts, None, WebhookResult(False, error=down[
                    due.endpoint]), wait))
                counts["deferred"] += 1
                continue
            tried = _try(due, config, secret, app_url, sleep)
            tries += tried.tries
            attempts = due.attempts + len(tried.tries)
            retry_at: datetime | None = None
            if tried.status == "pending":
                retry_at = now() + timedelta(seconds=next_attempt_delay(config, attempts))
                down[due.endpoint] = tried.result.error
            elif tried.status == "failed":
                if tried.tries:
                    down[due.endpoint] = tried.result.error
                logger.warning("webhook %s %s to %s failed for good after %d tries: %s", due.event.event_type,
                               due.event.event_id, host(due.endpoint), attempts, tried.result.error)
            settled.append(_Settled(due, tried.status, attempts, tried.tries[-1].at if tried.tries else None,
                                    tried.result, retry_at))
            counts["attempted"] += 1
            counts["tries"] += len(tried.tries)
            counts[{"delivered": "delivered", "pending": "retrying", "failed": "failed"}[tried.status]] += 1
    for url, error in down.items():
        logger.warning("webhook receiver at %s failing: %s (its deliveries wait for a later pass)", host(url), error)
    return DeliveryReport(queued=queued, **counts)


# --- the delivery log and replays ----------------------------------------------------------------------------------

def deliver_after_run(settings: Settings, logger: logging.Logger | logging.LoggerAdapter) -> DeliveryReport | None:
    """The pass a run (the nightly flow, a watcher's batch) makes last, when its events are all in the outbox:
    its figures logged, and any error logged rather than raised (the events wait for the next pass)."""
    try:
        report = deliver_pending(settings, logger)
    except Exception as err:  # noqa: BLE001 - e.g. the database locked for too long
        logger.error("webhooks not delivered: %s", err)
        return None
    if report.attempted or report.deferred:
        logger.info("webhooks: %d delivered, %d to retry later, %d failed for good", report.delivered,
                    report.retrying + report.deferred, report.failed)
    return report


def delivery_log(settings: Settings, failed_only: bool = False, limit: int = 100) -> list[DeliveryRow]:
    """The deliveries, newest event first, each with its last status and error (``failed_only``: the failed
    ones, and pending ones whose last try failed)."""
    with connect(settings.storage.db, read_only=True) as con:
        return outbox.delivery_log(con, failed_only, limit)


def replay(settings: Settings, event_ids: Sequence[str] = (), since: datetime | None = None,
           event_type: str | None = None) -> int:
    """Queue events again for every configured endpoint that wants them (the next pass sends them, with fresh
    tries): the given ids, or those created since ``since`` (of ``event_type`` only, when given). Returns the
    deliveries queued. ValueError for an unknown id or type, or when no endpoint is configured."""
    endpoints: Sequence[Endpoint] = settings.webhooks.endpoints()
    if not endpoints:
        raise ValueError("no webhook endpoints configured (webhook_urls): nothing to replay to")
    if event_type is not None and event_type not in outbox.EVENT_TYPES:
        raise ValueError(f"unknown event type {event_type!r} (known: {', '.join(outbox.EVENT_TYPES)})")
    if bool(event_ids) == (since is not None):
        raise ValueError("replay takes event ids or a time to replay since, not both")
    with connect(settings.storage.db) as con:
        if since is not None:
            ids = outbox.event_ids_since(con, since, event_type)
        else:
            known = set(outbox.known_event_ids(con, event_ids))
            unknown = [i for i in event_ids if i not in known]
            if unknown:
                raise ValueError(f"no webhook event {', '.join(unknown)}")
            ids = list(dict.fromkeys(event_ids))
        return outbox.requeue(con, ids, endpoints)
