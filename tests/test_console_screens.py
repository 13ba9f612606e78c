"""Every console screen of every role (its whole menu, and a contact's page) at a laptop's width
(1280 by 800) and a phone's (390 by 844), in Debian's Chromium: nothing makes the page wider
than the screen (wide tables scroll inside their own box), a screenshot of each, and a viewer
finds nothing on a contact's page to change."""

from __future__ import annotations

from uuid import uuid4

import pytest

from tests.test_console_browser import CHROMIUM, SHOTS, WAIT_MS, _sign_in, _user

pytestmark = pytest.mark.skipif(
    CHROMIUM is None, reason="needs Debian's chromium package (.ci/run installs it)"
)

WIDTHS = {"laptop": (1280, 800), "phone": (390, 844)}
# What each role must at least find in its menu (it is walked whole, whatever else it holds).
MENUS = {
    "admin": {"Users", "API keys", "Dead letters", "Audit trail", "Import contacts", "Reps"},
    "manager": {"My day", "Contacts", "Reports", "Reps"},
    "marketer": {"Segments", "Workflows", "Scoring", "Emails", "Campaigns"},
    "rep": {"My day", "Contacts"},
    "viewer": {"My day", "Contacts", "Reports", "Segments", "Workflows", "Scoring"},
}

# How far past the screen's right edge the document reaches (0: it fits).
OVERFLOW = "() => document.documentElement.scrollWidth - window.innerWidth"
# How far the header's content spills below it, over the page (0: it keeps to its line).
SPILL = (
    "() => { const h = document.querySelector('header');"
    " return h ? h.scrollHeight - h.clientHeight : 0 }"
)


async def test_every_screen_fits_a_laptop_and_a_phone(services) -> None:  # type: ignore[no-untyped-def]
    from playwright.async_api import async_playwright, expect

    tag = uuid4().hex[:6]
    async with services.client("automation") as automation:
        rep = f"screens-{tag}"
        made_rep = await automation.put(f"/v1/reps/{rep}", json={"name": f"Screens {tag}"})
        assert made_rep.status_code in (200, 201), made_rep.text
    users = {
        role: await _user(services, role, tag, **({"rep_id": rep} if role == "rep" else {}))
        for role in MENUS
    }
    async with services.client("contacts") as contacts:
        made = await contacts.post(
            "/v1/contacts",
            json={
                "email": f"wide.{tag}@example.com",
                "first_name": "Maximiliana",
                "last_name": f"Wolfeschlegelsteinhausen-{tag}",
                "company": "An Exceedingly Long Company Name Incorporated",
                "phone": "+44 20 7946 0958",
            },
        )
        assert made.status_code == 201, made.text
    contact = made.json()["id"]
    SHOTS.mkdir(parents=True, exist_ok=True)
    base = services.url("console")
    wide: list[str] = []
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        for role, must in MENUS.items():
            screens: dict[str, str] = {}
            for width_name, (width, height) in WIDTHS.items():
                context = await browser.new_context(viewport={"width": width, "height": height})
                page = await context.new_page()
                await _sign_in(page, base, *users[role])
                if not screens:  # the role's own menu, read at the laptop's width
                    links = page.get_by_role("navigation", name="Main").get_by_role("link")
                    for link in await links.all():
                        screens[(await link.inner_text()).strip()] = (
                            await link.get_attribute("href") or ""
                        )
                    assert must <= set(screens), (role, sorted(screens))
                for name, path in [*screens.items(), ("Contact", f"/contacts/{contact}")]:
                    await page.goto(base + path)
                    await expect(page.get_by_role("heading").first).to_be_visible(timeout=WAIT_MS)
                    await page.wait_for_load_state("networkidle")
                    if (over := await page.evaluate(OVERFLOW)) > 0:
                        wide.append(f"{role} {name} at {width}px: {over}px too wide")
                    if (spill := await page.evaluate(SPILL)) > 0:
                        wide.append(f"{role} {name} at {width}px: header spills {spill}px")
                    slug = name.lower().replace(" ", "-")
                    await page.screenshot(
                        path=str(SHOTS / f"screen-{role}-{slug}-{width_name}.png"), full_page=True
                    )
                await context.close()
        # The reporting service's own dashboard too.
        for width_name, (width, height) in WIDTHS.items():
            context = await browser.new_context(viewport={"width": width, "height": height})
            page = await context.new_page()
            await page.goto(f"{services.url('reporting')}/#key={services.stack.api_key}")
            await expect(page.locator("canvas").first).to_be_visible(timeout=WAIT_MS)
            await page.wait_for_load_state("networkidle")
            if (over := await page.evaluate(OVERFLOW)) > 0:
                wide.append(f"dashboard at {width}px: {over}px too wide")
            await page.screenshot(
                path=str(SHOTS / f"screen-dashboard-{width_name}.png"), full_page=True
            )
            await context.close()
        await browser.close()
    assert wide == []


async def test_a_viewer_finds_nothing_to_change_on_a_contact(services) -> None:  # type: ignore[no-untyped-def]
    from playwright.async_api import async_playwright, expect

    tag = uuid4().hex[:6]
    viewer = await _user(services, "viewer", tag)
    async with services.client("contacts") as contacts:
        made = await contacts.post(
            "/v1/contacts",
            json={"email": f"look.{tag}@example.com", "first_name": "Lou", "phone": "+1 555 0100"},
        )
        assert made.status_code == 201, made.text
    base = services.url("console")
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        for width, height in WIDTHS.values():
            page = await (
                await browser.new_context(viewport={"width": width, "height": height})
            ).new_page()
            await _sign_in(page, base, *viewer)
            await page.goto(f"{base}/contacts/{made.json()['id']}")
            await expect(page.get_by_text("Lou").first).to_be_visible(timeout=WAIT_MS)
            await page.wait_for_load_state("networkidle")
            main = page.get_by_role("main")
            # Every field shows its value and takes no typing.
            editable = main.locator(
                "input:not([readonly]):not([disabled]):not([type=hidden]),"
                " textarea:not([readonly]):not([disabled])"
            )
            assert await editable.count() == 0, await editable.evaluate_all(
                "els => els.map(e => e.outerHTML.slice(0, 200))"
            )
            # And no button that would change the record (copying, downloading, going back are
            # fine).
            for label in (
                "Save",
                "Log a call",
                "New task",
                "Attach",
                "Add note",
                "Erase",
                "Delete",
            ):
                assert await main.get_by_role("button", name=label).count() == 0, label
            await page.screenshot(path=str(SHOTS / f"viewer-contact-{width}.png"), full_page=True)
        await browser.close()
