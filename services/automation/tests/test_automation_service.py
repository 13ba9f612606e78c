"""Automation end to end: real Kafka, MongoDB-wire server, SMTP catcher and services."""

from __future__ import annotations

import asyncio
import re
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import uuid4

import httpx

from lodestone_common.events import LeadQualified
from lodestone_common.kafka import make_broker, outgoing, publish_all
from lodestone_common.settings import ServiceSettings
from lodestone_common.topics import SCORES


async def mails_to(services, address: str) -> list[dict[str, Any]]:  # type: ignore[no-untyped-def]
    return await services.stack.mailbox().messages(to=address)


def visit(email: str, minutes: int) -> dict[str, Any]:
    at = datetime.now(UTC) - timedelta(hours=1) + timedelta(minutes=minutes)
    return {
        "event_id": str(uuid4()),
        "type": "page",
        "name": "/pricing",
        "occurred_at": at.isoformat(),
        "contact": {"email": email},
        "properties": {"url": "/pricing"},
    }


async def active_workflow(automation, definition: dict[str, Any]) -> str:  # type: ignore[no-untyped-def]
    created = await automation.post("/v1/workflows", json=definition)
    assert created.status_code == 201, created.text
    workflow_id = created.json()["id"]
    activated = await automation.post(f"/v1/workflows/{workflow_id}/activate")
    assert activated.json()["status"] == "active"
    return workflow_id


async def test_three_visits_in_a_week_send_exactly_one_email(services, eventually) -> None:  # type: ignore[no-untyped-def]
    tag = uuid4().hex[:6]
    email = f"visitor.{tag}@example.com"
    async with services.client("automation") as automation, services.client("contacts") as contacts:
        workflow_id = await active_workflow(
            automation,
            {
                "name": f"pricing interest {tag}",
                "trigger": {
                    "type": "interaction_count",
                    "interaction_type": "page_visit",
                    "conditions": [{"field": "url", "op": "contains", "value": "/pricing"}],
                    "count": 3,
                    "within_days": 7,
                },
                "enrollment": {"policy": "once"},
                "steps": [
                    {
                        "id": "pricing-mail",
                        "type": "send_email",
                        "subject": "Questions about pricing, {{first_name|there}}?",
                        "body": "Hi {{first_name|there}}, happy to walk you through our plans: "
                        "https://example.com/x.",
                    }
                ],
            },
        )
        await contacts.post("/v1/contacts", json={"email": email, "first_name": "Grace"})
        await contacts.post("/v1/events", json={"events": [visit(email, 0), visit(email, 1)]})
        await asyncio.sleep(3)  # two visits: nothing may be sent
        assert await mails_to(services, email) == []

        await contacts.post("/v1/events", json={"events": [visit(email, 2)]})
        sent = await eventually(lambda: mails_to(services, email), timeout=30)
        assert len(sent) == 1
        assert sent[0]["subject"] == "Questions about pricing, Grace?"
        assert "Unsubscribe: http" in sent[0]["text"]

        await contacts.post("/v1/events", json={"events": [visit(email, 3), visit(email, 4)]})
        await asyncio.sleep(3)
        assert len(await mails_to(services, email)) == 1  # policy once
        enrollments = (await automation.get(f"/v1/workflows/{workflow_id}/enrollments")).json()
        assert len(enrollments) == 1 and enrollments[0]["status"] == "completed"
        assert "3 matching interactions within 7 days" in enrollments[0]["cause"]
        steps = [h.get("outcome") for h in enrollments[0]["history"] if h.get("outcome")]
        assert steps == ["sent"]

        # One-click unsubscribe (RFC 8058) is announced in the headers, as Gmail requires.
        link = next(
            line.split(": ", 1)[1]
            for line in sent[0]["text"].splitlines()
            if line.startswith("Unsubscribe: ")
        ).strip()
        assert sent[0]["headers"]["List-Unsubscribe"] == f"<{link}>"
        assert sent[0]["headers"]["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        # A Message-ID a receiver can parse: the action's, hashed, at the sender's domain.
        assert re.fullmatch(r"<[0-9a-f]{32}@[A-Za-z0-9.-]+>", sent[0]["headers"]["Message-ID"])
        # The link in the body is a signed click-tracking redirect, the full stop left out.
        (tracked_link,) = [word for word in sent[0]["text"].split() if "/t/click/" in word]
        assert tracked_link.endswith(".") and "example.com%2Fx&sig=" in tracked_link
        # Opening the unsubscribe link only asks (link scanners open links); the POST does it.
        async with httpx.AsyncClient() as browser:
            page = await browser.get(link)
            assert page.status_code == 200 and '<form method="post"' in page.text
            await asyncio.sleep(1)
            found = (await contacts.get(f"/v1/contacts?email={email}")).json()["items"]
            assert not found[0].get("unsubscribed")
            page = await browser.post(link, content=b"List-Unsubscribe=One-Click")
        assert page.status_code == 200 and "unsubscribed" in page.text

        async def unsubscribed() -> bool:
            found = (await contacts.get(f"/v1/contacts?email={email}")).json()["items"]
            return bool(found) and found[0].get("unsubscribed") is True

        await eventually(unsubscribed)
        # Opens and clicks come back as interactions on the contact's timeline too.
        token = link.strip().rsplit("/", 1)[1]
        async with httpx.AsyncClient(base_url=services.url("automation")) as browser:
            pixel = await browser.get(f"/t/open/{token}")
            assert pixel.status_code == 200 and pixel.headers["content-type"] == "image/gif"
            click = await browser.get(tracked_link.rstrip("."))
            assert click.status_code == 302 and click.headers["location"] == "https://example.com/x"
            # Not an open redirect: the signature covers the URL.
            elsewhere = tracked_link.rstrip(".").replace("example.com", "evil.test")
            assert (await browser.get(elsewhere)).status_code == 404
            unsigned = await browser.get(f"/t/click/{token}", params={"url": "https://evil.test"})
            assert unsigned.status_code == 422
            forged = await browser.get(f"/t/open/{token[:-2]}xx")
            assert forged.status_code == 404
        contact_id = (await contacts.get(f"/v1/contacts?email={email}")).json()["items"][0]["id"]

        async def tracked() -> bool:
            entries = (await contacts.get(f"/v1/contacts/{contact_id}/timeline")).json()["entries"]
            kinds = {e["type"] for e in entries}
            return {"email_opened", "email_clicked", "email_unsubscribed"} <= kinds

        await eventually(tracked)


async def test_a_wait_survives_a_restart_and_acts_once(services, eventually) -> None:  # type: ignore[no-untyped-def]
    async with services.client("automation") as automation, services.client("contacts") as contacts:
        person = (
            await contacts.post(
                "/v1/contacts",
                json={
                    "email": f"wait.{uuid4().hex[:6]}@example.com",
                    "first_name": "Alan",
                    "owner_id": "rep-7",
                },
            )
        ).json()
        workflow_id = await active_workflow(
            automation,
            {
                "name": "follow up later",
                "trigger": {"type": "manual"},
                "steps": [
                    {"id": "later", "type": "wait", "seconds": 4},
                    {
                        "id": "call",
                        "type": "create_task",
                        "kind": "call",
                        "title": "Call {{first_name}}",
                        "due_in_hours": 0,
                    },
                ],
            },
        )

        async def known() -> bool:  # automation has seen the contact (for the task's owner)
            found = await automation.get(f"/v1/contacts/{person['id']}/enrollments")
            return found.status_code == 200

        await eventually(known)
        await asyncio.sleep(1)
        enrolled = await automation.post(
            f"/v1/workflows/{workflow_id}/enrollments", json={"contact_id": person["id"]}
        )
        assert enrolled.status_code == 201, enrolled.text
        again = await automation.post(
            f"/v1/workflows/{workflow_id}/enrollments", json={"contact_id": person["id"]}
        )
        assert again.status_code == 409 and "already enrolled" in again.json()["message"]

    services.stack.kill("automation")  # kill -9 while the wait is pending
    await asyncio.sleep(1)
    services.stack.start_service("automation")
    services.stack.wait_ready("automation")
    async with services.client("automation") as automation:

        async def task() -> list[dict[str, Any]]:
            return (await automation.get(f"/v1/tasks?contact_id={person['id']}")).json()

        # Due 4 s after the enrollment; if the kill came between the claim and its save the
        # lease (20 s) must lapse first.
        tasks = await eventually(task, timeout=60)
        assert [(t["title"], t["owner_id"], t["kind"]) for t in tasks] == [
            ("Call Alan", "rep-7", "call")
        ]
        enrollments = (await automation.get(f"/v1/contacts/{person['id']}/enrollments")).json()
        assert enrollments[0]["status"] == "completed"
        done = await automation.patch(f"/v1/tasks/{tasks[0]['id']}", json={"status": "done"})
        assert done.json()["status"] == "done"
        assert (
            await automation.get(f"/v1/tasks?contact_id={person['id']}&status=open")
        ).json() == []


async def test_a_redelivered_trigger_acts_once(services, eventually) -> None:  # type: ignore[no-untyped-def]
    email = f"mql.{uuid4().hex[:6]}@example.com"
    async with services.client("automation") as automation, services.client("contacts") as contacts:
        person = (
            await contacts.post("/v1/contacts", json={"email": email, "first_name": "Ada"})
        ).json()
        await active_workflow(
            automation,
            {
                "name": "mql handoff",
                "trigger": {"type": "lead_qualified", "model_id": f"m{uuid4().hex[:6]}"},
                "enrollment": {"policy": "every_time"},
                "steps": [
                    {
                        "id": "mail",
                        "type": "send_email",
                        "subject": "Let's talk",
                        "body": "Hi {{first_name}}",
                    },
                    {"id": "task", "type": "create_task", "title": "Call {{first_name}}"},
                ],
            },
        )
        model_id = (await automation.get("/v1/workflows")).json()[-1]["definition"]["trigger"][
            "model_id"
        ]
        qualified = LeadQualified(model_id=model_id, score=120, grade="A", threshold=100).envelope(
            contact_id=person["id"], producer="scoring"
        )
        producer = make_broker(
            ServiceSettings(kafka_bootstrap=services.stack.kafka_bootstrap, api_key="k")
        )
        await producer.connect()
        try:
            await publish_all(producer, [outgoing(SCORES, qualified)] * 3)
            await eventually(lambda: mails_to(services, email), timeout=30)
            await publish_all(producer, [outgoing(SCORES, qualified)])
        finally:
            await producer.stop()
        await asyncio.sleep(3)
        assert len(await mails_to(services, email)) == 1
        tasks = (await automation.get(f"/v1/tasks?contact_id={person['id']}")).json()
        assert len(tasks) == 1


async def test_consent_is_honoured_and_bad_definitions_name_the_step(
    services, eventually, settled
) -> None:  # type: ignore[no-untyped-def]
    email = f"optout.{uuid4().hex[:6]}@example.com"
    async with services.client("automation") as automation, services.client("contacts") as contacts:
        person = (
            await contacts.post(
                "/v1/contacts", json={"email": email, "consent": {"email": "denied"}}
            )
        ).json()
        workflow_id = await active_workflow(
            automation,
            {
                "name": "newsletter",
                "trigger": {"type": "manual"},
                "steps": [{"id": "news", "type": "send_email", "subject": "News", "body": "..."}],
            },
        )

        async def enrolled() -> bool:
            response = await automation.post(
                f"/v1/workflows/{workflow_id}/enrollments", json={"contact_id": person["id"]}
            )
            return response.status_code == 201

        await settled()  # automation learned the consent (every group caught up)
        await eventually(enrolled)

        async def finished() -> list[dict[str, Any]] | None:
            found = (await automation.get(f"/v1/contacts/{person['id']}/enrollments")).json()
            return found if found and found[0]["status"] == "completed" else None

        done = await eventually(finished)
        assert [h["outcome"] for h in done[0]["history"] if h.get("outcome")] == [
            "skipped: email consent denied"
        ]
        assert await mails_to(services, email) == []

        bad = await automation.post(
            "/v1/workflows/validate",
            json={
                "name": "x",
                "trigger": {"type": "manual"},
                "steps": [
                    {
                        "id": "a",
                        "type": "if",
                        "conditions": [{"field": "score", "op": "gte", "value": 1}],
                        "else": "zz",
                    }
                ],
            },
        )
        assert bad.status_code == 422 and "unknown step 'zz'" in bad.json()["message"]


async def test_mqls_are_assigned_round_robin_and_get_a_task(services, eventually, settled) -> None:  # type: ignore[no-untyped-def]
    tag = uuid4().hex[:6]
    async with services.client("automation") as automation, services.client("contacts") as contacts:
        for rep, weight, available in (
            (f"ann-{tag}", 2, True),
            (f"bob-{tag}", 1, True),
            (f"cat-{tag}", 5, False),
        ):
            put = await automation.put(
                f"/v1/reps/{rep}",
                json={
                    "name": rep,
                    "email": f"{rep}@example.com",
                    "weight": weight,
                    "available": available,
                },
            )
            assert put.status_code == 200, put.text
        model_id = f"m{tag}"
        await active_workflow(
            automation,
            {
                "name": "mql routing",
                "trigger": {"type": "lead_qualified", "model_id": model_id},
                "steps": [
                    {
                        "id": "assign",
                        "type": "assign_owner",
                        "reps": [f"ann-{tag}", f"bob-{tag}", f"cat-{tag}"],
                    },
                    {
                        "id": "call",
                        "type": "create_task",
                        "kind": "call",
                        "title": "Call new MQL {{email}}",
                        "due_in_hours": 0,
                    },
                ],
            },
        )
        people = [
            (
                await contacts.post("/v1/contacts", json={"email": f"lead{i}.{tag}@example.com"})
            ).json()
            for i in range(6)
        ]
        producer = make_broker(
            ServiceSettings(kafka_bootstrap=services.stack.kafka_bootstrap, api_key="k")
        )
        await producer.connect()
        try:
            await settled()  # automation learned the contacts
            await publish_all(
                producer,
                [
                    outgoing(
                        SCORES,
                        LeadQualified(model_id=model_id, score=110, threshold=100).envelope(
                            contact_id=p["id"], producer="scoring"
                        ),
                    )
                    for p in people
                ],
            )
        finally:
            await producer.stop()

        async def all_tasks() -> list[dict[str, Any]] | None:
            tasks = []
            for p in people:
                tasks += (await automation.get(f"/v1/tasks?contact_id={p['id']}")).json()
            return tasks if len(tasks) == 6 else None

        tasks = await eventually(all_tasks, timeout=30)
        owners = [t["owner_id"] for t in tasks]
        assert owners.count(f"ann-{tag}") == 4 and owners.count(f"bob-{tag}") == 2

        async def owned() -> bool:
            docs = [(await contacts.get(f"/v1/contacts/{p['id']}")).json() for p in people]
            return all(d.get("owner_id") for d in docs)

        await eventually(owned)
        # Each rep is told of each lead now theirs, once, by email.
        mailbox = services.stack.mailbox()

        async def told() -> dict[str, list[str]] | None:
            found = {
                rep: [str(m["subject"]) for m in await mailbox.messages(to=f"{rep}@example.com")]
                for rep in (f"ann-{tag}", f"bob-{tag}", f"cat-{tag}")
            }
            return found if sum(len(v) for v in found.values()) >= 6 else None

        mails = await eventually(told, timeout=30)
        assert [len(mails[f"{r}-{tag}"]) for r in ("ann", "bob", "cat")] == [4, 2, 0]
        assert all(s.startswith("New lead: lead") for s in mails[f"ann-{tag}"])


async def webhook_actions(automation: httpx.AsyncClient) -> dict[str, float]:
    """lodestone_workflow_actions_total for webhooks, by outcome, from /metrics."""
    from prometheus_client.parser import text_string_to_metric_families

    text = (await automation.get("/metrics")).text
    return {
        sample.labels["outcome"]: sample.value
        for family in text_string_to_metric_families(text)
        if family.name == "lodestone_workflow_actions"
        for sample in family.samples
        if sample.name.endswith("_total") and sample.labels.get("action") == "webhook"
    }


async def test_a_webhook_is_signed_and_retried_with_backoff(services, eventually, settled) -> None:  # type: ignore[no-untyped-def]
    import hashlib
    import hmac
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    received: list[tuple[dict[str, str], bytes]] = []

    class Receiver(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            received.append((dict(self.headers), body))
            self.send_response(503 if len(received) <= 2 else 200)  # down twice, then up
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/hook"
    secret = "s3cret-signing-key"
    try:
        async with (
            services.client("automation") as automation,
            services.client("contacts") as contacts,
        ):
            person = (
                await contacts.post(
                    "/v1/contacts",
                    json={"email": f"hook.{uuid4().hex[:6]}@example.com", "first_name": "Lin"},
                )
            ).json()
            workflow_id = await active_workflow(
                automation,
                {
                    "name": "crm sync",
                    "trigger": {"type": "manual"},
                    "steps": [
                        {"id": "sync", "type": "webhook", "url": url, "secret": secret},
                        {"id": "after", "type": "create_task", "title": "Check sync"},
                    ],
                },
            )
            await settled()  # automation learned the contact
            before = await webhook_actions(automation)
            enrolled = await automation.post(
                f"/v1/workflows/{workflow_id}/enrollments", json={"contact_id": person["id"]}
            )
            assert enrolled.status_code == 201

            async def done() -> list[dict[str, Any]] | None:
                found = (await automation.get(f"/v1/contacts/{person['id']}/enrollments")).json()
                return found if found and found[0]["status"] == "completed" else None

            history = (await eventually(done, timeout=30))[0]["history"]
            # Counted for dashboards and alerts (webhook failures): two retries, one delivery.
            after = await webhook_actions(automation)
            assert after["retrying"] - before.get("retrying", 0) == 2
            assert after["succeeded"] - before.get("succeeded", 0) == 1
    finally:
        server.shutdown()
    assert len(received) == 3  # two 503s, then delivered; never again after that
    outcomes = [h["outcome"] for h in history if h.get("outcome")]
    assert outcomes[:2] == ["retrying after HTTP 503"] * 2 and outcomes[2] == "delivered"
    headers, body = received[-1]
    assert len({h["Idempotency-Key"] for h, _ in received}) == 1
    t, v1 = (part.split("=", 1)[1] for part in headers["X-Lodestone-Signature"].split(","))
    expected = hmac.new(secret.encode(), f"{t}.".encode() + body, hashlib.sha256).hexdigest()
    assert hmac.compare_digest(v1, expected)
    assert b'"first_name":"Lin"' in body


async def test_two_replicas_send_each_email_once(services, mongo, eventually) -> None:  # type: ignore[no-untyped-def]

    stack = services.stack
    stack.start_service("automation", replica=1)
    tag = uuid4().hex[:6]
    try:
        second_url = f"http://127.0.0.1:{stack.replica('automation', 1)[1]}"
        async with httpx.AsyncClient(base_url=second_url) as second:

            async def ready() -> bool:
                try:
                    return (await second.get("/readyz")).status_code == 200
                except httpx.HTTPError:
                    return False

            await eventually(ready, timeout=60)
        async with (
            services.client("automation") as automation,
            services.client("contacts") as contacts,
        ):
            await active_workflow(
                automation,
                {
                    "name": f"welcome {tag}",
                    "trigger": {"type": "interaction", "event_name": f"Signed Up {tag}"},
                    "steps": [
                        {
                            "id": "welcome",
                            "type": "send_email",
                            "subject": "Welcome!",
                            "body": "Glad you're here, {{first_name|friend}}.",
                        }
                    ],
                },
            )
            # No pause: the catalog revision makes the activation apply to the very next
            # batch on both replicas (a stale catalog would silently skip some contacts).
            emails = [f"r{i}.{tag}@example.com" for i in range(40)]
            now = datetime.now(UTC).isoformat()
            events = [
                {
                    "event_id": f"{tag}-{i}",
                    "type": "track",
                    "name": f"Signed Up {tag}",
                    "occurred_at": now,
                    "contact": {"email": e},
                }
                for i, e in enumerate(emails)
            ]
            assert (await contacts.post("/v1/events", json={"events": events})).status_code == 202

            async def all_sent() -> list[dict[str, Any]]:
                mails = [
                    m
                    for m in await stack.mailbox().messages()
                    if m["rcpt_to"][0].endswith(f".{tag}@example.com")
                ]
                if len(mails) < 40:
                    enrolled = await mongo["lodestone_automation"]["enrollments"].count_documents(
                        {"cause": {"$regex": tag}}
                    )
                    raise AssertionError(f"{len(mails)} of 40 sent, {enrolled} enrolled")
                return mails

            await eventually(all_sent, timeout=60)
            await asyncio.sleep(3)  # anything sent twice would show up by now
            mails = await all_sent()
    finally:
        stack.stop("automation-2")
    recipients = [m["rcpt_to"][0] for m in mails or []]
    assert sorted(recipients) == sorted(emails)  # every one, once
    runners = await mongo["lodestone_automation"]["enrollments"].distinct(
        "claimed_by", {"cause": {"$regex": tag}}
    )
    print(f"enrollments run by {len(runners)} runner(s)")


async def test_wait_for_an_event_or_time_out(services, eventually, settled) -> None:  # type: ignore[no-untyped-def]
    tag = uuid4().hex[:6]
    async with services.client("automation") as automation, services.client("contacts") as contacts:
        keen = (
            await contacts.post("/v1/contacts", json={"email": f"keen.{tag}@example.com"})
        ).json()
        quiet = (
            await contacts.post("/v1/contacts", json={"email": f"quiet.{tag}@example.com"})
        ).json()
        workflow_id = await active_workflow(
            automation,
            {
                "name": "wait for a booking",
                "trigger": {"type": "manual"},
                "steps": [
                    {
                        "id": "booked",
                        "type": "wait_for",
                        "event_name": f"Demo Booked {tag}",
                        # Long enough that a stalled moment on this 2-core machine cannot
                        # let the timeout overtake keen's booking.
                        "timeout_seconds": 15,
                        "on_timeout": "nudge",
                    },
                    {"id": "prep", "type": "create_task", "title": "Prepare the demo"},
                    {"id": "done", "type": "exit"},
                    {"id": "nudge", "type": "create_task", "title": "Nudge about a demo"},
                ],
            },
        )
        await settled()  # automation learned both contacts
        for person in (keen, quiet):
            response = await automation.post(
                f"/v1/workflows/{workflow_id}/enrollments", json={"contact_id": person["id"]}
            )
            assert response.status_code == 201
        await asyncio.sleep(1)
        await contacts.post(
            "/v1/events",
            json={
                "events": [
                    {
                        "event_id": str(uuid4()),
                        "type": "track",
                        "name": f"Demo Booked {tag}",
                        "occurred_at": datetime.now(UTC).isoformat(),
                        "contact": {"contact_id": keen["id"]},
                    }
                ]
            },
        )

        async def titles(contact_id: str) -> list[str] | None:
            tasks = (await automation.get(f"/v1/tasks?contact_id={contact_id}")).json()
            return [t["title"] for t in tasks] or None

        assert await eventually(lambda: titles(keen["id"]), timeout=12) == ["Prepare the demo"]
        assert await eventually(lambda: titles(quiet["id"]), timeout=30) == ["Nudge about a demo"]
        assert await titles(keen["id"]) == ["Prepare the demo"]  # and no nudge after all


async def test_a_date_offset_trigger_schedules_or_fires(services, eventually) -> None:  # type: ignore[no-untyped-def]
    tag = uuid4().hex[:6]
    today = datetime.now(UTC).date()
    async with services.client("automation") as automation, services.client("contacts") as contacts:
        workflow_id = await active_workflow(
            automation,
            {
                "name": f"renewal {tag}",
                "trigger": {
                    "type": "date_offset",
                    "field": "contract_end_date",
                    "offset_days": -60,
                },
                "steps": [{"id": "renewal", "type": "create_task", "title": "Talk renewal"}],
            },
        )
        await asyncio.sleep(2.5)
        due_now = (
            await contacts.post(
                "/v1/contacts",
                json={
                    "email": f"now.{tag}@example.com",
                    "contract_end_date": (today + timedelta(days=60)).isoformat(),
                },
            )
        ).json()
        later = (
            await contacts.post(
                "/v1/contacts",
                json={
                    "email": f"later.{tag}@example.com",
                    "contract_end_date": (today + timedelta(days=90)).isoformat(),
                },
            )
        ).json()

        async def task_for(contact_id: str) -> list[dict[str, Any]] | None:
            return (await automation.get(f"/v1/tasks?contact_id={contact_id}")).json() or None

        await eventually(lambda: task_for(due_now["id"]), timeout=30)

        async def scheduled() -> dict[str, Any] | None:
            found = (await automation.get(f"/v1/contacts/{later['id']}/enrollments")).json()
            return found[0] if found else None

        enrollment = await eventually(scheduled)
        assert enrollment["status"] == "scheduled" and enrollment["workflow_id"] == workflow_id
        # Moving the contract date moves the start.
        await contacts.patch(
            f"/v1/contacts/{later['id']}",
            json={"contract_end_date": (today + timedelta(days=60)).isoformat()},
        )
        await eventually(lambda: task_for(later["id"]), timeout=30)

        made = await automation.post("/v1/workflow-templates/new-lead-cadence")
        assert made.status_code == 201 and made.json()["status"] == "draft"


async def test_a_contact_enrolled_by_hand_is_advanced_once_and_announced(  # type: ignore[no-untyped-def]
    services, eventually, settled
) -> None:
    tag = uuid4().hex[:6]
    async with services.client("automation") as automation, services.client("contacts") as contacts:
        made = await contacts.post("/v1/contacts", json={"email": f"hand.{tag}@example.com"})
        contact_id = made.json()["id"]
        workflow_id = await active_workflow(
            automation,
            {
                "name": f"by hand {tag}",
                "trigger": {"type": "interaction", "interaction_type": "form_submitted"},
                "enrollment": {"policy": "once"},
                "steps": [{"id": "call", "type": "create_task", "title": f"Call {tag}"}],
            },
        )
        path = f"/v1/workflows/{workflow_id}/enrollments"
        enrolled = await automation.post(path, json={"contact_id": contact_id})
        assert enrolled.status_code == 201, enrolled.text
        assert enrolled.json()["cause"].startswith("enrolled by ")
        again = await automation.post(path, json={"contact_id": contact_id})
        assert again.status_code == 409  # the policy: once

        async def task() -> list[dict[str, Any]]:
            found = await automation.get("/v1/tasks", params={"contact_id": contact_id})
            return [t for t in found.json() if t["title"] == f"Call {tag}"]

        assert len(await eventually(task, timeout=30)) == 1
        await settled()
        # The enrollment's event went out with it: reporting counted it.
        async with services.client("reporting") as reporting:
            rows = (await reporting.get("/v1/reports/workflows")).json()
        mine = [w for w in rows["workflows"] if w["workflow_id"] == workflow_id]
        assert mine and mine[0]["enrolled"] == 1, rows


async def test_a_dry_run_shows_the_path_a_contact_would_take(services, settled) -> None:  # type: ignore[no-untyped-def]
    definition: dict[str, Any] = {
        "name": "dry",
        "trigger": {"type": "manual"},
        "steps": [
            {"id": "hello", "type": "send_email", "subject": "Hi", "body": "Hello"},
            {"id": "pause", "type": "wait", "seconds": 86400},
            {
                "id": "lead",
                "type": "if",
                "conditions": [{"field": "lifecycle_stage", "op": "equals", "value": "lead"}],
                "else": "exit",
            },
            {"id": "call", "type": "create_task", "title": "Call them"},
        ],
    }
    async with (
        services.client("automation") as automation,
        services.client("contacts") as contacts,
    ):
        person = (
            await contacts.post(
                "/v1/contacts",
                json={"email": f"dry.{uuid4().hex[:6]}@example.com", "lifecycle_stage": "lead"},
            )
        ).json()
        await settled()  # automation learned the contact
        walked = await automation.post(
            "/v1/workflows/dry-run", json={"definition": definition, "contact_id": person["id"]}
        )
        assert walked.status_code == 200, walked.text
        assert [(s["step_id"], s["what"]) for s in walked.json()["path"]] == [
            ("hello", "sends “Hi”"),
            ("pause", "waits 1 day"),
            ("lead", "lead: conditions held"),
            ("call", "creates the task “Call them”"),
        ]
        assert walked.json()["outcome"] == "completed"
        # Nothing happened: no enrollment, no task.
        assert (await automation.get(f"/v1/contacts/{person['id']}/enrollments")).json() == []
        definition["steps"][2]["else"] = "nowhere"
        broken = await automation.post(
            "/v1/workflows/dry-run", json={"definition": definition, "contact_id": person["id"]}
        )
        assert broken.status_code == 422 and "nowhere" in broken.text
        definition["steps"][2]["else"] = "exit"
        unknown = await automation.post(
            "/v1/workflows/dry-run", json={"definition": definition, "contact_id": "c_nobody"}
        )
        assert unknown.status_code == 404
