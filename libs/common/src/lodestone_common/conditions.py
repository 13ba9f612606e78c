"""The condition language shared by scoring models and workflows (part of their public JSON).

    {"field": "url", "op": "contains", "value": "/pricing"}

`field` is a dotted path into event properties or contact fields; through a list it reaches
every element (`items.sku` on a purchase: any line item's SKU). Text compares without case.
A missing field satisfies only `not_equals` and `exists: false`; over several values (a list),
a test holds if one value passes it, `not_equals` and `exists: false` if all do.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

Op = Literal["equals", "not_equals", "contains", "starts_with", "in", "gte", "lte", "exists"]


class Condition(BaseModel):
    model_config = ConfigDict(extra="forbid")

    field: str = Field(min_length=1, max_length=100)
    op: Op = "equals"
    value: Any = None

    @model_validator(mode="after")
    def _value_fits(self) -> Condition:
        if self.op == "in" and not isinstance(self.value, list):
            raise ValueError(f"'{self.field}': op 'in' needs a list value")
        if self.op in ("gte", "lte") and not isinstance(self.value, int | float):
            raise ValueError(f"'{self.field}': op '{self.op}' needs a number")
        if self.op in ("contains", "starts_with") and not isinstance(self.value, str):
            raise ValueError(f"'{self.field}': op '{self.op}' needs text")
        if self.op != "exists" and self.value is None:
            raise ValueError(f"'{self.field}': op '{self.op}' needs a value")
        return self


def values(data: dict[str, Any], path: str) -> list[Any]:
    """What a dotted path reaches, stepping into every element of a list on the way."""
    found: list[Any] = [data]
    for part in path.split("."):
        step: list[Any] = []
        for value in found:
            for item in value if isinstance(value, list) else [value]:
                if isinstance(item, dict) and part in item:
                    step.append(item[part])
        found = step
    return found


def _text(value: Any) -> str:
    return str(value).lower()


def holds(condition: Condition, data: dict[str, Any]) -> bool:
    reached = [v for v in values(data, condition.field) if v is not None]
    if len(reached) <= 1:
        return _holds(condition, reached[0] if reached else None)
    # Through a list, several values: as the docstring says.
    negative = condition.op == "not_equals" or (
        condition.op == "exists" and condition.value is False
    )
    tests = (_holds(condition, v) for v in reached)
    return all(tests) if negative else any(tests)


def _holds(condition: Condition, value: Any) -> bool:
    wanted = condition.value
    match condition.op:
        case "exists":
            return value is not None if wanted in (None, True) else value is None
        case _ if value is None:
            return condition.op == "not_equals"
        case "equals":
            return _text(value) == _text(wanted) if isinstance(wanted, str) else value == wanted
        case "not_equals":
            return _text(value) != _text(wanted) if isinstance(wanted, str) else value != wanted
        case "contains":
            if isinstance(value, list):
                return any(_text(wanted) in _text(v) for v in value)
            return _text(wanted) in _text(value)
        case "starts_with":
            return _text(value).startswith(_text(wanted))
        case "in":
            return _text(value) in {_text(w) for w in wanted}
        case "gte" | "lte":
            if not isinstance(value, int | float) or isinstance(value, bool):
                return False
            return value >= wanted if condition.op == "gte" else value <= wanted
    return False


def all_hold(conditions: Iterable[Condition], data: dict[str, Any]) -> bool:
    return all(holds(c, data) for c in conditions)


def interaction_matches(
    interaction_type: str | None,
    event_name: str | None,
    conditions: Iterable[Condition],
    interaction: dict[str, Any],
) -> bool:
    """Does an interaction ({"interaction_type", "name", "properties"}) fit a rule or a
    trigger: its type, its name (without case) and conditions on its properties?"""
    if interaction_type and interaction["interaction_type"] != interaction_type:
        return False
    if event_name and str(interaction["name"]).lower() != event_name.lower():
        return False
    return all_hold(conditions, interaction.get("properties") or {})
