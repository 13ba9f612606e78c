"""When does an event enroll a contact? Trigger matching, sliding windows, policies."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from lodestone_common.conditions import interaction_matches as matches

from .workflows import (
    DateOffsetTrigger,
    Enrollment,
    InteractionCountTrigger,
    InteractionTrigger,
    WaitForStep,
)


def interaction_matches(
    trigger: InteractionTrigger | InteractionCountTrigger | WaitForStep,
    interaction: dict[str, Any],
) -> bool:
    """`interaction`: {"interaction_type", "name", "properties"}."""
    return matches(trigger.interaction_type, trigger.event_name, trigger.conditions, interaction)


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


def waited_event(step: WaitForStep, interaction: dict[str, Any]) -> bool:
    """Is this interaction what a `wait_for` step waits for?"""
    return interaction_matches(step, interaction)


def date_offset_fire_at(
    trigger: DateOffsetTrigger, value: Any, now: datetime
) -> tuple[datetime | None, str]:
    """When a date-offset trigger fires for this field value: (time or None, why).

    It fires at the start (UTC) of the offset day; a day already past does not fire (a
    contract that ended last year starts no renewal sequence), today fires now.
    """
    if isinstance(value, str):
        try:
            value = date.fromisoformat(value[:10])
        except ValueError:
            return None, f"{trigger.field} is not a date: {value!r}"
    if isinstance(value, datetime):
        value = value.date()
    if not isinstance(value, date):
        return None, f"{trigger.field} is not set"
    day = value + timedelta(days=trigger.offset_days)
    fire = datetime.combine(day, time(0, 0), tzinfo=UTC)
    if day < now.date():
        return None, f"{day.isoformat()} has passed"
    return max(fire, now), f"{trigger.offset_days:+d} days from {trigger.field} {value}"
