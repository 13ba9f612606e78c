"""What contacts does with what it reads: integrators' raw events (the edge) and scoring's
verdicts, both in the service's one consumer group and one transaction per batch."""

from __future__ import annotations

from lodestone_common.consumer import EnvelopeEvent
from lodestone_common.events import ScoreChanged
from lodestone_common.ingest import IngestEvent
from lodestone_common.processing import Edge, HandlerTable, UnitOfWork
from lodestone_common.topics import INGEST_RAW

from .domain.interactions import property_errors
from .domain.scores import score_update
from .ingestion import Ingestion
from .service import Contacts


def parse_ingest(raw: bytes) -> IngestEvent:
    """An integrator's event; one with broken properties is poison (dead-lettered)."""
    event = IngestEvent.model_validate_json(raw)
    problems = property_errors(event)
    if problems:
        raise ValueError("; ".join(f"{f}: {m}" for f, m in problems))
    if event.occurred_at is None:
        raise ValueError("occurred_at: required on the raw topic")
    return event


def handlers(contacts: Contacts) -> HandlerTable:
    async def on_scores(events: list[EnvelopeEvent], uow: UnitOfWork) -> None:
        updates = []
        for event in events:
            found = score_update(event)
            if found:
                model, at, fields = found
                updates.append((event.envelope.contact_id, model, at, fields))
        await contacts.apply_scores(updates, uow)

    return {ScoreChanged: on_scores}


def edges(ingestion: Ingestion) -> dict[str, Edge]:
    """The raw topic: keyed by the sender's identity, resolved here to contacts and
    republished as `interaction.recorded` keyed by contact id."""
    return {
        INGEST_RAW: Edge(
            parse=parse_ingest,
            key=lambda event: str(event.envelope_id()),
            handler=ingestion.apply,
        )
    }
