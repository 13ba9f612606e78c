"""Does an interaction (or a contact) satisfy a rule's conditions?"""

from __future__ import annotations

from typing import Any

from .models import BehaviourRule, Condition


def _lookup(data: dict[str, Any], path: str) -> Any:
    value: Any = data
    for part in path.split("."):
        if not isinstance(value, dict) or part not in value:
            return None
        value = value[part]
    return value


def _text(value: Any) -> str:
    return str(value).lower()


def holds(condition: Condition, data: dict[str, Any]) -> bool:
    value = _lookup(data, condition.field)
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
            texts = {_text(w) for w in wanted}
            return _text(value) in texts
        case "gte" | "lte":
            if not isinstance(value, int | float) or isinstance(value, bool):
                return False
            return value >= wanted if condition.op == "gte" else value <= wanted
    return False


def rule_matches(rule: BehaviourRule, interaction: dict[str, Any]) -> bool:
    """`interaction`: {"interaction_type", "name", "properties"}."""
    if rule.interaction_type and interaction["interaction_type"] != rule.interaction_type:
        return False
    if rule.event_name and _text(interaction["name"]) != _text(rule.event_name):
        return False
    props = interaction.get("properties") or {}
    return all(holds(c, props) for c in rule.conditions)
