"""The consumer contract against real Kafka and a real MongoDB-wire server."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from uuid import uuid4

import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from pymongo import AsyncMongoClient, UpdateOne

from lodestone_common.admin import ensure_topics
from lodestone_common.consumer import EnvelopeEvent, subscribe_events
from lodestone_common.envelope import Envelope
from lodestone_common.events import InteractionRecorded
from lodestone_common.kafka import make_broker, outgoing, publish_all
from lodestone_common.mongo import Inbox, in_transaction
from lodestone_common.settings import ServiceSettings
from lodestone_common.topics import DEAD_LETTER, TopicSpec

Handler = Callable[[list[EnvelopeEvent]], Awaitable[None]]


def visit(name: str = "page") -> Envelope:
    return InteractionRecorded(interaction_type="page_visit", name=name).envelope(
        contact_id=f"c_{uuid4().hex[:8]}", producer="test"
    )


@pytest.fixture
async def topic(infra) -> str:  # type: ignore[no-untyped-def]
    name = f"test.consumer.{uuid4().hex[:10]}"
    await ensure_topics(infra.kafka_bootstrap, (TopicSpec(name, 3, "test"),))
    return name


@pytest.fixture
async def db(mongo: AsyncMongoClient):  # type: ignore[no-untyped-def]
    name = f"test_consumer_{uuid4().hex[:10]}"
    yield mongo[name]
    await mongo.drop_database(name)


class Consumer:
    """A service-like consumer: counts each event with an inbox in one transaction."""

    def __init__(self, infra, mongo: AsyncMongoClient, db, topic: str, group: str) -> None:  # type: ignore[no-untyped-def]
        self.settings = ServiceSettings(
            service_name="test", kafka_bootstrap=infra.kafka_bootstrap, api_key="k"
        )
        self.mongo, self.db, self.topic, self.group = mongo, db, topic, group
        self.inbox = Inbox(db["inbox"])
        self.received: list[str] = []

    async def count(self, events: list[EnvelopeEvent]) -> None:
        self.received.extend(e.event_id for e in events)
        if any(e.payload.name == "explode" for e in events):  # type: ignore[attr-defined]
            raise RuntimeError("this handler cannot take 'explode'")

        async def work(session) -> None:  # type: ignore[no-untyped-def]
            unseen = await self.inbox.unseen([e.event_id for e in events], session=session)
            if unseen:
                await self.db["counts"].bulk_write(
                    [UpdateOne({"_id": i}, {"$inc": {"n": 1}}, upsert=True) for i in unseen],
                    session=session,
                )
                await self.inbox.remember(unseen, session=session)

        await in_transaction(self.mongo, work)

    async def running(self, handler: Handler | None = None):  # type: ignore[no-untyped-def]
        broker = make_broker(self.settings, graceful_timeout=1.0)
        subscribe_events(
            broker,
            self.topic,
            group=self.group,
            handler=handler or self.count,
            event_types={InteractionRecorded.event_type},
            max_records=100,
            title="t",
            description="t",
        )
        await broker.start()
        return broker

    async def counts(self) -> dict[str, int]:
        return {d["_id"]: d["n"] async for d in self.db["counts"].find()}


@pytest.fixture
async def producer(infra) -> AsyncIterator:  # type: ignore[no-untyped-def]
    broker = make_broker(ServiceSettings(kafka_bootstrap=infra.kafka_bootstrap, api_key="k"))
    await broker.connect()
    yield broker
    await broker.stop()


async def committed(bootstrap: str, group: str, topic: str) -> int:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        offsets = await admin.list_consumer_group_offsets(group)
    finally:
        await admin.close()
    return sum(meta.offset for tp, meta in offsets.items() if tp.topic == topic)


async def test_effects_apply_once_and_offsets_commit(
    infra,
    mongo,
    db,
    topic,
    producer,
    eventually,  # type: ignore[no-untyped-def]
) -> None:
    consumer = Consumer(infra, mongo, db, topic, f"g-{uuid4().hex[:8]}")
    events = [visit() for _ in range(50)]
    broker = await consumer.running()
    try:
        # Every event twice: the inbox must absorb the copies.
        await publish_all(producer, [outgoing(topic, e) for e in events + events])

        async def all_counted() -> bool:
            counts = await consumer.counts()
            return (
                len(counts) == 50
                and await committed(infra.kafka_bootstrap, consumer.group, topic) == 100
            )

        await eventually(all_counted)
    finally:
        await broker.stop()
    assert set((await consumer.counts()).values()) == {1}


async def test_a_batch_whose_handler_dies_is_redelivered_not_committed(
    infra,
    mongo,
    db,
    topic,
    producer,
    eventually,  # type: ignore[no-untyped-def]
) -> None:
    consumer = Consumer(infra, mongo, db, topic, f"g-{uuid4().hex[:8]}")
    events = [visit() for _ in range(30)]
    stuck = asyncio.Event()

    async def dies_mid_batch(batch: list[EnvelopeEvent]) -> None:
        consumer.received.extend(e.event_id for e in batch)
        stuck.set()
        await asyncio.sleep(3600)  # the process "dies" here: the broker is stopped under it

    first = await consumer.running(dies_mid_batch)
    await publish_all(producer, [outgoing(topic, e) for e in events])
    await asyncio.wait_for(stuck.wait(), 30)
    await first.stop()
    assert await committed(infra.kafka_bootstrap, consumer.group, topic) == 0
    assert await consumer.counts() == {}

    second = await consumer.running()
    try:
        await eventually(lambda: _has(consumer, 30))
    finally:
        await second.stop()
    assert set((await consumer.counts()).values()) == {1}


async def _has(consumer: Consumer, n: int) -> bool:
    return len(await consumer.counts()) == n


async def test_poison_goes_to_dead_letter_with_reason_and_the_rest_flows(
    infra,
    mongo,
    db,
    topic,
    producer,
    eventually,  # type: ignore[no-untyped-def]
) -> None:
    consumer = Consumer(infra, mongo, db, topic, f"g-{uuid4().hex[:8]}")
    good = [visit() for _ in range(20)]
    explode = visit("explode")
    wrong_version = Envelope(
        event_type=InteractionRecorded.event_type,
        schema_version=7,
        producer="test",
        contact_id="c_v7",
        payload={},
    )
    dlq_start = await _end_offsets(infra.kafka_bootstrap, DEAD_LETTER)
    broker = await consumer.running()
    try:
        messages = [outgoing(topic, e) for e in good[:10]]
        messages.append(outgoing(topic, explode))
        messages.append(outgoing(topic, wrong_version))
        messages.append(type(messages[0])(topic, b"c_bad", b"{not json"))
        messages += [outgoing(topic, e) for e in good[10:]]
        await publish_all(producer, messages)
        await eventually(lambda: _has(consumer, 20), timeout=30)
        dead = await eventually(
            lambda: _dead_letters(infra.kafka_bootstrap, dlq_start, topic, 3), timeout=30
        )
    finally:
        await broker.stop()
    reasons = sorted(h["x-dlq-reason"] for h in dead)
    assert reasons == ["handler failed", "invalid message", "invalid message"]
    errors = " ".join(h["x-dlq-error"] for h in dead)
    assert "cannot take 'explode'" in errors and "v7" in errors
    assert all(h["x-original-topic"] == topic and h["x-original-offset"].isdigit() for h in dead)
    assert str(explode.event_id) not in await consumer.counts()


async def _end_offsets(bootstrap: str, topic: str) -> dict[int, int]:
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap)
    await consumer.start()
    try:
        parts = [TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic) or []]
        if not parts:
            await consumer._client.force_metadata_update()
            parts = [TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic) or []]
        ends = await consumer.end_offsets(parts)
        return {tp.partition: off for tp, off in ends.items()}
    finally:
        await consumer.stop()


async def _dead_letters(
    bootstrap: str, start: dict[int, int], origin: str, expected: int
) -> list[dict[str, str]] | None:
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await consumer.start()
    try:
        parts = [TopicPartition(DEAD_LETTER, p) for p in start]
        consumer.assign(parts)
        for tp in parts:
            consumer.seek(tp, start[tp.partition])
        found: list[dict[str, str]] = []
        batches = await consumer.getmany(timeout_ms=2000)
        for records in batches.values():
            for r in records:
                headers = {k: v.decode() for k, v in r.headers}
                if headers.get("x-original-topic") == origin:
                    found.append(headers)
        return found if len(found) >= expected else None
    finally:
        await consumer.stop()
