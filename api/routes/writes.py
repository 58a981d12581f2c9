"""Writes besides verdicts: survey scores (as `callqa import-csat`) and erasure requests (as `callqa erase`)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, Field

from api.security import Caller, needs
from usecases import api_calls

router = APIRouter(tags=["writes"])


class Survey(BaseModel):
    call_id: str
    score: int = Field(ge=1, le=5, description="CSAT 1-5")


class CsatIn(BaseModel):
    surveys: list[Survey] = Field(min_length=1, max_length=10_000)

    model_config = {"json_schema_extra": {"examples": [{"surveys": [{"call_id": "3f1c9a0be2d4475a8c11", "score": 4}]}]}}


@router.post("/csat", summary="Survey scores for calls (the latest import wins, as with `callqa import-csat`)",
             responses={200: {"content": {"application/json": {"example": {
                 "stored": 1, "added": 1, "updated": 0, "unchanged": 0, "unmatched": []}}}}})
def post_csat(request: Request, body: CsatIn, who: Caller = Depends(needs("csat:write"))) -> dict:
    result = api_calls.import_surveys(request.app.state.db, [(s.call_id, s.score) for s in body.surveys],
                                      f"api:{who.token_name}")
    data = result.to_json()
    data.pop("source", None)
    return data


class ErasureIn(BaseModel):
    customer_numbers: list[str] = Field(min_length=1, max_length=1000, description="phone numbers, any format")
    reason: str = Field("", max_length=500, description="kept in the deletion audit (no numbers here)")

    model_config = {"json_schema_extra": {"examples": [
        {"customer_numbers": ["+7 916 123-45-67"], "reason": "GDPR request 2026-118"}]}}


@router.post("/erasures", summary="Erase every call of customers' numbers (as `callqa erase`), audited; their "
                                 "recordings still queued in the inbox too",
             responses={200: {"content": {"application/json": {"example": {
                 "complete": True, "rewrite_error": None, "queued_deleted": 0,
                 "erasures": [{"customer_hash": "9c1d...", "calls": 2, "call_ids": ["3f1c9a0be2d4475a8c11", "..."],
                               "deletion_id": "d-...", "files_deleted": 2, "files_left": 0, "complete": True}]}}}}})
def post_erasures(request: Request, body: ErasureIn, who: Caller = Depends(needs("erasure:write"))) -> dict:
    return api_calls.erase(request.app.state.settings, body.customer_numbers, body.reason, f"api:{who.token_name}")
