"""The audience: automation's own copy of the contact fields its conditions and emails read."""

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
    ScoreChanged,
)


def audience_change(event: EnvelopeEvent) -> tuple[str, dict[str, Any] | None, list[str]]:
    """(contact id, fields to set or None, contact ids to forget) for one event."""
    contact_id = event.envelope.contact_id
    payload = event.payload
    if isinstance(payload, ContactCreated):
        # `known`: the contact's own record has arrived (scores or activity alone may have
        # created the audience row first; topics are not ordered among each other).
        return contact_id, {**payload.contact.model_dump(mode="json"), "known": True}, []
    if isinstance(payload, ContactUpdated):
        return contact_id, dict(payload.changes), []
    if isinstance(payload, ContactStageChanged):
        return contact_id, {"lifecycle_stage": payload.to_stage}, []
    if isinstance(payload, ContactOwnerAssigned):
        return contact_id, {"owner_id": payload.owner_id}, []
    if isinstance(payload, ScoreChanged) and payload.model_id == "default":
        return (
            contact_id,
            {"score": payload.score, "grade": payload.grade, "score_band": payload.band},
            [],
        )
    if isinstance(payload, ContactErased):
        return contact_id, None, [contact_id]
    if isinstance(payload, ContactMerged):
        return contact_id, None, list(payload.merged_ids)
    return contact_id, None, []
