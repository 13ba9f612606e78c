"""Segments on purchase history and on dates relative to now, end to end: orders arrive
through the ingestion API, the record sums them, and saved segments and the builder's live
count follow — real Kafka, real database."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import uuid4

NOW = datetime.now(UTC).replace(microsecond=0)


def bought(
    email: str, company: str, days_ago: int, amount: float, *items: dict[str, Any]
) -> dict[str, Any]:
    return {
        "event_id": str(uuid4()),
        "type": "track",
        "name": "Order Completed",
        "contact": {"email": email},
        "traits": {"company": company},
        "occurred_at": (NOW - timedelta(days=days_ago)).isoformat(),
        "properties": {"amount": amount, "currency": "USD", "items": list(items)},
    }


async def test_segments_on_what_people_bought_and_when(services, eventually) -> None:  # type: ignore[no-untyped-def]
    tag = uuid4().hex[:8]
    company = f"Shop {tag}"  # every segment below is scoped to this test's people
    widget, gizmo = f"W-{tag}", f"G.{tag}"  # a SKU with a dot stays one product
    ana, bo, cy = (f"{n}.{tag}@example.com" for n in ("ana", "bo", "cy"))
    item = {"sku": widget, "name": "Widget", "price": 50.0}
    async with services.client("contacts") as http:
        events = [
            bought(ana, company, 40, 50, item),  # Ana: two widget orders, the last 3 days ago
            bought(ana, company, 3, 100, {**item, "quantity": 2, "category": "gear"}),
            bought(bo, company, 45, 20, {"sku": gizmo, "name": "Gizmo", "price": 20.0}),
            {  # Cy only looked
                "event_id": str(uuid4()),
                "type": "page",
                "contact": {"email": cy},
                "traits": {"company": company},
                "occurred_at": NOW.isoformat(),
                "properties": {"url": "https://example.com/pricing"},
            },
        ]
        accepted = await http.post("/v1/events", json={"events": events})
        assert accepted.status_code == 202, accepted.text

        async def record(email: str, orders: int) -> dict[str, Any] | None:
            found = (await http.get("/v1/contacts", params={"email": email})).json()["items"]
            doc = found[0] if found else None
            held = (doc or {}).get("purchases") or {"orders": 0}
            return doc if doc and doc["activity"] and held["orders"] == orders else None

        people = {
            (await eventually(lambda e=email, n=n: record(e, n)))["id"]: name
            for name, email, n in (("ana", ana, 2), ("bo", bo, 1), ("cy", cy, 0))
        }
        by_name = {name: cid for cid, name in people.items()}
        history = (await http.get(f"/v1/contacts/{by_name['ana']}")).json()["purchases"]
        assert history["orders"] == 2 and history["spent"] == {"USD": 150.0}
        widget_line = history["products"][0]
        assert (widget_line["name"], widget_line["orders"], widget_line["units"]) == (widget, 2, 3)
        assert widget_line["spent"] == {"USD": 150.0} and widget_line["title"] == "Widget"
        assert [c["name"] for c in history["categories"]] == ["gear"]
        # Ana's contract ends in 50 days, Bo's in 100.
        for name, days in (("ana", 50), ("bo", 100)):
            end = (date.today() + timedelta(days=days)).isoformat()
            changed = await http.patch(
                f"/v1/contacts/{by_name[name]}", json={"contract_end_date": end}
            )
            assert changed.status_code == 200, changed.text

        examples: dict[str, tuple[dict[str, Any], set[str]]] = {
            "bought the widget in the last 30 days": (
                {"purchased": [{"product": widget, "within_days": 30}]},
                {"ana"},
            ),
            "two orders or more, 100 USD or more spent": (
                {"purchased": [{"min_orders": 2, "min_spent": 100, "currency": "USD"}]},
                {"ana"},
            ),
            "bought in category gear": ({"purchased": [{"category": "gear"}]}, {"ana"}),
            "bought a gizmo OR never bought anything": (
                {
                    "any_of": [
                        {"purchased": [{"product": gizmo}]},
                        {"none_of": [{"purchased": [{}]}]},
                    ]
                },
                {"bo", "cy"},
            ),
            "contract ends within 60 days": (
                {"dates": [{"field": "contract_end_date", "from_days": 0, "to_days": 60}]},
                {"ana"},
            ),
            "bought before, NOT in the last 30 days": (
                {
                    "purchased": [{}],
                    "none_of": [{"dates": [{"field": "last_purchase_at", "from_days": -30}]}],
                },
                {"bo"},
            ),
        }
        segments: dict[str, str] = {}
        for name, (flt, chosen) in examples.items():
            scoped = {**flt, "company": company}
            # The builder's live count first, then the saved segment.
            preview = await http.post("/v1/segments/preview", json={"filter": scoped})
            assert preview.status_code == 200, preview.text
            assert preview.json()["members"] == len(chosen), name
            assert {people[c["id"]] for c in preview.json()["sample"]} == chosen, name
            made = await http.post("/v1/segments", json={"name": f"{name} {tag}", "filter": scoped})
            assert made.status_code == 201, made.text
            segments[name] = made.json()["id"]

        async def members(name: str, chosen: set[str]) -> set[str] | None:
            page = (await http.get(f"/v1/segments/{segments[name]}/members")).json()
            found = {people[c["id"]] for c in page["items"]}
            return found if found == chosen else None

        for name, (_, chosen) in examples.items():
            assert await eventually(lambda n=name, c=chosen: members(n, c)), name
        # A new order moves people as it lands: Cy buys gear, Bo's contract is cut short.
        more = [
            bought(
                cy,
                company,
                0,
                30,
                {"sku": gizmo, "name": "Gizmo", "price": 30.0, "category": "gear"},
            )
        ]
        assert (await http.post("/v1/events", json={"events": more})).status_code == 202
        soon = (date.today() + timedelta(days=10)).isoformat()
        await http.patch(f"/v1/contacts/{by_name['bo']}", json={"contract_end_date": soon})
        assert await eventually(lambda: members("bought in category gear", {"ana", "cy"}))
        assert await eventually(
            lambda: members("bought a gizmo OR never bought anything", {"bo", "cy"})
        )
        assert await eventually(lambda: members("contract ends within 60 days", {"ana", "bo"}))
        # Membership time will change carries the moment to look again.
        doc = (await http.get(f"/v1/contacts/{by_name['ana']}")).json()
        assert "review" not in doc
        # Refusals name the condition that is wrong.
        wrong = await http.post(
            "/v1/segments/preview",
            json={
                "filter": {"dates": [{"field": "contract_end_date", "from_days": 9, "to_days": 1}]}
            },
        )
        assert wrong.status_code == 422
        assert wrong.json()["details"][0]["field"].startswith("body.filter.dates.0")
