"""What the reports answer in JSON, documented for their readers (OpenAPI, the console's
generated client). Each report builds its answer as plain data (`domain/reports.py`); these
models describe it and a service test holds the two together (`extra="forbid"`)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class _Answer(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Echo(_Answer):
    start: str = Field(description="first day, ISO date")
    end: str = Field(description="last day, ISO date")
    interval: str = Field(description="day, week or month: the series' buckets")
    filter: dict[str, str] = Field(description="the one filter applied, if any")


class StageRow(_Answer):
    stage: str
    now: int = Field(description="contacts in the stage now")
    reached: int = Field(description="contacts who reached it within the period")
    conversion_to_next: float | None = Field(description="share that reached the next stage")
    median_days_in_stage: float | None


class ExitRow(_Answer):
    stage: str
    now: int
    reached: int


class Funnel(_Answer):
    period: Echo
    stages: list[StageRow]
    exits: list[ExitRow] = Field(description="the stages that leave the funnel (lost, …)")
    overall_conversion: float | None = Field(description="customers over the first stage")
    series: list[dict[str, Any]] = Field(description="per period, how many reached each stage")


class GoalProgress(_Answer):
    target: float
    currency: str | None = Field(description="a revenue goal's currency")
    actual: float | None
    attainment: float | None = Field(description="actual over target")


class RepRow(_Answer):
    owner: str
    name: str | None
    leads_owned: int
    tasks_created: int
    tasks_overdue: int
    conversions: float
    calls: float
    meetings: float
    tasks_done: float
    revenue: dict[str, float] = Field(description="per currency, never summed across them")
    response_median_hours: float | None = Field(description="from assignment to first touch")
    goals: dict[str, GoalProgress]
    team: str | None = Field(description="the rep's team (none: reps without one)")
    rank: int | None = Field(description="place within the team, 1 best (none: no rep)")
    team_size: int = Field(description="reps compared: the team's, this period")
    team_median: dict[str, float] = Field(description="the team's median of each compared")


class Leaderboard(_Answer):
    period: Echo
    reps: list[RepRow]


class ProductCommission(_Answer):
    product: str = Field(description="the SKU")
    name: str
    category: str | None = Field(description="from the catalog")
    revenue: float
    commission: float
    rate: float | None = Field(description="commission over revenue (plans may change mid-period)")


class CurrencyCommission(_Answer):
    currency: str
    revenue: float
    commission: float
    products: list[ProductCommission]


class BonusLine(_Answer):
    stage: str
    reached: int = Field(description="contacts the rep brought to the stage")
    currency: str = Field(description="the plan's")
    amount: float


class RepCommission(_Answer):
    owner: str
    name: str | None
    team: str | None
    plans: list[str] = Field(description="the plans that paid anything")
    currencies: list[CurrencyCommission]
    bonuses: list[BonusLine]
    total: dict[str, float] = Field(description="commission and bonuses, per currency")


class Commissions(_Answer):
    period: Echo
    reps: list[RepCommission]


def documented(model: type[BaseModel]) -> dict[int | str, dict[str, Any]]:
    """A route's `responses`: JSON as `model` (validated by no one at run time: the report
    built it), or the same table as CSV with `format=csv`."""
    return {200: {"model": model, "content": {"text/csv": {}}}}


class Margin(_Answer):
    currency: str = Field(description="the catalog's currency for the product")
    units: int
    revenue: float
    cost: float = Field(description="units times the catalog's cost")
    margin: float
    margin_rate: float | None = Field(description="margin over revenue")


class TrendPoint(_Answer):
    period: str = Field(description="the day, the week's Monday or the month")
    units: int
    revenue: dict[str, float] = Field(description="per currency")


class ProductRow(_Answer):
    product: str = Field(description="SKU, or the item's name when it had none")
    name: str
    units: int
    revenue: dict[str, float] = Field(description="per currency, never summed across them")
    margin: Margin | None = Field(description="none without a catalog cost in one currency")
    trend: list[TrendPoint] = Field(description="every period of the report, quiet ones as 0")
    change: float | None = Field(
        description="units in the last period over the one before, less 1 (0.5: half again "
        "as many); none when nothing sold in the one before"
    )


class Profitable(Margin):
    product: str
    name: str


class Purchases(_Answer):
    period: Echo
    revenue: dict[str, float] = Field(description="per currency")
    orders: int
    buyers: int = Field(description="contacts whose first order fell in the period")
    repeat_buyers: int = Field(description="contacts whose second order fell in the period")
    repeat_purchase_rate: float | None
    top_products: list[ProductRow] = Field(description="by units sold, most first")
    most_profitable: list[Profitable] = Field(description="by margin, per currency")
    series: list[dict[str, Any]] = Field(description="per period, revenue per currency")
