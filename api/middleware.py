"""Two things every request passes through before and after its route: the body's size checked from its
``Content-Length`` before a byte is read (413; a body without one: 411), and one audit row once it is
answered (usecases.api_audit, written in batches)."""

from __future__ import annotations

import json
import time
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from usecases.api_audit import AuditLog, new_row


class GuardAndAudit:
    def __init__(self, app: ASGIApp, audit: AuditLog, max_body_bytes: int):
        self.app = app
        self.audit = audit
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        scope.setdefault("state", {})  # the route's request.state writes the token's name here
        status = {"code": 500}

        async def sending(message: Message) -> None:
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
            await send(message)

        try:
            refusal = self._size_refusal(scope)
            if refusal is not None:
                await _answer(sending, *refusal)
            else:
                await self.app(scope, receive, sending)
        finally:
            state: dict[str, Any] = scope.get("state") or {}
            params = scope.get("path_params") or {}
            client = scope.get("client")
            self.audit.add(new_row(
                state.get("token_name"), scope["method"], scope["path"][:500], status["code"],
                client[0] if client else "", params.get("call_id") or state.get("call_id"),
                (time.perf_counter() - started) * 1000))

    def _size_refusal(self, scope: Scope) -> tuple[int, str, str] | None:
        if scope["method"] not in ("POST", "PUT", "PATCH"):
            return None
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        length = headers.get("content-length")
        if length is None:
            return 411, "length_required", "send the body with a Content-Length"
        try:
            size = int(length)
        except ValueError:
            return 400, "bad_request", "Content-Length is not a number"
        if size > self.max_body_bytes:
            return 413, "too_large", f"the body is larger than {self.max_body_bytes} bytes"
        return None


async def _answer(send: Send, status: int, error: str, detail: str) -> None:
    body = json.dumps({"error": error, "detail": detail}).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
                            (b"connection", b"close")]})
    await send({"type": "http.response.body", "body": body})
