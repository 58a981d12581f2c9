"""A CRM's webhook receiver on 127.0.0.1, written the way the README tells integrators to: it verifies the
``X-Callqa-Signature`` (HMAC-SHA256 of ``timestamp.body``), refuses old timestamps and replayed deliveries, and
keeps each event it accepts. ``script`` makes it fail on purpose: a list of what to do per request, in order
("ok", an HTTP status such as 500, or "slow": hang up after ``slow_s`` without an answer); when the list runs
out it answers ok."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Iterator

TOLERANCE_S = 300  # a signature older (or newer) than this is refused: a captured request replayed later


def verify(secret: bytes, headers, body: bytes, seen: set[str], tolerance_s: int = TOLERANCE_S) -> str:
    """"" when the request is genuine and new; else why it is refused (the README's receiver, line for line)."""
    timestamp = headers.get("X-Callqa-Timestamp", "")
    signature = headers.get("X-Callqa-Signature", "")
    if not timestamp.isdigit() or abs(time.time() - int(timestamp)) > tolerance_s:
        return "stale or missing timestamp"
    expected = "sha256=" + hmac.new(secret, timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, signature):
        return "bad signature"
    delivery = headers.get("X-Callqa-Delivery", "")
    if not delivery or delivery in seen:
        return "replayed delivery"
    seen.add(delivery)
    return ""


@dataclass
class Receiver:
    url: str
    secret: bytes
    script: list = field(default_factory=list)
    slow_s: float = 3.0
    accepted: list[dict] = field(default_factory=list)  # {"headers": {...}, "body": {...}}
    refused: list[str] = field(default_factory=list)  # why each refused request was refused
    requests: int = 0
    seen: set[str] = field(default_factory=set)

    def events(self, event_type: str | None = None) -> list[dict]:
        return [a["body"] for a in self.accepted if event_type is None or a["body"]["type"] == event_type]


@contextmanager
def receiver(secret: bytes, script: list | None = None, slow_s: float = 3.0) -> Iterator[Receiver]:
    state = Receiver("", secret, list(script or []), slow_s)
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 - http.server's hook name
            body = self.rfile.read(int(self.headers["Content-Length"]))
            with lock:
                state.requests += 1
                step = state.script.pop(0) if state.script else "ok"
            if step == "slow":  # answers after the sender gave up: never counted as received
                time.sleep(state.slow_s)
                return
            if step != "ok":
                self.send_response(int(step))
                self.end_headers()
                return
            with lock:
                why = verify(state.secret, self.headers, body, state.seen)
                if why:
                    state.refused.append(why)
                else:
                    state.accepted.append({"headers": dict(self.headers), "body": json.loads(body)})
            self.send_response(401 if why else 200)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}/crm/hooks/qa?token=s3cret"
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
