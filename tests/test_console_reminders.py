"""A rep's reminders in the console (Debian's Chromium): while My day is open, a task's
reminder comes up once in the live feed and on the desktop (permission given), and the task
says it was reminded; the New task form asks when to remind."""

from __future__ import annotations

from datetime import timedelta
from uuid import uuid4

import pytest

from lodestone_common.envelope import utcnow
from tests.test_console_browser import CHROMIUM, SHOTS, WAIT_MS, _sign_in, _user

pytestmark = pytest.mark.skipif(
    CHROMIUM is None, reason="needs Debian's chromium package (.ci/run installs it)"
)

# The page's desktop notifications, recorded (a headless browser shows none).
RECORD_NOTIFICATIONS = """
window.__shown = [];
window.Notification = class {
  static permission = "granted";
  static requestPermission() { return Promise.resolve("granted"); }
  constructor(title, options) { window.__shown.push([title, options && options.body]); }
};
"""


async def test_a_rep_is_reminded_in_the_live_feed(services, eventually) -> None:  # type: ignore[no-untyped-def]
    from playwright.async_api import async_playwright, expect

    tag = uuid4().hex[:8]
    rep_id = f"rep-{tag}"
    async with services.client("automation") as automation, services.client("contacts") as contacts:
        put = await automation.put(f"/v1/reps/{rep_id}", json={"name": f"Rae {tag}"})
        assert put.status_code == 200
        made = await contacts.post(
            "/v1/contacts", json={"email": f"q.{tag}@example.com", "first_name": "Quinn"}
        )
        contact = made.json()["id"]
    rep = await _user(services, "rep", tag, rep_id=rep_id)
    base = services.url("console")
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        context = await browser.new_context(viewport={"width": 1280, "height": 900})
        await context.add_init_script(RECORD_NOTIFICATIONS)
        page = await context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        await _sign_in(page, base, *rep)
        await expect(page.get_by_role("heading", name="My day")).to_be_visible(timeout=WAIT_MS)

        # The New task form asks when to remind (15 minutes before, unless changed).
        await page.goto(f"{base}/contacts/{contact}")
        await page.get_by_role("button", name="New task").click()
        await expect(page.get_by_role("combobox", name="Remind")).to_have_value("15 minutes before")
        await page.keyboard.press("Escape")
        await page.get_by_role("link", name="My day").click()

        # A task due in five minutes, reminded five minutes before: now.
        async with services.client("automation") as automation:

            async def made_task() -> bool:
                answer = await automation.post(
                    "/v1/tasks",
                    json={
                        "contact_id": contact,
                        "owner_id": rep_id,
                        "title": f"Call Quinn {tag}",
                        "due_at": (utcnow() + timedelta(minutes=5)).isoformat(),
                        "remind_before_minutes": 5,
                    },
                )
                return answer.status_code == 201

            await eventually(made_task, timeout=WAIT_MS / 1000)
        card = page.get_by_test_id("task").filter(has_text=f"Call Quinn {tag}")
        await expect(card.get_by_test_id("reminded")).to_be_visible(timeout=WAIT_MS)
        toast = page.get_by_text(f"Call Quinn {tag} — due", exact=False)
        await expect(toast.first).to_be_visible(timeout=WAIT_MS)
        await page.screenshot(path=str(SHOTS / "rep-reminder.png"), full_page=True)
        shown = await page.evaluate("window.__shown")
        assert [s for s in shown if f"Call Quinn {tag}" in s[1]] == [
            ["Lodestone reminder", shown[-1][1]]
        ], shown
        await browser.close()
    assert not errors, errors
