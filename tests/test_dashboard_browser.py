"""The dashboard as a person sees it: headless Chromium (Debian's package, driven by
Playwright) loads `/` of the reporting service against the running stack seeded with demo
data, and the charts show the numbers the reporting API gives. A screenshot is kept in
test-artifacts/ for a human to look at."""

from __future__ import annotations

import math
import re
import shutil
import sys
from pathlib import Path
from typing import Any
from uuid import uuid4

import httpx
import pytest

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")

sys.path.insert(0, str(ROOT / "deploy" / "local"))
import seed  # noqa: E402

pytestmark = pytest.mark.skipif(
    CHROMIUM is None, reason="needs Debian's chromium package (.ci/run installs it)"
)


async def test_dashboard_renders_the_reports_numbers(services, settled) -> None:  # type: ignore[no-untyped-def]
    from playwright.async_api import async_playwright

    await seed.seed(
        services.url("contacts"),
        services.url("automation"),
        services.stack.api_key,
        prospects=150,
        days=21,
        seed_value=11,
        progress=lambda line: None,
        bootstrap=services.stack.kafka_bootstrap,  # returns once every group has caught up
    )
    # The data a team's numbers go wrong on: one recipient clicking both links of a welcome
    # email twice each and another one link once, purchases in EUR and INR beside the seed's
    # USD, a merged pair.
    await settled(timeout=180)
    async with services.client("reporting") as http:
        before = _welcome((await http.get("/v1/reports/workflows")).json())
    await _click_welcome_links(services, before["workflow_id"], [2, 1])
    await _buy_in_other_currencies_and_merge(services)
    ARTIFACTS.mkdir(exist_ok=True)
    async with services.client("reporting") as http, async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        # The page and the API are compared on one state: every consumer group caught up,
        # and the API answering the same before and after the page loaded (a workflow's
        # action can still add to the reports after the lag reached zero: then again).
        for _ in range(10):
            await settled(timeout=180)
            reports = await _reports(http)
            shown, errors = await _page(browser, services)
            if await _reports(http) == reports:
                break
        else:
            pytest.fail("the reports kept moving after every consumer group had caught up")
        await browser.close()
    funnel, interactions, leaderboard, workflows, purchases = reports
    assert funnel["stages"][0]["reached"] >= 150
    assert not errors, errors
    assert shown["drawn"] and shown["live"].startswith("live")
    assert shown["funnel"] == [s["reached"] for s in funnel["stages"]]
    assert shown["funnelLabels"][0] == "subscriber"
    assert shown["interactions"] == f"{interactions['total']:,}"
    assert len(shown["interactionTypes"]) == len(interactions["by_type"])
    assert shown["reps"] == [r["owner"] for r in leaderboard["reps"]]
    assert {"ana", "ben"} <= set(shown["reps"])
    # Money per currency, never one sum: the tile and the chart's lines say what the API says.
    assert {"EUR", "INR", "USD"} <= set(purchases["revenue"])
    assert shown["revenue"] == " · ".join(
        f"{c} {_js_round(v):,}" for c, v in purchases["revenue"].items()
    )
    assert shown["revenueLines"] == [f"revenue {c}" for c in purchases["revenue"]]
    # Rates of people: three links clicked by two recipients add two clickers, not three (a
    # link followed again is the same click).
    after = _welcome(workflows)
    assert after["clicks"] - before["clicks"] == 3
    assert after["clicked"] - before["clicked"] == 2
    assert shown["workflowRows"] == [
        [w["name"] or w["workflow_id"], _pct(w["open_rate"]), _pct(w["click_rate"])]
        for w in workflows["workflows"]
    ]


def _welcome(report: dict[str, Any]) -> dict[str, Any]:
    return next(w for w in report["workflows"] if w["name"] == "Welcome new sign-ups")


def _js_round(value: float) -> int:
    return math.floor(value + 0.5)  # Math.round, not Python's round-half-even


def _pct(ratio: float | None) -> str:
    return "\u2013" if ratio is None else f"{100 * ratio:.1f}%"


async def _click_welcome_links(services: Any, workflow_id: str, links_clicked: list[int]) -> None:
    """Follow tracked links of welcome emails the seed's workflow sent, as recipients do: the
    i-th recipient follows their first `links_clicked[i]` links, each twice."""
    sent = await services.stack.mailbox().messages()
    links: dict[str, list[str]] = {}
    for message in sent:
        found = re.findall(r"https?://[^\s()<>\]]+/t/click/[^\s()<>\]]+", message.get("text") or "")
        action = message["headers"].get("X-Lodestone-Action", "")
        if action.startswith(f"{workflow_id}:") and len(found) >= 2 and message["rcpt_to"]:
            links.setdefault(message["rcpt_to"][0], found)
    assert len(links) >= len(links_clicked), f"only {len(links)} welcome emails with links"
    async with httpx.AsyncClient() as browser:
        for found, n in zip(list(links.values()), links_clicked, strict=False):
            for link in [*found[:n], *found[:n]]:
                followed = await browser.get(link)
                assert followed.status_code == 302, followed.text


async def _buy_in_other_currencies_and_merge(services: Any) -> None:
    tag = uuid4().hex[:6]
    async with services.client("contacts") as contacts:
        buyer = await contacts.post(
            "/v1/contacts", json={"email": f"buyer.{tag}@example.com", "owner_id": "ana"}
        )
        twin = await contacts.post(
            "/v1/contacts", json={"email": f"buyer.twin.{tag}@example.com", "owner_id": "ana"}
        )
        orders = [
            {
                "event_id": f"order-{currency}-{tag}",
                "type": "track",
                "name": "Order Completed",
                "contact": {"contact_id": buyer.json()["id"]},
                "properties": {
                    "amount": amount,
                    "currency": currency,
                    "items": [{"sku": f"plan-{currency}", "name": "Plan", "price": amount}],
                },
            }
            for currency, amount in (("EUR", 1200), ("INR", 50000))
        ]
        accepted = await contacts.post("/v1/events", json={"events": orders})
        assert accepted.status_code == 202, accepted.text
        merged = await contacts.post(
            f"/v1/contacts/{buyer.json()['id']}/merge", json={"merge_ids": [twin.json()["id"]]}
        )
        assert merged.status_code == 200, merged.text


async def _reports(http: Any) -> list[Any]:
    return [
        (await http.get(f"/v1/reports/{name}")).json()
        for name in ("funnel", "interactions", "leaderboard", "workflows", "purchases")
    ]


async def _page(browser: Any, services: Any) -> tuple[dict[str, Any], list[str]]:
    """What the dashboard draws, and the page's errors; a screenshot for people."""
    page = await browser.new_page(viewport={"width": 1400, "height": 2200})
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    await page.goto(f"{services.url('reporting')}/#key={services.stack.api_key}")
    await page.wait_for_selector("body[data-ready=true]", timeout=20_000)
    shown = await page.evaluate(
        """() => {
            const c = window.lodestone.charts;
            return {
                funnel: c["chart-funnel"].data.datasets[0].data,
                funnelLabels: c["chart-funnel"].data.labels,
                interactionTypes: c["chart-interactions"].data.datasets.map((d) => d.label),
                reps: c["chart-leaderboard"].data.labels,
                interactions: document.getElementById("kpi-interactions").textContent,
                live: document.getElementById("live").textContent,
                drawn: Object.values(c).every((chart) => chart.canvas.width > 0),
                revenue: document.getElementById("kpi-revenue").textContent,
                revenueLines: c["chart-revenue"].data.datasets.map((d) => d.label),
                workflowRows: [...document.querySelectorAll("#table-workflows tr")].slice(1)
                    .map((tr) => [...tr.children].map((td) => td.textContent))
                    .map((cells) => [cells[0], cells[4], cells[5]]),
            };
        }"""
    )
    await page.screenshot(path=str(ARTIFACTS / "dashboard.png"), full_page=True)
    await page.close()
    return shown, errors
