"""The admin's API keys screen, by clicking (Debian's Chromium): a key made with two scopes is
shown once, works against the real services with those scopes only, and stops when revoked;
the audit trail shows who made and revoked it."""

from __future__ import annotations

from uuid import uuid4

import pytest

from tests.test_console_browser import CHROMIUM, SHOTS, WAIT_MS, _sign_in, _user

pytestmark = pytest.mark.skipif(
    CHROMIUM is None, reason="needs Debian's chromium package (.ci/run installs it)"
)


async def test_an_admin_makes_a_scoped_key_uses_it_and_revokes_it(services, eventually) -> None:  # type: ignore[no-untyped-def]
    from playwright.async_api import async_playwright, expect

    tag = uuid4().hex[:8]
    admin = await _user(services, "admin", tag)
    base = services.url("console")

    async def status(key: str, method: str = "GET") -> int:
        async with services.client("contacts", key=key) as contacts:
            if method == "GET":
                return (await contacts.get("/v1/contacts?limit=1")).status_code
            made = await contacts.post("/v1/contacts", json={"email": f"k.{tag}@example.com"})
            return made.status_code

    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        page = await (await browser.new_context(viewport={"width": 1280, "height": 900})).new_page()
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        await _sign_in(page, base, *admin)
        await page.get_by_role("link", name="API keys").click()
        await page.get_by_label("Used by").fill(f"Website {tag}")
        await page.get_by_role("combobox", name="May").click()
        await page.get_by_role("option", name="contacts: read", exact=True).click()
        await page.get_by_role("option", name="send events (tracking, integrations)").click()
        await page.keyboard.press("Escape")
        await page.get_by_role("button", name="Make key").click()
        shown = page.get_by_test_id("new-key")
        await expect(shown).to_contain_text("lsk_", timeout=WAIT_MS)
        key = (await shown.inner_text()).strip()
        await page.screenshot(path=str(SHOTS / "admin-api-key-made.png"), full_page=True)
        await page.get_by_role("button", name="Done").click()
        row = page.get_by_test_id("key-row").filter(has_text=f"Website {tag}")
        await expect(row).to_contain_text("active")
        await expect(row).to_contain_text("contacts: read")
        await expect(row).to_contain_text(key[-6:])  # its hint, never the key again
        assert key not in await page.content()

        async def works() -> bool:
            return await status(key) == 200

        await eventually(works, timeout=WAIT_MS / 1000)
        assert await status(key, "POST") == 403  # contacts:write was not given

        await row.get_by_role("button", name=f"Revoke Website {tag}").click()
        await expect(row).to_contain_text("revoked", timeout=WAIT_MS)
        await page.mouse.move(0, 0)
        await page.screenshot(path=str(SHOTS / "admin-api-keys.png"), full_page=True)
        # The audit trail shows who made and revoked it.
        await page.get_by_role("link", name="Audit trail").click()
        await page.get_by_label("Who").fill(admin[0])
        await page.get_by_label("What").fill("/v1/api-keys")
        rows = page.get_by_test_id("audit-row")
        await expect(rows.filter(has_not_text=admin[0])).to_have_count(0, timeout=WAIT_MS)
        await expect(rows.filter(has_not_text="/v1/api-keys")).to_have_count(0, timeout=WAIT_MS)
        await expect(rows.filter(has_text="/revoke")).to_have_count(1, timeout=WAIT_MS)
        await expect(rows.filter(has_text="/revoke")).to_contain_text("done")
        await expect(rows.filter(has_text="console · /v1/api-keys")).to_have_count(2)
        await page.screenshot(path=str(SHOTS / "admin-audit-trail.png"), full_page=True)
        await browser.close()
    assert not errors, errors

    async def refused() -> bool:
        return await status(key) == 401

    await eventually(refused, timeout=WAIT_MS / 1000)
