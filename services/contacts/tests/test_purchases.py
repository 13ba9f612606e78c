"""A contact's purchase history: summed on the record by the update operators, merged when
records merge, bounded, and read back as the API shows it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import uuid4

from lodestone_contacts.domain import purchases as purchases_module
from lodestone_contacts.domain.purchases import (
    escape,
    merge_purchases,
    purchase_update,
    readable_history,
    unescape,
)

T = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def order(
    amount: float, *items: tuple[str | None, str, int, float, str | None], currency: str = "USD"
) -> dict[str, Any]:
    return {
        "amount": amount,
        "currency": currency,
        "items": [
            {
                "name": name,
                "quantity": qty,
                "price": price,
                **({"sku": sku} if sku else {}),
                **({"category": cat} if cat else {}),
            }
            for sku, name, qty, price, cat in items
        ],
    }


ORDERS = [
    (order(30.0, ("W.1", "Widget", 2, 10.0, "gadgets"), (None, "Gift wrap", 1, 10.0, None)), T),
    (
        order(
            45.5,
            ("W.1", "Widget", 1, 10.0, "gadgets"),
            ("W.1", "Widget", 1, 10.0, "gadgets"),
            ("$G", "Gizmo", 1, 25.5, "gadgets"),
        ),
        T + timedelta(days=2),
    ),
    (order(12.0, ("W.1", "Widget", 1, 12.0, "gadgets"), currency="EUR"), T - timedelta(days=9)),
]


def test_names_with_dots_and_dollars_stay_one_key() -> None:
    for name in ("W.1", "$G", "100%.$", "plain"):
        key = escape(name)
        assert "." not in key and "$" not in key and unescape(key) == name


def test_an_order_counts_once_per_product_and_category() -> None:
    ops = purchase_update(ORDERS[:2])
    widget, gadgets = f"purchases.products.{escape('W.1')}", "purchases.categories.gadgets"
    assert ops["$inc"]["purchases.orders"] == 2
    assert ops["$inc"]["purchases.spent.USD"] == 75.5
    assert ops["$inc"][f"{widget}.orders"] == 2  # two lines of it in one order: one order
    assert ops["$inc"][f"{widget}.units"] == 4
    assert ops["$inc"][f"{widget}.spent.USD"] == 40.0
    assert ops["$inc"][f"{gadgets}.orders"] == 2
    assert ops["$inc"]["purchases.products.Gift wrap.orders"] == 1  # no SKU: by its name
    assert ops["$max"][f"{widget}.last_at"] == T + timedelta(days=2)
    assert ops["$min"] == {"purchases.first_at": T}
    assert ops["$set"][f"{widget}.title"] == "Widget"  # what people call the SKU
    assert purchase_update([]) == {}


def test_a_record_keeps_a_bounded_number_of_products(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(purchases_module, "MAX_KEYS", 2)
    held = {"products": {"a": {}, "b": {}}}
    ops = purchase_update([(order(5, ("a", "A", 1, 1, None), ("c", "C", 1, 4, None)), T)], held)
    assert "purchases.products.a.orders" in ops["$inc"]
    assert not any(k.startswith("purchases.products.c.") for k in ops["$inc"])
    assert ops["$inc"]["purchases.orders"] == 1 and ops["$inc"]["purchases.spent.USD"] == 5


async def _summed(collection, cid: str, orders) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    for one in orders:  # one update per batch, as ingestion sends them
        await collection.update_one({"_id": cid}, purchase_update([one]), upsert=True)
    doc = await collection.find_one({"_id": cid})
    return doc["purchases"]


async def test_the_database_sums_what_the_operators_say_and_a_merge_keeps_both(mongo) -> None:  # type: ignore[no-untyped-def]
    db = mongo[f"test_purchases_{uuid4().hex[:8]}"]
    try:
        every = await _summed(db.contacts, "all", ORDERS)
        assert every["orders"] == 3 and every["spent"] == {"USD": 75.5, "EUR": 12.0}
        assert every["first_at"] == T - timedelta(days=9)
        assert every["last_at"] == T + timedelta(days=2)
        widget = every["products"][escape("W.1")]
        assert widget["orders"] == 3 and widget["units"] == 5
        assert widget["spent"] == {"USD": 40.0, "EUR": 12.0}
        # Two records holding the orders between them merge into what one would hold.
        first = await _summed(db.contacts, "one", ORDERS[:1])
        rest = await _summed(db.contacts, "two", ORDERS[1:])
        assert merge_purchases(first, rest) == every
        assert merge_purchases(None, rest) == rest
        shown = readable_history(every)
        assert shown is not None
        assert [p["name"] for p in shown["products"]] == ["W.1", "$G", "Gift wrap"]
        assert [p["title"] for p in shown["products"]] == ["Widget", "Gizmo", "Gift wrap"]
        assert shown["categories"][0] == {
            "name": "gadgets",
            "orders": 3,
            "units": 6,
            "spent": {"USD": 65.5, "EUR": 12.0},
            "last_at": T + timedelta(days=2),
        }
    finally:
        await mongo.drop_database(db.name)


async def test_records_that_bought_before_get_their_history_once(mongo) -> None:  # type: ignore[no-untyped-def]
    from lodestone_common.processing import Transactions
    from lodestone_contacts.purchase_history import backfill_purchase_history
    from lodestone_contacts.stores import Stores

    db = mongo[f"test_purchases_{uuid4().hex[:8]}"]
    try:
        await db.contacts.insert_many(
            [
                {"_id": "old", "activity": {"purchase": 2}},
                {"_id": "kept", "activity": {"purchase": 1}, "purchases": {"orders": 9}},
                {"_id": "gone", "activity": {"purchase": 1}, "merged_into": "old"},
                {"_id": "looker", "activity": {"page_visit": 4}},
            ]
        )
        entries = [
            {
                "contact_id": cid,
                "at": at,
                "kind": "interaction",
                "type": "purchase",
                "properties": props,
            }
            for cid, (props, at) in (("old", ORDERS[0]), ("old", ORDERS[2]), ("kept", ORDERS[1]))
        ]
        await db.timeline.insert_many(entries)
        stores, transactions = Stores(db), Transactions(mongo)
        assert await backfill_purchase_history(stores, transactions) == 1
        rebuilt = (await db.contacts.find_one({"_id": "old"}))["purchases"]
        assert rebuilt == await _summed(db.contacts, "fresh", [ORDERS[0], ORDERS[2]])
        assert (await db.contacts.find_one({"_id": "kept"}))["purchases"] == {"orders": 9}
        assert "purchases" not in await db.contacts.find_one({"_id": "looker"})
        # Done once: a restart does not look again.
        await db.contacts.update_one({"_id": "old"}, {"$unset": {"purchases": ""}})
        assert await backfill_purchase_history(stores, transactions) == 0
    finally:
        await mongo.drop_database(db.name)
