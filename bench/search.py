"""Contact search at scale: API latency of typical filters over N contacts (default 1M),
against a forced collection scan of the same query on the same database in the same run;
then the console's first load, list pages and search over the same contacts (console.py).

The segment builder's live count (`POST /v1/segments/preview`) over the same contacts, for
filters with AND, OR and NOT groups, against counting them by a collection scan.

Contacts are bulk-inserted straight into the contacts database (the fastest path, which
also gives this machine's raw bulk-insert rate); the service then serves the searches.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import random
import statistics
import time
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import unquote_plus

import httpx
from pymongo import AsyncMongoClient, InsertOne

from lodestone_contacts.domain.search import ContactFilter, from_query
from lodestone_contacts.domain.terms import terms_of, terms_query

from .console import timings as console_timings
from .harness import bench_stack, report

STAGES = [
    "subscriber",
    "lead",
    "marketing_qualified",
    "sales_qualified",
    "opportunity",
    "customer",
    "lost",
]
QUERIES = {
    "stage=opportunity": "stage=opportunity",
    "owner": "owner_id=rep-17",
    "tag": "tag=webinar-2026",
    "email": "email=p777777@example.com",
    "company": "company=Company 4242",
    "score band hot": "score_band=hot",
    "stage + page visits >= 8": "stage=lead&min_activity.page_visit=8",
    "free text: two name words (50 hits per 1M)": "q=first4242+last14242",
    "free text: an address": "q=p777777@example",
    "free text: a broad prefix (2% of contacts)": "q=first42",
}

# What the segment builder asks while a filter is edited (`POST /v1/segments/preview`): a live
# count and five members, for filters as the builder makes them.
SEGMENTS: dict[str, dict[str, Any]] = {
    "stage is lead (1 in 7)": {"stage": ["lead"]},
    "tag AND (company OR vip)": {
        "tags": ["webinar-2024"],
        "any_of": [{"company": "Company 4242"}, {"tags": ["vip"]}],
    },
    "hot NOT customer": {"score_band": ["hot"], "none_of": [{"stage": ["customer"]}]},
    "owner AND plan pro AND 8+ visits": {
        "owner_id": "rep-17",
        "custom": {"plan": "pro"},
        "min_activity": {"page_visit": 8},
    },
}


def synthetic(i: int, now: datetime) -> dict[str, Any]:
    rnd = random.Random(i)
    doc: dict[str, Any] = {
        # As the service makes them (a random UUID's hex), from a hash of i rather than from
        # `rnd`, whose draws give the fields below: estimates read a slice of the ids.
        "_id": f"c_{hashlib.blake2b(str(i).encode(), digest_size=16).hexdigest()}",
        "email": f"p{i}@example.com",
        "emails": [f"p{i}@example.com"],
        "phones": [f"+1555{i:07d}"],
        "first_name": f"First{i % 5000}",
        "last_name": f"Last{i % 20000}",
        "company": f"Company {i % 10000}",
        "lifecycle_stage": rnd.choice(STAGES),
        "owner_id": f"rep-{i % 50}",
        "tags": [f"webinar-{2020 + i % 7}"] + (["vip"] if i % 100 == 0 else []),
        "custom": {"plan": rnd.choice(["free", "pro", "team"])},
        "score_band": rnd.choice(["cold", "cold", "cold", "warm", "hot"]),
        "activity": {"page_visit": rnd.randint(0, 10)},
        "anonymous": False,
        "created_at": now - timedelta(minutes=i),
        "updated_at": now,
    }
    doc["terms"] = terms_of(doc)  # as the service writes them
    return doc


async def load(url: str, n: int) -> float:
    client: AsyncMongoClient = AsyncMongoClient(url)
    contacts = client["lodestone_contacts"]["contacts"]
    now = datetime.now(UTC)
    started = time.perf_counter()
    batch = 5000
    for start in range(0, n, batch):
        await contacts.bulk_write(
            [InsertOne(synthetic(i, now)) for i in range(start, min(start + batch, n))],
            ordered=False,
        )
        if (start // batch) % 20 == 0:
            print(f"  loaded {start + batch:,}/{n:,}", flush=True)
    rate = n / (time.perf_counter() - started)
    await client.close()
    return rate


async def api_latency(http: httpx.AsyncClient, query: str, runs: int = 15) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        response = await http.get(f"/v1/contacts?{query}&limit=50")
        response.raise_for_status()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


async def preview_latency(
    http: httpx.AsyncClient, flt: dict[str, Any], runs: int = 7, **options: Any
) -> tuple[float, dict[str, Any]]:
    """The median time of a preview with these options, and its last answer."""
    times = []
    body: dict[str, Any] = {"filter": flt, **options}
    for _ in range(runs):
        started = time.perf_counter()
        response = await http.post("/v1/segments/preview", json=body)
        response.raise_for_status()
        times.append(time.perf_counter() - started)
    return statistics.median(times), response.json()


async def count_scan(url: str, flt: dict[str, Any]) -> float:
    """The same count by a forced collection scan: what a builder without indexes would wait."""
    client: AsyncMongoClient = AsyncMongoClient(url)
    contacts = client["lodestone_contacts"]["contacts"]
    started = time.perf_counter()
    await contacts.count_documents(
        ContactFilter.model_validate(flt).to_mongo(), hint=[("$natural", 1)]
    )
    elapsed = time.perf_counter() - started
    await client.close()
    return elapsed


async def scan_latency(url: str, query: str) -> float:
    params: dict[str, list[str]] = {}
    for part in query.split("&"):
        name, _, value = part.partition("=")
        params.setdefault(name, []).append(unquote_plus(value))
    q = params.pop("q", None)
    mongo_query = from_query(params).to_mongo()
    if q:
        mongo_query = {"$and": [mongo_query, *terms_query(q[-1])]}
    client: AsyncMongoClient = AsyncMongoClient(url)
    contacts = client["lodestone_contacts"]["contacts"]
    started = time.perf_counter()
    await contacts.find(mongo_query).sort("_id", 1).hint([("$natural", 1)]).to_list(50)
    elapsed = time.perf_counter() - started
    await client.close()
    return elapsed


async def run() -> None:
    n = int(os.environ.get("LODESTONE_BENCH_CONTACTS", "1000000"))
    stack = bench_stack(["contacts"])
    try:
        insert_rate = await load(stack.mongo_url, n)
        url = f"http://127.0.0.1:{stack.service_ports['contacts']}"
        rows = []
        async with httpx.AsyncClient(
            base_url=url, timeout=120, headers={"Authorization": f"Bearer {stack.api_key}"}
        ) as http:
            for label, query in QUERIES.items():
                api = await api_latency(http, query)
                scan = await scan_latency(stack.mongo_url, query)
                rows.append(
                    {
                        "query": label,
                        "contacts": n,
                        "api p50 ms": api * 1000,
                        "collection scan ms": scan * 1000,
                        "speed-up vs scan": scan / api,
                    }
                )
                print(f"{label}: {api * 1000:.1f} ms (scan {scan * 1000:.0f} ms)", flush=True)
            counts = []
            for label, flt in SEGMENTS.items():
                api, members = await preview_latency(http, flt)
                # The builder's first answer: an estimate, or counting to 10,000.
                quick, first = await preview_latency(http, flt, at_most=10_000, estimate=True)
                capped, _ = await preview_latency(http, flt, at_most=10_000)
                scan = await count_scan(stack.mongo_url, flt)
                said = (
                    f"≈ {first['members']:,} ({first['low']:,} to {first['high']:,})"
                    if first.get("estimated")
                    else f"{first['members']:,}{'' if first['exact'] else '+'}"
                )
                counts.append(
                    {
                        "segment builder filter": label,
                        "members": members["members"],
                        "first answer": said,
                        "first answer p50 ms": quick * 1000,
                        "counting to 10,000 p50 ms": capped * 1000,
                        "exact count p50 ms": api * 1000,
                        "count by scan ms": scan * 1000,
                        "first answer vs exact": api / quick,
                    }
                )
                print(
                    f"preview {label}: first {said} in {quick * 1000:.1f} ms, to 10,000"
                    f" {capped * 1000:.1f} ms, exact {members['members']:,} in"
                    f" {api * 1000:.1f} ms (scan {scan * 1000:.0f} ms)"
                )
        print(f"\nraw bulk insert into contacts (with its indexes): {insert_rate:,.0f} docs/s")
        report("search", rows, {"contacts": n, "bulk_insert_per_s": insert_rate})
        report("segment-preview", counts, {"contacts": n})
        if shown := await console_timings(stack):
            report("console", shown, {"contacts": n})
    finally:
        stack.down()


def main() -> None:
    asyncio.run(run())
