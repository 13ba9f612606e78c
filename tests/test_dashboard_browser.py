"""The dashboard as a person sees it: headless Chromium (Debian's package, driven by
Playwright) loads `/` of the reporting service against the running stack seeded with demo
data, and the charts show the numbers the reporting API gives. A screenshot is kept in
test-artifacts/ for a human to look at."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path
from typing import Any

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
    ARTIFACTS.mkdir(exist_ok=True)
    async with services.client("reporting") as http, async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        # The page and the API are compared on one state: every consumer group caught up,
        # and the API answering the same before and after the page loaded (a workflow's
        # action can still add to the reports after the lag reached zero: then again).
        for _ in range(10):
            await settled(timeout=180)
            before = await _reports(http)
            shown, errors = await _page(browser, services)
            if await _reports(http) == before:
                break
        else:
            pytest.fail("the reports kept moving after every consumer group had caught up")
        await browser.close()
    funnel, interactions, leaderboard = before
    assert funnel["stages"][0]["reached"] >= 150
    assert not errors, errors
    assert shown["drawn"] and shown["live"].startswith("live")
    assert shown["funnel"] == [s["reached"] for s in funnel["stages"]]
    assert shown["funnelLabels"][0] == "subscriber"
    assert shown["interactions"] == f"{interactions['total']:,}"
    assert len(shown["interactionTypes"]) == len(interactions["by_type"])
    assert shown["reps"] == [r["owner"] for r in leaderboard["reps"]]
    assert {"ana", "ben"} <= set(shown["reps"])


async def _reports(http: Any) -> list[Any]:
    return [
        (await http.get(f"/v1/reports/{name}")).json()
        for name in ("funnel", "interactions", "leaderboard")
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
            };
        }"""
    )
    await page.screenshot(path=str(ARTIFACTS / "dashboard.png"), full_page=True)
    await page.close()
    return shown, errors
