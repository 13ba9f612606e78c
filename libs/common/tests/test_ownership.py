"""Partition ownership: a contact's partition as the producers place it (checked against a
real broker), and the rebalance listener's view of what this process holds."""

from __future__ import annotations

from types import SimpleNamespace
from uuid import uuid4

from aiokafka import AIOKafkaProducer

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
