"""The engine survives its own demo (issue 35): a demo-sized backlog for automation, released
at once with the demo's workflows active and a CPU hog beside it, then the seed's journey.

How the demo died: automation was behind (any outage of it leaves such a backlog), its runner
and its consumers then wrote the same enrollments at once, the database wedged on their write
conflicts, lag stayed flat for half an hour, the journey sent nothing and every /readyz said
200. Here the backlog is built while automation's consumers are off (`make demo`'s seed through
the public APIs), then released. It passes when every consumer group drains to zero lag, no
service reported a stall while it did, every enrollment of the demo's workflows finished
without a skipped email, and three /pricing visits send exactly one email, within 2 s of the
processing catching up. `make test` seeds 400 prospects; `make test-faults` the full 3,000.
"""

from __future__ import annotations

import asyncio
import os
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import uuid4

import httpx
import pytest

from .load import cpu_hog

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "deploy" / "local"))
import seed

SLOW = os.environ.get("LODESTONE_FAULTS") == "slow"
PROSPECTS = int(os.environ.get("LODESTONE_SOAK_PROSPECTS", "3000" if SLOW else "400"))
LIVE = ("active", "waiting", "scheduled")
JOURNEY = {
    "name": "Soak: three pricing visits in a week",
    "trigger": {
        "type": "interaction_count",
        "interaction_type": "page_visit",
        "conditions": [{"field": "url", "op": "contains", "value": "/pricing"}],
        "count": 3,
        "within_days": 7,
    },
    "enrollment": {"policy": "once"},
    "steps": [{"id": "pricing", "type": "send_email", "subject": "Pricing?", "body": "Hi"}],
}


@pytest.mark.timeout(3600 if SLOW else 900)
async def test_a_demo_backlog_drains_and_the_journey_still_sends_one_email(
    services, settled, mongo
) -> None:  # type: ignore[no-untyped-def]
    stack = services.stack
    automation_db = mongo[_database(stack, "automation")]
    # An outage of automation's consumers: everything else runs, automation falls behind.
    stack.stop("automation")
    stack.start_service("automation", env={"LODESTONE_CONSUMERS_ENABLED": "false"})
    stack.wait_ready("automation", 120)
    # Its own subject: other tests' "three /pricing visits" workflows may still be active and
    # send their own email to the same person; the journey counts this workflow's.
    subject = f"Pricing questions? ({uuid4().hex[:8]})"
    definition = {**JOURNEY, "steps": [{**JOURNEY["steps"][0], "subject": subject}]}
    async with services.client("automation") as automation:
        journey = await _active(automation, definition)
        workflows: list[str] = [journey]
        try:
            await seed.seed(
                services.url("contacts"),
                services.url("automation"),
                stack.api_key,
                prospects=PROSPECTS,
                days=21,
                seed_value=35,
                progress=lambda line: None,
            )
            demo = {
                w["definition"]["name"]: w["id"]
                for w in (await automation.get("/v1/workflows")).json()
                if w["status"] == "active"
            }
            workflows += [demo[d["name"]] for d in seed.WORKFLOWS]
            started_at = datetime.now(UTC)
            with cpu_hog(seconds=900):
                # Released: automation's consumers start on the whole backlog at once.
                stack.stop("automation")
                stack.start_service("automation")
                stack.wait_ready("automation", 180)
                released = time.monotonic()
                marks = _log_marks(services)
                stalls = asyncio.create_task(_watch_for_stalls(services))
                try:
                    await _drained(services, settled)
                    drained = time.monotonic() - released
                    await _finished(automation_db, workflows)
                    finished = time.monotonic() - released
                finally:
                    stalls.cancel()
                seen_stalls = await asyncio.gather(stalls, return_exceptions=True)
                latency = await _journey(services, settled, subject)
            print(
                f"\nsoak: {PROSPECTS} prospects; automation drained its backlog in {drained:.0f}s, "
                f"finished every enrollment in {finished:.0f}s; the journey's email came "
                f"{latency:.2f}s after processing caught up"
            )
            found = seen_stalls[0]
            assert not isinstance(found, list) or not found, found  # cancelled: none seen
            assert _stall_log(services, marks) == []
            # Nothing skipped, nothing left half done, every welcome email sent once.
            actions = automation_db["actions"]
            skipped = await actions.count_documents(
                {
                    "workflow_id": {"$in": workflows},
                    "status": {"$in": ["skipped", "unknown", "failed"]},
                }
            )
            assert skipped == 0
            welcome = demo[seed.WORKFLOWS[0]["name"]]
            enrolled = await automation_db["enrollments"].count_documents(
                {"workflow_id": welcome, "created_at": {"$gte": started_at - timedelta(hours=1)}}
            )
            sent = await actions.count_documents({"workflow_id": welcome, "status": "sent"})
            assert enrolled > 0 and sent >= enrolled
        finally:
            for workflow_id in workflows:  # later tests must not meet the demo's workflows
                await automation.post(f"/v1/workflows/{workflow_id}/archive")


async def _active(automation: httpx.AsyncClient, definition: dict[str, Any]) -> str:
    made = await automation.post("/v1/workflows", json=definition)
    assert made.status_code == 201, made.text
    workflow_id = made.json()["id"]
    assert (await automation.post(f"/v1/workflows/{workflow_id}/activate")).status_code == 200
    return workflow_id


def _database(stack: Any, service: str) -> str:
    return stack.service_settings.get(service, {}).get("LODESTONE_MONGO_DB", f"lodestone_{service}")


async def _drained(services: Any, settled: Any) -> None:
    """Every group of every service at zero lag, automation's by its own count (its groups
    committed nothing before they started, which the offsets alone would call no lag)."""
    async with services.client("automation", key=None) as automation:
        while True:
            progress = (await automation.get("/healthz")).json()["progress"]
            if all(p["waiting"] == 0 for n, p in progress.items() if p["kind"] == "group"):
                break
            await asyncio.sleep(0.5)
    await settled(timeout=900)


async def _finished(db: Any, workflows: list[str]) -> None:
    """The runner went through every enrollment of these workflows."""
    live = {"workflow_id": {"$in": workflows}, "status": {"$in": list(LIVE)}}
    while True:
        if not await db["enrollments"].count_documents(live):
            return
        await asyncio.sleep(0.5)


async def _watch_for_stalls(services: Any) -> list[str]:
    """Every stall any service reports while the backlog drains."""
    seen: list[str] = []
    while True:
        for service in SERVICES:
            async with services.client(service, key=None) as http:
                try:
                    health = (await http.get("/healthz")).json()
                except httpx.HTTPError:
                    continue
                seen += [f"{service}: {s}" for s in health.get("stalled") or []]
        if seen:
            return seen
        await asyncio.sleep(1.0)


SERVICES = ("contacts", "scoring", "automation", "reporting")


def _log_marks(services: Any) -> dict[str, int]:
    logs = services.stack.home / "logs"
    return {s: (logs / f"{s}.log").stat().st_size for s in SERVICES if (logs / f"{s}.log").exists()}


def _stall_log(services: Any, marks: dict[str, int]) -> list[str]:
    """Stalls the services logged since `marks` (one between two looks at /healthz too)."""
    lines = []
    for service in SERVICES:
        path = services.stack.home / "logs" / f"{service}.log"
        if path.exists():
            with path.open("rb") as f:
                f.seek(marks.get(service, 0))
                text = f.read().decode(errors="replace")
            lines += [line for line in text.splitlines() if "no progress for" in line]
    return lines


async def _journey(services: Any, settled: Any, subject: str) -> float:
    """Three /pricing visits: exactly one email, at most 2 s after processing caught up.
    The seconds from catching up to the email (negative if it came first)."""
    email = f"journey.{uuid4().hex[:8]}@example.com"
    now = datetime.now(UTC)
    mailbox = services.stack.mailbox()
    async with services.client("contacts") as contacts:
        for minute in (30, 20, 10):
            visit = {
                "event_id": str(uuid4()),
                "type": "page",
                "name": "/pricing",
                "occurred_at": (now - timedelta(minutes=minute)).isoformat(),
                "contact": {"email": email},
                "properties": {"url": "/pricing"},
            }
            sent = await contacts.post("/v1/events", json={"events": [visit]})
            assert sent.status_code == 202, sent.text

        async def mails() -> list[dict[str, Any]]:
            found = await mailbox.messages(to=email)
            return [m for m in found if m["subject"] == subject]

        arrived: list[float] = []

        async def watch_mail() -> None:
            while True:
                if await mails():
                    arrived.append(time.monotonic())
                    return
                await asyncio.sleep(0.05)

        watching = asyncio.create_task(watch_mail())
        await settled(timeout=300)
        caught_up = time.monotonic()
        try:
            await asyncio.wait_for(asyncio.shield(watching), 2.0 + 0.5)
        except TimeoutError:
            watching.cancel()
            pytest.fail("no email within 2 s of every consumer group catching up")
        latency = arrived[0] - caught_up
        assert latency <= 2.0, f"the email came {latency:.2f}s after processing caught up"
        await settled(timeout=300)
        assert len(await mails()) == 1
        return latency
