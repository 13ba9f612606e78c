"""Kafka subscribers of the automation service."""

from __future__ import annotations

from lodestone_common.consumer import subscribe_events
from lodestone_common.events import (
    ContactCreated,
    ContactErased,
    ContactMerged,
    ContactOwnerAssigned,
    ContactStageChanged,
    ContactUpdated,
)
from lodestone_common.http import Runtime
from lodestone_common.topics import CONTACTS

from .repository import AudienceRepository

CONTACT_EVENTS = {
    t.event_type
    for t in (
        ContactCreated,
        ContactUpdated,
        ContactStageChanged,
        ContactOwnerAssigned,
        ContactErased,
        ContactMerged,
    )
}


def register(runtime: Runtime, audience: AudienceRepository) -> None:
    subscribe_events(
        runtime.broker,
        CONTACTS,
        group=f"{runtime.settings.consumer_group}.automation-contacts",
        handler=audience.apply,
        event_types=CONTACT_EVENTS,
        max_records=runtime.settings.consumer_max_records,
        title="automation-contacts",
        description="Keeps the audience (contact fields workflows test) in step with contacts",
    )
