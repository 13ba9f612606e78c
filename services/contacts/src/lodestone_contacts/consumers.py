"""Kafka subscribers of the contacts service: raw ingest, and scoring's verdicts."""

from __future__ import annotations

from lodestone_common.consumer import EnvelopeEvent, Rejections, subscribe_batch, subscribe_events
from lodestone_common.events import ScoreChanged
from lodestone_common.http import Runtime
from lodestone_common.ingest import IngestEvent
from lodestone_common.topics import INGEST_RAW, SCORES

from .domain.interactions import property_errors
from .domain.scores import score_update
from .repository import ContactsRepository


def parse_ingest(raw: bytes) -> IngestEvent:
    """An integrator's event; one with broken properties is poison (dead-lettered)."""
    event = IngestEvent.model_validate_json(raw)
    problems = property_errors(event)
    if problems:
        raise ValueError("; ".join(f"{f}: {m}" for f, m in problems))
    if event.occurred_at is None:
        raise ValueError("occurred_at: required on the raw topic")
    return event


def register(runtime: Runtime, contacts: ContactsRepository) -> None:
    async def on_ingest(events: list[IngestEvent]) -> Rejections:
        return await contacts.apply_ingest(events)

    subscribe_batch(
        runtime.broker,
        INGEST_RAW,
        group=f"{runtime.settings.consumer_group}.contacts-ingest",
        handler=on_ingest,
        parse=parse_ingest,
        key_of=lambda e: str(e.envelope_id()),
        max_records=runtime.settings.consumer_max_records,
        progress=runtime.progress,
        title="contacts-ingest",
        description="Resolves integrators' events to contacts and republishes them as "
        "interaction.recorded keyed by contact_id",
    )

    async def on_scores(events: list[EnvelopeEvent]) -> None:
        updates = []
        for event in events:
            found = score_update(event)
            if found:
                model, at, fields = found
                updates.append((event.envelope.contact_id, model, at, fields))
        await contacts.apply_scores(updates)

    subscribe_events(
        runtime.broker,
        SCORES,
        group=f"{runtime.settings.consumer_group}.contacts-scores",
        handler=on_scores,
        event_types={ScoreChanged.event_type},
        max_records=runtime.settings.consumer_max_records,
        progress=runtime.progress,
        title="contacts-scores",
        description="Keeps each contact's score, grade and band in step for search and segments",
    )
