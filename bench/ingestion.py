"""Ingestion: events per second through `POST /v1/events` and through Segment's Tracking API
(`POST /v1/batch`, as Segment's SDKs send it), by batch size, against raw Kafka.

For each front door and batch size (1, 100, 1000; Segment's SDKs batch up to 100 by
default) it measures
- accepted/s: the API answered 202, i.e. Kafka acknowledged the raw events (acks=all);
- resolved/s: the same events reached the interactions topic, resolved to contacts and
  keyed by contact_id (identity resolution, timeline, outbox, relay included);
and relates both to the raw produce rate of this machine's Kafka with the same payloads
(aiokafka, idempotent, acks=all, pipelined), measured in the same run.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any
from uuid import uuid4

import httpx
import orjson
from aiokafka import AIOKafkaConsumer

from lodestone_common.topics import INTERACTIONS

from .harness import bench_stack, produce, report

PEOPLE = 2000


def make_events(n: int, run: str) -> list[dict[str, Any]]:
    now = "2026-11-01T12:00:00+00:00"
    return [
        {
            "event_id": f"{run}-{i}",
            "type": "track",
            "name": "Page Viewed" if i % 3 else "Email Opened",
            "occurred_at": now,
            "contact": {"email": f"p{i % PEOPLE}.{run}@example.com"},
            "properties": {"url": f"/docs/{i % 40}", "campaign_id": "c1"},
        }
        for i in range(n)
    ]


def segment_batch(events: list[dict[str, Any]]) -> dict[str, Any]:
    """The same events as a Segment SDK would send them."""
    return {
        "batch": [
            {
                "type": "track",
                "messageId": e["event_id"],
                "userId": e["contact"]["email"].split("@")[0],
                "event": e["name"],
                "properties": e["properties"],
                "context": {"traits": {"email": e["contact"]["email"]}},
                "timestamp": e["occurred_at"],
            }
            for e in events
        ],
        "sentAt": events[-1]["occurred_at"],
    }


async def raw_produce_rate(bootstrap: str, events: list[dict[str, Any]]) -> float:
    payloads = [orjson.dumps(e) for e in events]
    return await produce(
        bootstrap,
        (("lodestone.deadletter.v1", str(i % PEOPLE).encode(), p) for i, p in enumerate(payloads)),
        max_batch_size=256 * 1024,
    )


async def post_all(
    url: str, key: str, events: list[dict[str, Any]], size: int, door: str = "native"
) -> float:
    batches = [events[i : i + size] for i in range(0, len(events), size)]
    limits = httpx.Limits(max_connections=16)
    # Segment's SDKs authenticate with the write key as the Basic user name.
    auth = httpx.BasicAuth(key, "") if door == "segment" else None
    headers = {} if door == "segment" else {"Authorization": f"Bearer {key}"}
    async with httpx.AsyncClient(
        base_url=url, headers=headers, auth=auth, timeout=120, limits=limits
    ) as http:
        queue: asyncio.Queue[list[dict[str, Any]]] = asyncio.Queue()
        for batch in batches:
            queue.put_nowait(batch)

        async def worker() -> None:
            while not queue.empty():
                batch = queue.get_nowait()
                if door == "segment":
                    response = await http.post("/v1/batch", json=segment_batch(batch))
                else:
                    response = await http.post("/v1/events", json={"events": batch})
                response.raise_for_status()

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(min(16, len(batches)))))
        return len(events) / (time.perf_counter() - started)


async def wait_resolved(bootstrap: str, run: str, n: int, started: float) -> float:
    consumer = AIOKafkaConsumer(
        INTERACTIONS,
        bootstrap_servers=bootstrap,
        group_id=f"bench-{uuid4().hex[:8]}",
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        max_poll_records=5000,
    )
    await consumer.start()
    seen: set[str] = set()
    last = started
    try:
        deadline = time.perf_counter() + 600
        while len(seen) < n and time.perf_counter() < deadline:
            batches = await consumer.getmany(timeout_ms=1000)
            for records in batches.values():
                for record in records:
                    payload = orjson.loads(record.value)["payload"]
                    source = payload.get("source_event_id", "")
                    if source.startswith(run + "-"):
                        seen.add(source)
                        last = time.perf_counter()
    finally:
        await consumer.stop()
    if len(seen) < n:
        raise RuntimeError(f"only {len(seen)}/{n} events reached {INTERACTIONS}")
    return n / (last - started)


async def run() -> None:
    stack = bench_stack(["contacts"])
    try:
        url = f"http://127.0.0.1:{stack.service_ports['contacts']}"
        sizes = [(1, 2_000), (100, 20_000), (1000, 50_000)]
        raw = await raw_produce_rate(stack.kafka_bootstrap, make_events(50_000, "raw"))
        rows = []
        for door, (size, n) in [(d, s) for d in ("native", "segment") for s in sizes]:
            run_id = f"{door[0]}{size}-{uuid4().hex[:6]}"
            events = make_events(n, run_id)
            started = time.perf_counter()
            accepted = await post_all(url, stack.api_key, events, size, door)
            resolved = await wait_resolved(stack.kafka_bootstrap, run_id, n, started)
            rows.append(
                {
                    "front door": "POST /v1/events" if door == "native" else "Segment /v1/batch",
                    "batch size": size,
                    "events": n,
                    "accepted/s": accepted,
                    "resolved/s": resolved,
                    "accepted vs raw kafka": accepted / raw,
                    "resolved vs raw kafka": resolved / raw,
                }
            )
            print(
                f"{door} batch {size}: accepted {accepted:,.0f}/s, resolved {resolved:,.0f}/s",
                flush=True,
            )
        print(f"\nraw Kafka produce (aiokafka, acks=all, idempotent): {raw:,.0f} msg/s")
        base = {row["front door"]: row["accepted/s"] for row in rows if row["batch size"] == 1}
        for row in rows:
            row["speed-up vs batch 1"] = row["accepted/s"] / base[row["front door"]]
        report("ingestion", rows, {"raw_kafka_produce_per_s": raw})
    finally:
        stack.down()


def main() -> None:
    asyncio.run(run())
