"""Scoring's HTTP API (`/v1/scores`)."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, HTTPException, Request, status
from pydantic import BaseModel

from lodestone_common.auth import ApiKey, Scope

from .domain import band
from .repository import ScoresRepository

router = APIRouter(prefix="/v1", tags=["scores"])


class Score(BaseModel):
    contact_id: str
    score: float
    grade: str | None
    band: str
    since: datetime


@router.get("/scores/{contact_id}", response_model=Score, summary="A contact's score")
async def get_score(contact_id: str, request: Request, key: ApiKey = Scope("scores:read")) -> Score:
    repo: ScoresRepository = request.app.state.scores
    doc = await repo.get(contact_id)
    if doc is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no score for contact {contact_id!r}")
    return Score(
        contact_id=doc["_id"],
        score=doc["score"],
        grade=doc.get("grade"),
        band=band(doc["score"]),
        since=doc["created_at"],
    )
