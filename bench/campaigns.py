"""Campaigns: how fast a campaign sends into Mailpit, against a raw SMTP loop into the same
Mailpit in the same run, and the memory a campaign to R recipients takes.

1. Raw limits: N pre-built emails (the campaign's own, rendered once) sent over C SMTP
   connections kept open (the campaign's concurrency), and the naive way: one connection per
   email.
2. A campaign to a segment of R contacts (`LODESTONE_BENCH_RECIPIENTS`, default 100k), made
   through `POST /v1/events` and a saved segment; its rate is the emails sent from the first
   to the last (results polled), with automation's resident memory before and its peak.
"""

from __future__ import annotations

import asyncio
import os
import time
from email.message import EmailMessage
from typing import Any
from uuid import uuid4

import aiosmtplib
import httpx

from .harness import bench_stack, report
from .pipeline import rss

MJML = """<mjml><mj-body><mj-section><mj-column>
<mj-text>Hi {{ first_name or "there" }}, our spring offer is here.</mj-text>
<mj-button href="https://example.com/spring">See the offer</mj-button>
<mj-text>Plans: <a href="https://example.com/pricing">pricing</a></mj-text>
</mj-column></mj-section></mj-body></mjml>"""
CONNECTIONS = 4  # the campaign sender's default (LODESTONE_CAMPAIGN_CONNECTIONS)


def sample(html: str, i: int) -> EmailMessage:
    message = EmailMessage()
    message["From"] = "Lodestone <hello@lodestone.local>"
    message["To"] = f"raw{i}@example.com"
    message["Subject"] = "Spring"
    message["Message-ID"] = f"<raw-{uuid4().hex}@lodestone.local>"
    message.set_content("Hi, our spring offer is here.")
    message.add_alternative(html, subtype="html")
    return message


async def raw_rate(port: int, html: str, n: int, pooled: bool) -> float:
    """Emails/s into the catcher: over CONNECTIONS kept-open connections, or one each."""
    queue: asyncio.Queue[int] = asyncio.Queue()
    for i in range(n):
        queue.put_nowait(i)

    async def pooled_worker() -> None:
        async with aiosmtplib.SMTP(hostname="127.0.0.1", port=port) as smtp:
            while not queue.empty():
                await smtp.send_message(sample(html, queue.get_nowait()))

    async def naive_worker() -> None:
        while not queue.empty():
            await aiosmtplib.send(sample(html, queue.get_nowait()), hostname="127.0.0.1", port=port)

    started = time.perf_counter()
    worker = pooled_worker if pooled else naive_worker
    await asyncio.gather(*(worker() for _ in range(CONNECTIONS)))
    return n / (time.perf_counter() - started)


async def audience(contacts: httpx.AsyncClient, size: int) -> str:
    """A segment of `size` new contacts (their own company); waits until it is built."""
    tag = f"bench{uuid4().hex[:8]}"
    segment = (
        await contacts.post("/v1/segments", json={"name": tag, "filter": {"company": tag}})
    ).json()["id"]
    for start in range(0, size, 1000):
        events = [
            {
                "event_id": f"{tag}-{i}",
                "type": "identify",
                "contact": {"email": f"r{i}.{tag}@example.{'com' if i % 2 else 'org'}"},
                "traits": {"first_name": f"R{i}", "company": tag},
            }
            for i in range(start, min(start + 1000, size))
        ]
        answer = await contacts.post("/v1/events", json={"events": events})
        answer.raise_for_status()
    while True:
        found = (await contacts.get(f"/v1/segments/{segment}")).json()
        if found["members"] >= size and found["build"]["status"] != "building":
            return str(segment)
        print(f"  audience: {found['members']:,} of {size:,} contacts", flush=True)
        await asyncio.sleep(5)


async def campaign_run(stack: Any, automation: httpx.AsyncClient, segment: str) -> dict[str, Any]:
    template = (
        await automation.post(
            "/v1/email-templates",
            json={"name": f"bench {uuid4().hex[:6]}", "subject": "Spring", "mjml": MJML},
        )
    ).json()["id"]
    made = await automation.post(
        "/v1/campaigns",
        json={
            "name": "bench",
            "template_id": template,
            "segment_id": segment,
            "rate_per_minute": 60_000,
            "domain_rate_per_minute": 60_000,
        },
    )
    made.raise_for_status()
    campaign = made.json()["id"]
    before = rss(stack, ["automation"])["automation"]
    await automation.post(f"/v1/campaigns/{campaign}/send", json={})
    first: float | None = None
    sent = 0
    while True:
        state = (await automation.get(f"/v1/campaigns/{campaign}")).json()
        results = state["results"] or {}
        now = time.perf_counter()
        if first is None and results.get("sent"):
            first, first_sent = now, results["sent"]
        sent = results.get("sent", 0)
        if state["state"] in ("sent", "failed", "cancelled"):
            break
        print(f"  campaign: {sent:,} of {results.get('audience', 0):,} sent", flush=True)
        await asyncio.sleep(2)
    assert first is not None and state["state"] == "sent", state
    after = rss(stack, ["automation"])["automation"]
    return {
        "rate": (sent - first_sent) / max(now - first, 1e-9),
        "sent": sent,
        "rss_before": before["rss_mib"],
        "peak": after["peak_mib"],
    }


async def run() -> None:
    recipients = int(os.environ.get("LODESTONE_BENCH_RECIPIENTS", "100000"))
    raw_n = int(os.environ.get("LODESTONE_BENCH_RAW_EMAILS", "5000"))
    stack = bench_stack(["contacts", "automation"])
    headers = {"Authorization": f"Bearer {stack.api_key}"}
    base = "http://127.0.0.1:{}"
    try:
        async with (
            httpx.AsyncClient(
                base_url=base.format(stack.service_ports["contacts"]), headers=headers, timeout=120
            ) as contacts,
            httpx.AsyncClient(
                base_url=base.format(stack.service_ports["automation"]),
                headers=headers,
                timeout=120,
            ) as automation,
        ):
            # The campaign's own email, rendered once, is what the raw loops send.
            preview = await automation.post(
                "/v1/email-templates",
                json={"name": f"raw {uuid4().hex[:6]}", "subject": "Spring", "mjml": MJML},
            )
            html = (
                await automation.post(
                    f"/v1/email-templates/{preview.json()['id']}/preview", json={}
                )
            ).json()["html"]
            pooled = await raw_rate(stack.smtp_port, html, raw_n, pooled=True)
            naive = await raw_rate(stack.smtp_port, html, raw_n // 5, pooled=False)
            print(f"raw SMTP: {pooled:.0f}/s kept open, {naive:.0f}/s one connection each")
            segment = await audience(contacts, recipients)
            measured = await campaign_run(stack, automation, segment)
        rows = [
            {"measure": "raw SMTP, connections kept open", "emails/s": pooled, "share": 1.0},
            {
                "measure": "raw SMTP, one connection each",
                "emails/s": naive,
                "share": naive / pooled,
            },
            {
                "measure": f"campaign to {recipients:,}",
                "emails/s": measured["rate"],
                "share": measured["rate"] / pooled,
            },
        ]
        report(
            "campaigns",
            rows,
            {
                "recipients": recipients,
                "sent": measured["sent"],
                "automation_rss_before_mib": measured["rss_before"],
                "automation_peak_mib": measured["peak"],
            },
        )
        print(
            f"automation's memory: {measured['rss_before']:.0f} MiB before, "
            f"{measured['peak']:.0f} MiB at its peak, for {recipients:,} recipients"
        )
    finally:
        stack.down()


def main() -> None:
    asyncio.run(run())
