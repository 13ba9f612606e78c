"""Commissions from counter rows, plans, reps and the catalog, without I/O."""

from __future__ import annotations

from typing import Any

from lodestone_reporting.domain.commissions import Plan, Rate, commissions, plan_for


def sold(rep: str, sku: str, day: str, cents: int, currency: str = "EUR") -> dict[str, Any]:
    return {"d": day, "k": {"owner": rep, "product": sku, "what": currency}, "v": cents}


def units(rep: str, sku: str, day: str, n: int) -> dict[str, Any]:
    return {"d": day, "k": {"owner": rep, "product": sku, "what": "units"}, "v": n}


def reached(rep: str, stage: str, day: str, n: int = 1) -> dict[str, Any]:
    return {"d": day, "k": {"owner": rep, "stage": stage}, "v": n}


EAST = Plan(
    id="east-2026",
    name="East 2026",
    currency="EUR",
    effective_from="2026-01-01",
    teams=frozenset({"east"}),
    default_rate=0.02,
    rates=(Rate(0.10, product="pro"), Rate(0.05, category="services")),
    bonuses={"customer": 100.0},
)
REPS = {"ana": {"name": "Ana", "team": "east"}, "bo": {"name": "Bo", "team": "west"}}
CATALOG = {"pro": {"category": "licences"}, "setup": {"category": "services"}}


def test_the_product_rate_beats_the_category_rate_which_beats_the_default() -> None:
    rows = [
        sold("ana", "pro", "2026-03-02", 100_000),  # 1,000.00 at 10 %
        sold("ana", "setup", "2026-03-02", 50_000),  # 500.00 at 5 % (services)
        sold("ana", "mug", "2026-03-03", 1_000),  # 10.00 at 2 %
        units("ana", "pro", "2026-03-02", 1),
    ]
    (row,) = commissions(rows, [], [EAST], REPS, CATALOG, {"pro": "Pro licence"})
    (eur,) = row["currencies"]
    assert (eur["currency"], eur["revenue"], eur["commission"]) == ("EUR", 1510.0, 125.2)
    by = {p["product"]: p for p in eur["products"]}
    assert (by["pro"]["rate"], by["pro"]["name"], by["pro"]["category"]) == (
        0.1,
        "Pro licence",
        "licences",
    )
    assert (by["setup"]["commission"], by["mug"]["commission"]) == (25.0, 0.2)
    assert row["total"] == {"EUR": 125.2} and row["plans"] == ["east-2026"]


def test_each_day_is_paid_under_the_plan_in_force_that_day_and_a_reps_own_plan_wins() -> None:
    old = Plan(
        id="old",
        name="Old",
        currency="EUR",
        effective_from="2025-01-01",
        effective_to="2026-03-14",
        teams=frozenset({"east"}),
        default_rate=0.01,
    )
    new = Plan(
        id="new",
        name="New",
        currency="EUR",
        effective_from="2026-03-15",
        teams=frozenset({"east"}),
        default_rate=0.03,
    )
    mine = Plan(
        id="ana-only",
        name="Ana's",
        currency="EUR",
        effective_from="2026-03-20",
        effective_to="2026-03-20",
        reps=frozenset({"ana"}),
        default_rate=0.5,
    )
    plans = [old, new, mine]
    assert plan_for(plans, "ana", "east", "2026-03-14") is old
    assert plan_for(plans, "ana", "east", "2026-03-15") is new
    assert plan_for(plans, "ana", "east", "2026-03-20") is mine
    assert plan_for(plans, "ana", "west", "2026-03-16") is None
    rows = [sold("ana", "mug", d, 10_000) for d in ("2026-03-14", "2026-03-15", "2026-03-20")]
    (row,) = commissions(rows, [], plans, REPS, {}, {})
    assert row["total"] == {"EUR": 1.0 + 3.0 + 50.0}
    assert row["plans"] == ["ana-only", "new", "old"]


def test_stage_bonuses_are_paid_in_the_plans_currency_per_contact_brought_there() -> None:
    rows = [sold("ana", "mug", "2026-03-02", 10_000, currency="USD")]
    stages = [reached("ana", "customer", "2026-03-02", 2), reached("ana", "lead", "2026-03-02", 9)]
    (row,) = commissions(rows, stages, [EAST], REPS, {}, {})
    assert row["bonuses"] == [
        {"stage": "customer", "reached": 2, "currency": "EUR", "amount": 200.0}
    ]
    # Revenue stays in the currency it was paid in; never summed across currencies.
    assert row["total"] == {"EUR": 200.0, "USD": 2.0}


def test_revenue_no_plan_covers_earns_nothing_and_owners_who_are_no_rep_are_left_out() -> None:
    rows = [
        sold("bo", "pro", "2026-03-02", 100_000),  # west: no plan
        sold("ghost", "pro", "2026-03-02", 100_000),
        sold("gone", "pro", "2026-03-02", 100_000),
    ]
    reps = {**REPS, "gone": {"name": "Gone", "removed": True}}
    (row,) = commissions(rows, [reached("ghost", "customer", "2026-03-02")], [EAST], reps, {}, {})
    assert row["owner"] == "bo"
    assert (row["currencies"][0]["revenue"], row["total"], row["plans"]) == (
        1000.0,
        {"EUR": 0.0},
        [],
    )


def test_revenue_no_item_accounts_for_is_paid_at_the_plans_default_rate() -> None:
    orders = [
        {"d": "2026-03-02", "k": {"owner": "ana", "currency": "EUR"}, "v": 180_000},
        {"d": "2026-03-03", "k": {"owner": "ana", "currency": "EUR"}, "v": 5_000},
    ]
    items = [sold("ana", "pro", "2026-03-02", 100_000)]  # 1,000 of the first day's 1,800
    (row,) = commissions(items, [], [EAST], REPS, CATALOG, {}, revenue=orders)
    (eur,) = row["currencies"]
    by = {p["product"]: p for p in eur["products"]}
    assert by[""]["name"] == "Orders without items"
    assert (by[""]["revenue"], by[""]["commission"]) == (850.0, 17.0)  # 800 + 50 at 2 %
    assert (eur["revenue"], eur["commission"]) == (1850.0, 117.0)
