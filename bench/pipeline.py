"""Pipeline: the whole suite, end to end and consumer by consumer, in one run.

1. Raw limits of this run's Kafka and database (the ceiling every ratio is a share of).
2. End to end: all four services running; N events (page views, email opens, form
   submissions that enroll a workflow with a create-task step) go through `POST /v1/events`
   in batches of 1,000; the clock stops when every consumer group has committed the end of
   every topic it reads — ingested → resolved → scored → enrolled → acted → reported.
3. Consumer by consumer: the services stop; M events are accepted by the contacts API with
   its consumers off; then contacts, scoring, automation and reporting start one after the
   other, each finding a full backlog. A group's rate is what it committed from its first
   commit to catching up. Run twice: batched (the services' defaults) and naive (every
   consumer at `LODESTONE_CONSUMER_MAX_RECORDS=1`: one transaction and one offset commit per
   message), so each consumer's speed-up over one-round-trip-per-event is measured.
4. Latency at 20, 100 and 200 events/s (`LODESTONE_BENCH_RATES`) and at half the measured
   end-to-end maximum: the same mix at a steady rate, plus ten probes a second (form
   submissions by new contacts); per probe, from its 202 to the
   `interaction.recorded`, the `score.changed` and the `workflow.action_performed` it caused
   appearing on their topics (Kafka record times), so each service's share shows.
5. Memory: peak and current RSS of every service process after each part.
6. Where the CPU goes: py-spy samples every service during part 2 (bench/profile.py); the
   raw stacks are kept in bench/results/profile-*.txt.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any
from uuid import uuid4

import httpx
import orjson
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from prometheus_client.parser import text_string_to_metric_families
from pymongo import AsyncMongoClient

from lodestone_common.kafka import topic_partitions
from lodestone_common.topics import AUTOMATION, CONTACTS, INGEST_RAW, INTERACTIONS, SCORES

from . import limits
from .harness import bench_stack, report
from .profile import CpuShares, Profiles, print_summaries

SERVICES = ["contacts", "scoring", "automation", "reporting"]
# What each service's consumer groups read (group = lodestone-<service>.<name>, or just
# lodestone-<service> for a service's one group, named after the service).
GROUPS: dict[str, dict[str, list[str]]] = {
    "contacts": {"contacts": [INGEST_RAW, SCORES]},
    "scoring": {"scoring": [INTERACTIONS, CONTACTS]},
    "automation": {
        "automation": [INTERACTIONS, CONTACTS, SCORES],
    },
    "reporting": {"reporting": [CONTACTS, INTERACTIONS, SCORES, AUTOMATION]},
}


def group_name(service: str, name: str) -> str:
    return f"lodestone-{service}" if name == service else f"lodestone-{service}.{name}"


ALL_GROUPS = {
    group_name(service, name): topics
    for service, groups in GROUPS.items()
    for name, topics in groups.items()
}
TOPICS = sorted({t for topics in ALL_GROUPS.values() for t in topics})
BATCH = 1000


def events(n: int, run: str, people: int) -> list[dict[str, Any]]:
    """A realistic mix: mostly page views, some email opens, one in ten a form submission."""
    out = []
    for i in range(n):
        kind = i % 10
        name = (
            "Form Submitted" if kind == 0 else "Email Opened" if kind in (3, 7) else "Page Viewed"
        )
        out.append(
            {
                "event_id": f"{run}-{i}",
                "type": "track",
                "name": name,
                "contact": {"email": f"p{i % people}.{run}@example.com"},
                "properties": {"url": "/pricing" if i % 4 == 1 else f"/docs/{i % 40}"},
            }
        )
    return out


async def post(http: httpx.AsyncClient, batch: list[dict[str, Any]]) -> None:
    response = await http.post("/v1/events", json={"events": batch})
    response.raise_for_status()


async def post_all(http: httpx.AsyncClient, items: list[dict[str, Any]]) -> float:
    """Events/s accepted, two batches in flight (the HTTP side of ingestion)."""
    batches = [items[i : i + BATCH] for i in range(0, len(items), BATCH)]
    started = time.perf_counter()
    for i in range(0, len(batches), 2):
        await asyncio.gather(*(post(http, b) for b in batches[i : i + 2]))
    return len(items) / (time.perf_counter() - started)


class Offsets:
    """Committed offsets of Lodestone's groups against the end offsets of what they read."""

    async def __aenter__(self) -> Offsets:
        self.admin = AIOKafkaAdminClient(bootstrap_servers=BOOTSTRAP[0])
        self.probe = AIOKafkaConsumer(bootstrap_servers=BOOTSTRAP[0])
        await self.admin.start()
        await self.probe.start()
        self.parts = await topic_partitions(self.probe, TOPICS)
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.probe.stop()
        await self.admin.close()

    async def ends(self) -> dict[TopicPartition, int]:
        return await self.probe.end_offsets(self.parts)

    async def read(self, groups: Iterable[str]) -> dict[str, tuple[int, int]]:
        """(committed, end) per group, summed over the partitions of its topics."""
        ends = await self.ends()
        out = {}
        for group in groups:
            committed = await self.admin.list_consumer_group_offsets(group)
            topics = ALL_GROUPS[group]
            mine = [tp for tp in self.parts if tp.topic in topics]
            done = sum(max(committed[tp].offset, 0) for tp in mine if tp in committed)
            out[group] = (done, sum(ends[tp] for tp in mine))
        return out


BOOTSTRAP: list[str] = []


@dataclass
class Drain:
    messages: int
    seconds: float

    @property
    def rate(self) -> float:
        return self.messages / self.seconds if self.seconds else 0.0


async def drain(
    offsets: Offsets,
    groups: list[str],
    everyone: list[str],
    timeout: float = 900,
    starting: Callable[[], None] | None = None,
) -> dict[str, Drain]:
    """Wait until `everyone` has caught up; for each of `groups`, the messages it committed
    from just before its first commit until it caught up, and how long that took.
    `starting` (run in a thread) starts the consumers once the offsets before are known."""
    first = await offsets.read(groups)
    started = asyncio.ensure_future(asyncio.to_thread(starting)) if starting else None
    began: dict[str, tuple[float, int]] = {}
    finished: dict[str, Drain] = {}
    last_poll = time.perf_counter()
    deadline = last_poll + timeout
    while True:
        now = time.perf_counter()
        state = await offsets.read(everyone)
        for group in groups:
            done, end = state[group]
            if group not in began and done > first[group][0]:
                began[group] = (last_poll, first[group][0])
            if group not in finished and done >= end:
                start, base = began.get(group, (now, done))
                finished[group] = Drain(done - base, now - start)
        ready = started is None or started.done()
        if ready and len(finished) == len(groups) and all(d >= e for d, e in state.values()):
            if started is not None:
                await started  # its errors, if any
            return finished
        if now > deadline:
            raise SystemExit(f"consumers did not catch up in {timeout:.0f}s: {state}")
        last_poll = now
        await asyncio.sleep(0.25)


def rss(stack: Any, names: Iterable[str] = SERVICES) -> dict[str, dict[str, float]]:
    """Current and peak resident memory (MiB) of each running service (or infra) process."""
    out = {}
    for service in names:
        pid = stack.running(service)
        if not pid:
            continue
        fields = {}
        for line in open(f"/proc/{pid}/status").read().splitlines():
            key, _, value = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                fields[key] = int(value.split()[0]) / 1024
        out[service] = {"rss_mib": fields["VmRSS"], "peak_mib": fields["VmHWM"]}
    return out


def restart(
    stack: Any, services: list[str], env: dict[str, str] | None = None, timeout: float = 120
) -> None:
    for service in services:
        stack.stop(service)
    for service in services:
        stack.start_service(service, env=env)
    for service in services:
        stack.wait_ready(service, timeout=timeout)


async def activate_workflow(stack: Any) -> None:
    """The benchmark's workflow (form submission → task), so automation acts on the mix."""
    async with http_client(stack, "automation") as auto:
        created = (await auto.post("/v1/workflows", json=WORKFLOW)).json()
        (await auto.post(f"/v1/workflows/{created['id']}/activate")).raise_for_status()


async def database_counters(mongo_url: str) -> dict[str, int]:
    """The database's operation counters (documents inserted, updated and deleted, queries,
    commands) and committed transactions since it started."""
    client: AsyncMongoClient = AsyncMongoClient(mongo_url)
    try:
        status = await client.admin.command("serverStatus")
    finally:
        await client.close()
    counters = {k: int(v) for k, v in status.get("opcounters", {}).items()}
    documents = status.get("metrics", {}).get("document", {})
    for kind in ("inserted", "updated", "deleted"):
        counters[f"documents {kind}"] = int(documents.get(kind, 0))
    transactions = status.get("transactions", {})
    for kind in ("Started", "Committed", "Aborted"):
        counters[f"transactions {kind.lower()}"] = int(transactions.get(f"total{kind}", 0))
    return counters


async def collection_times(mongo_url: str) -> dict[str, dict[str, float]]:
    """Per collection, the database's time (s) and operations so far (its `top` command)."""
    client: AsyncMongoClient = AsyncMongoClient(mongo_url)
    try:
        totals = (await client.admin.command("top"))["totals"]
    finally:
        await client.close()
    return {
        name: {
            "seconds": v["total"]["time"] / 1e6,
            **{kind: float(v[kind]["count"]) for kind in ("queries", "insert", "update", "remove")},
        }
        for name, v in totals.items()
        if isinstance(v, dict) and name.startswith("lodestone_")
    }


def busiest(
    before: dict[str, dict[str, float]], after: dict[str, dict[str, float]], n: int, top: int = 12
) -> list[dict[str, Any]]:
    """The collections the database spent most time on between two `top` snapshots, with
    their share of it and the statements per event."""
    spent = {
        name: {k: v - before.get(name, {}).get(k, 0.0) for k, v in row.items()}
        for name, row in after.items()
    }
    total = sum(r["seconds"] for r in spent.values()) or 1.0
    rows = sorted(spent.items(), key=lambda kv: -kv[1]["seconds"])[:top]
    return [
        {
            "collection": name.removeprefix("lodestone_"),
            "share": r["seconds"] / total,
            "seconds": r["seconds"],
            **{k: r[k] / n for k in ("queries", "insert", "update", "remove")},
        }
        for name, r in rows
    ]


async def service_samples(stack: Any) -> dict[str, list[Any]]:
    """Every Prometheus sample each service exposes now."""
    found: dict[str, list[Any]] = {}
    for service in SERVICES:
        async with http_client(stack, service) as http:
            text = (await http.get("/metrics")).text
        found[service] = [s for f in text_string_to_metric_families(text) for s in f.samples]
    return found


async def conflicts(stack: Any) -> dict[str, dict[str, float]]:
    """Per service: transactions committed and aborted, and write conflicts per collection,
    from its own metrics (lodestone_db_*): which writers meet."""
    found: dict[str, dict[str, float]] = {}
    for service, samples in (await service_samples(stack)).items():
        row: dict[str, float] = {}
        for sample in samples:
            if sample.name == "lodestone_db_transactions_total":
                row[f"transactions {sample.labels['outcome']}"] = sample.value
            elif sample.name == "lodestone_db_write_conflicts_total":
                row[f"conflicts on {sample.labels['collection']}"] = sample.value
        found[service] = row
    return found


async def batch_times(stack: Any) -> dict[str, dict[str, float]]:
    """Per service, from its metrics: its batches' count and seconds, and each database
    command's (`command collection`) count and seconds so far."""
    found: dict[str, dict[str, float]] = {}
    for service, samples in (await service_samples(stack)).items():
        row: dict[str, float] = {}
        for sample in samples:
            kind = sample.name.rsplit("_", 1)[-1]
            if sample.name.startswith("lodestone_consumer_batch_seconds_"):
                row[f"batch {kind}"] = row.get(f"batch {kind}", 0.0) + sample.value
            elif sample.name.startswith("lodestone_db_command_seconds_") and kind != "bucket":
                what = f"{sample.labels['command']} {sample.labels['collection']}"
                row[f"{what} {kind}"] = sample.value
        found[service] = row
    return found


def where_batches_wait(
    before: dict[str, dict[str, float]], after: dict[str, dict[str, float]], top: int = 6
) -> dict[str, dict[str, Any]]:
    """Per service between two `batch_times`: batches, their mean time (ms), the database
    round trips of the service per batch and the ms they took per batch, and the commands
    that took most of it (round trips and ms per batch)."""
    out: dict[str, dict[str, Any]] = {}
    for service, delta in metric_deltas(before, after).items():
        batches = delta.get("batch count", 0.0)
        if not batches:
            continue
        commands = {
            k.removesuffix(" sum"): (delta.get(k.replace(" sum", " count"), 0.0), v)
            for k, v in delta.items()
            if k.endswith(" sum") and not k.startswith("batch ")
        }
        ranked = sorted(commands.items(), key=lambda kv: -kv[1][1])[:top]
        out[service] = {
            "batches": batches,
            "batch ms": delta["batch sum"] / batches * 1000,
            "round trips per batch": sum(c for c, _ in commands.values()) / batches,
            "database ms per batch": sum(t for _, t in commands.values()) / batches * 1000,
            "commands": [
                {"command": k, "per batch": c / batches, "ms per batch": t / batches * 1000}
                for k, (c, t) in ranked
            ],
        }
    return out


def metric_deltas(
    before: dict[str, dict[str, float]], after: dict[str, dict[str, float]]
) -> dict[str, dict[str, float]]:
    """Per service, how much each counter grew between two scrapes."""
    return {
        s: {k: v - before.get(s, {}).get(k, 0.0) for k, v in row.items()}
        for s, row in after.items()
    }


# The documents that must change per event of the mix to hold what Lodestone knows after it
# (bench/README, "Write amplification"): contacts the interaction and the contact record,
# scoring the ledger line and the score, automation its audience record, reporting the
# contact's view; and per form submission (one in ten) an enrollment, a task and its action
# record. Outbox rows, deduplication and offsets are what moving the events costs, not
# information, and so count against the floor.
FLOOR = 2 + 2 + 1 + 1 + 3 / 10


def written(ops: dict[str, float]) -> float:
    """Documents inserted, updated and deleted per event."""
    return sum(ops.get(f"documents {k}", 0.0) for k in ("inserted", "updated", "deleted"))


def aborted_share(ops: dict[str, float]) -> float:
    started = ops.get("transactions started", 0.0)
    return ops.get("transactions aborted", 0.0) / started if started else 0.0


async def end_to_end(
    stack: Any, offsets: Offsets, n: int
) -> tuple[
    float,
    dict[str, dict[str, Any]],
    dict[str, float],
    list[dict[str, Any]],
    dict[str, dict[str, float]],
]:
    """Events/s from the first POST until every group caught up, where each service spent
    its CPU meanwhile, the database operations each event cost and the collections the
    database spent its time on."""
    run = uuid4().hex[:6]
    items = events(n, run, people=max(n // 5, 1))
    pids = {s: pid for s in SERVICES if (pid := stack.running(s))}
    everything = {**pids, "kafka": stack.running("kafka"), "database": stack.running("mongo")}
    with (
        CpuShares({**everything, "load generator": os.getpid()}) as cpu,
        Profiles(pids, "end-to-end") as profiles,
    ):
        async with http_client(stack, "contacts") as http:
            before = await database_counters(stack.mongo_url)
            times = await collection_times(stack.mongo_url)
            met = await conflicts(stack)
            started = time.perf_counter()
            accepted = await post_all(http, items)
            print(f"  accepted {n:,} events at {accepted:,.0f}/s; waiting for every group")
            await drain(offsets, [], list(ALL_GROUPS))
            rate = n / (time.perf_counter() - started)
            await quiet(offsets)  # the relays' last rows and the runner's actions count too
            after = await database_counters(stack.mongo_url)
            spent = busiest(times, await collection_times(stack.mongo_url), n)
            met = metric_deltas(met, await conflicts(stack))
    summaries = profiles.summaries()
    summaries["cores busy"] = cpu.table()  # type: ignore[assignment]
    per_event = {k: (after[k] - before.get(k, 0)) / n for k in after}
    return rate, summaries, per_event, spent, met


# The order services meet their backlog in: each group is measured where its whole input is
# already on its topics. Contacts comes back last for the scores its own group reads (its
# two turns are told apart by what they read).
STAGES = [
    ("contacts", ["contacts"], "ingest"),
    ("scoring", ["scoring"], ""),
    ("automation", ["automation"], ""),
    ("reporting", [g for g in GROUPS["reporting"]], ""),
    ("contacts", ["contacts"], "scores"),
]


async def quiet(offsets: Offsets, for_seconds: float = 1.5) -> None:
    """Wait until no topic grows (outbox relays and the automation runner are done)."""
    last, still = await offsets.ends(), 0.0
    while still < for_seconds:
        await asyncio.sleep(0.5)
        now = await offsets.ends()
        still = still + 0.5 if now == last else 0.0
        last = now


async def staged(
    stack: Any, offsets: Offsets, m: int, env: dict[str, str] | None
) -> tuple[float, dict[str, Drain], dict[str, dict[str, float]]]:
    """Backlog M events, then let each service at it in turn: (accepted/s, per-group drains,
    each service's memory after its turn)."""
    for service in SERVICES:
        stack.stop(service)
    stack.start_service("contacts", env={**(env or {}), "LODESTONE_CONSUMERS_ENABLED": "false"})
    stack.wait_ready("contacts")
    async with http_client(stack, "contacts") as http:
        accepted = await post_all(http, events(m, uuid4().hex[:6], people=max(m // 5, 1)))
    stack.stop("contacts")
    drains: dict[str, Drain] = {}
    memory: dict[str, dict[str, float]] = {}
    running: list[str] = []
    for service, names, turn in STAGES:
        running = [*dict.fromkeys([*running, service])]
        mine = [group_name(service, g) for g in names]
        everyone = [group_name(s, g) for s in running for g in GROUPS[s]]
        drained = await drain(
            offsets, mine, everyone, starting=lambda s=service: restart(stack, [s], env)
        )
        labels = {g: f"{g} ({turn})" if turn else g for g in mine}
        drains |= {labels[g]: d for g, d in drained.items()}
        mine = list(labels.values())
        await quiet(offsets)
        memory[service] = rss(stack)[service]
        print(
            f"  {service}: "
            + ", ".join(
                f"{name} {drains[group].rate:,.0f}/s"
                for name, group in zip(names, mine, strict=True)
            ),
            flush=True,
        )
        if service == "contacts" and len(running) == 1:
            # Off while the others work, so its scores consumer later meets a full backlog.
            stack.stop("contacts")
            running.remove("contacts")
    return accepted, drains, memory


def http_client(stack: Any, service: str) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        base_url=f"http://127.0.0.1:{stack.service_ports[service]}",
        headers={"Authorization": f"Bearer {stack.api_key}"},
        timeout=120,
    )


# What a probe is timed to (event type, topic), in the order they happen: the first hop is
# the contacts service's share, the others add scoring's and automation's.
HOPS = {
    "interaction.recorded": (INTERACTIONS, "interaction.recorded"),
    "score.changed": (SCORES, "score.changed"),
    "workflow action": (AUTOMATION, "workflow.action_performed"),
}


async def latency(
    stack: Any, offsets: Offsets, rate: float, seconds: float
) -> tuple[dict[str, list[float]], int]:
    """The end-to-end mix at a steady `rate`, plus one probe a tick (10/s): a form submission
    by a new contact. Per hop, from each probe's 202 to the event it caused appearing on its
    topic (seconds), and how many probes were sent."""
    run = uuid4().hex[:6]
    before = await offsets.ends()
    background = events(int(rate * seconds) + BATCH, run, people=max(int(rate * seconds) // 5, 1))
    accepted: dict[str, float] = {}
    tick = 0.1
    per_tick = max(int(rate * tick), 1)
    async with http_client(stack, "contacts") as http:
        pending: set[asyncio.Future[None]] = set()

        async def send(batch: list[dict[str, Any]], probe: str) -> None:
            await post(http, batch)
            accepted[probe] = time.time()

        started = time.perf_counter()
        ticks = int(seconds / tick)
        for i in range(ticks):
            probe = f"probe{i}.{run}@example.com"
            batch = [
                *background[i * per_tick : (i + 1) * per_tick],
                {
                    "event_id": f"{run}-probe-{i}",
                    "type": "track",
                    "name": "Form Submitted",
                    "contact": {"email": probe},
                    "properties": {"form": "demo request"},
                },
            ]
            task = asyncio.ensure_future(send(batch, probe))
            pending.add(task)
            task.add_done_callback(pending.discard)
            await asyncio.sleep(max(started + (i + 1) * tick - time.perf_counter(), 0))
        await asyncio.gather(*pending)
    await drain(offsets, [], list(ALL_GROUPS))
    await quiet(offsets)
    ids = await contact_ids(stack.mongo_url, list(accepted))
    series = {}
    for hop, (topic, kind) in HOPS.items():
        seen = await first_seen(before, topic, kind)
        series[hop] = [seen[c] - accepted[e] for e, c in ids.items() if c in seen]
    return series, ticks


async def contact_ids(mongo_url: str, emails: list[str]) -> dict[str, str]:
    client: AsyncMongoClient = AsyncMongoClient(mongo_url)
    try:
        found = client["lodestone_contacts"]["contacts"].find(
            {"emails": {"$in": emails}}, {"emails": 1}
        )
        return {e: doc["_id"] async for doc in found for e in doc["emails"]}
    finally:
        await client.close()


async def first_seen(since: dict[TopicPartition, int], topic: str, kind: str) -> dict[str, float]:
    """The first record time (s) of each contact's `kind` event on `topic` after `since`."""
    consumer = AIOKafkaConsumer(bootstrap_servers=BOOTSTRAP[0], enable_auto_commit=False)
    await consumer.start()
    try:
        parts = [tp for tp in since if tp.topic == topic]
        consumer.assign(parts)
        ends = await consumer.end_offsets(parts)
        for tp in parts:
            consumer.seek(tp, since[tp])
        seen: dict[str, float] = {}

        async def behind() -> bool:
            return any([await consumer.position(tp) < ends[tp] for tp in parts])

        while await behind():
            for records in (await consumer.getmany(timeout_ms=1000)).values():
                for record in records:
                    env = orjson.loads(record.value)
                    if env["event_type"] == kind and env["contact_id"] not in seen:
                        seen[env["contact_id"]] = record.timestamp / 1000
        return seen
    finally:
        await consumer.stop()


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(int(len(ordered) * p), len(ordered) - 1)] if ordered else float("nan")


RATES = "20,100,200"  # events/s the latency is measured at, besides half the maximum
WORKFLOW = {
    "name": "bench: follow up form submissions",
    "trigger": {"type": "interaction", "interaction_type": "form_submitted"},
    "steps": [{"id": "task", "type": "create_task", "title": "Follow up the form"}],
}


async def run() -> None:
    n = int(os.environ.get("LODESTONE_BENCH_EVENTS", "20000"))
    m = int(os.environ.get("LODESTONE_BENCH_BACKLOG", str(n)))
    m_naive = int(os.environ.get("LODESTONE_BENCH_NAIVE", str(max(m // 20, 100))))
    seconds = float(os.environ.get("LODESTONE_BENCH_SECONDS", "20"))
    raw = int(os.environ.get("LODESTONE_BENCH_RAW", "100000"))
    stack = bench_stack(SERVICES)
    BOOTSTRAP[:] = [stack.kafka_bootstrap]
    try:
        print("raw limits", flush=True)
        limit_rows, _ = await limits.measure(stack.kafka_bootstrap, stack.mongo_url, raw)
        ceiling = {str(r["limit"]): float(r["per_s"]) for r in limit_rows}  # type: ignore[arg-type]
        slowest_name = min(ceiling, key=lambda k: ceiling[k])
        slowest = ceiling[slowest_name]
        produce = ceiling["kafka produce (acks=all, idempotent)"]
        await activate_workflow(stack)
        memory: dict[str, Any] = {}
        async with Offsets() as offsets:
            print(f"end to end: {n:,} events", flush=True)
            e2e, profiles, db_ops, spent, met = await end_to_end(stack, offsets, n)
            memory["after end to end"] = rss(stack)
            print(f"  {e2e:,.0f} events/s end to end; CPU profiles meanwhile:", flush=True)
            print_summaries(profiles)
            print("  database operations per event: " + _per_event(db_ops), flush=True)
            for service, row in met.items():
                shown = ", ".join(f"{k} {v:,.0f}" for k, v in row.items() if v)
                print(f"  {service}: {shown or 'no transactions'}", flush=True)
            print("  where the database's time went (statements per event):", flush=True)
            for row in spent:
                print(
                    f"    {row['collection']:<40} {row['share']:>4.0%}  "
                    + ", ".join(f"{k} {row[k]:.2f}" for k in ("queries", "insert", "update"))
                    + f", remove {row['remove']:.3f}",
                    flush=True,
                )

            print(f"consumer by consumer, batched: {m:,} events", flush=True)
            accepted, batched, memory["after its backlog (batched)"] = await staged(
                stack, offsets, m, None
            )
            print(f"consumer by consumer, naive (1 per transaction): {m_naive:,}", flush=True)
            naive_env = {"LODESTONE_CONSUMER_MAX_RECORDS": "1"}
            _, naive, _ = await staged(stack, offsets, m_naive, naive_env)

            restart(stack, SERVICES)
            await asyncio.sleep(3)  # consumers rejoin their groups
            # Fixed rates to compare across runs and machines, and half the measured maximum.
            rates = [float(r) for r in os.environ.get("LODESTONE_BENCH_RATES", RATES).split(",")]
            at_rate: dict[float, tuple[dict[str, list[float]], int]] = {}
            half = round(e2e / 2)
            waits: dict[str, dict[str, Any]] = {}
            for rate in sorted({*rates, half}):
                print(f"latency at {rate:,.0f} events/s", flush=True)
                times = await batch_times(stack) if rate == half else {}
                at_rate[rate] = await latency(stack, offsets, rate, seconds)
                if rate == half:
                    waits = where_batches_wait(times, await batch_times(stack))
            print_waits(half, waits)
            memory["after latency"] = rss(stack)
    finally:
        stack.down()

    rows: list[dict[str, Any]] = [
        {"measure": name, "per s": rate, "ratio": rate / produce, "of": "kafka produce"}
        for name, rate in ceiling.items()
    ]
    rows += [
        {
            "measure": "ingestion HTTP accepted (batches of 1,000)",
            "per s": accepted,
            "ratio": accepted / produce,
            "of": "kafka produce",
        },
        {
            "measure": "end to end (ingested → scored → acted → reported)",
            "per s": e2e,
            "ratio": e2e / slowest,
            "of": slowest_name,
        },
    ]
    if batched:
        solo = group_rates(batched, m)
        bottleneck = min(solo, key=lambda g: solo[g])
        # The groups share this machine's cores, Kafka and database: together they can at
        # most go as fast as every event taking each group's solo time in turn.
        shared = 1 / sum(1 / r for r in solo.values())
        rows += [
            {
                "measure": "end to end, against the slowest group alone",
                "per s": e2e,
                "ratio": e2e / solo[bottleneck],
                "of": f"{bottleneck.removeprefix('lodestone-')} {solo[bottleneck]:,.0f} events/s",
            },
            {
                "measure": "end to end, against the groups one after another",
                "per s": e2e,
                "ratio": e2e / shared,
                "of": f"1 / Σ 1/solo = {shared:,.0f} events/s",
            },
        ]
    rows += [
        {
            "measure": "database work per event, end to end",
            "per s": None,
            "ratio": None,
            "of": _per_event(db_ops),
        },
        {  # documents, not a rate: the ratio is the write amplification
            "measure": f"documents written per event (floor {FLOOR:.1f})",
            "per s": None,
            "ratio": written(db_ops) / FLOOR,
            "of": f"{written(db_ops):.2f} documents, write amplification "
            f"{written(db_ops) / FLOOR:.2f}; transactions aborted "
            f"{aborted_share(db_ops):.2%} of started",
        },
    ]
    for group, drained in batched.items():
        base = naive.get(group)
        rows.append(
            {
                "measure": f"consumer {group.removeprefix('lodestone-')}",
                "per s": drained.rate,
                "ratio": drained.rate / base.rate if base and base.rate else None,
                "of": f"naive {base.rate:,.0f}/s" if base else "naive",
            }
        )
    for rate, (hops, sent) in at_rate.items():
        for what, values in hops.items():
            p50, p99 = pct(values, 0.5) * 1000, pct(values, 0.99) * 1000
            rows.append(
                {  # a latency, not a rate: spelled out so no column reads as events/s
                    "measure": f"202 → {what} @ {rate:,.0f} events/s",
                    "per s": None,
                    "ratio": None,
                    "of": f"p50 {p50:,.0f} ms, p99 {p99:,.0f} ms ({len(values)} of {sent})",
                }
            )
    for moment, services in memory.items():
        rows.append(
            {
                "measure": f"RSS MiB {moment} (peak)",
                "per s": None,
                "ratio": None,
                "of": ", ".join(
                    f"{s} {v['rss_mib']:.0f} ({v['peak_mib']:.0f})" for s, v in services.items()
                ),
            }
        )
    report(
        "pipeline",
        rows,
        {
            "events_end_to_end": n,
            "events_backlog": m,
            "events_naive": m_naive,
            "latency_ms": {
                str(rate): {hop: [v * 1000 for v in values] for hop, values in hops.items()}
                for rate, (hops, _) in at_rate.items()
            },
            "drains": {
                mode: {g: {"messages": d.messages, "seconds": d.seconds} for g, d in r.items()}
                for mode, r in (("batched", batched), ("naive", naive))
            },
            "memory_mib": memory,
            "profiles_end_to_end": profiles,
            "database_ops_per_event": db_ops,
            "database_time_by_collection": spent,
            "transactions_and_conflicts": met,
            "batches_at_half_the_maximum": waits,
        },
    )


def print_waits(rate: float, waits: dict[str, dict[str, Any]]) -> None:
    print(f"  a batch's time at {rate:,.0f} events/s, and the database's part of it:", flush=True)
    for service, w in waits.items():
        print(
            f"    {service:<11} {w['batches']:>5,.0f} batches, {w['batch ms']:>6.1f} ms each; "
            f"{w['round trips per batch']:.1f} database round trips, "
            f"{w['database ms per batch']:.1f} ms per batch",
            flush=True,
        )
        for c in w["commands"]:
            print(
                f"      {c['command']:<40} {c['per batch']:>5.1f} round trips, "
                f"{c['ms per batch']:>6.1f} ms",
                flush=True,
            )


def group_rates(drains: dict[str, Drain], m: int) -> dict[str, float]:
    """Each consumer group's solo rate in events of the mix per second: the M events' backlog
    over the time the group took for all of it (a group met in two turns, like contacts'
    ingest and then the scores its own events caused, counts both). Its messages per second
    would compare a group reading 1.8 messages per event with one reading 1."""
    spent: dict[str, float] = {}
    for label, drained in drains.items():
        group = label.split(" (")[0]
        spent[group] = spent.get(group, 0.0) + drained.seconds
    return {g: m / s for g, s in spent.items() if s}


def _per_event(ops: dict[str, float]) -> str:
    return ", ".join(f"{k} {v:.2f}" for k, v in ops.items() if v and not k.startswith("doc"))


def main() -> None:
    asyncio.run(run())
