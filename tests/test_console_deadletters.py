"""The admin's dead-letter screen (Debian's Chromium) over the real dead-letter topic: letters
listed newest first, filtered by the consumer that gave up, one opened whole with the command
that replays it; other roles may not read them."""

from __future__ import annotations

from uuid import uuid4

import pytest

from tests.test_console_browser import CHROMIUM, SHOTS, WAIT_MS, _sign_in, _user
from tests.test_console_builders import choose
from tests.test_deadletters import _letters

pytestmark = pytest.mark.skipif(
    CHROMIUM is None, reason="needs Debian's chromium package (.ci/run installs it)"
)


async def test_an_admin_reads_why_a_message_was_dead_lettered(services) -> None:  # type: ignore[no-untyped-def]
    from playwright.async_api import async_playwright, expect

    tag = uuid4().hex[:8]
    await _letters(services.stack.kafka_bootstrap, f"lodestone.test.screen-{tag}", tag)
    admin = await _user(services, "admin", tag)
    async with services.client("console") as console:
        listed = (await console.get("/v1/dead-letters", params={"group": f"group-{tag}"})).json()
    assert listed["total"] == 2 and listed["groups"][f"group-{tag}"] == 2
    reasons = {x["reason"] for x in listed["letters"]}
    assert reasons == {f"unknown type {tag}", f"not json {tag}"}
    base = services.url("console")
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        page = await (await browser.new_context(viewport={"width": 1280, "height": 900})).new_page()
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        await _sign_in(page, base, *admin)
        await page.get_by_role("link", name="Dead letters").click()
        await choose(page, "Consumer", f"group-{tag} (2)")
        rows = page.get_by_test_id("dead-letter-row")
        await expect(rows).to_have_count(2, timeout=WAIT_MS)
        await expect(page.get_by_test_id("dead-letter-total")).to_have_text("2 dead letters")
        row = rows.filter(has_text=f"unknown type {tag}")
        await expect(row).to_contain_text("x.y")
        await row.get_by_role("button").click()
        detail = page.get_by_test_id("dead-letter")
        await expect(detail).to_contain_text(f"unknown type {tag}", timeout=WAIT_MS)
        await expect(detail).to_contain_text('"event_id": "e1"')
        await expect(detail).to_contain_text("lodestone-deadletters replay")
        await page.screenshot(path=str(SHOTS / "admin-dead-letter.png"), full_page=True)
        await browser.close()
    assert not errors, errors

    # A marketer (or any role but admin) may not read them.
    marketer = await _user(services, "marketer", tag)
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        page = await (await browser.new_context()).new_page()
        await _sign_in(page, base, *marketer)
        await expect(page.get_by_role("link", name="Dead letters")).to_have_count(0)
        answer = await page.evaluate("fetch('/v1/dead-letters').then(r => r.status)")
        assert answer == 403
        await browser.close()
