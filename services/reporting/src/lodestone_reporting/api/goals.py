"""`/v1/goals`: monthly sales goals per rep, which the leaderboard measures attainment of."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Path, Query, status
from pydantic import BaseModel, ConfigDict, Field, model_validator

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
    currency: str | None = Field(
        None, pattern=r"^[A-Z]{3}$", description="ISO 4217; what `revenue` is in (required with it)"
    )
    calls: Target | None = None
    meetings: Target | None = None
    tasks_done: Target | None = None

    @model_validator(mode="after")
    def _revenue_in_a_currency(self) -> Targets:
        if self.revenue is not None and self.currency is None:
            raise ValueError('a revenue target needs its currency, e.g. "currency": "EUR"')
        return self


class Goal(BaseModel):
    owner: str
    month: str
    targets: dict[str, float]
    currency: str | None = None


@router.put(
    "/{owner}/{month}",
    response_model=Goal,
    summary="Set a rep's goals for a month",
    description="`owner` is a rep (automation's `/v1/reps`); anyone else is a 404, not a "
    "phantom row on the leaderboard.",
)
async def put_goal(
    models: ReadModelsDep,
    body: Targets,
    owner: str = Path(max_length=100),
    month: str = Path(pattern=MONTH, description="YYYY-MM"),
    key: ApiKey = Scope("reports:write"),
) -> Any:
    rep = await models.reps.get(owner)
    if rep is None or rep.get("removed"):
        raise HTTPException(
            status.HTTP_404_NOT_FOUND,
            f"no rep {owner!r} (reps are kept at automation's /v1/reps; a new one takes a "
            "moment to reach reporting)",
        )
    targets = body.model_dump(exclude_none=True, exclude={"currency"})
    return await models.goals.put(owner, month, targets, body.currency)


@router.delete(
    "/{owner}/{month}", status_code=status.HTTP_204_NO_CONTENT, summary="Remove a month's goals"
)
async def delete_goal(
    models: ReadModelsDep,
    owner: str = Path(max_length=100),
    month: str = Path(pattern=MONTH, description="YYYY-MM"),
    key: ApiKey = Scope("reports:write"),
) -> None:
    if not await models.goals.delete(owner, month):
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no goals of {owner!r} for {month}")


@router.get("", response_model=list[Goal], summary="Goals of a month")
async def goals(
    models: ReadModelsDep,
    month: str = Query(pattern=MONTH, description="YYYY-MM"),
    key: ApiKey = Scope("reports:read"),
) -> Any:
    return await models.goals.of_months([month])
