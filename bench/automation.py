"""Automation: trigger latency at a steady event rate, and timer accuracy with many timers
pending, both measured in one run.

1. Trigger latency: a workflow reacts to a named event with a create-task action. Events go
   through `POST /v1/events` at a steady rate, each for a new contact; latency is from the
   202 (event durable on Kafka) to the action recorded as performed (contacts → Kafka →
   interactions → automation trigger → enrollment → runner → task).
2. Timers: T pending waits due in a day are bulk-inserted (the "million pending" load),
   then K waits due over the next seconds; accuracy is action time minus due time.
"""

from __future__ import annotations

import asyncio
import os
import statistics
import time
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import uuid4

import httpx
from pymongo import AsyncMongoClient, InsertOne

from .harness import bench_stack, report


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(int(len(ordered) * p), len(ordered) - 1)]


async def workflow(http: httpx.AsyncClient, body: dict[str, Any]) -> tuple[str, int]:
    created = (await http.post("/v1/workflows", json=body)).json()
    await http.post(f"/v1/workflows/{created['id']}/activate")
    return created["id"], created["version"]


async def trigger_latency(stack: Any, rate: float, seconds: float) -> list[float]:
    run = uuid4().hex[:6]
    headers = {"Authorization": f"Bearer {stack.api_key}"}
    contacts_url = f"http://127.0.0.1:{stack.service_ports['contacts']}"
    automation_url = f"http://127.0.0.1:{stack.service_ports['automation']}"
    async with httpx.AsyncClient(base_url=automation_url, headers=headers, timeout=30) as auto:
        workflow_id, _ = await workflow(
            auto,
            {
                "name": f"bench {run}",
                "trigger": {"type": "interaction", "event_name": f"Ping {run}"},
                "enrollment": {"policy": "every_time"},
                "steps": [{"id": "task", "type": "create_task", "title": "Follow up"}],
            },
        )
    await asyncio.sleep(3)  # the consumers' catalog picks the workflow up
    accepted: dict[str, float] = {}
    async with httpx.AsyncClient(base_url=contacts_url, headers=headers, timeout=30) as http:
        total = int(rate * seconds)
        started = time.perf_counter()
        for i in range(total):
            target = started + i / rate
            await asyncio.sleep(max(target - time.perf_counter(), 0))
            email = f"p{i}.{run}@example.com"
            response = await http.post(
                "/v1/events",
                json={
                    "events": [
                        {
                            "event_id": f"{run}-{i}",
                            "type": "track",
                            "name": f"Ping {run}",
                            "occurred_at": datetime.now(UTC).isoformat(),
                            "contact": {"email": email},
                        }
                    ]
                },
            )
            response.raise_for_status()
            accepted[email] = time.time()
    client: AsyncMongoClient = AsyncMongoClient(stack.mongo_url, tz_aware=True)
    db = client["lodestone_automation"]
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if await db.actions.count_documents(
            {"workflow_id": workflow_id, "status": "created"}
        ) >= len(accepted):
            break
        await asyncio.sleep(0.5)
    latencies = []
    async for action in db.actions.find({"workflow_id": workflow_id, "status": "created"}):
        audience = await db.audience.find_one({"_id": action["contact_id"]})
        email = (audience or {}).get("email")
        if email in accepted:
            latencies.append(action["finished_at"].timestamp() - accepted[email])
    await client.close()
    return latencies


async def timer_accuracy(stack: Any, pending: int, due_now: int) -> tuple[list[float], float]:
    headers = {"Authorization": f"Bearer {stack.api_key}"}
    automation_url = f"http://127.0.0.1:{stack.service_ports['automation']}"
    async with httpx.AsyncClient(base_url=automation_url, headers=headers, timeout=30) as auto:
        workflow_id, version = await workflow(
            auto,
            {
                "name": "timers",
                "trigger": {"type": "manual"},
                "steps": [
                    {"id": "wait", "type": "wait", "seconds": 60},
                    {"id": "task", "type": "create_task", "title": "Timer fired"},
                ],
            },
        )
    client: AsyncMongoClient = AsyncMongoClient(stack.mongo_url, tz_aware=True)
    enrollments = client["lodestone_automation"]["enrollments"]
    now = datetime.now(UTC)

    def doc(i: int, due: datetime) -> dict[str, Any]:
        return {
            "_id": f"enr_b{i}",
            "workflow_id": workflow_id,
            "version": version,
            "contact_id": f"c_timer_{i}",
            "status": "waiting",
            "step": 0,
            "waited_until": due,
            "due_at": due,
            "claimed_by": None,
            "claimed_until": None,
            "enrolled_at": now,
            "cause": "bench",
            "history": [],
        }

    started = time.perf_counter()
    later = now + timedelta(days=1)
    for start in range(0, pending, 10_000):
        await enrollments.bulk_write(
            [InsertOne(doc(i, later)) for i in range(start, min(start + 10_000, pending))],
            ordered=False,
        )
        if start % 200_000 == 0:
            print(f"  pending timers: {start + 10_000:,}/{pending:,}", flush=True)
    load_rate = pending / (time.perf_counter() - started)
    # Let the database digest the bulk load, so what is measured is steady-state firing.
    await asyncio.sleep(float(os.environ.get("LODESTONE_BENCH_SETTLE", "30")))
    first = datetime.now(UTC) + timedelta(seconds=5)
    dues = {
        f"c_timer_{pending + i}": first + timedelta(seconds=10 * i / due_now)
        for i in range(due_now)
    }
    await enrollments.bulk_write(
        [InsertOne(doc(pending + i, dues[f"c_timer_{pending + i}"])) for i in range(due_now)]
    )
    actions = client["lodestone_automation"]["actions"]
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if await actions.count_documents({"workflow_id": workflow_id}) >= due_now:
            break
        await asyncio.sleep(0.5)
    errors = []
    async for action in actions.find({"workflow_id": workflow_id}):
        due = dues.get(action["contact_id"])
        if due:
            errors.append((action["finished_at"] - due).total_seconds())
    await client.close()
    return errors, load_rate


async def run() -> None:
    rate = float(os.environ.get("LODESTONE_BENCH_RATE", "20"))
    pending = int(os.environ.get("LODESTONE_BENCH_TIMERS", "1000000"))
    stack = bench_stack(["contacts", "automation"])
    try:
        latencies = await trigger_latency(stack, rate, 20)
        print(
            f"trigger latency over {len(latencies)} events: p50 "
            f"{statistics.median(latencies) * 1000:.0f} ms",
            flush=True,
        )
        errors, load_rate = await timer_accuracy(stack, pending, 200)
        rows = [
            {
                "measure": f"trigger latency @ {rate:g} events/s",
                "n": len(latencies),
                "p50 ms": pct(latencies, 0.5) * 1000,
                "p99 ms": pct(latencies, 0.99) * 1000,
                "max ms": max(latencies) * 1000,
            },
            {
                "measure": f"timer lateness, {pending:,} pending",
                "n": len(errors),
                "p50 ms": pct(errors, 0.5) * 1000,
                "p99 ms": pct(errors, 0.99) * 1000,
                "max ms": max(errors) * 1000,
            },
        ]
        report("automation", rows, {"pending_timers": pending, "pending_insert_per_s": load_rate})
    finally:
        stack.down()


def main() -> None:
    asyncio.run(run())
