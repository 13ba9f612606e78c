"""Kafka subscribers that keep reporting's read models in step with the topics."""

from __future__ import annotations

from lodestone_common.consumer import EnvelopeEvent, subscribe_events
from lodestone_common.events import ContactCreated
from lodestone_common.http import Runtime
from lodestone_common.topics import CONTACTS

from .domain import counter_deltas
from .repository import CountersRepository


def register(runtime: Runtime, counters: CountersRepository) -> None:
    async def on_contact_events(events: list[EnvelopeEvent]) -> None:
        by_id = {e.event_id: e for e in events}
        await counters.apply(list(by_id), lambda unseen: counter_deltas(by_id[i] for i in unseen))

    subscribe_events(
        runtime.broker,
        CONTACTS,
        group=f"{runtime.settings.consumer_group}.reporting-contacts",
        handler=on_contact_events,
        event_types={ContactCreated.event_type},
        max_records=runtime.settings.consumer_max_records,
        title="reporting-contacts",
        description="Counts contacts created per day and lead source",
    )
