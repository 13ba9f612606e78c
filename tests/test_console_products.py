"""A manager keeps the product catalog by clicking and reads what sold: units, revenue, the
margin the catalog's cost gives and a trend per product, as the reporting API counts them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import uuid4

import pytest

from tests.test_console_browser import CHROMIUM, SHOTS, WAIT_MS, _user, signed_in

pytestmark = pytest.mark.skipif(
    CHROMIUM is None, reason="needs Debian's chromium package (.ci/run installs it)"
)


async def test_a_manager_prices_a_product_and_sees_its_margin_and_trend(  # type: ignore[no-untyped-def]
    services, eventually
) -> None:
    from playwright.async_api import expect

    tag = uuid4().hex[:8]
    sku, source = f"kit-{tag}", f"fair-{tag}"
    manager = await _user(services, "manager", tag)
    now = datetime.now(UTC)
    async with services.client("contacts") as contacts:
        made = await contacts.post(
            "/v1/contacts", json={"email": f"buyer.{tag}@example.com", "source": source}
        )
        assert made.status_code == 201, made.text
        buyer = made.json()["id"]
        # One kit eight days ago, three today: the last day sold, the week rose.
        orders = [
            {
                "event_id": str(uuid4()),
                "type": "track",
                "name": "Order Completed",
                "contact": {"email": f"buyer.{tag}@example.com"},
                "occurred_at": (now - timedelta(days=days)).isoformat(),
                "properties": {
                    "amount": 50.0 * units,
                    "currency": "EUR",
                    "items": [{"sku": sku, "name": "Starter kit", "price": 50, "quantity": units}],
                },
            }
            for days, units in ((8, 1), (0, 3))
        ]
        sent = await contacts.post("/v1/events", json={"events": orders})
        assert sent.status_code == 202, sent.text
    async with services.client("reporting") as reporting:

        async def counted() -> dict[str, object] | None:
            report = await reporting.get("/v1/reports/purchases", params={"source": source})
            top = report.json()["top_products"]
            return top[0] if top and top[0]["units"] == 4 else None

        await eventually(counted)

    async with signed_in(services, manager) as page:
        await page.get_by_role("link", name="Reports").click()
        await page.get_by_label("Lead source").fill(source)
        row = page.get_by_test_id("product-row").filter(has_text="Starter kit")
        await expect(row).to_contain_text("no cost in the catalog", timeout=WAIT_MS)
        # The manager adds its cost (a cost without a name is refused in the browser).
        await page.get_by_role("button", name="Add a product").click()
        editor = page.get_by_role("dialog", name="New product")
        await editor.get_by_label("SKU").fill(sku)
        await editor.get_by_label("Cost per unit").fill("15")
        await editor.get_by_role("button", name="Save product").click()
        await expect(editor.get_by_text("What people call it")).to_be_visible(timeout=WAIT_MS)
        await editor.get_by_label("Name").fill("Starter kit")
        await editor.get_by_label("Category").fill(f"kits-{tag}")
        await editor.get_by_role("button", name="Save product").click()
        await expect(editor).to_be_hidden(timeout=WAIT_MS)
        await expect(page.get_by_test_id("catalog-row").filter(has_text=sku)).to_contain_text(
            "EUR 15.00"
        )
        async with services.client("reporting") as reporting:
            report = await reporting.get("/v1/reports/purchases", params={"source": source})
            (top,) = report.json()["top_products"]
        margin = top["margin"]
        assert (margin["cost"], margin["margin"], margin["margin_rate"]) == (60.0, 140.0, 0.7)
        # The card says the same: EUR 140 earned on EUR 200 (70 %), and today's sales new
        # against a quiet yesterday.
        await expect(row).to_contain_text("EUR 140 (70 %)", timeout=WAIT_MS)
        await expect(row.get_by_test_id("product-change")).to_have_text("new")
        await expect(row.locator("svg").first).to_be_visible()
        assert sum(p["units"] for p in top["trend"]) == 4 and top["trend"][-1]["units"] == 3
        await page.screenshot(path=str(SHOTS / "manager-products.png"), full_page=True)
        # The buyer's page says what they bought: two orders, four kits, by the kit's name.
        await page.goto(services.url("console") + f"/contacts/{buyer}")
        bought = page.get_by_test_id("purchases")
        await expect(bought).to_contain_text("2 orders", timeout=WAIT_MS)
        await expect(bought.get_by_test_id("bought-product")).to_contain_text("Starter kit")
        await expect(
            bought.get_by_test_id("bought-product").get_by_role("cell").nth(2)
        ).to_have_text("4")
        await page.screenshot(path=str(SHOTS / "manager-contact-purchases.png"), full_page=True)
        # Learned on a call: their contract ends next spring (renewal segments read it).
        await page.get_by_label("Contract ends").fill("2027-03-31")
        await page.get_by_role("button", name="Save changes").click()
        await expect(page.get_by_text("Saved", exact=True)).to_be_visible(timeout=WAIT_MS)
        async with services.client("contacts") as contacts:
            record = (await contacts.get(f"/v1/contacts/{buyer}")).json()
        assert record["contract_end_date"] == "2027-03-31"
