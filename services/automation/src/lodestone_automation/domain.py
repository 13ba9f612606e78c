"""The audience: automation's own copy of the contact fields its conditions read."""

from __future__ import annotations

from typing import Any

from lodestone_common.consumer import EnvelopeEvent
from lodestone_common.events import (
    ContactCreated,
    ContactErased,
    ContactMerged,
    ContactOwnerAssigned,
    ContactStageChanged,
    ContactUpdated,
)


def audience_change(event: EnvelopeEvent) -> tuple[str, dict[str, Any] | None, list[str]]:
    """(contact id, fields to set or None, contact ids to forget) for one contact event."""
    contact_id = event.envelope.contact_id
    payload = event.payload
    if isinstance(payload, ContactCreated):
        return contact_id, payload.contact.model_dump(mode="json"), []
    if isinstance(payload, ContactUpdated):
        return contact_id, dict(payload.changes), []
    if isinstance(payload, ContactStageChanged):
        return contact_id, {"lifecycle_stage": payload.to_stage}, []
    if isinstance(payload, ContactOwnerAssigned):
        return contact_id, {"owner_id": payload.owner_id}, []
    if isinstance(payload, ContactErased):
        return contact_id, None, [contact_id]
    if isinstance(payload, ContactMerged):
        return contact_id, None, list(payload.merged_ids)
    return contact_id, None, []
