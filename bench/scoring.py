"""Scoring: interactions per second scored end to end, against the database's raw
bulk-upsert rate measured in the same run.

N interaction.recorded envelopes for P contacts are published straight to the interactions
topic; the clock stops when scoring's inbox holds all N (ledger entries, score states, caps
and outbox rows are written in the same transactions). The raw rate is pymongo bulk
`$inc` upserts in batches of 1000 on a scratch collection of the same database.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Iterator
from uuid import uuid4

from pymongo import AsyncMongoClient, UpdateOne

from lodestone_common.events import InteractionRecorded
from lodestone_common.mongo import Inbox
from lodestone_common.topics import INTERACTIONS

from .harness import bench_stack, produce, report

KINDS = [
    ("page_visit", "/pricing"),
    ("page_visit", "/docs"),
    ("email_opened", None),
    ("email_clicked", None),
    ("form_submitted", None),
]


async def raw_upserts(url: str, n: int, people: int) -> float:
    client: AsyncMongoClient = AsyncMongoClient(url, w="majority")
    scratch = client["bench_raw"]["counters"]
    started = time.perf_counter()
    for start in range(0, n, 1000):
        await scratch.bulk_write(
            [
                UpdateOne({"_id": f"c{i % people}"}, {"$inc": {"n": 1}}, upsert=True)
                for i in range(start, min(start + 1000, n))
            ],
            ordered=False,
        )
    rate = n / (time.perf_counter() - started)
    await client.drop_database("bench_raw")
    await client.close()
    return rate


async def publish(bootstrap: str, n: int, people: int, run: str) -> float:
    def messages() -> Iterator[tuple[str, bytes, bytes]]:
        for i in range(n):
            kind, url = KINDS[i % len(KINDS)]
            env = InteractionRecorded(
                interaction_type=kind, name=kind, properties={"url": url} if url else {}
            ).envelope(contact_id=f"c_{run}_{i % people}", producer="contacts")
            yield INTERACTIONS, env.key(), env.to_bytes()

    return await produce(bootstrap, messages())


async def wait_scored(url: str, n: int, started: float) -> float:
    client: AsyncMongoClient = AsyncMongoClient(url)
    inbox = Inbox(client["lodestone_scoring"]["inbox"])
    try:
        while True:
            done = await inbox.count()
            if done >= n:
                return n / (time.perf_counter() - started)
            await asyncio.sleep(0.25)
    finally:
        await client.close()


async def run() -> None:
    n = int(os.environ.get("LODESTONE_BENCH_INTERACTIONS", "50000"))
    people = 5000
    stack = bench_stack(["scoring"])
    try:
        raw = await raw_upserts(stack.mongo_url, 20_000, people)
        print(f"raw bulk upsert: {raw:,.0f}/s", flush=True)
        started = time.perf_counter()
        produced = await publish(stack.kafka_bootstrap, n, people, uuid4().hex[:6])
        scored = await wait_scored(stack.mongo_url, n, started)
        rows = [
            {
                "interactions": n,
                "contacts": people,
                "published/s": produced,
                "scored/s (end to end)": scored,
                "raw bulk upsert/s": raw,
                "scored vs raw upsert": scored / raw,
            }
        ]
        report("scoring", rows, {"raw_bulk_upsert_per_s": raw})
    finally:
        stack.down()


def main() -> None:
    asyncio.run(run())
