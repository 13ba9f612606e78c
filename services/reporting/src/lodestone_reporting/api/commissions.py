"""`/v1/commission-plans`: how reps are paid — a rate on revenue by product or category and a
bonus per contact brought to a stage, for named reps or whole teams, between two dates."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Path, status
from pydantic import BaseModel, ConfigDict, Field, model_validator

from lodestone_common.auth import ApiKey, Scope
from lodestone_common.events import LifecycleStage

from ..domain.commissions import Plan, Rate
from .deps import ReadModelsDep

router = APIRouter(prefix="/v1/commission-plans", tags=["commissions"])
Share = Annotated[float, Field(ge=0, le=1, description="a share of revenue: 0.05 is 5 %")]
PLAN_ID = Path(pattern=r"^[a-z0-9][a-z0-9_-]{0,62}$", description="lower-case letters, digits")


class RateIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    product: str | None = Field(None, min_length=1, max_length=100, description="a SKU")
    category: str | None = Field(None, min_length=1, max_length=100)
    rate: Share

    @model_validator(mode="after")
    def _one_target(self) -> RateIn:
        if (self.product is None) == (self.category is None):
            raise ValueError("a rate is for a product or for a category (one of the two)")
        return self


class StageBonus(BaseModel):
    model_config = ConfigDict(extra="forbid")

    stage: LifecycleStage
    amount: float = Field(ge=0, le=1e9, description="paid per contact brought to the stage")


class PlanIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    name: str = Field(min_length=1, max_length=200)
    reps: list[Annotated[str, Field(min_length=1, max_length=100)]] = Field(
        default_factory=list, max_length=1000, description="rep ids it pays"
    )
    teams: list[Annotated[str, Field(min_length=1, max_length=100)]] = Field(
        default_factory=list, max_length=100, description="teams whose reps it pays"
    )
    currency: str = Field(pattern=r"^[A-Z]{3}$", description="ISO 4217; what bonuses are paid in")
    effective_from: date
    effective_to: date | None = Field(None, description="last day it applies; none: open")
    default_rate: Share = 0.0
    rates: list[RateIn] = Field(default_factory=list, max_length=500)
    stage_bonuses: list[StageBonus] = Field(default_factory=list, max_length=20)

    @model_validator(mode="after")
    def _coherent(self) -> PlanIn:
        if not self.reps and not self.teams:
            raise ValueError("a plan pays someone: name reps, teams or both")
        if self.effective_to is not None and self.effective_to < self.effective_from:
            raise ValueError("effective_to is before effective_from")
        targets = [(r.product, r.category) for r in self.rates]
        if len(targets) != len(set(targets)):
            raise ValueError("a product or category has two rates")
        if len({b.stage for b in self.stage_bonuses}) != len(self.stage_bonuses):
            raise ValueError("a stage has two bonuses")
        return self


class PlanOut(PlanIn):
    id: str
    updated_at: datetime
    updated_by: str


def _out(doc: dict[str, Any]) -> PlanOut:
    return PlanOut(id=doc["_id"], **{k: v for k, v in doc.items() if k != "_id"})


def as_plan(doc: dict[str, Any]) -> Plan:
    """A stored plan as the domain reads it."""
    out = _out(doc)
    return Plan(
        id=out.id,
        name=out.name,
        currency=out.currency,
        effective_from=out.effective_from.isoformat(),
        effective_to=out.effective_to.isoformat() if out.effective_to else None,
        reps=frozenset(out.reps),
        teams=frozenset(out.teams),
        default_rate=out.default_rate,
        rates=tuple(Rate(r.rate, r.product, r.category) for r in out.rates),
        bonuses={b.stage: b.amount for b in out.stage_bonuses},
    )


@router.put("/{plan_id}", response_model=PlanOut, summary="Create or change a commission plan")
async def put_plan(
    models: ReadModelsDep,
    body: PlanIn,
    plan_id: str = PLAN_ID,
    key: ApiKey = Scope("reports:write"),
) -> PlanOut:
    fields = body.model_dump(mode="json")
    return _out(await models.commission_plans.put(plan_id, fields, key.name))


@router.get("", response_model=list[PlanOut], summary="Every commission plan")
async def plans(models: ReadModelsDep, key: ApiKey = Scope("reports:read")) -> list[PlanOut]:
    return [_out(d) for d in await models.commission_plans.all()]


@router.delete(
    "/{plan_id}", status_code=status.HTTP_204_NO_CONTENT, summary="Remove a commission plan"
)
async def delete_plan(
    models: ReadModelsDep, plan_id: str = PLAN_ID, key: ApiKey = Scope("reports:write")
) -> None:
    if not await models.commission_plans.delete(plan_id):
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no commission plan {plan_id!r}")
