"""Kafka subscribers of the scoring service."""

from __future__ import annotations

from lodestone_common.consumer import EnvelopeEvent, subscribe_events
from lodestone_common.events import ContactCreated, ContactErased, ContactMerged
from lodestone_common.http import Runtime
from lodestone_common.topics import CONTACTS

from .domain import initial_score
from .repository import ScoresRepository


def register(runtime: Runtime, scores: ScoresRepository) -> None:
    async def on_contact_events(events: list[EnvelopeEvent]) -> None:
        upserts, erase = [], []
        for event in events:
            contact_id = event.envelope.contact_id
            if isinstance(event.payload, ContactCreated):
                upserts.append(initial_score(contact_id, event.envelope.occurred_at))
            elif isinstance(event.payload, ContactErased):
                erase.append(contact_id)
            elif isinstance(event.payload, ContactMerged):
                erase.extend(event.payload.merged_ids)
        await scores.apply(upserts, erase)

    subscribe_events(
        runtime.broker,
        CONTACTS,
        group=runtime.settings.consumer_group,
        handler=on_contact_events,
        event_types={ContactCreated.event_type, ContactErased.event_type, ContactMerged.event_type},
        max_records=runtime.settings.consumer_max_records,
        title="scoring-contacts",
        description="Opens a score record for every new contact; forgets erased ones",
    )
