"""What each rep earned in a period under the commission plans in force each day: a rate on
revenue by product or category, a bonus per contact brought to a stage. Plain data in and out:
counter rows (one per day), plans, reps and the product catalog."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

Rows = list[dict[str, Any]]


@dataclass(frozen=True)
class Rate:
    rate: float  # a share of revenue, 0.05 for 5 %
    product: str | None = None  # a SKU
    category: str | None = None


@dataclass(frozen=True)
class Plan:
    id: str
    name: str
    currency: str  # what stage bonuses are paid in (rates apply in any currency)
    effective_from: str  # YYYY-MM-DD, inclusive
    effective_to: str | None = None  # inclusive; none: open-ended
    reps: frozenset[str] = frozenset()
    teams: frozenset[str] = frozenset()
    default_rate: float = 0.0
    rates: tuple[Rate, ...] = ()
    bonuses: dict[str, float] = field(default_factory=dict)  # stage → amount

    def covers(self, rep: str, team: str | None, day: str) -> bool:
        in_force = self.effective_from <= day and (
            self.effective_to is None or day <= self.effective_to
        )
        return in_force and (rep in self.reps or (team is not None and team in self.teams))

    def rate_for(self, product: str, category: str | None) -> float:
        """The product's own rate, else its category's, else the plan's default."""
        for r in self.rates:
            if r.product == product:
                return r.rate
        for r in self.rates:
            if category is not None and r.category == category:
                return r.rate
        return self.default_rate


def plan_for(plans: list[Plan], rep: str, team: str | None, day: str) -> Plan | None:
    """The plan a rep is paid under on a day: one naming the rep beats their team's; between
    equals, the one that took effect last."""
    covering = [p for p in plans if p.covers(rep, team, day)]
    return max(covering, key=lambda p: (rep in p.reps, p.effective_from, p.id), default=None)


# The line of revenue no item accounts for (an order sent with an amount and no items).
UNITEMISED = ""


def commissions(
    products: Rows,
    reached: Rows,
    plans: list[Plan],
    reps: dict[str, dict[str, Any]],
    catalog: dict[str, dict[str, Any]],
    names: dict[str, str],
    revenue: Rows | None = None,
) -> list[dict[str, Any]]:
    """A row per rep (removed ones and owners who are no rep left out) with their revenue and
    commission per currency, product by product, and their stage bonuses. `products` are the
    "products" counters rolled up by owner (money per currency in cents, per day), `revenue`
    the orders' amounts (what items do not account for is paid at the default rate),
    `reached` the "reached" counters by owner and stage."""
    money: dict[str, dict[tuple[str, str], list[int]]] = defaultdict(dict)  # rep → (cur, sku)
    used: dict[str, set[str]] = defaultdict(set)
    itemised: dict[tuple[str, str, str], int] = defaultdict(int)  # (rep, day, currency)

    def earn(rep: str, day: str, currency: str, sku: str, cents: int) -> None:
        plan = plan_for(plans, rep, reps[rep].get("team"), day)
        category = (catalog.get(sku) or {}).get("category")
        rate = (plan.rate_for(sku, category) if sku else plan.default_rate) if plan else 0.0
        line = money[rep].setdefault((currency, sku), [0, 0])
        line[0] += cents
        line[1] += round(cents * rate)
        if plan:
            used[rep].add(plan.id)

    for r in products:
        rep, sku, currency = r["k"].get("owner"), r["k"]["product"], r["k"]["what"]
        if currency == "units" or not _is_rep(rep, reps):
            continue
        itemised[(rep, r["d"], currency)] += r["v"]
        earn(rep, r["d"], currency, sku, r["v"])
    for r in revenue or []:
        rep, currency = r["k"].get("owner"), r["k"].get("currency")
        if not currency or not _is_rep(rep, reps):
            continue
        rest = r["v"] - itemised[(rep, r["d"], currency)]
        if rest > 0:
            earn(rep, r["d"], currency, UNITEMISED, rest)
    bonuses: dict[str, dict[tuple[str, str], list[float]]] = defaultdict(dict)
    for r in reached:
        rep, stage = r["k"].get("owner"), r["k"].get("stage")
        if not _is_rep(rep, reps) or not stage:
            continue
        plan = plan_for(plans, rep, reps[rep].get("team"), r["d"])
        if plan is None or stage not in plan.bonuses:
            continue
        line_b = bonuses[rep].setdefault((stage, plan.currency), [0, 0.0])
        line_b[0] += r["v"]
        line_b[1] += r["v"] * plan.bonuses[stage]
        used[rep].add(plan.id)
    table = []
    for rep in sorted(set(money) | set(bonuses)):
        table.append(_row(rep, reps[rep], money[rep], bonuses[rep], catalog, names, used[rep]))
    return table


def _is_rep(owner: str | None, reps: dict[str, dict[str, Any]]) -> bool:
    return owner is not None and owner in reps and not reps[owner].get("removed")


def _row(
    rep: str,
    who: dict[str, Any],
    money: dict[tuple[str, str], list[int]],
    bonuses: dict[tuple[str, str], list[float]],
    catalog: dict[str, dict[str, Any]],
    names: dict[str, str],
    plans: set[str],
) -> dict[str, Any]:
    currencies: dict[str, dict[str, Any]] = {}
    for (currency, sku), (revenue, earned) in sorted(money.items()):
        c = currencies.setdefault(
            currency, {"currency": currency, "revenue": 0, "commission": 0, "products": []}
        )
        c["revenue"] += revenue
        c["commission"] += earned
        c["products"].append(
            {
                "product": sku,
                "name": "Orders without items"
                if sku == UNITEMISED
                else names.get(sku) or (catalog.get(sku) or {}).get("name") or sku,
                "category": (catalog.get(sku) or {}).get("category"),
                "revenue": revenue / 100,
                "commission": earned / 100,
                "rate": round(earned / revenue, 4) if revenue else None,
            }
        )
    total: dict[str, float] = defaultdict(float)
    for c in currencies.values():
        c["revenue"], c["commission"] = c["revenue"] / 100, c["commission"] / 100
        total[c["currency"]] += c["commission"]
    stage_lines = []
    for (stage, currency), (count, amount) in sorted(bonuses.items()):
        stage_lines.append(
            {
                "stage": stage,
                "reached": int(count),
                "currency": currency,
                "amount": round(amount, 2),
            }
        )
        total[currency] += amount
    return {
        "owner": rep,
        "name": who.get("name"),
        "team": who.get("team"),
        "plans": sorted(plans),
        "currencies": list(currencies.values()),
        "bonuses": stage_lines,
        "total": {c: round(v, 2) for c, v in sorted(total.items())},
    }
