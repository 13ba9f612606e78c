"""The batch-first processor: handler runs in order (no I/O), and against a real database one
transaction per batch, duplicates dropped, the erased filter, emitted events in the outbox,
rejections not remembered; the move from per-topic groups to one group on real Kafka."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from uuid import uuid4

import pytest
from aiokafka import TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from pymongo import AsyncMongoClient

from lodestone_common.admin import adopt_offsets, commit_offsets, ensure_topics
from lodestone_common.consumer import EnvelopeEvent
from lodestone_common.events import ContactErased, InteractionRecorded, ScoreChanged
from lodestone_common.processing import (
    Edge,
    Inbound,
    MemoryTransactions,
    Processor,
    Transactions,
    UnitOfWork,
    runs,
)
from lodestone_common.topics import CONTACTS, INTERACTIONS, SCORES, TopicSpec


def visit(contact: str, name: str = "page") -> EnvelopeEvent:
    payload = InteractionRecorded(interaction_type="page_visit", name=name)
    return EnvelopeEvent(payload.envelope(contact_id=contact, producer="test"), payload)


def erased(contact: str) -> EnvelopeEvent:
    payload = ContactErased(requested_by="test")
    return EnvelopeEvent(payload.envelope(contact_id=contact, producer="test"), payload)


def test_runs_keep_the_batch_order_and_group_neighbours_of_one_handler() -> None:
    async def a(events: list[EnvelopeEvent], uow: UnitOfWork) -> None: ...

    async def b(events: list[EnvelopeEvent], uow: UnitOfWork) -> None: ...

    table = {"interaction.recorded": a, "contact.erased": b}
    batch = [visit("c1"), visit("c2"), erased("c1"), visit("c1")]
    cut = runs(batch, lambda e: table[e.envelope.event_type])
    assert [(h, [e.event_id for e in run]) for h, run in cut] == [
        (a, [batch[0].event_id, batch[1].event_id]),
        (b, [batch[2].event_id]),
        (a, [batch[3].event_id]),
    ]


def test_the_subscription_is_derived_from_the_handler_table() -> None:
    async def h(events: list[EnvelopeEvent], uow: UnitOfWork) -> None: ...

    processor = Processor(
        "test",
        {InteractionRecorded: h, ContactErased: h, ScoreChanged: h},
        MemoryTransactions(),
        _NoDb(),
    )
    assert processor.topics == sorted([INTERACTIONS, CONTACTS, SCORES])
    assert processor.event_types == {"interaction.recorded", "contact.erased", "score.changed"}


def test_an_edge_topic_shares_the_batch_in_order_with_its_own_parser_and_key() -> None:
    seen: list[tuple[str, list[Any]]] = []

    async def on_visits(events: list[Any], uow: UnitOfWork) -> None:
        seen.append(("visits", [e.event_id for e in events]))

    async def on_raw(values: list[Any], uow: UnitOfWork) -> dict[str, str]:
        seen.append(("raw", values))
        return {"k:bad": "no"}

    edge = Edge(parse=lambda raw: raw.decode(), key=lambda v: f"k:{v}", handler=on_raw)
    processor = Processor(
        "test", {InteractionRecorded: on_visits}, MemoryTransactions(), _NoDb(), edges={"raw": edge}
    )
    assert processor.topics == sorted(["raw", INTERACTIONS])
    parsed = processor.parsers()["raw"](b"bad")
    assert parsed == Inbound("raw", "k:bad", "bad")
    batch = [visit("c1"), parsed, processor.parsers()["raw"](b"ok"), visit("c2")]
    cut = runs(batch, processor.handler_of)
    assert len(cut) == 3
    import asyncio

    async def drive() -> list[Any]:
        return [await h(run, UnitOfWork()) for h, run in cut]

    results = asyncio.run(drive())
    assert results[1] == {"k:bad": "no"}  # rejections keyed as the edge keys its messages
    assert seen == [
        ("visits", [batch[0].event_id]),
        ("raw", ["bad", "ok"]),
        ("visits", [batch[3].event_id]),
    ]


class _NoDb:
    def __getitem__(self, name: str) -> Any:
        return None


class _Relay:
    """The outbox's two duties the processor uses; rows go to the real collection."""

    def __init__(self, db: Any) -> None:
        self.rows_collection = db["outbox"]
        self.woken = 0

    async def add(
        self, items: list[tuple[str, Any]], session: Any = None, traces: Any = None
    ) -> list[dict[str, Any]]:
        from lodestone_common.outbox import Outbox

        rows = Outbox.documents(items, traces)
        await self.rows_collection.insert_many(rows, session=session)
        return rows

    def hand(self, rows: list[dict[str, Any]]) -> None:
        self.woken += 1


async def _events_in_outbox(db: Any) -> int:
    from lodestone_common.outbox import entries_of

    rows = await db["outbox"].find().to_list(None)
    assert len(rows) <= 1  # a batch's events share a row
    return sum(len(entries_of(r)) for r in rows)


async def test_one_batch_one_transaction_each_event_once(mongo: AsyncMongoClient) -> None:
    db = mongo[f"test_processing_{uuid4().hex[:10]}"]
    relay = _Relay(db)
    calls: list[list[str]] = []
    woken: list[int] = []

    def wake() -> None:
        woken.append(len(calls))

    async def count(events: list[EnvelopeEvent], uow: UnitOfWork) -> dict[str, str]:
        calls.append([e.event_id for e in events])
        uow.on_commit(wake)
        uow.on_commit(wake)  # asked twice in a batch: woken once
        rejected = {e.event_id: "no name" for e in events if e.payload.name == "bad"}
        for event in events:
            if event.event_id in rejected:
                continue
            await db["visits"].update_one(
                {"_id": event.envelope.contact_id},
                {"$inc": {"n": 1}},
                upsert=True,
                session=uow.session,
            )
            uow.emit(
                SCORES,
                ScoreChanged(model_id="m", score=1, previous_score=0).envelope(
                    contact_id=event.envelope.contact_id, producer="test"
                ),
            )
        return rejected

    async def forget(events: list[EnvelopeEvent], uow: UnitOfWork) -> None:
        for event in events:
            await db["erased"].update_one(
                {"_id": event.envelope.contact_id},
                {"$set": {"at": 1}},
                upsert=True,
                session=uow.session,
            )
            await db["visits"].delete_one({"_id": event.envelope.contact_id}, session=uow.session)

    processor = Processor(
        "test",
        {InteractionRecorded: count, ContactErased: forget},
        Transactions(mongo, relay),  # type: ignore[arg-type]
        db,
        erase_filter=True,
    )
    first, bad = visit("c1"), visit("c1", name="bad")
    batch = [first, visit("c2"), first, bad]  # a resend inside the batch too
    assert await processor.process(batch) == {bad.event_id: "no name"}
    assert calls == [[first.event_id, batch[1].event_id, bad.event_id]]
    assert {d["_id"]: d["n"] async for d in db["visits"].find()} == {"c1": 1, "c2": 1}
    assert await _events_in_outbox(db) == 2 and relay.woken == 1
    assert woken == [1]  # after the commit

    # Redelivered: nothing moves, except the rejected event, which is tried again.
    assert await processor.process(batch) == {bad.event_id: "no name"}
    assert calls[-1] == [bad.event_id]
    assert {d["_id"]: d["n"] async for d in db["visits"].find()} == {"c1": 1, "c2": 1}
    assert await _events_in_outbox(db) == 2

    # After the erasure, a late event about c1 has no effect.
    await processor.process([erased("c1"), visit("c1")])
    await processor.process([visit("c1")])
    assert {d["_id"]: d["n"] async for d in db["visits"].find()} == {"c2": 1}
    await mongo.drop_database(db.name)


async def test_a_failing_handler_leaves_nothing_of_the_batch(mongo: AsyncMongoClient) -> None:
    db = mongo[f"test_processing_{uuid4().hex[:10]}"]

    woken: list[str] = []

    async def write_then_fail(events: list[EnvelopeEvent], uow: UnitOfWork) -> None:
        await db["visits"].insert_one({"_id": "half"}, session=uow.session)
        uow.on_commit(lambda: woken.append("runner"))
        raise RuntimeError("boom")

    processor = Processor("test", {InteractionRecorded: write_then_fail}, Transactions(mongo), db)
    await db.create_collection("visits")
    await db.create_collection("inbox")
    with pytest.raises(RuntimeError):
        await processor.process([visit("c1")])
    assert await db["visits"].count_documents({}) == 0
    assert await db["inbox"].count_documents({}) == 0
    assert woken == []  # nothing committed: nobody is told there is work
    await mongo.drop_database(db.name)


async def test_one_group_starts_where_the_retired_groups_ended_and_they_go(infra) -> None:  # type: ignore[no-untyped-def]
    tag = uuid4().hex[:8]
    topics = [f"test.adopt.{tag}.a", f"test.adopt.{tag}.b"]
    await ensure_topics(infra.kafka_bootstrap, tuple(TopicSpec(t, 2, "test") for t in topics))
    old = {topics[0]: f"test-adopt-{tag}.a", topics[1]: f"test-adopt-{tag}.b"}
    at = {
        TopicPartition(topics[0], 0): 3,
        TopicPartition(topics[0], 1): 5,
        TopicPartition(topics[1], 1): 7,
    }
    for topic, group in old.items():
        await commit_offsets(
            infra.kafka_bootstrap, group, {tp: o for tp, o in at.items() if tp.topic == topic}
        )
    new = f"test-adopt-{tag}"  # not lodestone-…: settled() would wait on its lag
    assert await adopt_offsets(infra.kafka_bootstrap, new, old) == 3

    admin = AIOKafkaAdminClient(bootstrap_servers=infra.kafka_bootstrap)
    await admin.start()
    try:
        offsets = await admin.list_consumer_group_offsets(new)
        assert {tp: o.offset for tp, o in offsets.items()} == at
        listed = {g for g, _ in await admin.list_consumer_groups()}
        assert new in listed and not set(old.values()) & listed
    finally:
        await admin.close()
    # The retired groups are gone: the next start adopts nothing.
    assert await adopt_offsets(infra.kafka_bootstrap, new, old) == 0


async def test_the_inbox_keeps_a_batch_in_one_document_for_a_while(
    mongo: AsyncMongoClient,
) -> None:
    from lodestone_common.mongo import Inbox

    db = mongo[f"test_inbox_{uuid4().hex[:10]}"]
    inbox = Inbox(db["inbox"])
    await inbox.ensure_indexes()
    # What an earlier version wrote: a document per event, its id the event id.
    await db["inbox"].insert_one({"_id": "old-1", "at": datetime.now(UTC)})
    assert await inbox.unseen(["old-1", "a", "b"]) == {"a", "b"}
    await inbox.remember(["a", "b", "c"])
    await inbox.remember([])  # nothing applied: nothing written
    assert await db["inbox"].count_documents({}) == 2  # the old one and the batch
    assert await inbox.unseen(["a", "c", "d", "old-1"]) == {"d"}
    assert await inbox.count() == 4
    indexes = {i["name"]: i async for i in await db["inbox"].list_indexes()}
    assert indexes["ids"]["key"] == {"ids": 1}
    assert indexes["expiry"]["expireAfterSeconds"] == Inbox.KEEP_DAYS * 86400
    # Without old documents the second lookup is not made.
    fresh = Inbox(db["inbox_new"])
    await fresh.remember(["x"])
    assert await fresh.unseen(["x", "y"]) == {"y"} and fresh._legacy is False
    await mongo.drop_database(db.name)
