"""Kafka subscribers of the scoring service: interactions and contact events."""

from __future__ import annotations

from lodestone_common.consumer import subscribe_events
from lodestone_common.events import (
    ContactCreated,
    ContactErased,
    ContactMerged,
    ContactOwnerAssigned,
    ContactStageChanged,
    ContactUpdated,
    InteractionRecorded,
)
from lodestone_common.http import Runtime
from lodestone_common.topics import CONTACTS, INTERACTIONS

from .repository import ScoringRepository

CONTACT_EVENTS = {
    t.event_type
    for t in (
        ContactCreated,
        ContactUpdated,
        ContactStageChanged,
        ContactOwnerAssigned,
        ContactMerged,
        ContactErased,
    )
}


def register(runtime: Runtime, scoring: ScoringRepository) -> None:
    subscribe_events(
        runtime.broker,
        INTERACTIONS,
        group=f"{runtime.settings.consumer_group}.scoring-interactions",
        handler=scoring.apply_interactions,
        event_types={InteractionRecorded.event_type},
        max_records=runtime.settings.consumer_max_records,
        progress=runtime.progress,
        title="scoring-interactions",
        description="Scores every interaction under every active model into the ledger",
    )
    subscribe_events(
        runtime.broker,
        CONTACTS,
        group=f"{runtime.settings.consumer_group}.scoring-contacts",
        handler=scoring.apply_contact_events,
        event_types=CONTACT_EVENTS,
        max_records=runtime.settings.consumer_max_records,
        progress=runtime.progress,
        title="scoring-contacts",
        description="Keeps contact fields for fit grades; merges ledgers; forgets erased people",
    )
