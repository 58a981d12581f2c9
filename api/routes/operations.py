"""For operations: ``GET /metrics`` (Prometheus) and ``GET /v1/health/checks`` (every check ``callqa health``
makes, with what it found). Both need a token with ``metrics:read``: the figures are no one's personal data,
but the checks name paths and the counts are the business's own."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, Response

from api.security import Caller, needs
from usecases.health import health
from usecases.metrics import CONTENT_TYPE, metrics_text

router = APIRouter(tags=["operations"])


@router.get("/metrics", summary="Prometheus metrics: calls by status, audio hours, stage times, queue, last run",
            response_class=Response,
            responses={200: {"content": {CONTENT_TYPE: {"example": "callqa_up 1.0\n"}}}})
def metrics(request: Request, who: Caller = Depends(needs("metrics:read"))) -> Response:
    return Response(metrics_text(request.app.state.settings), media_type=CONTENT_TYPE)


@router.get("/v1/health/checks", summary="The operational checks: database and schema, last run's age, models, disk",
            responses={200: {"content": {"application/json": {"example": {
                "ok": True, "checked_at": "2026-12-07T06:00:00+00:00",
                "checks": {"database": {"ok": True, "detail": "schema version 29"}}}}}},
                       503: {"description": "a check failed (the body says which)"}})
def checks(request: Request, who: Caller = Depends(needs("metrics:read"))) -> JSONResponse:
    found = health(request.app.state.settings)
    return JSONResponse(found.as_dict(), status_code=200 if found.ok else 503)
