"""Does an interaction satisfy a behaviour rule?"""

from __future__ import annotations

from typing import Any

from lodestone_common.conditions import all_hold, holds

from .models import BehaviourRule

__all__ = ["holds", "rule_matches"]


def rule_matches(rule: BehaviourRule, interaction: dict[str, Any]) -> bool:
    """`interaction`: {"interaction_type", "name", "properties"}."""
    if rule.interaction_type and interaction["interaction_type"] != rule.interaction_type:
        return False
    if rule.event_name and str(interaction["name"]).lower() != rule.event_name.lower():
        return False
    return all_hold(rule.conditions, interaction.get("properties") or {})
