"""Does an interaction satisfy a behaviour rule?"""

from __future__ import annotations

from typing import Any

from lodestone_common.conditions import interaction_matches

from .models import BehaviourRule


def rule_matches(rule: BehaviourRule, interaction: dict[str, Any]) -> bool:
    """`interaction`: {"interaction_type", "name", "properties"}."""
    return interaction_matches(rule.interaction_type, rule.event_name, rule.conditions, interaction)
