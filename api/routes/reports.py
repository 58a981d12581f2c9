"""Reports for staff tokens: operators' scores, coaching topics, and the nightly runs' reports."""

from __future__ import annotations

from datetime import datetime, timedelta

from fastapi import APIRouter, Depends, Query, Request

from api.security import Caller, needs
from usecases import api_calls

router = APIRouter(tags=["reports"])


@router.get("/operators", summary="Operators' processed calls, mean score and flagged calls (cursor paging)",
            responses={200: {"content": {"application/json": {"example": {
                "operators": [{"operator": "op.ivanova", "team": "retail", "calls": 120, "scored_calls": 118,
                               "mean_score": 84.1, "flagged": 9}], "next_cursor": None}}}}})
def operators(request: Request, who: Caller = Depends(needs("reports:read")),
              since: datetime | None = None, until: datetime | None = None, team: str | None = None,
              cursor: str | None = None, limit: int = Query(100, ge=1, le=1000)) -> dict:
    page = api_calls.operator_scores(request.app.state.db, since, until, team, cursor, limit)
    return {"operators": [{"operator": o.operator_id, "team": o.team, "calls": o.calls,
                           "scored_calls": o.scored_calls,
                           "mean_score": None if o.mean_score is None else round(o.mean_score, 2),
                           "flagged": o.flagged} for o in page.items],
            "next_cursor": page.next_cursor}


@router.get("/coaching-topics", summary="Criteria operators keep missing (the coaching rule), with example calls",
            responses={200: {"content": {"application/json": {"example": {"topics": [{
                "operator": "op.ivanova", "team": "retail", "criterion": "farewell", "misses": 4,
                "recent_calls": 10, "window": 10, "fail_rate": 0.4, "team_fail_rate": 0.1,
                "examples": [{"call_id": "3f1c9a0be2d4475a8c11", "call_at": "2026-12-07T09:15:00",
                              "at_s": 180.2}]}]}}}}})
def coaching_topics(request: Request, who: Caller = Depends(needs("reports:read")),
                    since: datetime | None = Query(None, description="default: 30 days before until"),
                    until: datetime | None = Query(None, description="default: now"),
                    operator: str | None = None, limit: int = Query(50, ge=1, le=500)) -> dict:
    until = until or datetime.now()
    since = since or until - timedelta(days=30)
    topics = api_calls.coaching_topics(request.app.state.db, since, until, operator, limit)
    out = []
    for t in topics:
        data = t.to_json()
        data.pop("streak", None)
        for example in data.get("examples", []):
            example.pop("recording", None)  # a file name may hold a number: the call id is enough
        out.append(data)
    return {"topics": out}


@router.get("/runs", summary="The latest nightly runs' reports (counts, audio hours, status)",
            responses={200: {"content": {"application/json": {"example": {"runs": [{
                "run_id": "r-2026-12-07", "flow": "nightly", "started_at": "2026-12-07T02:00:00",
                "finished_at": "2026-12-07T03:12:40", "status": "completed", "processed": 812, "quarantined": 3,
                "failed": 0}]}}}}})
def runs(request: Request, who: Caller = Depends(needs("reports:read")),
         limit: int = Query(20, ge=1, le=500)) -> dict:
    rows = api_calls.runs(request.app.state.db, limit)
    for row in rows:
        row.pop("inbox", None)  # a server path: not the integrator's business
    return {"runs": rows}
