"""The raw limits of this machine, which every other figure is a share of.

- Kafka produce: aiokafka, idempotent, acks=all, pipelined, with interaction-sized envelopes;
- Kafka consume: one consumer reading those messages back in batches (getmany);
- database bulk insert and bulk `$inc` upsert: batches of 1,000, w=majority;
- database commits: small transactions (one insert each) one after the other, the cost every
  consumer batch pays once; with the journal flushed on commit (the default, as MongoDB's
  `w: majority` with journaling) or not (LODESTONE_MONGO_SYNC_ON_COMMIT=0), to compare.
Size: LODESTONE_BENCH_RAW (default 200,000 messages / documents; a hundredth as commits).
"""

from __future__ import annotations

import asyncio
import os
import time
from uuid import uuid4

from aiokafka import AIOKafkaConsumer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from pymongo import AsyncMongoClient, InsertOne, UpdateOne

from lodestone_common.events import InteractionRecorded
from lodestone_common.mongo import in_transaction

from .harness import bench_stack, produce, report

BATCH = 1000


def envelopes(n: int) -> list[tuple[bytes, bytes]]:
    """(key, value) pairs shaped like the interactions topic's messages."""
    out = []
    for i in range(n):
        contact = f"c{i % 10_000}"
        payload = InteractionRecorded(
            interaction_type="page_visit",
            name="/pricing",
            channel="web",
            properties={"url": f"/docs/{i % 40}", "campaign_id": "c1"},
        )
        envelope = payload.envelope(contact_id=contact, producer="contacts")
        out.append((contact.encode(), envelope.to_bytes()))
    return out


async def kafka_rates(bootstrap: str, n: int) -> tuple[float, float, int]:
    """(produce/s, consume/s, bytes per message)."""
    topic = f"bench-raw-{uuid4().hex[:6]}"
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    await admin.create_topics([NewTopic(topic, 6, 1)])
    await admin.close()
    messages = envelopes(n)
    rate = await produce(bootstrap, ((topic, k, v) for k, v in messages), max_batch_size=256 * 1024)
    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=bootstrap,
        group_id=f"bench-{uuid4().hex[:6]}",
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        max_poll_records=5000,
        fetch_max_bytes=64 * 1024 * 1024,
    )
    await consumer.start()
    try:
        seen = 0
        started = time.perf_counter()
        while seen < n:
            batches = await consumer.getmany(timeout_ms=1000, max_records=5000)
            seen += sum(len(records) for records in batches.values())
            await consumer.commit()
        consume = n / (time.perf_counter() - started)
    finally:
        await consumer.stop()
    return rate, consume, sum(len(v) for _, v in messages) // n


async def database_rates(url: str, n: int) -> tuple[float, float, float]:
    """(bulk inserts/s, bulk upserts/s, transactions committed/s)."""
    client: AsyncMongoClient = AsyncMongoClient(url, w="majority")
    db = client[f"bench_raw_{uuid4().hex[:6]}"]
    try:
        started = time.perf_counter()
        for start in range(0, n, BATCH):
            await db["docs"].bulk_write(
                [
                    InsertOne({"_id": i, "contact_id": f"c{i % 10_000}", "type": "page_visit"})
                    for i in range(start, min(start + BATCH, n))
                ],
                ordered=False,
            )
        inserts = n / (time.perf_counter() - started)
        started = time.perf_counter()
        for start in range(0, n, BATCH):
            await db["counters"].bulk_write(
                [
                    UpdateOne({"_id": f"c{i % 10_000}"}, {"$inc": {"n": 1}}, upsert=True)
                    for i in range(start, min(start + BATCH, n))
                ],
                ordered=False,
            )
        upserts = n / (time.perf_counter() - started)
        commits = max(n // 100, 100)
        started = time.perf_counter()
        for i in range(commits):
            await in_transaction(
                client, lambda session, i=i: db["tx"].insert_one({"_id": i}, session=session)
            )
        return inserts, upserts, commits / (time.perf_counter() - started)
    finally:
        await client.drop_database(db.name)
        await client.close()


async def measure(bootstrap: str, mongo_url: str, n: int) -> tuple[list[dict[str, object]], int]:
    produce, consume, size = await kafka_rates(bootstrap, n)
    inserts, upserts, commits = await database_rates(mongo_url, n)
    synced = os.environ.get("LODESTONE_MONGO_SYNC_ON_COMMIT", "1") not in ("0", "false", "no")
    rows = [
        ("kafka produce (acks=all, idempotent)", produce),
        ("kafka consume (batched)", consume),
        ("db bulk insert (w=majority)", inserts),
        ("db bulk $inc upsert", upserts),
        (f"db transactions committed ({'journal flushed' if synced else 'no flush'})", commits),
    ]
    return [
        {"limit": name, "per_s": rate, "of_kafka_produce": rate / produce} for name, rate in rows
    ], size


def main() -> None:
    n = int(os.environ.get("LODESTONE_BENCH_RAW", "200000"))
    stack = bench_stack([])
    try:
        rows, size = asyncio.run(measure(stack.kafka_bootstrap, stack.mongo_url, n))
    finally:
        stack.down()
    report("limits", rows, {"messages": n, "bytes_per_message": size})


if __name__ == "__main__":
    main()
