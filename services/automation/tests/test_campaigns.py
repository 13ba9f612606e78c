"""Email campaigns against the real services, Kafka, the database and the SMTP catcher: a
template to a segment, once per person, paced, paused, cancelled, scheduled, survived."""

from __future__ import annotations

import base64
import re
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import uuid4

import dkim
import httpx

MJML = """<mjml><mj-body><mj-section><mj-column>
<mj-text>Hi {{ first_name or "there" }}, our spring offer is here.</mj-text>
<mj-button href="https://example.com/spring">See the offer</mj-button>
</mj-column></mj-section></mj-body></mjml>"""


async def _mails(services: Any, campaign_id: str) -> list[dict[str, Any]]:  # type: ignore[no-untyped-def]
    caught = await services.stack.mailbox().messages()
    return [
        m
        for m in caught
        if m["headers"].get("X-Lodestone-Action", "").startswith(f"{campaign_id}:")
    ]


async def _audience(services: Any, eventually: Any, n: int, **extra: Any) -> tuple[str, list[str]]:
    """A segment of `n` new contacts (of a company of their own); (segment, addresses)."""
    tag = f"cmp{uuid4().hex[:8]}"
    emails = [f"p{i}.{tag}@{'example.com' if i % 2 else 'example.org'}" for i in range(n)]
    async with services.client("contacts") as contacts:
        for start in range(0, n, 1000):
            events = [
                {
                    "event_id": f"{tag}-{i}",
                    "type": "identify",
                    "contact": {"email": email},
                    "traits": {"first_name": f"P{i}", "company": tag, **extra},
                }
                for i, email in enumerate(emails[start : start + 1000], start)
            ]
            sent = await contacts.post("/v1/events", json={"events": events})
            assert sent.status_code == 202, sent.text
        made = await contacts.post("/v1/segments", json={"name": tag, "filter": {"company": tag}})
        assert made.status_code == 201, made.text
        segment = made.json()["id"]

        async def all_in() -> bool:
            found = (await contacts.get(f"/v1/segments/{segment}")).json()
            return found["members"] == n and found["build"]["status"] != "building"

        await eventually(all_in, timeout=180)
    return segment, emails


async def _template(automation: httpx.AsyncClient) -> str:
    made = await automation.post(
        "/v1/email-templates",
        json={
            "name": f"Spring {uuid4().hex[:6]}",
            "subject": "Spring, {{ first_name }}",
            "mjml": MJML,
        },
    )
    assert made.status_code == 201, made.text
    return made.json()["id"]


async def _state(automation: httpx.AsyncClient, campaign_id: str) -> dict[str, Any]:
    return (await automation.get(f"/v1/campaigns/{campaign_id}")).json()


async def test_a_campaign_reaches_its_segment_once_and_reports_people(  # type: ignore[no-untyped-def]
    services, eventually, dkim_dns
) -> None:
    segment, emails = await _audience(services, eventually, 12)
    async with services.client("automation") as automation, services.client("contacts") as contacts:
        # Two who must not get it: one said no, one is on the suppression list.
        denied = (await contacts.get("/v1/contacts", params={"email": emails[0]})).json()
        changed = await contacts.patch(
            f"/v1/contacts/{denied['items'][0]['id']}", json={"consent": {"email": "denied"}}
        )
        assert changed.status_code == 200, changed.text
        blocked = await automation.post("/v1/suppressions", json={"email": emails[1]})
        assert blocked.status_code == 201, blocked.text
        template = await _template(automation)

        bad = await automation.post(
            "/v1/campaigns", json={"name": "x", "template_id": "nope", "segment_id": segment}
        )
        assert bad.status_code == 422 and "template_id" in bad.text
        bad = await automation.post(
            "/v1/campaigns", json={"name": "x", "template_id": template, "segment_id": "nope"}
        )
        assert bad.status_code == 422 and "segment_id" in bad.text
        made = await automation.post(
            "/v1/campaigns",
            json={
                "name": "Spring offer",
                "template_id": template,
                "segment_id": segment,
                "rate_per_minute": 60000,
                "domain_rate_per_minute": 60000,
            },
        )
        assert made.status_code == 201, made.text
        campaign = made.json()
        assert campaign["state"] == "draft"

        async def denied_known() -> bool:  # automation has heard of the withdrawn consent
            found = (await contacts.get(f"/v1/contacts/{denied['items'][0]['id']}")).json()
            return found["consent"]["email"] == "denied"

        await eventually(denied_known)
        sent = await automation.post(f"/v1/campaigns/{campaign['id']}/send", json={})
        assert sent.status_code == 202, sent.text
        again = await automation.post(f"/v1/campaigns/{campaign['id']}/send", json={})
        assert again.status_code == 409

        async def finished() -> dict[str, Any] | None:
            state = await _state(automation, campaign["id"])
            return state if state["state"] == "sent" else None

        done = await eventually(finished, timeout=120)
        results = done["results"]
        assert (results["audience"], results["sent"], results["skipped"]) == (12, 10, 2)
        mails = await _mails(services, campaign["id"])
        assert sorted(m["rcpt_to"][0] for m in mails) == sorted(emails[2:])
        assert len({m["headers"]["Message-ID"] for m in mails}) == 10
        first = mails[0]
        assert first["html"] and "<table" in first["html"] and first["text"]
        mailbox = services.stack.mailbox()
        if mailbox.mailpit:  # Mailpit checks the HTML against what email clients support
            check = await mailbox.html_check(first)
            assert check["Total"]["Supported"] >= 80, check["Total"]
            # ...and keeps the raw message, whose DKIM signature verifies as a receiver's would.
            assert all(dkim.verify(m["raw"], dnsfunc=dkim_dns) for m in mails)
            assert not dkim.verify(first["raw"].replace(b"Spring,", b"Sprung,"), dnsfunc=dkim_dns)
        assert first["headers"]["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        skipped = (
            await automation.get(
                f"/v1/campaigns/{campaign['id']}/recipients", params={"status": "skipped"}
            )
        ).json()["items"]
        reasons = sorted(r["reason"] for r in skipped)
        assert reasons == ["address suppressed (manual)", "email consent denied"], reasons

        # One recipient opens and follows the offer three times: one opener, one clicker.
        html = first["html"]
        (pixel,) = re.findall(r'src="([^"]+/t/open/[^"]+)"', html)
        clicks = [u for u in re.findall(r'href="([^"]+)"', html) if "/t/click/" in u]
        async with httpx.AsyncClient() as browser:
            assert (await browser.get(pixel.replace("&amp;", "&"))).status_code == 200
            for _ in range(3):
                followed = await browser.get(clicks[0].replace("&amp;", "&"))
                assert followed.status_code == 302

        async def reacted() -> dict[str, Any] | None:
            r = (await _state(automation, campaign["id"]))["results"]
            return r if (r["opened"], r["clicked"]) == (1, 1) else None

        results = await eventually(reacted, timeout=60)
        assert results["click_rate"] == 0.1 and results["delivered"] == 10

        # Postmark reports a hard bounce of another's email, with the metadata the email
        # carried: the campaign counts it, and the address is suppressed.
        other = mails[1]
        bounce = {
            "RecordType": "Bounce",
            "ID": 7,
            "Type": "HardBounce",
            "Email": other["rcpt_to"][0],
            "Metadata": {"lodestone-action": other["headers"]["X-PM-Metadata-lodestone-action"]},
        }
        auth = base64.b64encode(b"pm:test-postmark-webhook-secret").decode()
        async with services.client("contacts", key=None) as public:
            took = await public.post(
                "/v1/email-events/postmark", json=bounce, headers={"Authorization": f"Basic {auth}"}
            )
            assert took.status_code == 200, took.text

        async def bounced() -> dict[str, Any] | None:
            r = (await _state(automation, campaign["id"]))["results"]
            return r if r["bounced"] == 1 else None

        results = await eventually(bounced, timeout=60)
        assert results["delivered"] == 9
        assert (await automation.get(f"/v1/suppressions/{other['rcpt_to'][0]}")).status_code == 200

        # The next campaign to the segment skips the bounced address too.
        made = await automation.post(
            "/v1/campaigns",
            json={
                "name": "Spring, again",
                "template_id": template,
                "segment_id": segment,
                "rate_per_minute": 60000,
                "domain_rate_per_minute": 60000,
            },
        )
        again = made.json()["id"]
        await automation.post(f"/v1/campaigns/{again}/send", json={})

        async def again_sent() -> dict[str, Any] | None:
            state = await _state(automation, again)
            return state if state["state"] == "sent" else None

        assert (await eventually(again_sent, timeout=120))["results"]["sent"] == 9
        skipped = (
            await automation.get(f"/v1/campaigns/{again}/recipients", params={"status": "skipped"})
        ).json()["items"]
        # Said either way: the contact is marked bounced, and the address is suppressed.
        assert any("bounce" in r["reason"] for r in skipped), skipped
        assert other["rcpt_to"][0] not in [m["rcpt_to"][0] for m in await _mails(services, again)]
        clicker = (
            await automation.get(
                f"/v1/campaigns/{campaign['id']}/recipients", params={"status": "sent"}
            )
        ).json()["items"]
        assert sum(1 for r in clicker if r["clicked_at"]) == 1


async def test_pause_resume_cancel_and_a_scheduled_send(  # type: ignore[no-untyped-def]
    services, eventually
) -> None:
    segment, _ = await _audience(services, eventually, 40)
    async with services.client("automation") as automation:
        template = await _template(automation)
        # Slow on purpose: 60 a minute, in 10-second windows of 10.
        made = await automation.post(
            "/v1/campaigns",
            json={
                "name": "Slow",
                "template_id": template,
                "segment_id": segment,
                "rate_per_minute": 60,
            },
        )
        campaign = made.json()["id"]
        await automation.post(f"/v1/campaigns/{campaign}/send", json={})

        async def some_sent() -> bool:
            return len(await _mails(services, campaign)) >= 5

        await eventually(some_sent, timeout=120)
        paused = await automation.post(f"/v1/campaigns/{campaign}/pause")
        assert paused.status_code == 202 and paused.json()["stopping"] == "pause"

        async def is_paused() -> dict[str, Any] | None:
            state = await _state(automation, campaign)
            return state if state["state"] == "paused" else None

        state = await eventually(is_paused, timeout=60)
        held = state["results"]["sent"]
        assert 5 <= held < 40 and len(await _mails(services, campaign)) == held
        assert (await automation.post(f"/v1/campaigns/{campaign}/pause")).status_code == 409
        assert (await automation.post(f"/v1/campaigns/{campaign}/resume")).status_code == 202

        async def more_sent() -> bool:
            return len(await _mails(services, campaign)) > held

        await eventually(more_sent, timeout=120)
        cancelled = await automation.post(f"/v1/campaigns/{campaign}/cancel")
        assert cancelled.status_code == 202

        async def is_cancelled() -> dict[str, Any] | None:
            state = await _state(automation, campaign)
            return state if state["state"] == "cancelled" else None

        state = await eventually(is_cancelled, timeout=60)
        assert state["results"]["sent"] == len(await _mails(services, campaign)) < 40
        assert state["results"]["queued"] == 40 - state["results"]["sent"]
        assert (await automation.post(f"/v1/campaigns/{campaign}/resume")).status_code == 409

        # A scheduled one waits for its time, then goes by itself.
        made = await automation.post(
            "/v1/campaigns",
            json={
                "name": "Later",
                "template_id": template,
                "segment_id": segment,
                "rate_per_minute": 60000,
            },
        )
        later = made.json()["id"]
        at = datetime.now(UTC) + timedelta(seconds=3)
        scheduled = await automation.post(
            f"/v1/campaigns/{later}/send", json={"at": at.isoformat()}
        )
        assert scheduled.status_code == 202 and scheduled.json()["state"] == "scheduled"
        naive = await automation.post(
            f"/v1/campaigns/{later}/send", json={"at": "2030-01-01T09:00"}
        )
        assert naive.status_code == 422 and "time zone" in naive.text

        async def went() -> dict[str, Any] | None:
            state = await _state(automation, later)
            return state if state["state"] == "sent" else None

        state = await eventually(went, timeout=120)
        assert state["results"]["sent"] == 40
        mails = await _mails(services, later)
        assert len(mails) == 40 and min(m["received_at"] for m in mails) >= at.isoformat()


async def test_a_thousand_get_it_exactly_once_though_automation_is_killed_mid_send(  # type: ignore[no-untyped-def]
    services, eventually
) -> None:
    segment, emails = await _audience(services, eventually, 1000)
    async with services.client("automation") as automation:
        template = await _template(automation)
        made = await automation.post(
            "/v1/campaigns",
            json={
                "name": "Big",
                "template_id": template,
                "segment_id": segment,
                "rate_per_minute": 6000,
                "domain_rate_per_minute": 6000,
            },
        )
        campaign = made.json()["id"]
        await automation.post(f"/v1/campaigns/{campaign}/send", json={})

        async def under_way() -> bool:
            return len(await _mails(services, campaign)) >= 100

        await eventually(under_way, timeout=120, interval=0.2)
    services.stack.kill("automation")  # kill -9, sends in flight
    before = len(await _mails(services, campaign))
    services.stack.start_service("automation")
    services.stack.wait_ready("automation")
    async with services.client("automation") as automation:

        async def finished() -> dict[str, Any] | None:
            state = await _state(automation, campaign)
            return state if state["state"] == "sent" else None

        state = await eventually(finished, timeout=300)
    assert before < 1000, "the kill came too late to test anything"
    mails = await _mails(services, campaign)
    per_address = Counter(m["rcpt_to"][0] for m in mails)
    assert sorted(per_address) == sorted(emails)  # nobody lost
    # Nobody twice in an inbox: an email in doubt when the sender died went again, with the
    # same Message-ID, which receivers (Gmail, Mailpit's --ignore-duplicate-ids) drop; and at
    # most the few in flight were in doubt (the catcher here keeps every copy, to count them).
    ids = {(m["rcpt_to"][0], m["headers"]["Message-ID"]) for m in mails}
    assert len(ids) == 1000
    assert len(mails) - 1000 <= 2 * 4, f"{len(mails) - 1000} sent again"
    assert state["results"]["sent"] == 1000
