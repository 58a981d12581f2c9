"""One HTTP POST for everything callqa sends out (run alerts, the morning digest, webhooks for the CRM): urllib,
a timeout, and an outcome instead of an exception, so a receiver that is down never fails a run."""

from __future__ import annotations

import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Mapping

__all__ = ["WebhookResult", "post"]

JSON = "application/json; charset=utf-8"


@dataclass(frozen=True)
class WebhookResult:
    ok: bool
    status: int | None = None  # the HTTP status, when the server answered
    error: str = ""


def post(url: str, body: bytes, timeout: float, headers: Mapping[str, str] | None = None) -> WebhookResult:
    """POST ``body`` (JSON unless ``headers`` say otherwise) to an http(s) ``url``; a 2xx answer is ok. Never
    raises: refused, timed out, a bad host, TLS or an error status all come back as the result's ``error``."""
    if not url.lower().startswith(("http://", "https://")):
        return WebhookResult(False, error="not an http(s) URL")
    request = urllib.request.Request(url, data=body, method="POST", headers={"Content-Type": JSON, **(headers or {})})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return WebhookResult(True, response.status)
    except urllib.error.HTTPError as err:
        return WebhookResult(False, err.code, f"HTTP {err.code} {err.reason}")
    except Exception as err:  # refused, timed out, bad host, TLS: all the same to the caller
        return WebhookResult(False, error=f"{type(err).__name__}: {err}")
