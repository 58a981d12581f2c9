"""``create_app(settings)``: the FastAPI application, its routes, its error answers, the size guard and audit
around every request, and the audit's flusher for the server's lifetime."""

from __future__ import annotations

from contextlib import asynccontextmanager
from typing import AsyncIterator

from fastapi import FastAPI

from api import errors
from api.limits import RateLimiter
from api.middleware import GuardAndAudit
from api.routes import calls, health, operations, reports, writes
from usecases.api_audit import AuditLog
from usecases.settings import Settings

VERSION = "1.0.0"
DESCRIPTION = """\
Submit recordings, poll their analysis, read results, transcripts and recordings, and write reviewer
verdicts, survey scores and erasure requests.

Every route but `/v1/health` takes `Authorization: Bearer <token>` (`callqa tokens create NAME --role ROLE
--scope SCOPE`). A token acts with its role: only **admin** tokens see personal data unmasked, an
**operator** token sees only its operator's calls (masked), verdicts need a reviewer or admin token. A
missing, unknown, expired or revoked token gets 401; a missing scope or role 403; a call that does not
exist and one the token may not see both get 404. Each token may make `api_rate_per_minute` requests a
minute (429 with `Retry-After` beyond). Errors are `{"error": "...", "detail": "..."}`.
"""
# Multipart overhead beyond the recording itself (boundaries, metadata fields) allowed by the size guard.
FORM_OVERHEAD_BYTES = 64 * 1024


def create_app(settings: Settings) -> FastAPI:
    audit = AuditLog(str(settings.storage.db), settings.api.audit_flush_s)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        audit.start()
        try:
            yield
        finally:
            audit.close()

    app = FastAPI(title="callqa API", version=VERSION, description=DESCRIPTION, lifespan=lifespan,
                  # No docs pages: FastAPI's load their scripts from a public CDN (nothing here leaves the network).
                  docs_url=None, redoc_url=None, openapi_url="/v1/openapi.json")
    app.state.settings = settings
    app.state.db = str(settings.storage.db)
    app.state.limiter = RateLimiter(settings.api.rate_per_minute)
    app.state.audit = audit
    max_upload = int(settings.api.max_upload_mb * 1024 * 1024)
    app.state.max_upload_bytes = max_upload
    app.add_middleware(GuardAndAudit, audit=audit, max_body_bytes=max_upload + FORM_OVERHEAD_BYTES)
    errors.install(app)
    for module in (health, calls, reports, writes):
        app.include_router(module.router, prefix="/v1")
    app.include_router(operations.router)  # /metrics where Prometheus looks for it
    return app


__all__ = ["create_app"]
