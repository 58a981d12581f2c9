"""One JSON shape for every refusal (``{"error": ..., "detail": ...}``) and the mapping from the use cases' errors
to HTTP statuses: nothing of a traceback or a file path reaches the client."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from usecases.api_calls import NotFound, Refused, TooLarge
from usecases.shared_database import DatabaseBusy, DatabaseUnavailable

log = logging.getLogger(__name__)
BUSY_RETRY_S = 5  # the nightly run writes in short transactions: a few seconds later the database is free


def problem(status: int, error: str, detail: str, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"error": error, "detail": detail}, status_code=status, headers=headers)


NAMES = {400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found", 405: "method_not_allowed",
         410: "gone", 411: "length_required", 413: "too_large", 415: "unsupported_media_type",
         422: "invalid", 429: "rate_limited", 503: "unavailable"}


def install(app: FastAPI) -> None:
    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, err: StarletteHTTPException) -> JSONResponse:
        return problem(err.status_code, NAMES.get(err.status_code, "error"), str(err.detail),
                       dict(err.headers) if err.headers else None)

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, err: RequestValidationError) -> JSONResponse:
        fields = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in err.errors())
        return problem(422, "invalid", fields)

    @app.exception_handler(NotFound)
    async def not_found(request: Request, err: NotFound) -> JSONResponse:
        # The same answer for a call that does not exist and one this token may not see.
        return problem(404, "not_found", "no such call")

    @app.exception_handler(TooLarge)
    async def too_large(request: Request, err: TooLarge) -> JSONResponse:
        return problem(413, "too_large", str(err))

    @app.exception_handler(Refused)
    async def refused(request: Request, err: Refused) -> JSONResponse:
        return problem(400, "bad_request", str(err))

    @app.exception_handler(DatabaseBusy)
    async def busy(request: Request, err: DatabaseBusy) -> JSONResponse:
        return problem(503, "unavailable", "the database is busy (the nightly run is writing); try again shortly",
                       {"Retry-After": str(BUSY_RETRY_S)})

    @app.exception_handler(DatabaseUnavailable)
    async def unavailable(request: Request, err: DatabaseUnavailable) -> JSONResponse:
        log.warning("database unavailable: %s", err)
        return problem(503, "unavailable", "the database cannot be read now", {"Retry-After": str(BUSY_RETRY_S)})

    @app.exception_handler(ValueError)
    async def bad_value(request: Request, err: ValueError) -> JSONResponse:
        return problem(400, "bad_request", str(err))
