"""A producer that falls fatally out of step with the broker heals, against real Kafka.

The broker losing a producer's sequence state is what wedged a service for the rest of a CI
run after a Kafka restart: every later batch answered OutOfOrderSequenceNumber. Here it is
caused for real (a topic deleted and created again forgets every producer's state on it) and
injected once at the producer boundary; both times the next publish goes through on a new
producer, counted in lodestone_kafka_producer_rebuilds_total.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from typing import Any
from uuid import uuid4

import orjson
import pytest
from aiokafka import AIOKafkaConsumer
from aiokafka.errors import KafkaError, OutOfOrderSequenceNumber
from faststream.kafka import KafkaBroker
from pymongo import AsyncMongoClient

from lodestone_common.admin import ensure_topics
from lodestone_common.events import InteractionRecorded
from lodestone_common.kafka import Outgoing, make_broker, publish_all
from lodestone_common.metrics import OUTBOX_PARKED, PRODUCER_REBUILDS
from lodestone_common.outbox import PARKED, Outbox
from lodestone_common.parked import redrive
from lodestone_common.settings import ServiceSettings
from lodestone_common.topics import TopicSpec


@pytest.fixture
async def topic(infra) -> str:  # type: ignore[no-untyped-def]
    name = f"test.heal.{uuid4().hex[:10]}"
    await ensure_topics(infra.kafka_bootstrap, (TopicSpec(name, 1, "test"),))
    return name


@pytest.fixture
async def broker(infra) -> AsyncIterator[KafkaBroker]:  # type: ignore[no-untyped-def]
    settings = ServiceSettings(
        service_name="test", kafka_bootstrap=infra.kafka_bootstrap, api_key="k"
    )
    broker = make_broker(settings)
    await broker.connect()
    yield broker
    await broker.stop()


def producer_of(broker: KafkaBroker):  # type: ignore[no-untyped-def]
    return broker.config.producer._producer.producer  # type: ignore[attr-defined]


def inject_once(broker: KafkaBroker, error: Exception) -> list[int]:
    """The next send's delivery fails with `error`, as aiokafka reports a broker's verdict."""
    producer = producer_of(broker)
    real_send = producer.send
    calls: list[int] = []

    async def send(*args, **kwargs):  # type: ignore[no-untyped-def]
        calls.append(1)
        if len(calls) == 1:
            failed: asyncio.Future[object] = asyncio.get_running_loop().create_future()
            failed.set_exception(error)
            return failed
        return await real_send(*args, **kwargs)

    producer.send = send
    return calls


async def read_values(bootstrap: str, topic: str, want: int) -> list[bytes]:
    consumer = AIOKafkaConsumer(topic, bootstrap_servers=bootstrap, auto_offset_reset="earliest")
    await consumer.start()
    values: list[bytes] = []
    try:
        deadline = time.monotonic() + 60
        while len(values) < want and time.monotonic() < deadline:
            for records in (await consumer.getmany(timeout_ms=500)).values():
                values.extend(r.value for r in records)
        # Anything more that arrives soon after would be a duplicate.
        for records in (await consumer.getmany(timeout_ms=1000)).values():
            values.extend(r.value for r in records)
    finally:
        await consumer.stop()
    return values


async def emptied(collection: Any, within: float = 60) -> None:
    """Wait until `collection` holds nothing (fails after `within` seconds)."""
    deadline = time.monotonic() + within
    while await collection.count_documents({}):
        assert time.monotonic() < deadline, "rows left behind"
        await asyncio.sleep(0.05)


async def test_a_batch_expired_while_the_partition_had_no_leader_heals(infra, topic) -> None:  # type: ignore[no-untyped-def]
    """The cause of the wedge, for real: aiokafka gives an idempotent batch its sequence
    numbers when it takes it off the queue, also when it takes it off only to fail it as
    expired because its partition has no leader (as while Kafka restarts, when a slow stop
    and start outlast request_timeout_ms). The broker never saw those numbers, so the next
    batch is out of order for it, and so is every batch after: the producer is dead."""
    settings = ServiceSettings(
        service_name="test", kafka_bootstrap=infra.kafka_bootstrap, api_key="k"
    )
    broker = make_broker(settings, request_timeout_ms=1500)  # the batch lifetime
    await broker.connect()
    try:
        await publish_all(broker, [Outgoing(topic, b"k", f"before-{i}".encode()) for i in range(5)])
        first = producer_of(broker)
        cluster = first.client.cluster
        # The partition's leader is unknown, as the broker says while it starts up.
        real_leader = cluster.leader_for_partition
        cluster.leader_for_partition = lambda tp: -1 if tp.topic == topic else real_leader(tp)
        with pytest.raises(KafkaError):
            await publish_all(broker, [Outgoing(topic, b"k", b"expired")], timeout=30)
        del cluster.leader_for_partition  # the broker is back
        rebuilds = PRODUCER_REBUILDS._value.get()
        await publish_all(broker, [Outgoing(topic, b"k", b"after")], timeout=30)
        assert PRODUCER_REBUILDS._value.get() == rebuilds + 1  # it met OutOfOrderSequenceNumber
        assert producer_of(broker) is not first
        values = await read_values(infra.kafka_bootstrap, topic, 6)
        assert values == [*(f"before-{i}".encode() for i in range(5)), b"after"]
    finally:
        await broker.stop()


async def test_a_fatal_error_at_the_producer_boundary_rebuilds_it_once(
    infra, broker, topic
) -> None:  # type: ignore[no-untyped-def]
    first = producer_of(broker)
    inject_once(broker, OutOfOrderSequenceNumber())
    rebuilds = PRODUCER_REBUILDS._value.get()
    messages = [Outgoing(topic, f"k{i}".encode(), f"m{i}".encode()) for i in range(3)]
    # Three publishers meet the same broken producer: one rebuild serves them all.
    await asyncio.gather(*(publish_all(broker, messages, timeout=30) for _ in range(3)))
    assert PRODUCER_REBUILDS._value.get() == rebuilds + 1
    assert producer_of(broker) is not first
    # Each publisher's messages all arrive; the one that met the error sent its batch again,
    # so some arrive twice (consumers absorb that by event id).
    values = await read_values(infra.kafka_bootstrap, topic, 9)
    assert {v: values.count(v) >= 3 for v in values} == {m.value: True for m in messages}


def rows(topic: str, n: int, tag: str) -> list[tuple[str, object]]:
    return [
        (
            topic,
            InteractionRecorded(interaction_type="page_visit", name=f"{tag}{i}").envelope(
                contact_id=f"c{i}", producer="test"
            ),
        )
        for i in range(n)
    ]


async def test_the_outbox_relay_flows_again_after_a_fatal_producer_error(
    infra, broker, topic, mongo: AsyncMongoClient
) -> None:  # type: ignore[no-untyped-def]
    db = mongo[f"test_heal_{uuid4().hex[:10]}"]
    outbox = Outbox(db, broker, holder="me", service="test")
    inject_once(broker, OutOfOrderSequenceNumber())
    started = time.monotonic()
    running = asyncio.ensure_future(outbox.run())
    try:
        await outbox.add(rows(topic, 4, "heal"))  # type: ignore[arg-type]
        outbox.wake()
        values = await read_values(infra.kafka_bootstrap, topic, 4)
        assert time.monotonic() - started < 30
        # Every row went out; the batch that met the error went out again whole, so some
        # arrive twice: consumers apply an event id once (the fault suite counts that).
        assert {orjson.loads(v)["payload"]["name"] for v in values} == {
            f"heal{i}" for i in range(4)
        }
        await emptied(db["outbox"])  # sent rows are deleted beside the next send
    finally:
        running.cancel()
        await mongo.drop_database(db.name)


async def test_a_row_kafka_can_never_take_is_parked_and_the_rest_flows(
    infra, broker, topic, mongo: AsyncMongoClient
) -> None:  # type: ignore[no-untyped-def]
    db = mongo[f"test_park_{uuid4().hex[:10]}"]
    outbox = Outbox(db, broker, holder="me", service="test")
    huge = InteractionRecorded(
        interaction_type="page_visit", name="huge", properties={"blob": "x" * 2_000_000}
    ).envelope(contact_id="c-huge", producer="test")
    parked_before = OUTBOX_PARKED.labels("test", "too_large")._value.get()
    try:
        # One unit of work's events share a row: the huge one in the middle of it.
        await outbox.add([*rows(topic, 1, "ahead"), (topic, huge), *rows(topic, 2, "behind")])  # type: ignore[list-item]
        await outbox.add(rows(topic, 1, "later"))  # type: ignore[arg-type]
        running = asyncio.ensure_future(outbox.run())
        values = await read_values(infra.kafka_bootstrap, topic, 4)
        running.cancel()
        names = [orjson.loads(v)["payload"]["name"] for v in values]
        assert names == ["ahead0", "behind0", "behind1", "later0"]
        parked = await db[PARKED].find().to_list(None)
        assert [p["event_id"] for p in parked] == [str(huge.event_id)]
        assert parked[0]["reason"] == "too_large" and "bytes" in parked[0]["error"]
        await emptied(db["outbox"])  # sent rows are deleted beside the next send
        assert OUTBOX_PARKED.labels("test", "too_large")._value.get() == parked_before + 1
        # Re-driven, it goes back to the end of the outbox (and is parked again while the
        # cause stands: nothing is lost and nothing blocks).
        assert await redrive(db, parked) == 1
        assert await db[PARKED].count_documents({}) == 0
        assert await outbox.relay_once() == 1
        assert await db[PARKED].count_documents({}) == 1
    finally:
        await mongo.drop_database(db.name)
