"""Calls: submit a recording (upload or path), a call's status and results, its transcript and recording (as the
token's role may see them), the list of calls (filters, cursor paging) and reviewer verdicts."""

from __future__ import annotations

import json
from dataclasses import fields
from datetime import datetime
from typing import Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import FileResponse, JSONResponse, Response
from pydantic import BaseModel, Field
from starlette.datastructures import UploadFile

from api.security import Caller, needs
from storage.review_queue import QueueFilter
from usecases import api_calls
from usecases.api_calls import CallMetadata, Refused

router = APIRouter(tags=["calls"])

META_EXAMPLE = {"operator": "op.ivanova", "team": "retail", "queue": "cards", "site": "Tver", "vendor": "ContactPro",
                "direction": "inbound", "started_at": "2026-12-07T09:15:00", "customer_number": "+7 916 123-45-67",
                "external_id": "CRM-000123"}
META_FIELDS = tuple(f.name for f in fields(CallMetadata))  # what a submission may say of its call
SUBMITTED_EXAMPLE = {"call_id": "3f1c9a0be2d4475a8c11", "status": "queued", "duplicate": False}
RESULTS_EXAMPLE = {
    "call_id": "3f1c9a0be2d4475a8c11", "status": "processed", "external_id": "CRM-000123", "operator": "op.ivanova",
    "team": "retail", "started_at": "2026-12-07T09:15:00", "duration_s": 184.2, "language": "ru", "score": 82.5,
    "flags": ["escalation"], "scorecard": {"name": "inbound_support", "version": 5},
    "verdicts": [{"criterion": "greeting", "verdict": "pass", "auto_result": "pass", "method": "phrase",
                  "confidence": 0.93, "weight": 1.0, "critical": False, "reason": None,
                  "evidence": {"text": "Здравствуйте, банк ...", "start_s": 0.4, "end_s": 2.1}, "review": None}],
    "escalations": [{"category": "manager", "method": "phrase", "confidence": 0.9,
                     "evidence": {"text": "позовите руководителя", "start_s": 95.0, "end_s": 96.8}}],
    "metrics": {"handle_time_s": 184.2}, "sentiment": {"customer_start": 0.1, "customer_end": -0.2},
    "reason": "card_blocked", "outcome": "resolved", "predicted_satisfaction": 3.6, "csat": None}


class PathSubmission(BaseModel):
    """A recording the server can read, and its metadata."""

    path: str = Field(description="absolute path under the inbox or an `api_allowed_roots` folder")
    operator: str | None = None
    team: str | None = None
    queue: str | None = None
    site: str | None = None
    vendor: str | None = None
    direction: str | None = None
    started_at: str | None = Field(None, description="ISO time the call started")
    customer_number: str | None = Field(None, description="hashed with the installation's key; never kept in clear")
    external_id: str | None = Field(None, description="the CRM's own id of the call")

    model_config = {"json_schema_extra": {"examples": [{"path": "/mnt/pbx/2026-12-07/call-0042.wav", **META_EXAMPLE}]}}


SUBMIT_BODY = {
    "requestBody": {"required": True, "content": {
        "multipart/form-data": {"schema": {
            "type": "object", "required": ["file"],
            "properties": {"file": {"type": "string", "format": "binary", "description": "the recording"},
                           **{k: {"type": "string"} for k in META_EXAMPLE}}},
            "example": META_EXAMPLE},
        "application/json": {"schema": {"$ref": "#/components/schemas/PathSubmission"}},
    }},
}


@router.post("/calls", status_code=202, summary="Submit a recording (multipart upload, or JSON with a path)",
             openapi_extra=SUBMIT_BODY,
             responses={202: {"description": "queued (or known already: the same content gives the same id)",
                              "content": {"application/json": {"example": SUBMITTED_EXAMPLE}}},
                        400: {"description": "not a recording, a path outside the allowed roots, bad metadata"},
                        411: {"description": "no Content-Length"}, 413: {"description": "larger than the limit"}})
async def submit(request: Request, who: Caller = Depends(needs("calls:submit"))) -> JSONResponse:
    settings = request.app.state.settings
    content_type = request.headers.get("content-type", "")
    if content_type.startswith("multipart/form-data"):
        form = await request.form(max_files=1, max_fields=len(META_FIELDS) + 1)
        upload = form.get("file")
        if not isinstance(upload, UploadFile) or not upload.filename:
            raise Refused("file: a multipart part named 'file' with the recording is required")
        meta = _metadata({k: v for k, v in form.items() if k != "file" and isinstance(v, str)})
        done = await run_in_threadpool(api_calls.submit_upload, settings, upload.file, upload.filename, meta,
                                       request.app.state.max_upload_bytes, who.token_name)
        await upload.close()
    elif content_type.startswith("application/json"):
        try:
            body = PathSubmission.model_validate(json.loads(await request.body()))
        except ValueError as err:
            raise Refused(f"a JSON object with a path is expected: {err}".splitlines()[0]) from None
        given = body.model_dump(exclude={"path"})
        done = await run_in_threadpool(api_calls.submit_path, settings, body.path, CallMetadata(**given),
                                       who.token_name)
    else:
        return JSONResponse({"error": "unsupported_media_type",
                             "detail": "send multipart/form-data (file=...) or application/json ({\"path\": ...})"},
                            status_code=415)
    request.state.call_id = done.call_id
    return JSONResponse({"call_id": done.call_id, "status": done.status, "duplicate": done.duplicate},
                        status_code=202, headers={"Location": f"/v1/calls/{done.call_id}"})


def _metadata(given: dict[str, str]) -> CallMetadata:
    unknown = set(given) - set(META_FIELDS)
    if unknown:
        raise Refused(f"unknown fields {sorted(unknown)}; known: {', '.join(META_FIELDS)}")
    return CallMetadata(**{k: (v or None) for k, v in given.items()})


@router.get("/calls/{call_id}", summary="A call's status and results",
            responses={200: {"content": {"application/json": {"example": RESULTS_EXAMPLE}}},
                       404: {"description": "no such call, or not one this token may see"}})
def call_results(request: Request, call_id: str, who: Caller = Depends(needs("calls:read"))) -> dict:
    return api_calls.results(request.app.state.db, who.user, call_id)


@router.get("/calls/{call_id}/transcript", summary="Who said what, when (masked unless the token is admin)",
            responses={200: {"content": {"application/json": {"example": {
                "call_id": "3f1c9a0be2d4475a8c11", "language": "ru", "masked": True,
                "segments": [{"idx": 0, "speaker": "operator", "start_s": 0.4, "end_s": 2.1,
                              "text": "Здравствуйте, меня зовут [NAME]", "asr_confidence": 0.91}]}}}}})
def transcript(request: Request, call_id: str, who: Caller = Depends(needs("transcripts:read"))) -> dict:
    return api_calls.transcript(request.app.state.db, who.user, call_id)


@router.get("/calls/{call_id}/recording", response_model=None,
            summary="The recording (admin: the original; others: Ogg Opus with personal data silenced)",
            responses={200: {"content": {"audio/ogg": {}, "application/octet-stream": {}}},
                       410: {"description": "the recording is no longer kept (retention or erasure)"}})
def recording(request: Request, call_id: str, who: Caller = Depends(needs("recordings:read"))) -> Response:
    try:
        found = api_calls.recording(request.app.state.db, who.user, call_id)
    except FileNotFoundError:
        return JSONResponse({"error": "gone", "detail": "the recording is no longer kept"}, status_code=410)
    if found.path is not None:
        return FileResponse(found.path, media_type=found.media_type, filename=f"{call_id}{found.path.suffix}")
    return Response(found.data, media_type=found.media_type,
                    headers={"Content-Disposition": f'attachment; filename="{call_id}.ogg"'})


@router.get("/calls", summary="Processed calls, latest first, with filters and cursor paging",
            responses={200: {"content": {"application/json": {"example": {
                "calls": [{"call_id": "3f1c9a0be2d4475a8c11", "call_at": "2026-12-07T09:15:00",
                           "operator": "op.ivanova", "team": "retail", "queue": "cards",
                           "external_id": "CRM-000123", "duration_s": 184.2, "score": 82.5,
                           "flags": ["escalation"]}],
                "next_cursor": "WyIyMDI2LTEyLTA3VDA5OjE1OjAwIiwgIjNmMWM5YTBiZTJkNDQ3NWE4YzExIl0"}}}}})
def list_calls(request: Request, who: Caller = Depends(needs("calls:read")),
               since: datetime | None = Query(None, description="calls at or after this time"),
               until: datetime | None = Query(None, description="calls before this time"),
               operator: list[str] = Query([]), team: list[str] = Query([]), queue: list[str] = Query([]),
               flag: list[str] = Query([], description="any of these flags"),
               flagged: bool = Query(False, description="only calls with a flag"),
               min_score: float | None = None, max_score: float | None = None,
               cursor: str | None = Query(None, description="next_cursor of the previous page"),
               limit: int = Query(100, ge=1, le=1000)) -> dict:
    filt = QueueFilter(since=since, until=until, operators=tuple(operator), teams=tuple(team), queues=tuple(queue),
                       flags=tuple(flag), flagged_only=flagged, min_score=min_score, max_score=max_score)
    page = api_calls.list_calls(request.app.state.db, who.user, filt, cursor, limit)
    return {"calls": [{"call_id": c.call_id, "call_at": c.call_at.isoformat(), "operator": c.operator_id,
                       "team": c.team, "queue": c.queue, "external_id": c.external_id, "duration_s": c.duration_s,
                       "score": c.score, "flags": list(c.flags)} for c in page.items],
            "next_cursor": page.next_cursor}


class VerdictIn(BaseModel):
    criterion: str = Field(description="the scorecard criterion's id")
    verdict: Literal["pass", "fail", "na"]
    comment: str | None = Field(None, max_length=2000)

    model_config = {"json_schema_extra": {"examples": [
        {"criterion": "greeting", "verdict": "fail", "comment": "no company name"}]}}


@router.post("/calls/{call_id}/verdicts", status_code=201, summary="A reviewer's verdict on one criterion",
             responses={201: {"content": {"application/json": {"example": {
                 "call_id": "3f1c9a0be2d4475a8c11", "criterion": "greeting", "verdict": "fail", "stored": True}}}},
                 404: {"description": "no such call or criterion, or not one this token may see"}})
def post_verdict(request: Request, call_id: str, body: VerdictIn,
                 who: Caller = Depends(needs("reviews:write"))) -> dict:
    stored = api_calls.save_verdict(request.app.state.db, who.user, call_id, body.criterion, body.verdict,
                                    body.comment)
    # stored False: the nightly run held the database; the verdict waits in the journal and is not lost.
    return {"call_id": call_id, "criterion": body.criterion, "verdict": body.verdict, "stored": stored}
