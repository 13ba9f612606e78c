"""`/v1/reps`: the sales reps workflows assign leads to (weights, availability, territories)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException, status
from pydantic import BaseModel, ConfigDict, Field

from lodestone_common.auth import ApiKey, Scope

from .deps import AutomationDep

router = APIRouter(prefix="/v1/reps", tags=["reps"])


class RepIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    name: str = Field(min_length=1, max_length=200)
    email: str | None = Field(default=None, max_length=254)
    weight: float = Field(default=1, ge=0, le=100, description="share of round-robin turns")
    available: bool = Field(default=True, description="unavailable reps are skipped")
    manager_email: str | None = Field(
        default=None, max_length=254, description="who hears of this rep's overdue tasks"
    )
    team: str | None = Field(
        default=None,
        min_length=1,
        max_length=100,
        description="the team the rep works in: the leaderboard ranks reps within it",
    )


class Rep(RepIn):
    id: str


def _rep(doc: dict[str, Any]) -> Rep:
    return Rep(id=doc["_id"], **{k: doc[k] for k in RepIn.model_fields if k in doc})


@router.get("", response_model=list[Rep], summary="Every rep")
async def list_reps(automation: AutomationDep, key: ApiKey = Scope("reps:read")) -> list[Rep]:
    return [_rep(d) for d in await automation.stores.reps.all()]


@router.put("/{rep_id}", response_model=Rep, summary="Add or change a rep")
async def put_rep(
    rep_id: str, body: RepIn, automation: AutomationDep, key: ApiKey = Scope("reps:write")
) -> Rep:
    if not 0 < len(rep_id) <= 100:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_ENTITY, "rep id: 1 to 100 characters")
    return _rep(await automation.put_rep(rep_id, body.model_dump()))


@router.delete("/{rep_id}", status_code=status.HTTP_204_NO_CONTENT, summary="Remove a rep")
async def delete_rep(
    rep_id: str, automation: AutomationDep, key: ApiKey = Scope("reps:write")
) -> None:
    if not await automation.remove_rep(rep_id):
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no rep {rep_id!r}")
