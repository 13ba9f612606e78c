"""`/v1/goals`: monthly sales goals per rep, which the leaderboard measures attainment of."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel, ConfigDict, Field

from lodestone_common.auth import ApiKey, Scope

from .deps import ReadModelsDep

router = APIRouter(prefix="/v1/goals", tags=["goals"])
MONTH = r"^\d{4}-(0[1-9]|1[0-2])$"
Target = Annotated[float, Field(ge=0, le=1e12)]


class Targets(BaseModel):
    """What a rep should reach in the month; any subset."""

    model_config = ConfigDict(extra="forbid")

    conversions: Target | None = None
    revenue: Target | None = None
    calls: Target | None = None
    meetings: Target | None = None
    tasks_done: Target | None = None


class Goal(BaseModel):
    owner: str
    month: str
    targets: dict[str, float]


@router.put("/{owner}/{month}", response_model=Goal, summary="Set a rep's goals for a month")
async def put_goal(
    models: ReadModelsDep,
    body: Targets,
    owner: str = Path(max_length=100),
    month: str = Path(pattern=MONTH, description="YYYY-MM"),
    key: ApiKey = Scope("reports:write"),
) -> Any:
    targets = body.model_dump(exclude_none=True)
    return await models.goals.put(owner, month, targets)


@router.get("", response_model=list[Goal], summary="Goals of a month")
async def goals(
    models: ReadModelsDep,
    month: str = Query(pattern=MONTH, description="YYYY-MM"),
    key: ApiKey = Scope("reports:read"),
) -> Any:
    return await models.goals.of_months([month])
