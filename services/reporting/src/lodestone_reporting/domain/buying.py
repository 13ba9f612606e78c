"""The purchases report: revenue, orders, buyers and repeat buyers, and the top products with
their margin (the catalog's cost) and trend (a point per period), from counter documents."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta
from typing import Any

from .margins import margins, most_profitable
from .reports import Interval, Rows, by, money_by_currency, period_of, ratio, total


def periods(start: date, end: date, interval: Interval) -> list[str]:
    """Every period's label from start to end, those without a sale included (a trend's
    gaps are zeros, not missing points)."""
    labels, day = [], start
    while day <= end:
        label = period_of(day.isoformat(), interval)
        if not labels or labels[-1] != label:
            labels.append(label)
        day += timedelta(days=1)
    return labels


def product_trend(rows: Rows, labels: list[str], interval: Interval) -> dict[str, Any]:
    """One product's units and revenue per period, and the change of units from the period
    before the last to the last (None when nothing sold before)."""
    units: dict[str, int] = defaultdict(int)
    money: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    for r in rows:
        label = period_of(r["d"], interval)
        if r["k"]["what"] == "units":
            units[label] += r["v"]
        else:
            money[label][r["k"]["what"]] += r["v"] / 100
    trend = [
        {"period": p, "units": units.get(p, 0), "revenue": _sum_by_key(money.get(p, {}))}
        for p in labels
    ]
    before, last = (units.get(p, 0) for p in labels[-2:]) if len(labels) > 1 else (0, 0)
    return {"trend": trend, "change": round(last / before - 1, 4) if before else None}


def purchases(
    revenue: Rows,
    orders: Rows,
    buyers: Rows,
    repeat: Rows,
    products: Rows,
    interval: Interval,
    top: int = 10,
    names: dict[str, str] | None = None,
    catalog: dict[str, dict[str, Any]] | None = None,
    span: tuple[date, date] | None = None,
) -> dict[str, Any]:
    """Buying in the period; `products` rows in the same scope (owner, source, segment) as
    the rest, `names` what SKU-keyed products are called, `catalog` their costs (margins),
    `span` the period's first and last day (each top product's trend, a point per period)."""
    earned = margins(products, catalog or {})
    units = by(products, "product", what="units")
    days = sorted({r["d"] for r in products})
    if span is None and days:
        span = (date.fromisoformat(days[0]), date.fromisoformat(days[-1]))
    labels = periods(*span, interval) if span else []
    product_rows = []
    for product, n in sorted(units.items(), key=lambda kv: (-kv[1], kv[0]))[:top]:
        mine = [r for r in products if r["k"]["product"] == product]
        money: dict[str, float] = defaultdict(float)
        for r in mine:
            if r["k"]["what"] != "units":
                money[r["k"]["what"]] += r["v"] / 100
        name = (names or {}).get(product) or product
        product_rows.append(
            {
                "product": product,
                "name": name,
                "units": n,
                "revenue": _sum_by_key(money),
                "margin": earned.get(product),
                **product_trend(mine, labels, interval),
            }
        )
    first, second = total(buyers), total(repeat)
    revenue_series: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    for r in revenue:
        revenue_series[period_of(r["d"], interval)][r["k"]["currency"]] += r["v"] / 100
    return {
        "revenue": money_by_currency(revenue),
        "orders": total(orders),
        "buyers": first,
        "repeat_buyers": second,
        "repeat_purchase_rate": ratio(second, first),
        "top_products": product_rows,
        "most_profitable": most_profitable(earned, names or {}, top),
        "series": [
            {"period": p, **{c: round(v, 2) for c, v in sorted(m.items())}}
            for p, m in sorted(revenue_series.items())
        ],
    }


def _sum_by_key(money: dict[str, float]) -> dict[str, float]:
    return {k: round(v, 2) for k, v in sorted(money.items())}
