"""The shared condition language: what a dotted path reaches and when a test holds."""

from __future__ import annotations


def test_conditions_reach_into_lists_such_as_a_purchases_line_items() -> None:
    """`items.sku equals …` passed /validate and never matched (round two of numbers)."""
    from lodestone_common.conditions import Condition, holds, interaction_matches

    props = {"amount": 55, "items": [{"sku": "A-1", "price": 5}, {"sku": "B-2", "price": 50}]}

    def check(**condition: object) -> bool:
        return holds(Condition(**condition), props)  # type: ignore[arg-type]

    assert check(field="items.sku", op="equals", value="b-2")  # any line item, any case
    assert not check(field="items.sku", op="equals", value="C-3")
    assert check(field="items.price", op="gte", value=40)
    assert not check(field="items.sku", op="not_equals", value="A-1")  # one of them is
    assert check(field="items.sku", op="not_equals", value="Z-9")
    assert check(field="items.color", op="exists", value=False)
    purchase = {"interaction_type": "purchase", "name": "Order Completed", "properties": props}
    skus = [Condition(field="items.sku", op="in", value=["b-2", "c-3"])]
    assert interaction_matches("purchase", None, skus, purchase)
