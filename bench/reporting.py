"""Reporting: projection throughput and report latency at 1M events.

N interaction.recorded envelopes (a month of them, for P contacts with owners, sources and
segments in their context) are published straight to the interactions topic, with the
contacts' creation and stage changes on the contacts topic. Measured in one run:
- projection rate (published → every event in reporting's inbox), against the raw bulk
  `$inc` upsert rate of the same database and a naive projector (one transaction per event);
- each report's latency (p50/p99 over repeated calls) once all N are projected.
Sizes: LODESTONE_BENCH_EVENTS (default 1,000,000), LODESTONE_BENCH_PEOPLE (100,000).
"""

from __future__ import annotations

import asyncio
import os
import random
import statistics
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import uuid4

import httpx
from pymongo import AsyncMongoClient

from lodestone_common.consumer import EnvelopeEvent
from lodestone_common.envelope import Envelope
from lodestone_common.events import (
    ContactCreated,
    ContactSnapshot,
    ContactStageChanged,
    InteractionContext,
    InteractionRecorded,
    ScoreChanged,
    parse_payload,
)
from lodestone_common.mongo import Inbox
from lodestone_common.processing import Processor, Transactions
from lodestone_common.topics import CONTACTS, INTERACTIONS, SCORES
from lodestone_reporting.bootstrap import SERVICE
from lodestone_reporting.handlers import handlers
from lodestone_reporting.stores import ReadModels

from .harness import bench_stack, produce, report
from .scoring import raw_upserts

KINDS = [
    ("page_visit", "web"),
    ("page_visit", "web"),
    ("email_opened", "email"),
    ("email_clicked", "email"),
    ("form_submitted", "web"),
    ("call_logged", "phone"),
    ("meeting_held", "meeting"),
    ("purchase", "commerce"),
]
OWNERS = [f"rep{i}" for i in range(20)]
SOURCES = ["web", "paid_search", "referral", "event", "partner", "social", "email", "other"]
SEGMENTS = [f"seg{i}" for i in range(10)]
STAGES = ["lead", "marketing_qualified", "sales_qualified", "opportunity", "customer"]
REPORTS = [
    "/v1/reports/funnel",
    "/v1/reports/funnel?source=web",
    "/v1/reports/interactions",
    "/v1/reports/interactions?owner=rep3&interval=week",
    "/v1/reports/interactions?segment=seg2",
    "/v1/reports/sources",
    "/v1/reports/scores",
    "/v1/reports/leaderboard",
    "/v1/reports/purchases",
    "/v1/reports/workflows",
]


def history(n: int, people: int, run: str) -> list[tuple[str, Envelope]]:
    return list(stream(n, people, run))


def stream(
    n: int, people: int, run: str, *, scores: bool = False
) -> Iterator[tuple[str, Envelope]]:
    """A month of history: each contact's creation and stage changes (and, with `scores`, a
    score for each), then N interactions spread over the contacts and the month."""
    rng = random.Random(42)
    now = datetime.now(UTC)
    for p in range(people):
        cid = f"c_{run}_{p}"
        snap = ContactSnapshot(
            email=f"p{p}@{run}.example",
            source=SOURCES[p % len(SOURCES)],
            owner_id=OWNERS[p % len(OWNERS)],
            lifecycle_stage="subscriber",
        )
        born = now - timedelta(days=30, minutes=p % 1000)
        yield (
            CONTACTS,
            ContactCreated(contact=snap).envelope(
                contact_id=cid, producer="contacts", occurred_at=born
            ),
        )
        previous = "subscriber"
        for step, stage in enumerate(STAGES[: rng.randint(0, len(STAGES))]):
            at = born + timedelta(days=2 * (step + 1))
            change = ContactStageChanged(from_stage=previous, to_stage=stage, changed_by="bench")  # type: ignore[arg-type]
            yield (CONTACTS, change.envelope(contact_id=cid, producer="contacts", occurred_at=at))
            previous = stage
        if scores:
            score = float(rng.randint(0, 150))
            changed = ScoreChanged(model_id="default", score=score, previous_score=0.0)
            yield (SCORES, changed.envelope(contact_id=cid, producer="scoring", occurred_at=now))
    for i in range(n):
        p = i % people
        kind, channel = KINDS[i % len(KINDS)]
        props: dict[str, Any] = {}
        if kind == "purchase":
            props = {
                "amount": 99.0,
                "currency": "USD",
                "items": [{"name": f"sku{i % 50}", "price": 99.0}],
            }
        ctx = InteractionContext(
            owner_id=OWNERS[p % len(OWNERS)],
            source=SOURCES[p % len(SOURCES)],
            segments=[SEGMENTS[p % len(SEGMENTS)]],
        )
        at = now - timedelta(seconds=rng.uniform(0, 30 * 86_400))
        env = InteractionRecorded(
            interaction_type=kind,
            name=kind,
            channel=channel,
            properties=props,
            context=ctx,  # type: ignore[arg-type]
        ).envelope(contact_id=f"c_{run}_{p}", producer="contacts", occurred_at=at)
        yield (INTERACTIONS, env)


async def publish(bootstrap: str, messages: list[tuple[str, Envelope]]) -> float:
    return await produce(bootstrap, ((t, env.key(), env.to_bytes()) for t, env in messages))


async def wait_projected(url: str, n: int, started: float) -> float:
    client: AsyncMongoClient = AsyncMongoClient(url)
    inbox = Inbox(client["lodestone_reporting"]["inbox"])
    last = 0.0
    try:
        while True:
            done = await inbox.count()
            if done >= n:
                return n / (time.perf_counter() - started)
            if time.monotonic() - last > 10:
                last = time.monotonic()
                print(f"  projected {done:,}/{n:,}", flush=True)
            await asyncio.sleep(0.5)
    finally:
        await client.close()


async def naive_rate(url: str, messages: list[tuple[str, Envelope]]) -> float:
    """One transaction (inbox read, views read, counters written) per event."""
    client: AsyncMongoClient = AsyncMongoClient(url, tz_aware=True)
    models = ReadModels(client["bench_naive_reporting"])
    await models.ensure_indexes()
    processor = Processor(SERVICE, handlers(models), Transactions(client), models.db)
    events = [EnvelopeEvent(env, parse_payload(env)) for _, env in messages]
    started = time.perf_counter()
    for event in events:
        await processor.process([event])
    rate = len(events) / (time.perf_counter() - started)
    await client.drop_database("bench_naive_reporting")
    await client.close()
    return rate


async def latencies(base: str, key: str, runs: int = 15) -> list[dict[str, Any]]:
    rows = []
    async with httpx.AsyncClient(
        base_url=base, headers={"Authorization": f"Bearer {key}"}, timeout=60
    ) as http:
        for path in REPORTS:
            took = []
            for _ in range(runs):
                started = time.perf_counter()
                response = await http.get(path)
                took.append(time.perf_counter() - started)
                response.raise_for_status()
            took.sort()
            rows.append(
                {
                    "measure": f"GET {path}",
                    "p50 ms": statistics.median(took) * 1000,
                    "p99 ms": took[min(len(took) - 1, int(len(took) * 0.99))] * 1000,
                }
            )
    return rows


async def run() -> None:
    n = int(os.environ.get("LODESTONE_BENCH_EVENTS", "1000000"))
    people = int(os.environ.get("LODESTONE_BENCH_PEOPLE", "100000"))
    run_id = uuid4().hex[:6]
    print(f"building {n:,} interactions for {people:,} contacts…", flush=True)
    messages = history(n, people, run_id)
    stack = bench_stack(["reporting"])
    try:
        raw = await raw_upserts(stack.mongo_url, 100_000, 10_000)
        naive = await naive_rate(stack.mongo_url, messages[people * 2 : people * 2 + 2000])
        started = time.perf_counter()
        produce = await publish(stack.kafka_bootstrap, messages)
        print(f"  published {len(messages):,} at {produce:,.0f}/s", flush=True)
        projected = await wait_projected(stack.mongo_url, len(messages), started)
        base = f"http://127.0.0.1:{stack.service_ports['reporting']}"
        rows: list[dict[str, Any]] = [
            {"measure": "raw Kafka produce (same run)", "per s": produce, "ratio": 1.0},
            {"measure": "raw DB bulk $inc upsert", "per s": raw, "ratio": raw / produce},
            {"measure": "naive projector (1 tx/event)", "per s": naive, "ratio": naive / raw},
            {"measure": "reporting projection", "per s": projected, "ratio": projected / raw},
            {"measure": "speed-up over naive", "per s": projected / naive, "ratio": None},
        ]
        report("reporting-projection", rows, {"events": len(messages), "people": people})
        report(
            "reporting-latency",
            await latencies(base, stack.api_key),
            {"events": len(messages), "people": people},
        )
    finally:
        stack.down()


def main() -> None:
    asyncio.run(run())


if __name__ == "__main__":
    main()
