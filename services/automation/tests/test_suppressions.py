"""The suppression list against the real services: fed by bounces, kept by hand, checked by
every send."""

from __future__ import annotations

from typing import Any
from uuid import uuid4


async def test_a_bounce_suppresses_the_address_and_a_suppressed_address_gets_nothing(  # type: ignore[no-untyped-def]
    services, eventually
) -> None:
    tag = uuid4().hex[:6]
    bounced, manual = f"bounced.{tag}@example.com", f"Manual.{tag}@Example.com"
    async with services.client("contacts") as contacts, services.client("automation") as http:
        sent = await contacts.post(
            "/v1/events",
            json={
                "events": [
                    {
                        "event_id": f"b-{tag}",
                        "type": "track",
                        "name": "Email Bounced",
                        "contact": {"email": bounced},
                        "properties": {"bounce_type": "hard"},
                    }
                ]
            },
        )
        assert sent.status_code == 202, sent.text

        async def listed() -> dict[str, Any] | None:
            found = await http.get(f"/v1/suppressions/{bounced}")
            return found.json() if found.status_code == 200 else None

        entry = await eventually(listed, timeout=60)
        assert entry["reason"] == "hard_bounce" and entry["by"] == "interaction"
        assert entry["detail"] == "Email Bounced"
        page = (await http.get("/v1/suppressions", params={"reason": "hard_bounce"})).json()
        assert page["items"] and {s["reason"] for s in page["items"]} == {"hard_bounce"}

        added = await http.post(
            "/v1/suppressions", json={"email": manual, "note": "asked by phone"}
        )
        assert added.status_code == 201 and added.json()["email"] == manual.lower()
        refused = await http.post("/v1/suppressions", json={"email": "a@x.io, b@y.io"})
        assert refused.status_code == 422
        person = (await contacts.post("/v1/contacts", json={"email": manual})).json()
        step = {"id": "mail", "type": "send_email", "subject": "Hi", "body": "Hello"}
        definition = {"name": f"sup {tag}", "trigger": {"type": "manual"}, "steps": [step]}
        workflow_id = (await http.post("/v1/workflows", json=definition)).json()["id"]
        await http.post(f"/v1/workflows/{workflow_id}/activate")

        async def enrolled() -> bool:
            answer = await http.post(
                f"/v1/workflows/{workflow_id}/enrollments", json={"contact_id": person["id"]}
            )
            return answer.status_code == 201

        await eventually(enrolled, timeout=60)

        async def skipped() -> str | None:
            rows = (await http.get(f"/v1/workflows/{workflow_id}/enrollments")).json()
            history = rows[0]["history"] if rows else []
            outcomes = [str(h.get("outcome")) for h in history if h.get("outcome")]
            return next((o for o in outcomes if o.startswith("skipped")), None)

        assert await eventually(skipped, timeout=60) == "skipped: address suppressed (manual)"
        caught = await services.stack.mailbox().messages(to=manual.lower())
        assert caught == []
        assert (await http.delete(f"/v1/suppressions/{manual}")).status_code == 204
        assert (await http.delete(f"/v1/suppressions/{manual}")).status_code == 404
