"""Product margins from purchase counters and the catalog, without I/O."""

from __future__ import annotations

from typing import Any

from lodestone_reporting.domain.margins import margins, most_profitable


def row(sku: str, what: str, v: int) -> dict[str, Any]:
    return {"d": "2026-03-01", "k": {"product": sku, "what": what}, "v": v}


CATALOG = {
    "pro": {"cost": 200.0, "currency": "EUR", "category": "licences"},
    "mug": {"cost": 4.0, "currency": "EUR"},
    "both": {"cost": 1.0, "currency": "EUR"},
    "free": {"currency": "EUR"},
}


def test_margin_is_revenue_less_units_times_cost_in_the_catalogs_currency() -> None:
    rows = [
        row("pro", "units", 3),
        row("pro", "EUR", 150_000),  # 1,500 - 600
        row("mug", "units", 10),
        row("mug", "EUR", 5_000),  # 50 - 40
        row("both", "units", 2),
        row("both", "EUR", 1_000),
        row("both", "USD", 1_000),
        row("free", "units", 1),
        row("free", "EUR", 100),  # no cost: no margin
        row("unknown", "units", 1),
        row("unknown", "EUR", 100),
    ]
    found = margins(rows, CATALOG)
    assert set(found) == {"pro", "mug"}
    assert found["pro"] == {
        "currency": "EUR",
        "units": 3,
        "revenue": 1500.0,
        "cost": 600.0,
        "margin": 900.0,
        "margin_rate": 0.6,
    }
    assert (found["mug"]["margin"], found["mug"]["margin_rate"]) == (10.0, 0.2)
    best = most_profitable(found, {"pro": "Pro licence"})
    assert [(b["product"], b["name"]) for b in best] == [("pro", "Pro licence"), ("mug", "mug")]
