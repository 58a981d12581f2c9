"""``GET /v1/health``: cheap, no token: the database can be read and its schema version."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from usecases.api_calls import health as read_health

router = APIRouter(tags=["health"])


@router.get("/health", summary="Is the database readable, and at which schema version",
            responses={200: {"content": {"application/json": {"example": {"status": "ok", "schema_version": 27}}}},
                       503: {"description": "the database cannot be read now"}})
def health(request: Request) -> JSONResponse:
    found = read_health(request.app.state.db)
    return JSONResponse(found, status_code=200 if found["status"] == "ok" else 503)
