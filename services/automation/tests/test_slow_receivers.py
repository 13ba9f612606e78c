"""A webhook receiver that drips its answer a byte every few seconds delays only its own
enrollments: an unrelated email goes out while it still holds its connections, it never gets
more than PER_HOST of them, and each attempt is cut at its total deadline and retried."""

from __future__ import annotations

import asyncio
import time
from uuid import uuid4

from lodestone_automation.perform import PER_HOST

from .test_automation_service import active_workflow, mails_to


async def test_a_drip_feeding_receiver_holds_up_nothing_else(services, eventually, drip) -> None:  # type: ignore[no-untyped-def]
    tag = uuid4().hex[:6]
    async with (
        services.client("automation") as automation,
        services.client("contacts") as contacts,
    ):
        people = [
            (
                await contacts.post("/v1/contacts", json={"email": f"drip{i}.{tag}@example.com"})
            ).json()
            for i in range(PER_HOST + 3)
        ]
        hooked = await active_workflow(
            automation,
            {
                "name": f"slow crm {tag}",
                "trigger": {"type": "manual"},
                "steps": [
                    {"id": "sync", "type": "webhook", "url": drip.url, "secret": "s3cret-key"}
                ],
            },
        )
        mailed = await active_workflow(
            automation,
            {
                "name": f"welcome {tag}",
                "trigger": {"type": "manual"},
                "steps": [{"id": "hi", "type": "send_email", "subject": f"Hi {tag}", "body": "Hi"}],
            },
        )
        await asyncio.sleep(1.5)  # every contact's record has reached automation
        for person in people[:-1]:
            enrolled = await automation.post(
                f"/v1/workflows/{hooked}/enrollments", json={"contact_id": person["id"]}
            )
            assert enrolled.status_code == 201, enrolled.text

        async def receiver_busy() -> bool:
            return drip.open >= PER_HOST

        await eventually(receiver_busy, timeout=60)
        started = time.monotonic()
        enrolled = await automation.post(
            f"/v1/workflows/{mailed}/enrollments", json={"contact_id": people[-1]["id"]}
        )
        assert enrolled.status_code == 201, enrolled.text
        sent = await eventually(lambda: mails_to(services, people[-1]["email"]), timeout=60)
        # The email went out while the receiver still dripped to every slot it had.
        still_open = drip.open
        took = time.monotonic() - started
        assert len(sent) == 1
        assert still_open >= 1, f"the email took {took:.1f}s: after the drip ended"
        assert drip.most_open <= PER_HOST

        # Each attempt is cut at its deadline and retried on the webhook's schedule.
        async def retried() -> list[str] | None:
            found = (await automation.get(f"/v1/contacts/{people[0]['id']}/enrollments")).json()
            outcomes = [h.get("outcome", "") for e in found for h in e["history"]]
            return outcomes if any(o.startswith("retrying") for o in outcomes) else None

        outcomes = await eventually(retried, timeout=90)
        assert "retrying after HTTP unreachable" in outcomes, outcomes
        # The receiver was reachable all along: what ended the attempt was its deadline.

        async def hung_up() -> bool:
            return drip.cut >= 1

        await eventually(hung_up, timeout=30)
