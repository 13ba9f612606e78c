"""Proof under faults: known events in, injected faults, exact accounting of every effect.

Each phase streams its own uniquely identified events through the public ingestion API
(`POST /v1/events`, retried by the client until accepted, as an integrator would) while one
fault hits the running suite mid-stream. Then it counts every effect in every service (see
`accounting.py`) and fails on any loss or duplicate. Totals per fault are printed and written
to `test-artifacts/faults.json`.

Fast variant (in `make test`): LODESTONE_FAULT_EVENTS events per phase (default 1,500). The
broker and database phases run while another process keeps every core busy (bounded in
time), because CI machines and users' laptops are busy too.
Slow variant (`make test-faults`): 50,000 per phase, every service scaled, and each broker and
database fault repeated three times in a row.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
from aiokafka import AIOKafkaProducer
from pymongo import AsyncMongoClient

from lodestone_common.deadletters import read as read_dead_letters
from lodestone_common.events import ContactCreated, ContactSnapshot
from lodestone_common.outbox import PARKED, Outbox
from lodestone_common.topics import CONTACTS, DEAD_LETTER, INGEST_RAW, INTERACTIONS

from .accounting import Totals, count_effects
from .load import cpu_hog
from .workload import Workload, workload

ROOT = Path(__file__).resolve().parents[2]
ARTIFACT = ROOT / "test-artifacts" / "faults.json"  # the conftest prints it at the end
BOOKS: dict[str, Totals] = {}

Fault = Callable[[Any], Awaitable[None]]


class Run:
    """One phase: the stack, the workload, and how the client streams it."""

    def __init__(self, services: Any, work: Workload) -> None:
        self.services = services
        self.stack = services.stack
        self.work = work
        self.requests = 0
        self.twice = False  # send every batch a second time
        self.impatient = 0  # every n-th batch is first sent with a timeout too short to wait
        self.notes: list[str] = []
        self.parked_event: str | None = None
        self.mongo: Any = None
        self.eventually: Any = None
        self.settled: Any = None

    async def stream(self, phase: Phase) -> None:
        """Post the workload from 3 clients; start each fault when its share of batches is
        through. Faults run one after another (a scale-down waits for its scale-up)."""
        events, size = self.work.events, phase.batch
        batches = [events[i : i + size] for i in range(0, len(events), size)]
        pending = sorted(phase.faults, key=lambda f: f[0])
        due = [asyncio.Event() for _ in pending]

        async def inject() -> None:
            for (_, fault), go in zip(pending, due, strict=True):
                await go.wait()
                await fault(self)

        injector = asyncio.create_task(inject())
        queue: asyncio.Queue[tuple[int, list[dict[str, Any]]]] = asyncio.Queue()
        for item in enumerate(batches):
            queue.put_nowait(item)
        done = 0

        async def worker(http: httpx.AsyncClient) -> None:
            nonlocal done
            while not queue.empty():
                n, events = queue.get_nowait()
                if self.impatient and n % self.impatient == 0:
                    await self.post(http, events, timeout=0.002, patient=False)
                await self.post(http, events)
                if self.twice:
                    await self.post(http, events)
                done += 1
                for (share, _), go in zip(pending, due, strict=True):
                    if done >= share * len(batches):
                        go.set()
                await asyncio.sleep(phase.pause)  # a steady stream, so faults land mid-stream

        async with self.services.client("contacts") as http:
            await asyncio.gather(*(worker(http) for _ in range(3)))
        for go in due:
            go.set()
        await injector

    async def post(
        self,
        http: httpx.AsyncClient,
        events: list[dict[str, Any]],
        timeout: float = 30.0,
        patient: bool = True,
    ) -> None:
        """Send until accepted: a refusal (422) is a bug; anything else is retried."""
        deadline = time.monotonic() + 180
        while True:
            self.requests += 1
            try:
                response = await http.post("/v1/events", json={"events": events}, timeout=timeout)
                if response.status_code == 202:
                    return
                assert response.status_code != 422, response.text
            except httpx.HTTPError:
                pass
            if not patient:
                return
            assert time.monotonic() < deadline, "the ingestion API never accepted the batch"
            await asyncio.sleep(0.5)


# -- faults -------------------------------------------------------------------------------


def kill(service: str) -> Fault:
    async def fault(run: Run) -> None:
        await asyncio.to_thread(run.stack.kill, service)
        run.notes.append(f"kill -9 {service}")
        await asyncio.to_thread(run.stack.start_service, service)
        await asyncio.to_thread(run.stack.wait_ready, service, 120)

    return fault


def restart(name: str, crash: bool = False) -> Fault:
    """Kafka or the database stopped cleanly (or killed with -9), then started again."""

    async def fault(run: Run) -> None:
        if crash:
            await asyncio.to_thread(run.stack.kill, name)
        else:
            await asyncio.to_thread(run.stack.stop, name)
        run.notes.append(f"{name} {'killed -9' if crash else 'stopped'}")
        await asyncio.sleep(3)
        await asyncio.to_thread(run.stack.start_infra, name)
        run.notes.append(f"{name} back")

    return fault


def oversized_contact() -> Fault:
    """A 2 MB contact mid-stream: the API refuses it, and a 2 MB event that slipped past the
    door (written straight into contacts' outbox) is parked while the stream flows on."""

    async def fault(run: Run) -> None:
        async with run.services.client("contacts") as http:
            response = await http.post(
                "/v1/contacts",
                json={
                    "email": f"huge.{run.work.tag}@example.com",
                    "custom": {"proposal": "x" * 2_000_000},
                },
            )
        assert response.status_code == 422, response.text
        run.notes.append("2 MB contact refused with 422")
        huge = ContactCreated(
            contact=ContactSnapshot(
                email=f"slipped.{run.work.tag}@example.com", custom={"blob": "x" * 2_000_000}
            )
        ).envelope(contact_id=f"c_huge_{run.work.tag}", producer="contacts")
        client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(run.stack.mongo_url)
        try:
            await client["lodestone_contacts"]["outbox"].bulk_write(Outbox.rows([(CONTACTS, huge)]))
        finally:
            await client.close()
        run.parked_event = str(huge.event_id)
        run.notes.append("2 MB contact.created written to the outbox")

    return fault


def repeated(times: int, fault: Fault) -> Fault:
    async def again(run: Run) -> None:
        for _ in range(times):
            await fault(run)

    return again


def scale_up(services: list[str]) -> Fault:
    async def fault(run: Run) -> None:
        for service in services:
            for replica in (1, 2):
                await asyncio.to_thread(run.stack.start_service, service, replica)
        for service in services:
            for replica in (1, 2):
                await asyncio.to_thread(run.stack.wait_ready, service, 120, replica)
        run.notes.append(f"{', '.join(services)} at 3 replicas")

    return fault


def scale_down(services: list[str]) -> Fault:
    async def fault(run: Run) -> None:
        for service in services:
            for replica in run.stack.replicas(service):
                await asyncio.to_thread(run.stack.stop, run.stack.replica(service, replica)[0])
        run.notes.append(f"{', '.join(services)} back to 1 replica")

    return fault


def poison() -> Fault:
    """Malformed JSON, a wrong schema version, an event a handler throws on."""

    async def fault(run: Run) -> None:
        tag = run.work.tag
        raw = [
            b"{not json " + tag.encode(),
            orjson.dumps({"event_id": f"{tag}-poison-schema", "type": "track"}),
            # Valid by the contract, but no database takes a NUL in a field name.
            orjson.dumps(
                {
                    "event_id": f"{tag}-poison-nul",
                    "type": "track",
                    "name": "Poison",
                    "contact": {"email": f"poison.{tag}@example.com"},
                    "properties": {"bad\u0000key": 1},
                }
            ),
        ]
        wrong_version = {
            "event_id": "00000000-0000-4000-8000-" + tag.encode().hex()[:12].ljust(12, "0"),
            "event_type": "interaction.recorded",
            "schema_version": 99,
            "occurred_at": "2026-11-01T00:00:00+00:00",
            "producer": "contacts",
            "contact_id": f"c-{tag}",
            "payload": {"interaction_type": "page_visit", "name": tag},
        }
        interactions = [b"{broken " + tag.encode(), orjson.dumps(wrong_version)]
        producer = AIOKafkaProducer(bootstrap_servers=run.stack.kafka_bootstrap, acks="all")
        await producer.start()
        try:
            for value in raw:
                await producer.send_and_wait(INGEST_RAW, value, key=tag.encode())
            for value in interactions:
                await producer.send_and_wait(INTERACTIONS, value, key=tag.encode())
        finally:
            await producer.stop()
        run.notes.append(f"{len(raw)} poison messages on {INGEST_RAW}")
        run.notes.append(f"{len(interactions)} on {INTERACTIONS}")

    return fault


# -- the phases ---------------------------------------------------------------------------

SLOW = os.environ.get("LODESTONE_FAULTS") == "slow"
SCALED = ["contacts", "scoring", "automation", "reporting"] if SLOW else ["contacts", "automation"]
TIMES = 3 if SLOW else 1  # broker and database faults in a row


@dataclass
class Phase:
    faults: list[tuple[float, Fault]] = field(default_factory=list)
    batch: int = 100  # events per request
    pause: float = 0.02  # seconds each client waits between requests
    busy: bool = False  # another process keeps every core busy while it streams
    drip: bool = False  # a workflow's webhook receiver drips its answers beside the email


PHASES: dict[str, Phase] = {
    "no fault (control)": Phase(),
    "kill -9 contacts": Phase([(0.4, kill("contacts"))]),
    "kill -9 scoring": Phase([(0.4, kill("scoring"))]),
    "kill -9 automation": Phase([(0.4, kill("automation"))]),
    "kill -9 reporting": Phase([(0.4, kill("reporting"))]),
    "Kafka stop and restart": Phase([(0.3, repeated(TIMES, restart("kafka")))], busy=True),
    "Kafka kill -9 and restart": Phase(
        [(0.3, repeated(TIMES, restart("kafka", crash=True)))], busy=True
    ),
    "database stop and restart": Phase([(0.3, repeated(TIMES, restart("mongo")))], busy=True),
    "database kill -9 and restart": Phase(
        [(0.3, repeated(TIMES, restart("mongo", crash=True)))], busy=True
    ),
    # Slower, smaller requests: replicas take seconds to boot and join their groups, and
    # events must still be flowing when they join and when they leave.
    "scale 1 -> 3 -> 1 replicas": Phase(
        [(0.15, scale_up(SCALED)), (0.6, scale_down(SCALED))], batch=25, pause=1.0
    ),
    "poison messages": Phase([(0.5, poison())]),
    "oversized contact": Phase([(0.4, oversized_contact())]),
    "slow webhook receiver": Phase(drip=True),
    "same batch twice, retries after timeouts": Phase(),
}


def _events() -> int:
    return int(os.environ.get("LODESTONE_FAULT_EVENTS", "50000" if SLOW else "1500"))


# A phase streams, suffers its fault and closes its books in one test: 50,000 events on two
# busy cores take many minutes end to end.
@pytest.mark.timeout(3600 if SLOW else 900)
@pytest.mark.parametrize("fault", list(PHASES), ids=[p.split(" (")[0] for p in PHASES])
async def test_nothing_lost_nothing_doubled(
    services, mongo, eventually, settled, drip, fault
) -> None:  # type: ignore[no-untyped-def]
    n = _events()
    tag = f"f{len(BOOKS)}{os.urandom(3).hex()}"
    work = workload(tag, events=n, people=max(n // 10, 10))
    run = Run(services, work)
    run.mongo, run.eventually, run.settled = mongo, eventually, settled
    if fault.startswith("same batch"):
        run.twice, run.impatient = True, 4
    phase = PHASES[fault]
    started_dead = await _dead_letters(services, tag)
    with contextlib.ExitStack() as scope:
        async with services.client("automation") as automation:
            await _email_workflow(automation, work)
            if phase.drip:
                await _drip_workflow(automation, work, drip.url)
        await asyncio.sleep(2.5)  # every replica's catalog has the workflow

        began = time.monotonic()
        if phase.busy:
            scope.enter_context(cpu_hog(seconds=600))
        await run.stream(phase)
        streamed = time.monotonic() - began
        totals = Totals(fault=fault, events=len(work.events))
        await _close_books(run, totals, began)
    totals.notes.insert(0, f"tag {tag}: streamed in {streamed:.1f}s")
    if phase.busy:
        totals.notes.append("streamed while another process kept every core busy")
    if fault == "poison messages":
        letters = await _dead_letters(services, tag)
        new = (
            letters[len(started_dead) :]
            if letters[: len(started_dead)] == started_dead
            else letters
        )
        _check_dead_letters(totals, new)
    if run.parked_event:
        await _check_parked(totals, mongo, run.parked_event)
    BOOKS[fault] = totals
    _write_books()
    print("\n" + totals.detail())
    assert totals.exact, totals.detail()


async def _close_books(run: Run, totals: Totals, began: float) -> None:
    """Count until nothing is missing (or time is up), then once more after every group has
    caught up: anything applied twice would show by then."""
    work, services, mongo = run.work, run.services, run.mongo
    async with services.client("reporting") as reporting:

        async def complete() -> bool:
            await count_effects(work, totals, mongo, reporting, services.stack.mailbox())
            return totals.lost == 0

        # The slow variant's 50,000 events take minutes end to end on two busy cores.
        patience = 240 + len(work.events) / 100
        try:
            await run.eventually(complete, timeout=patience, interval=1.0)
        except AssertionError:
            pass  # the books below say what is missing
        await run.settled(timeout=patience)
        await asyncio.sleep(3)  # anything applied twice would show by now
        await count_effects(work, totals, mongo, reporting, services.stack.mailbox())
    totals.requests = run.requests
    totals.notes = [f"books closed after {time.monotonic() - began:.1f}s", *run.notes]


async def _workflow(
    automation: httpx.AsyncClient, work: Workload, name: str, steps: list[dict[str, Any]]
) -> None:
    """An active workflow every person of the phase enters once, on the demo request."""
    created = await automation.post(
        "/v1/workflows",
        json={
            "name": f"{name} {work.tag}",
            "trigger": {"type": "interaction", "event_name": work.trigger},
            "enrollment": {"policy": "once"},
            "steps": steps,
        },
    )
    assert created.status_code == 201, created.text
    workflow = created.json()["id"]
    activated = await automation.post(f"/v1/workflows/{workflow}/activate")
    assert activated.status_code == 200, activated.text
    work.workflow_ids.append(workflow)


async def _email_workflow(automation: httpx.AsyncClient, work: Workload) -> None:
    await _workflow(
        automation,
        work,
        "fault demo",
        [
            # A short wait: the enrollment is a durable timer across the fault too.
            {"id": "pause", "type": "wait", "seconds": 2},
            {
                "id": "demo",
                "type": "send_email",
                "subject": "Your demo",
                "body": "Hi {{first_name|there}}, let's book it.",
            },
        ],
    )


async def _drip_workflow(automation: httpx.AsyncClient, work: Workload, url: str) -> None:
    """Beside the email: the same trigger calls a receiver that drips its answer."""
    step = {"id": "sync", "type": "webhook", "url": url, "secret": "drip-secret"}
    await _workflow(automation, work, "slow crm", [{**step, "max_attempts": 2}])


async def _check_parked(totals: Totals, mongo: Any, event_id: str) -> None:
    """The oversized event is parked with its reason, once; everything else flowed."""
    parked = await mongo["lodestone_contacts"][PARKED].find({"event_id": event_id}).to_list(None)
    totals.effect("parked outbox rows").add(1, len(parked))
    if parked:
        totals.notes.append(f"parked: {parked[0]['reason']}: {parked[0]['error']}")


async def _dead_letters(services: Any, tag: str) -> list[tuple[str, str]]:
    letters = await read_dead_letters(services.stack.kafka_bootstrap, DEAD_LETTER)
    return [
        (letter.headers.get("x-dlq-group", ""), letter.headers.get("x-dlq-reason", ""))
        for letter in letters
        if tag.encode() in letter.value
    ]


def _check_dead_letters(totals: Totals, letters: list[tuple[str, str]]) -> None:
    """3 poison messages for the ingest consumer, 2 for each of the 3 interaction consumers."""
    by_group: dict[str, int] = {}
    for group, reason in letters:
        assert reason, f"a dead letter of {group} has no reason"
        by_group[group] = by_group.get(group, 0) + 1
    want = {
        "contacts": 3,
        "scoring": 2,
        "automation": 2,
        "reporting": 2,
    }
    effect = totals.effect("dead letters")
    for suffix, n in want.items():
        found = sum(c for g, c in by_group.items() if g.endswith(suffix))
        effect.add(n, found)
    totals.notes.append(f"dead letters by group: {by_group}")


def _write_books() -> None:
    ARTIFACT.parent.mkdir(parents=True, exist_ok=True)
    ARTIFACT.write_text(json.dumps([t.as_dict() for t in BOOKS.values()], indent=2))
