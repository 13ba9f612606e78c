"""The console in a real browser over the contacts a benchmark loaded: its first load
(cold cache, sign-in page, then the contact list), a page of the list, and a free-text
search, each measured as a person waits for it (until the rows are on screen).

Called by the search benchmark after it loaded its contacts; headless Chromium from
Debian's package (skipped, with a note, when there is none)."""

from __future__ import annotations

import shutil
import statistics
import time
from typing import Any

import httpx

EMAIL, PASSWORD = "bench.rep@example.com", "bench-console-password"


def _length(response: Any) -> int:
    return int(response.headers.get("content-length", 0))


async def timings(stack: Any, runs: int = 7) -> list[dict[str, Any]]:
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        print("console: no chromium; its timings are skipped", flush=True)
        return []
    from playwright.async_api import async_playwright

    base = f"http://127.0.0.1:{stack.console_port}"
    async with httpx.AsyncClient(
        base_url=base, headers={"Authorization": f"Bearer {stack.api_key}"}
    ) as http:
        made = await http.post(
            "/v1/users",
            json={"email": EMAIL, "name": "Bench Viewer", "role": "viewer", "password": PASSWORD},
        )
        assert made.status_code in (201, 409), made.text
    first_load, signed_in, pages, searches, transferred = [], [], [], [], []
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
        for _ in range(runs):
            context = await browser.new_context(viewport={"width": 1280, "height": 800})
            page = await context.new_page()
            sizes: list[int] = []
            page.on("response", lambda r, into=sizes: into.append(_length(r)))
            started = time.perf_counter()
            await page.goto(base + "/contacts")
            await page.get_by_role("button", name="Sign in").wait_for()
            first_load.append(time.perf_counter() - started)
            transferred.append(sum(sizes))
            await page.get_by_label("Email").fill(EMAIL)
            await page.get_by_role("textbox", name="Password").fill(PASSWORD)
            started = time.perf_counter()
            await page.get_by_role("button", name="Sign in").click()
            # Signed in (the session cookie set) before going on: a navigation right after the
            # click would abort the sign-in request.
            await page.get_by_role("button", name="Sign out").wait_for()
            await page.goto(base + "/contacts")
            await page.get_by_test_id("contact-row").first.wait_for()
            signed_in.append(time.perf_counter() - started)
            for n in range(2, 5):  # the next pages of the list
                started = time.perf_counter()
                await page.get_by_role("button", name="Next").click()
                await page.get_by_text(f"Page {n}", exact=True).wait_for()
                await page.get_by_text("loading…").wait_for(state="detached")
                pages.append(time.perf_counter() - started)
            started = time.perf_counter()
            await page.get_by_label("Search").fill("first4242 last14242")
            await page.wait_for_function(
                "() => [...document.querySelectorAll('[data-testid=contact-row]')]"
                ".every(r => r.textContent.includes('First4242'))"
            )
            searches.append(time.perf_counter() - started)
            await context.close()
        await browser.close()

    def row(what: str, seconds: list[float]) -> dict[str, Any]:
        return {
            "console": what,
            "p50 ms": statistics.median(seconds) * 1000,
            "max ms": max(seconds) * 1000,
            "runs": len(seconds),
        }

    print(f"console: first load transfers {statistics.median(transferred):,.0f} bytes", flush=True)
    return [
        row("first load, cold cache: sign-in page shown", first_load),
        row("sign in to the first 50 contacts on screen", signed_in),
        row("next page of the list on screen", pages),
        row("free-text search typed to its rows on screen", searches),
    ]
