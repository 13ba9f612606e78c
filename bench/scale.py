"""Scale: each service's memory, and report latency, at 1M contacts and 10M interactions.

Through the pipeline at its measured end-to-end rate (a few hundred events/s on two cores),
10M interactions would take most of a day, so the databases are filled the fast way, with
the services' own code deciding what is stored where it matters:
- contacts: N contacts bulk-inserted in the search benchmark's shape (bench/search.py);
- reporting: the N contacts' creation, stage changes and scores and M interactions, folded by
  reporting's own projector (`domain.projector.project`, plain Python) in this process and
  written by its repository's own bulk save; its inbox gets one id per event, as if each had
  come through Kafka.
Then, in one run, the same live stream of E events goes through the whole pipeline twice
(`POST /v1/events` → every consumer group caught up): on empty databases, and on the filled
ones with every service restarted. Measured each time:
- RSS of every service (and the database) at rest after start, and its peak by the end of
  the stream — the ratio filled / empty says whether a service's memory grows with the data;
- every report's latency (p50/p99), and contact searches (p50), filled against empty.
Sizes: LODESTONE_BENCH_CONTACTS (1,000,000), LODESTONE_BENCH_INTERACTIONS (10,000,000),
LODESTONE_BENCH_EVENTS (10,000).
"""

from __future__ import annotations

import asyncio
import os
import time
from typing import Any
from uuid import uuid4

from pymongo import AsyncMongoClient

from lodestone_common.consumer import EnvelopeEvent
from lodestone_common.events import parse_payload
from lodestone_common.mongo import Inbox
from lodestone_reporting.domain.projector import State, project
from lodestone_reporting.stores import ReadModels

from . import pipeline, reporting, search
from .harness import bench_stack, report
from .pipeline import SERVICES, Offsets, drain, events, http_client, post_all, rss

CHUNK = 50_000
SEARCHES = ["email", "owner", "stage=opportunity"]


def memory(stack: Any) -> dict[str, dict[str, float]]:
    """Current and peak RSS (MiB) of every service and the database."""
    found = rss(stack, [*SERVICES, "mongo"])
    found["database"] = found.pop("mongo")
    return found


async def live(stack: Any, n: int) -> dict[str, Any]:
    """The same stream on whatever the databases hold: memory, stream rate, report and search
    latency."""
    at_rest = memory(stack)
    run = uuid4().hex[:6]
    async with Offsets() as offsets, http_client(stack, "contacts") as http:
        started = time.perf_counter()
        await post_all(http, events(n, run, people=max(n // 5, 1)))
        await drain(offsets, [], list(pipeline.ALL_GROUPS))
        rate = n / (time.perf_counter() - started)
    after = memory(stack)
    base = f"http://127.0.0.1:{stack.service_ports['reporting']}"
    reports = await reporting.latencies(base, stack.api_key, runs=15)
    async with http_client(stack, "contacts") as http:
        searches = {q: await search.api_latency(http, search.QUERIES[q]) for q in SEARCHES}
    return {
        "at_rest": at_rest,
        "after": after,
        "rate": rate,
        "reports": reports,
        "searches": searches,
    }


async def fill_reporting(url: str, contacts: int, interactions: int) -> tuple[int, float]:
    """Fold the history through reporting's projector and save it: (events, events/s)."""
    client: AsyncMongoClient[Any] = AsyncMongoClient(url, tz_aware=True)
    models = ReadModels(client["lodestone_reporting"])
    await models.ensure_indexes()
    inbox = Inbox(models.db["inbox"])
    state, chunk, done = State(), [], 0
    started = last = time.perf_counter()
    run = uuid4().hex[:6]
    for _, env in reporting.stream(interactions, contacts, run, scores=True):
        chunk.append(EnvelopeEvent(env, parse_payload(env)))
        if len(chunk) < CHUNK:
            continue
        done += await _fold(inbox, state, chunk)
        chunk = []
        if time.perf_counter() - last > 15:
            last = time.perf_counter()
            print(f"  folded {done:,} events ({done / (last - started):,.0f}/s)", flush=True)
    done += await _fold(inbox, state, chunk)
    print(f"  saving {len(state.views):,} views and {len(state.deltas.values):,} counters")
    await models.save(state, None)  # the service's own bulk writes
    rate = done / (time.perf_counter() - started)
    await client.close()
    return done, rate


async def _fold(inbox: Inbox, state: State, chunk: list[EnvelopeEvent]) -> int:
    if not chunk:
        return 0
    project(state, chunk)
    await inbox.remember([e.event_id for e in chunk])
    return len(chunk)


async def run() -> None:
    contacts = int(os.environ.get("LODESTONE_BENCH_CONTACTS", "1000000"))
    interactions = int(os.environ.get("LODESTONE_BENCH_INTERACTIONS", "10000000"))
    n = int(os.environ.get("LODESTONE_BENCH_EVENTS", "10000"))
    stack = bench_stack(SERVICES)
    pipeline.BOOTSTRAP[:] = [stack.kafka_bootstrap]
    try:
        await pipeline.activate_workflow(stack)
        print(f"empty databases: a live stream of {n:,} events", flush=True)
        empty = await live(stack, n)
        for service in SERVICES:
            stack.stop(service)
        print(f"filling: {contacts:,} contacts", flush=True)
        loaded = await search.load(stack.mongo_url, contacts)
        print(f"filling: reporting with {interactions:,} interactions", flush=True)
        folded, fold_rate = await fill_reporting(stack.mongo_url, contacts, interactions)
        print(f"  {folded:,} events folded and saved at {fold_rate:,.0f}/s", flush=True)
        pipeline.restart(stack, SERVICES, timeout=300)  # generous: the filled database is busy
        print(f"filled databases: the same live stream of {n:,} events", flush=True)
        full = await live(stack, n)
    finally:
        stack.down()

    size = f"{contacts:,} contacts, {interactions:,} interactions"
    rows: list[dict[str, Any]] = []
    for name in full["after"]:
        small, big = empty["after"][name], full["after"][name]
        rows.append(
            {
                "measure": f"{name} peak RSS MiB",
                "empty": small["peak_mib"],
                "filled": big["peak_mib"],
                "ratio": big["peak_mib"] / small["peak_mib"],
                "note": f"at rest after start {full['at_rest'][name]['rss_mib']:,.0f}",
            }
        )
    rows.append(
        {
            "measure": f"live stream of {n:,} events, events/s",
            "empty": empty["rate"],
            "filled": full["rate"],
            "ratio": full["rate"] / empty["rate"],
            "note": "POST → every group caught up",
        }
    )
    for small, big in zip(empty["reports"], full["reports"], strict=True):
        rows.append(
            {
                "measure": f"{big['measure']} p50 ms",
                "empty": small["p50 ms"],
                "filled": big["p50 ms"],
                "ratio": big["p50 ms"] / small["p50 ms"],
                "note": f"p99 {big['p99 ms']:,.0f} ms",
            }
        )
    for query in SEARCHES:
        small, big = empty["searches"][query], full["searches"][query]
        rows.append(
            {
                "measure": f"search {query} p50 ms",
                "empty": small * 1000,
                "filled": big * 1000,
                "ratio": big / small,
                "note": "",
            }
        )
    report(
        "scale",
        rows,
        {
            "size": size,
            "contacts_loaded_per_s": loaded,
            "reporting_folded": folded,
            "reporting_folded_per_s": fold_rate,
            "empty": empty,
            "filled": full,
        },
    )


def main() -> None:
    asyncio.run(run())
