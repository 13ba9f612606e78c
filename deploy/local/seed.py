"""Seed a running stack with realistic demo data through the public APIs only.

A few weeks of synthetic prospects: web visits, form fills, email engagement, sales calls and
meetings, purchases; lifecycle stages moving forward; reps, a welcome workflow and an MQL
hand-off workflow. Deterministic for a given --seed, and safe to run twice (event ids are
stable, so a second run changes nothing). `python deploy/local/seed.py --help`.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import sys
import time
import zlib
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from tenacity import (
    AsyncRetrying,
    RetryCallState,
    retry_if_exception,
    stop_after_delay,
    wait_exponential_jitter,
)

from lodestone_common.admin import consumer_lag
from lodestone_common.kafka_auth import KafkaSettings

SOURCES = {"web": 40, "paid_search": 20, "referral": 15, "event": 15, "partner": 10}
REPS = {"ana": 3, "ben": 2, "chloe": 2, "dev": 1}
PRODUCTS = [("Starter plan", 49.0), ("Team plan", 199.0), ("Onboarding", 990.0), ("Add-on", 19.0)]
FIRST = ["Ada", "Ben", "Cleo", "Dan", "Eva", "Finn", "Gia", "Hugo", "Iris", "Jon", "Kim", "Leo"]
LAST = ["Meyer", "Ng", "Okafor", "Patel", "Quinn", "Rossi", "Silva", "Tanaka", "Ueda", "Varga"]
COMPANIES = ["Acme", "Globex", "Initech", "Umbrella", "Hooli", "Stark", "Wayne", "Tyrell"]
PAGES = ["/", "/pricing", "/features", "/blog/pipeline", "/docs", "/customers", "/demo"]
# One console user per role; development passwords, printed by `make demo`.
DEMO_USERS = [
    ("ana@lodestone.local", "Ana (sales rep)", "rep", "ana"),
    ("ben@lodestone.local", "Ben (sales rep)", "rep", "ben"),
    ("maria@lodestone.local", "Maria (sales manager)", "manager", None),
    ("mark@lodestone.local", "Mark (marketer)", "marketer", None),
    ("vic@lodestone.local", "Vic (viewer)", "viewer", None),
]
LADDER = ["lead", "marketing_qualified", "sales_qualified", "opportunity", "customer"]
# Answers worth another try: rate limited, or a service busy or restarting.
RETRIED = {429, 502, 503, 504}
# How long one call keeps being retried before the seed gives up with the last error.
RETRY_FOR_SECONDS = 600


class Api:
    """The stack's HTTP APIs, each call retried with backoff on 429/502/503/504 (after
    `Retry-After` when the service sends one), timeouts and refused connections. Every call
    the seed makes is safe to repeat: events have stable ids, stage moves and PUTs converge."""

    def __init__(self, key: str) -> None:
        self.http = httpx.AsyncClient(
            headers={"Authorization": f"Bearer {key}"},
            # A loaded machine (or the Python database daemon) answers slowly: wait long,
            # then retry rather than fail.
            timeout=httpx.Timeout(120.0, connect=10.0),
        )

    async def __aenter__(self) -> Api:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.http.aclose()

    async def call(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        retrying = AsyncRetrying(
            retry=retry_if_exception(_worth_retrying),
            wait=_retry_after_or_backoff,
            stop=stop_after_delay(RETRY_FOR_SECONDS),
            reraise=True,
        )
        async for attempt in retrying:
            with attempt:
                response = await self.http.request(method, url, **kwargs)
                if response.status_code in RETRIED:
                    response.raise_for_status()
                return response
        raise AssertionError("unreachable: tenacity re-raises the last error")


def _worth_retrying(exc: BaseException) -> bool:
    if isinstance(exc, httpx.HTTPStatusError):
        return exc.response.status_code in RETRIED
    return isinstance(exc, httpx.TransportError)  # timeouts, refused or dropped connections


_backoff = wait_exponential_jitter(multiplier=0.5, max=20)


def _retry_after_or_backoff(state: RetryCallState) -> float:
    exc = state.outcome.exception() if state.outcome else None
    if isinstance(exc, httpx.HTTPStatusError):
        after = exc.response.headers.get("retry-after", "")
        if after.replace(".", "", 1).isdigit():
            return min(float(after), 60.0)
    return _backoff(state)


def bar() -> Progress:
    return Progress(
        TextColumn("{task.description:42}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )


def weighted(rng: random.Random, weights: dict[Any, int]) -> Any:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


# Who the prospects are, roughly as B2B leads come: few executives, many managers and
# specialists; mostly small companies. The default model's fit rules grade them A to E.
TITLES = {
    "CEO": 3,
    "CTO": 3,
    "Founder": 4,
    "VP Marketing": 4,
    "VP Sales": 4,
    "Director of IT": 7,
    "Head of Sales": 8,
    "Head of Growth": 5,
    "Marketing Manager": 18,
    "Operations Manager": 12,
    "Sales Engineer": 10,
    "Analyst": 12,
    "Student": 10,
}
COMPANY_SIZES = {5: 20, 20: 25, 80: 25, 250: 15, 800: 10, 5000: 5}


def prospect_events(rng: random.Random, i: int, now: datetime, days: int) -> list[dict[str, Any]]:
    """One prospect's history: identify, then visits, forms, emails, calls, purchases."""
    email = f"demo{i}@{rng.choice(COMPANIES).lower()}.example"
    first = rng.choice(FIRST)
    start = now - timedelta(days=rng.uniform(0, days), hours=rng.uniform(0, 24))
    contact = {"email": email}
    at = start
    events = [
        {
            "event_id": f"demo-{i}-identify",
            "type": "identify",
            "occurred_at": at.isoformat(),
            "contact": contact,
            "traits": {
                "first_name": first,
                "last_name": rng.choice(LAST),
                "company": email.split("@")[1].split(".")[0].title(),
                "source": weighted(rng, SOURCES),
                "title": weighted(rng, TITLES),
                "company_size": weighted(rng, COMPANY_SIZES),
            },
        }
    ]
    engagement = rng.random()
    for n in range(int(1 + engagement * 12)):
        at += timedelta(hours=rng.uniform(1, 60))
        if at > now:
            break
        roll = rng.random()
        if roll < 0.55:
            props = {"path": rng.choice(PAGES)}
            event = {"type": "page", "name": "Page Viewed", "properties": props}
        elif roll < 0.65:
            event = {"type": "track", "name": "Form Submitted", "properties": {"form": "demo"}}
        elif roll < 0.85:
            name = rng.choice(["Email Opened", "Email Opened", "Email Clicked"])
            event = {"type": "track", "name": name, "properties": {"campaign": "newsletter"}}
        elif roll < 0.93:
            props = {
                "direction": "made",
                "duration_seconds": rng.randint(120, 2400),
                "rep_id": weighted(rng, REPS),
            }
            event = {"type": "track", "name": "Call Logged", "properties": props}
        else:
            event = {
                "type": "track",
                "name": "Meeting Held",
                "properties": {
                    "duration_minutes": rng.choice([30, 45, 60]),
                    "rep_id": weighted(rng, REPS),
                },
            }
        events.append(
            {
                "event_id": f"demo-{i}-{n}",
                "occurred_at": at.isoformat(),
                "contact": contact,
                **event,
            }
        )
    if engagement > 0.75:
        items = [
            {"name": name, "sku": name.lower().replace(" ", "-"), "quantity": 1, "price": price}
            for name, price in rng.sample(PRODUCTS, rng.randint(1, 2))
        ]
        for n in range(1 + (engagement > 0.93)):
            at += timedelta(days=rng.uniform(0.5, 5))
            if at > now:
                break
            events.append(
                {
                    "event_id": f"demo-{i}-purchase-{n}",
                    "type": "track",
                    "name": "Order Completed",
                    "occurred_at": at.isoformat(),
                    "contact": contact,
                    "properties": {
                        "amount": sum(x["price"] for x in items),
                        "currency": "USD",
                        "items": items,
                    },
                }
            )
    return events


async def seed(
    contacts: str,
    automation: str,
    key: str,
    prospects: int = 3000,
    days: int = 28,
    seed_value: int = 7,
    progress: Callable[[str], Any] = print,
    console: str | None = None,
    bootstrap: str | None = None,
) -> None:
    """Publish the demo; with `bootstrap` (Kafka), end only once every consumer group of
    Lodestone has caught up (lag zero), so what the demo shows is complete."""
    rng = random.Random(seed_value)
    now = datetime.now(UTC)
    started = time.monotonic()
    async with Api(key) as api:
        for rep, weight in REPS.items():
            body = {"name": rep.title(), "weight": weight, "available": True}
            (await api.call("PUT", f"{automation}/v1/reps/{rep}", json=body)).raise_for_status()
        await _workflows(api, automation)
        if console:
            await _users(api, console, progress)
        people: list[tuple[str, float]] = []
        with bar() as shown:
            task = shown.add_task("publishing prospects' interactions", total=prospects)
            batch: list[dict[str, Any]] = []
            for i in range(prospects):
                events = prospect_events(rng, i, now, days)
                people.append((events[0]["contact"]["email"], rng.random()))
                batch += events
                if len(batch) >= 800 or i == prospects - 1:
                    sent = await api.call("POST", f"{contacts}/v1/events", json={"events": batch})
                    sent.raise_for_status()
                    batch = []
                    shown.update(task, completed=i + 1)
        if bootstrap:  # the identities resolved before stages move
            await caught_up(bootstrap, ["lodestone-contacts"], "contacts resolve")
        await _stages(api, contacts, people, rng)
    if bootstrap:
        await caught_up(bootstrap, None, "every service catches up")
    progress(f"seed: done in {time.monotonic() - started:.0f}s")


async def caught_up(bootstrap: str, groups: list[str] | None, what: str) -> None:
    """Wait, with a bar, until these consumer groups (default: all) have no lag."""
    with bar() as shown:
        task = shown.add_task(f"waiting: {what}", total=None)
        most = 0
        while True:
            lag = await consumer_lag(bootstrap, groups, security=KafkaSettings().kafka_security())
            behind = sum(lag.values())
            most = max(most, behind)
            shown.update(task, total=most, completed=most - behind)
            if lag and not behind:
                return
            await asyncio.sleep(1.0)


async def _users(api: Api, console: str, progress: Callable[[str], Any]) -> None:
    """The console's demo people, one per role (an existing email is left as it is)."""
    for email, name, role, rep in DEMO_USERS:
        password = f"{email.split('@')[0]}-demo-password"
        body = {"email": email, "name": name, "role": role, "password": password}
        made = await api.call(
            "POST", f"{console}/v1/users", json={**body, "rep_id": rep} if rep else body
        )
        if made.status_code != 409:
            made.raise_for_status()
        progress(f"seed: console user {email} ({role}) password {password}")


async def _workflows(api: Api, automation: str) -> None:
    existing = (await api.call("GET", f"{automation}/v1/workflows")).json()
    names = {w["definition"].get("name") for w in existing if w["status"] != "archived"}
    for definition in WORKFLOWS:
        if definition["name"] in names:
            continue
        made = await api.call("POST", f"{automation}/v1/workflows", json=definition)
        made.raise_for_status()
        wf = made.json()["id"]
        (await api.call("POST", f"{automation}/v1/workflows/{wf}/activate")).raise_for_status()


WORKFLOWS: list[dict[str, Any]] = [
    {
        "name": "Welcome new sign-ups",
        "trigger": {"type": "interaction", "interaction_type": "form_submitted"},
        "steps": [
            {
                "id": "welcome",
                "type": "send_email",
                "subject": "Welcome, {{first_name}}",
                "body": "Hi {{first_name}}, thanks for your interest in Lodestone.\n\n"
                "What is new this month: https://lodestone.example/whats-new\n"
                "Plans and prices: https://lodestone.example/pricing",
            }
        ],
    },
    {
        "name": "MQL hand-off",
        "trigger": {"type": "stage_changed", "to": "marketing_qualified"},
        "steps": [
            {"id": "assign", "type": "assign_owner", "reps": list(REPS)},
            {
                "id": "call",
                "type": "create_task",
                "kind": "call",
                "title": "Call {{first_name}} at {{company}}",
                "due_in_hours": 24,
            },
        ],
    },
]


async def _stages(
    api: Api, contacts: str, people: list[tuple[str, float]], rng: random.Random
) -> None:
    """Move prospects along the funnel through the contacts API (a few go all the way)."""
    plans = [
        (email, sum(luck > t for t in (0.3, 0.55, 0.75, 0.88, 0.95)), rng.random() < 0.5)
        for email, luck in people
    ]
    plans = [p for p in plans if p[1]]
    gate = asyncio.Semaphore(8)
    with bar() as shown:
        task = shown.add_task("moving prospects along the funnel", total=len(plans))

        async def move(email: str, steps: int, assign: bool) -> None:
            async with gate:
                found = await api.call("GET", f"{contacts}/v1/contacts", params={"email": email})
                items = found.json().get("items") or []
                if items:
                    cid = items[0]["id"]
                    for stage in LADDER[:steps]:
                        body: dict[str, Any] = {"stage": {"to": stage, "reason": "demo"}}
                        if stage == "sales_qualified" and assign:
                            owner = list(REPS)[zlib.crc32(email.encode()) % len(REPS)]
                            body["owner_id"] = owner
                        await api.call("PATCH", f"{contacts}/v1/contacts/{cid}", json=body)
                shown.advance(task)

        await asyncio.gather(*(move(e, n, a) for e, n, a in plans))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="seed", description="Publish demo prospects into a running local stack."
    )
    parser.add_argument("--contacts", default="http://127.0.0.1:8001", help="contacts' URL")
    parser.add_argument("--automation", default="http://127.0.0.1:8003", help="automation's URL")
    parser.add_argument("--console", default="http://127.0.0.1:8000", help="console's URL")
    parser.add_argument(
        "--key",
        default=os.environ.get("LODESTONE_API_KEY", "lodestone-dev-key"),
        help="an admin API key (default: LODESTONE_API_KEY, as the stack uses it)",
    )
    parser.add_argument(
        "--bootstrap",
        default=os.environ.get("LODESTONE_KAFKA_BOOTSTRAP", "127.0.0.1:9092"),
        help="Kafka, to wait until every consumer group has caught up ('' not to wait)",
    )
    parser.add_argument("--prospects", type=int, default=3000)
    parser.add_argument("--days", type=int, default=28, help="how far back the history goes")
    parser.add_argument("--seed", type=int, default=7, help="random seed (same seed, same data)")
    args = parser.parse_args(argv)
    asyncio.run(
        seed(
            args.contacts,
            args.automation,
            args.key,
            args.prospects,
            args.days,
            args.seed,
            console=args.console,
            bootstrap=args.bootstrap or None,
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
