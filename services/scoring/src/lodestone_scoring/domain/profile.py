"""Which contact fields scoring keeps (for fit rules and outcomes), from contact events."""

from __future__ import annotations

from typing import Any

from lodestone_common.events import (
    ContactCreated,
    ContactOwnerAssigned,
    ContactSnapshot,
    ContactStageChanged,
    ContactUpdated,
    EventPayload,
)

# Every field the contract shares of a contact: fit rules may name any of them.
PROFILE_FIELDS = tuple(ContactSnapshot.model_fields)


# Not contact fields: the id, and activity counts profiles kept before they were counted
# from the history.
NOT_FIELDS = ("_id", "activity")


def fit_fields(profile: dict[str, Any] | None) -> dict[str, Any]:
    return {k: v for k, v in (profile or {}).items() if k not in NOT_FIELDS}


def profile_change(payload: EventPayload) -> dict[str, Any]:
    """The kept fields an event sets (dotted paths for nested changes)."""
    if isinstance(payload, ContactCreated):
        data = payload.contact.model_dump(mode="json")
        return {k: data[k] for k in PROFILE_FIELDS if data.get(k) is not None}
    if isinstance(payload, ContactUpdated):
        return {k: v for k, v in payload.changes.items() if k.split(".", 1)[0] in PROFILE_FIELDS}
    if isinstance(payload, ContactStageChanged):
        return {"lifecycle_stage": payload.to_stage}
    if isinstance(payload, ContactOwnerAssigned):
        return {"owner_id": payload.owner_id}
    return {}
