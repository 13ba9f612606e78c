"""`/v1/reports/commissions`: what each rep earned in a period under the plans in force."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends

from lodestone_common.auth import ApiKey

from ..domain.commissions import commissions
from .answers import Commissions, documented
from .commissions import as_plan
from .deps import ReadModelsDep
from .reports import READ, Period, answer

router = APIRouter(prefix="/v1/reports", tags=["reports"])


@router.get(
    "/commissions",
    summary="Commissions per rep and period, per currency",
    description="Revenue each rep's contacts paid, product by product, times the rate of the "
    "commission plan in force that day (the product's rate, else its category's in the "
    "catalog, else the plan's default), plus the plan's bonus per contact brought to a stage. "
    "Revenue and commission stay in the currency paid; bonuses are in the plan's currency.",
    responses=documented(Commissions),
)
async def commission_report(
    models: ReadModelsDep, period: Period = Depends(), key: ApiKey = READ
) -> Any:
    period.scope(("owner",))
    match = {"match": {"owner": period.filter[1]}} if period.filter else {}
    days, owner = period.days(), {"rollup": "owner", **match}
    table = commissions(
        products=await models.counters.rows("products", **days, **owner),
        revenue=await models.counters.rows("revenue", **days, **owner),
        reached=await models.counters.rows("reached", **days, **owner),
        plans=[as_plan(d) for d in await models.commission_plans.all()],
        reps=await models.reps.all(),
        catalog=await models.catalog.by_id(),
        names=await models.products.names(),
    )
    # The CSV: a line per rep, what they earned per currency (the JSON has the detail).
    flat = [{k: r[k] for k in ("owner", "name", "team", "total")} for r in table]
    return answer(period, {"reps": table}, flat, "commissions")
