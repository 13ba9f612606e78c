"""The ingestion API goes on after its producer fell fatally out of step with the broker.

An API-only contacts replica runs in this process (consumers off, its own database) against
the test stack's real Kafka; the fault is injected once at the producer boundary, as the
broker reports it (OutOfOrderSequenceNumber). The replica rebuilds its producer and answers
202, and the events reach the running contacts service, which records them once.
"""

from __future__ import annotations

import asyncio
import time
from uuid import uuid4

from aiokafka.errors import OutOfOrderSequenceNumber

from lodestone_common.metrics import PRODUCER_REBUILDS
from lodestone_contacts.bootstrap import create_app
from lodestone_contacts.settings import ContactsSettings


async def test_ingestion_answers_202_after_a_fatal_producer_error(
    services, in_process, eventually
) -> None:  # type: ignore[no-untyped-def]
    async with in_process(create_app, ContactsSettings, api_key="heal-key") as served:
        runtime = served.app.state.runtime
        producer = runtime.broker.config.producer._producer.producer
        real_send, calls = producer.send, []

        async def send(*args, **kwargs):  # type: ignore[no-untyped-def]
            calls.append(1)
            if len(calls) == 1:
                failed: asyncio.Future[object] = asyncio.get_running_loop().create_future()
                failed.set_exception(OutOfOrderSequenceNumber())
                return failed
            return await real_send(*args, **kwargs)

        producer.send = send
        rebuilds = PRODUCER_REBUILDS._value.get()
        email = f"heal.{uuid4().hex[:8]}@example.com"
        events = [
            {
                "event_id": f"heal-{email}-{i}",
                "type": "page",
                "contact": {"email": email},
                "properties": {"url": f"/p{i}"},
            }
            for i in range(3)
        ]
        async with served.client(headers={"Authorization": "Bearer heal-key"}) as http:
            started = time.monotonic()
            response = await http.post("/v1/events", json={"events": events})
            assert response.status_code == 202, response.text
            assert response.json()["accepted"] == 3
            assert time.monotonic() - started < 30
            assert PRODUCER_REBUILDS._value.get() == rebuilds + 1
            assert runtime.broker.config.producer._producer.producer is not producer
            # Healthy from then on: the next batch needs no rebuild.
            more = [{**events[0], "event_id": f"heal-{email}-more"}]
            assert (await http.post("/v1/events", json={"events": more})).status_code == 202
            assert PRODUCER_REBUILDS._value.get() == rebuilds + 1

    # The running contacts service saw each event once, however often it was published.
    async with services.client("contacts") as contacts:

        async def recorded() -> bool:
            found = (await contacts.get("/v1/contacts", params={"email": email})).json()
            if not found["items"]:
                return False
            contact_id = found["items"][0]["id"]
            timeline = (await contacts.get(f"/v1/contacts/{contact_id}/timeline")).json()
            visits = [e for e in timeline["entries"] if e["type"] == "page_visit"]
            assert len(visits) <= 4, visits
            return len(visits) == 4

        await eventually(recorded, timeout=60)
