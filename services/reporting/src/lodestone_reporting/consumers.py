"""Kafka subscribers that keep reporting's read models in step with every topic."""

from __future__ import annotations

from lodestone_common.consumer import EnvelopeEvent, subscribe_events
from lodestone_common.http import Runtime

from .domain.projector import TOPIC_EVENTS
from .repository import ReportingRepository


def register(runtime: Runtime, repo: ReportingRepository) -> None:
    async def project(events: list[EnvelopeEvent]) -> None:
        await repo.apply(events)

    for topic, (name, event_types) in TOPIC_EVENTS.items():
        subscribe_events(
            runtime.broker,
            topic,
            group=f"{runtime.settings.consumer_group}.reporting-{name}",
            handler=project,
            event_types=event_types,
            max_records=runtime.settings.consumer_max_records,
            progress=runtime.progress,
            title=f"reporting-{name}",
            description=f"Projects {name} events into report counters and views",
        )
