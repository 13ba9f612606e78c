"""The outbox relay hand-over against real Kafka and a real MongoDB-wire server."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import uuid4

import orjson
from aiokafka import AIOKafkaConsumer
from bson import ObjectId
from faststream.kafka import KafkaBroker
from prometheus_client import REGISTRY
from pymongo import AsyncMongoClient

from lodestone_common.admin import ensure_topics
from lodestone_common.events import InteractionRecorded
from lodestone_common.kafka import make_broker
from lodestone_common.outbox import Outbox
from lodestone_common.settings import ServiceSettings
from lodestone_common.topics import TopicSpec


async def _scratch(infra, mongo: AsyncMongoClient) -> tuple[str, Any, KafkaBroker]:  # type: ignore[no-untyped-def]
    """A one-partition topic, a scratch database and a connected broker."""
    topic = f"test.outbox.{uuid4().hex[:10]}"
    await ensure_topics(infra.kafka_bootstrap, (TopicSpec(topic, 1, "test"),))
    settings = ServiceSettings(
        service_name="test", kafka_bootstrap=infra.kafka_bootstrap, api_key="k"
    )
    broker = make_broker(settings)
    await broker.connect()
    return topic, mongo[f"test_outbox_{uuid4().hex[:10]}"], broker


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


async def test_a_relay_renews_its_lease_at_half_time_and_loses_it_only_once_run_out(
    infra, mongo: AsyncMongoClient, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    db = mongo[f"test_outbox_{uuid4().hex[:10]}"]
    clock = [datetime(2026, 11, 27, 12, 0, tzinfo=UTC)]
    monkeypatch.setattr("lodestone_common.outbox.utcnow", lambda: clock[0])
    first, second = (
        Outbox(db, None, holder=name, service="test", lease_seconds=10)  # type: ignore[arg-type]
        for name in ("first", "second")
    )

    async def expires_at() -> datetime:
        doc = await db["leases"].find_one({"_id": "outbox-relay"})
        assert doc is not None
        return doc["expires_at"].replace(tzinfo=UTC)

    try:
        assert await first._hold_lease()
        taken = await expires_at()
        clock[0] += timedelta(seconds=4)
        assert await first._hold_lease()
        assert await expires_at() == taken  # within half the lease: no round trip
        assert not await second._hold_lease()

        clock[0] += timedelta(seconds=2)  # past half: renewed
        assert await first._hold_lease()
        assert await expires_at() == clock[0] + timedelta(seconds=10)
        clock[0] += timedelta(seconds=9)
        assert not await second._hold_lease()  # still the first's, a second before it ends

        clock[0] += timedelta(seconds=2)  # the first stopped renewing: run out
        assert await second._hold_lease()
        assert not await first._hold_lease()
    finally:
        await mongo.drop_database(db.name)


async def test_the_relay_reports_how_old_its_oldest_waiting_row_is(
    infra, mongo: AsyncMongoClient
) -> None:  # type: ignore[no-untyped-def]
    topic, db, broker = await _scratch(infra, mongo)
    service = f"age-{uuid4().hex[:6]}"
    outbox = Outbox(db, broker, holder="one", service=service)
    event = InteractionRecorded(interaction_type="page_visit", name="p").envelope(
        contact_id="c1", producer="test"
    )
    try:
        await outbox.add([(topic, event)])
        # A row written a minute ago and still waiting (its id carries its time).
        row = await db["outbox"].find_one({})
        assert row is not None
        await db["outbox"].delete_one({"_id": row["_id"]})
        await db["outbox"].insert_one(
            {**row, "_id": ObjectId.from_datetime(datetime.now(UTC) - timedelta(minutes=1))}
        )
        assert await outbox.relay_once() == 1
        oldest = REGISTRY.get_sample_value("lodestone_outbox_oldest_seconds", {"service": service})
        assert oldest is not None and 59 <= oldest < 600
        assert await outbox.relay_once() == 0  # relayed: nothing waits
        assert (
            REGISTRY.get_sample_value("lodestone_outbox_oldest_seconds", {"service": service}) == 0
        )
    finally:
        await broker.stop()
        await mongo.drop_database(db.name)


async def test_rows_handed_over_go_out_unread_but_never_ahead_of_older_ones(
    infra, mongo: AsyncMongoClient
) -> None:  # type: ignore[no-untyped-def]
    topic, db, broker = await _scratch(infra, mongo)
    outbox = Outbox(db, broker, holder="one", service="test")

    def named(*names: str) -> list[tuple[str, object]]:
        return [
            (
                topic,
                InteractionRecorded(interaction_type="page_visit", name=name).envelope(
                    contact_id="c1", producer="test"
                ),
            )
            for name in names
        ]

    try:
        assert await outbox._hold_lease()
        await outbox.add(named("old"))  # type: ignore[arg-type]  # pending, not handed here
        outbox.hand(await outbox.add(named("a")))  # type: ignore[arg-type]
        # Nothing polled yet, so something older may be pending: the poll goes first.
        assert await outbox.relay_handed() == 0
        assert await outbox.relay_once() == 2
        # Caught up: rows handed over go out as they are, without being read back.
        outbox.hand(await outbox.add(named("b", "c")))  # type: ignore[arg-type]
        reads: list[object] = []
        find = outbox.rows_collection.find
        outbox.rows_collection.find = lambda *a, **k: reads.append(a) or find(*a, **k)  # type: ignore[method-assign]
        assert await outbox.relay_handed() == 2 and reads == []
        # Their deletion runs beside what comes next; a poll at once waits for it rather
        # than reading them again (the log's end below counts a second send).
        outbox.rows_collection.find = find  # type: ignore[method-assign]
        assert await outbox.relay_once() == 0
        assert await db["outbox"].count_documents({}) == 0
        consumer = AIOKafkaConsumer(
            topic, bootstrap_servers=infra.kafka_bootstrap, auto_offset_reset="earliest"
        )
        await consumer.start()
        names: list[str] = []
        try:
            started = time.monotonic()
            while len(names) < 4 and time.monotonic() - started < 60:
                for records in (await consumer.getmany(timeout_ms=500)).values():
                    names += [orjson.loads(r.value)["payload"]["name"] for r in records]
            # Every send was acknowledged before the relay returned: the log holds 4, no copy.
            ends = await consumer.end_offsets(list(consumer.assignment()))
        finally:
            await consumer.stop()
        assert names == ["old", "a", "b", "c"] and sum(ends.values()) == 4  # in order, once
    finally:
        await broker.stop()
        await mongo.drop_database(db.name)


def test_a_unit_of_works_events_share_a_row_up_to_its_bounds() -> None:
    from lodestone_common import outbox as module

    def event(i: int, size: int = 0) -> tuple[str, object]:
        return (
            "t",
            InteractionRecorded(
                interaction_type="page_visit", name=f"e{i}", properties={"pad": "x" * size}
            ).envelope(contact_id=f"c{i}", producer="test"),
        )

    events = [event(i) for i in range(3)]
    (one,) = Outbox.documents(events)  # type: ignore[arg-type]
    entries = one["entries"]
    assert [e["event_id"] for e in entries] == [str(e.event_id) for _, e in events]  # type: ignore[attr-defined]
    assert [orjson.loads(e["value"])["payload"]["name"] for e in entries] == ["e0", "e1", "e2"]
    many = Outbox.documents([event(i) for i in range(module.ROW_ENTRIES + 1)])  # type: ignore[arg-type]
    assert [len(r["entries"]) for r in many] == [module.ROW_ENTRIES, 1]
    big = Outbox.documents([event(i, 1_500_000) for i in range(4)])  # type: ignore[arg-type]
    assert [len(r["entries"]) for r in big] == [2, 2]  # under ROW_BYTES each
    # A row as written before rows held several is still one event.
    legacy = {"_id": ObjectId(), "topic": "t", "key": b"c1", "value": b"{}", "event_id": "x"}
    assert module.entries_of(legacy) == [legacy]
