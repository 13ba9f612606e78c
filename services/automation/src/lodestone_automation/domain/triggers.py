"""When does an event enroll a contact? Trigger matching, sliding windows, policies."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from lodestone_common.conditions import all_hold

from .workflows import Enrollment, InteractionCountTrigger, InteractionTrigger


def interaction_matches(
    trigger: InteractionTrigger | InteractionCountTrigger, interaction: dict[str, Any]
) -> bool:
    """`interaction`: {"interaction_type", "name", "properties"}."""
    if trigger.interaction_type and interaction["interaction_type"] != trigger.interaction_type:
        return False
    if trigger.event_name and str(interaction["name"]).lower() != trigger.event_name.lower():
        return False
    return all_hold(trigger.conditions, interaction.get("properties") or {})


def window_reached(
    hits: list[datetime], at: datetime, trigger: InteractionCountTrigger
) -> tuple[bool, list[datetime]]:
    """Add a hit at `at`; (whether `count` hits now fall within the window, hits to keep).

    The window is anchored at the newest hit, so late (out-of-order) events count too.
    """
    window = timedelta(days=trigger.within_days)
    every = sorted({*hits, at})
    newest = every[-1]
    kept = [h for h in every if h > newest - window]
    return at in kept and len(kept) >= trigger.count, kept[-trigger.count * 2 :]


def may_enroll(
    policy: Enrollment, previous: list[datetime], at: datetime, active: bool
) -> tuple[bool, str]:
    """(allowed, why) for a new enrollment given the contact's earlier ones in this workflow."""
    if active:
        return False, "already enrolled"
    if not previous or policy.policy == "every_time":
        return True, "enrolled"
    if policy.policy == "once":
        return False, "policy once: enrolled before"
    assert policy.days is not None
    last = max(previous)
    if at - last < timedelta(days=policy.days):
        return False, f"policy once per {policy.days:g} days: last enrolled {last.isoformat()}"
    return True, "enrolled"
