"""Each top product's trend in the purchases report: a point per period of the report (quiet
ones as zeros), revenue per currency, and the change from the period before the last."""

from __future__ import annotations

from datetime import date

from lodestone_reporting.domain.buying import periods, product_trend, purchases


def sold(day: str, product: str, units: int, cents: int, currency: str = "USD") -> list[dict]:  # type: ignore[type-arg]
    return [
        {"d": day, "k": {"product": product, "what": "units"}, "v": units},
        {"d": day, "k": {"product": product, "what": currency}, "v": cents},
    ]


def test_every_period_is_a_point_quiet_ones_included() -> None:
    assert periods(date(2026, 11, 28), date(2026, 12, 9), "week") == [
        "2026-11-23",
        "2026-11-30",
        "2026-12-07",
    ]
    assert periods(date(2026, 11, 28), date(2027, 1, 2), "month") == [
        "2026-11",
        "2026-12",
        "2027-01",
    ]
    assert periods(date(2026, 12, 1), date(2026, 12, 3), "day") == [
        "2026-12-01",
        "2026-12-02",
        "2026-12-03",
    ]


def test_a_products_trend_and_its_change() -> None:
    rows = [
        *sold("2026-11-24", "w", 2, 2000),
        *sold("2026-12-01", "w", 4, 4000),
        *sold("2026-12-02", "w", 2, 1500, "EUR"),
    ]
    labels = periods(date(2026, 11, 23), date(2026, 12, 13), "week")
    found = product_trend(rows, labels, "week")
    assert found["trend"] == [
        {"period": "2026-11-23", "units": 2, "revenue": {"USD": 20.0}},
        {"period": "2026-11-30", "units": 6, "revenue": {"EUR": 15.0, "USD": 40.0}},
        {"period": "2026-12-07", "units": 0, "revenue": {}},
    ]
    assert found["change"] == -1.0  # nothing sold in the last week after 6 the week before
    rising = product_trend(rows, labels[:2], "week")
    assert rising["change"] == 2.0  # 6 after 2: three times as many
    assert product_trend(rows[2:], labels[:2], "week")["change"] is None  # nothing before


def test_the_report_gives_each_top_product_its_trend_over_the_period() -> None:
    rows = [*sold("2026-12-01", "w", 3, 3000), *sold("2026-12-03", "g", 1, 500)]
    report = purchases([], [], [], [], rows, "day", span=(date(2026, 12, 1), date(2026, 12, 3)))
    widget, gizmo = report["top_products"]
    assert [p["units"] for p in widget["trend"]] == [3, 0, 0]
    assert [p["units"] for p in gizmo["trend"]] == [0, 0, 1]
    assert gizmo["change"] is None and widget["change"] is None
