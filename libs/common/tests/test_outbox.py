"""The outbox relay hand-over against real Kafka and a real MongoDB-wire server."""

from __future__ import annotations

import asyncio
import time
from uuid import uuid4

from aiokafka import AIOKafkaConsumer
from pymongo import AsyncMongoClient

from lodestone_common.admin import ensure_topics
from lodestone_common.events import InteractionRecorded
from lodestone_common.kafka import make_broker
from lodestone_common.outbox import Outbox
from lodestone_common.settings import ServiceSettings
from lodestone_common.topics import TopicSpec


async def test_a_stopping_relay_publishes_what_is_pending_and_hands_its_lease_over(
    infra, mongo: AsyncMongoClient
) -> None:  # type: ignore[no-untyped-def]
    topic = f"test.outbox.{uuid4().hex[:10]}"
    await ensure_topics(infra.kafka_bootstrap, (TopicSpec(topic, 1, "test"),))
    db = mongo[f"test_outbox_{uuid4().hex[:10]}"]
    settings = ServiceSettings(
        service_name="test", kafka_bootstrap=infra.kafka_bootstrap, api_key="k"
    )
    brokers = [make_broker(settings), make_broker(settings)]
    for broker in brokers:
        await broker.connect()
    # A long lease: without the hand-over the second relay would wait a minute.
    first, second = (
        Outbox(db, broker, holder=name, service="test", lease_seconds=60)
        for name, broker in zip(("first", "second"), brokers, strict=True)
    )

    def events(n: int) -> list[tuple[str, object]]:
        return [
            (
                topic,
                InteractionRecorded(interaction_type="page_visit", name=f"p{i}").envelope(
                    contact_id=f"c{i}", producer="test"
                ),
            )
            for i in range(n)
        ]

    try:
        running = asyncio.ensure_future(first.run())
        await first.add(events(3))  # type: ignore[arg-type]
        first.wake()
        await asyncio.sleep(0.5)
        await first.add(events(2))  # type: ignore[arg-type]
        await first.drain()  # at once: these two go out with the drain at the latest
        await running
        assert await db["outbox"].count_documents({}) == 0
        assert await db["leases"].count_documents({}) == 0

        await second.add(events(1))  # type: ignore[arg-type]
        started = time.monotonic()
        takeover = asyncio.ensure_future(second.run())
        consumer = AIOKafkaConsumer(
            topic, bootstrap_servers=infra.kafka_bootstrap, auto_offset_reset="earliest"
        )
        await consumer.start()
        try:
            seen = 0
            while seen < 6 and time.monotonic() - started < 30:
                batches = await consumer.getmany(timeout_ms=500)
                seen += sum(len(records) for records in batches.values())
        finally:
            await consumer.stop()
        assert seen == 6
        assert time.monotonic() - started < 10  # not the 60 s lease
        takeover.cancel()
    finally:
        for broker in brokers:
            await broker.stop()
        await mongo.drop_database(db.name)
