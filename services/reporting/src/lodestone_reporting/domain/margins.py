"""What products earn once their cost is paid: revenue from the purchase counters, cost from
the catalog. Plain data in and out."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

Rows = list[dict[str, Any]]


def margins(products: Rows, catalog: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Per SKU with a cost in the catalog: units, revenue, cost and margin in the catalog's
    currency, and the margin's share of revenue. A SKU also sold in another currency gets
    none: its units cannot be split between currencies, so no cost can be set against them."""
    units: dict[str, int] = defaultdict(int)
    money: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))  # cents
    for r in products:
        sku, what = r["k"]["product"], r["k"]["what"]
        if what == "units":
            units[sku] += r["v"]
        else:
            money[sku][what] += r["v"]
    out = {}
    for sku, paid in money.items():
        item = catalog.get(sku) or {}
        cost, currency = item.get("cost"), item.get("currency")
        if cost is None or currency is None or set(paid) != {currency}:
            continue
        revenue = paid[currency] / 100
        spent = round(cost * units[sku], 2)
        out[sku] = {
            "currency": currency,
            "units": units[sku],
            "revenue": round(revenue, 2),
            "cost": spent,
            "margin": round(revenue - spent, 2),
            "margin_rate": round((revenue - spent) / revenue, 4) if revenue else None,
        }
    return out


def most_profitable(
    found: dict[str, dict[str, Any]], names: dict[str, str], top: int = 10
) -> list[dict[str, Any]]:
    """The SKUs that earned most, best first within each currency (never compared across)."""
    ranked = sorted(found.items(), key=lambda kv: (kv[1]["currency"], -kv[1]["margin"], kv[0]))
    per_currency: dict[str, int] = defaultdict(int)
    out = []
    for sku, m in ranked:
        if per_currency[m["currency"]] < top:
            per_currency[m["currency"]] += 1
            out.append({"product": sku, "name": names.get(sku) or sku, **m})
    return out
