"""Partition ownership: a contact's partition as the producers place it (checked against a
real broker), the rebalance listener's view of what this process holds, and one writer per
contact across topics and a rebalance."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace
from uuid import uuid4

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.coordinator.assignors.range import RangePartitionAssignor

from lodestone_common.admin import ensure_topics
from lodestone_common.ownership import PARTITIONS, Ownership, partition_of
from lodestone_common.topics import DEAD_LETTER, TOPICS, TopicSpec


def test_every_contact_keyed_topic_has_the_same_partition_count() -> None:
    keyed = [t for t in TOPICS if t.name != DEAD_LETTER]
    assert {t.partitions for t in keyed} == {PARTITIONS}


async def test_partition_of_is_where_the_producer_puts_a_contacts_records(infra) -> None:  # type: ignore[no-untyped-def]
    topic = f"test.ownership.{uuid4().hex[:8]}"
    await ensure_topics(infra.kafka_bootstrap, (TopicSpec(topic, PARTITIONS, "test"),))
    producer = AIOKafkaProducer(bootstrap_servers=infra.kafka_bootstrap)
    await producer.start()
    try:
        contacts = [f"ct_{uuid4().hex[:12]}" for _ in range(40)]
        for contact in contacts:
            sent = await producer.send_and_wait(topic, b"{}", key=contact.encode())
            assert sent.partition == partition_of(contact), contact
        assert len({partition_of(c) for c in contacts}) == PARTITIONS  # they spread out
    finally:
        await producer.stop()


async def test_the_listener_holds_what_the_last_assignment_gave_minus_what_was_revoked() -> None:
    ownership = Ownership()
    assert ownership.owned == frozenset()  # before the first assignment: nothing
    parts = [SimpleNamespace(topic=t, partition=p) for t in ("a", "b") for p in (1, 4)]
    await ownership.on_partitions_assigned(parts)
    assert ownership.owned == {1, 4}
    contact = next(f"c{i}" for i in range(1000) if partition_of(f"c{i}") == 4)
    assert partition_of(contact) in ownership.owned
    await ownership.on_partitions_revoked([p for p in parts if p.partition == 4])
    assert ownership.owned == {1} and partition_of(contact) not in ownership.owned


async def test_one_member_holds_a_contact_on_every_topic_through_a_rebalance(infra) -> None:  # type: ignore[no-untyped-def]
    """Two topics keyed by contact, read in one group with the range assignor (as
    `processing.subscribe` does): a second member joining mid-stream takes whole partitions
    — the same partition of both topics — and each contact's events stay in order, written
    by one member before the rebalance and one after, never two at once."""
    run = uuid4().hex[:8]
    topics = [f"test.own.a.{run}", f"test.own.b.{run}"]
    # An odd partition count: with two members a round-robin assignment would split a
    # partition's topics between them (with an even one it pairs them by accident).
    await ensure_topics(infra.kafka_bootstrap, [TopicSpec(t, 5, "test") for t in topics])
    contacts = [f"ct_{run}_{i}" for i in range(24)]
    per_topic = 30
    producer = AIOKafkaProducer(bootstrap_servers=infra.kafka_bootstrap)
    await producer.start()
    try:
        for seq in range(per_topic):
            for contact in contacts:
                for topic in topics:
                    await producer.send(topic, str(seq).encode(), key=contact.encode())
        await producer.flush()
    finally:
        await producer.stop()

    group = f"test-own-{run}"
    seen: list[tuple[str, str, str, int]] = []  # (member, contact, topic, seq) in order
    assignments: list[tuple[str, set[tuple[str, int]]]] = []
    total = len(contacts) * len(topics) * per_topic

    b_holds = asyncio.Event()  # B has its first assignment: the rebalance happened
    a_paused = asyncio.Event()

    class Recorder(Ownership):
        def __init__(self, name: str) -> None:
            super().__init__()
            self.name = name

        async def on_partitions_assigned(self, assigned: object) -> None:
            await super().on_partitions_assigned(assigned)
            parts = {(tp.topic, tp.partition) for tp in assigned}  # type: ignore[attr-defined]
            assignments.append((self.name, parts))
            if self.name == "B" and parts:
                b_holds.set()

    async def member(name: str, stop: asyncio.Event, hold_after: int | None = None) -> None:
        consumer = AIOKafkaConsumer(
            bootstrap_servers=infra.kafka_bootstrap,
            group_id=group,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            max_poll_records=20,
            partition_assignment_strategy=(RangePartitionAssignor,),
        )
        consumer.subscribe(topics, listener=Recorder(name))
        await consumer.start()
        try:
            while not stop.is_set():
                if hold_after is not None and len(seen) >= hold_after and not b_holds.is_set():
                    # Mid-stream: stop fetching (still a member) until the other one joined.
                    consumer.pause(*consumer.assignment())
                    a_paused.set()
                elif consumer.paused():
                    consumer.resume(*consumer.paused())
                got = await consumer.getmany(timeout_ms=200)
                for records in got.values():
                    for r in records:
                        seen.append((name, r.key.decode(), r.topic, int(r.value)))
                if got:
                    await consumer.commit()  # after the "effects", as the processor does
        finally:
            await consumer.stop()

    stop = asyncio.Event()
    # B joins once A has applied some but not all: a rebalance mid-stream.
    first = asyncio.create_task(member("A", stop, hold_after=total // 4))
    await asyncio.wait_for(a_paused.wait(), 120)
    second = asyncio.create_task(member("B", stop))
    deadline = asyncio.get_running_loop().time() + 120
    while {(c, t, s) for _, c, t, s in seen} != {
        (c, t, s) for c in contacts for t in topics for s in range(per_topic)
    }:
        assert asyncio.get_running_loop().time() < deadline, "not everything was consumed"
        await asyncio.sleep(0.1)
    stop.set()
    await asyncio.gather(first, second)

    # Both applied some: the hand-over happened with work left.
    assert {m for m, *_ in seen} == {"A", "B"}
    # Every assignment holds partition p of both topics or of neither.
    for name, parts in assignments:
        for topic, partition in parts:
            other = topics[1 - topics.index(topic)]
            assert (other, partition) in parts, (name, topic, partition)
    for contact in contacts:
        mine = [(m, t, s) for m, c, t, s in seen if c == contact]
        # Per topic in order (a redelivery after the hand-over may repeat a tail, never
        # go back further than the last commit and never reorder).
        for topic in topics:
            seqs = [s for _, t, s in mine if t == topic]
            restarts = [i for i in range(1, len(seqs)) if seqs[i] <= seqs[i - 1]]
            assert len(restarts) <= 1, (contact, topic, seqs)
        # One member, then (at most) the other: never interleaved.
        members = [m for m, _, _ in mine]
        changes = sum(1 for i in range(1, len(members)) if members[i] != members[i - 1])
        assert changes <= 1, (contact, members)
