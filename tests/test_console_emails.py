"""The email template editor, by clicking only (Debian's Chromium): a mistake in a field is
shown at the subject while it is typed, the preview is the chosen contact's email, a saved
template's test send reaches the catcher once, and saving again makes version 2."""

from __future__ import annotations

from uuid import uuid4

import pytest

from tests.test_console_browser import CHROMIUM, SHOTS, WAIT_MS, _sign_in, _user

pytestmark = pytest.mark.skipif(
    CHROMIUM is None, reason="needs Debian's chromium package (.ci/run installs it)"
)

BODY = """<mjml><mj-body><mj-section><mj-column>
<mj-text>Hi {{ first_name or "there" }} from {{ company }}, here is the guide.</mj-text>
</mj-column></mj-section></mj-body></mjml>"""


async def test_a_marketer_writes_previews_and_test_sends_a_template(  # type: ignore[no-untyped-def]
    services, eventually
) -> None:
    from playwright.async_api import async_playwright, expect

    tag = f"e{uuid4().hex[:8]}"
    marketer = await _user(services, "marketer", tag)
    grace = f"grace.{tag}@example.com"
    async with services.client("contacts") as contacts:
        made = await contacts.post(
            "/v1/contacts", json={"email": grace, "first_name": "Grace", "company": "Navy"}
        )
        assert made.status_code == 201, made.text
    async with services.client("automation") as automation:

        async def known() -> bool:  # automation has heard of Grace
            shown = await automation.post(
                "/v1/email-templates/preview",
                json={
                    "name": "probe",
                    "subject": "x",
                    "mjml": BODY,
                    "contact_id": made.json()["id"],
                },
            )
            return shown.status_code == 200

        await eventually(known, timeout=WAIT_MS / 1000)
    name = f"Guide {tag}"
    base = services.url("console")
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        page = await (await browser.new_context(viewport={"width": 1280, "height": 900})).new_page()
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        await _sign_in(page, base, *marketer)
        await page.get_by_role("link", name="Emails").click()
        await page.get_by_role("button", name="New template").click()
        editor = page.get_by_test_id("template-editor")
        await page.get_by_label("Template name").fill(name)
        await page.get_by_label("Body (MJML)").fill(BODY)
        # A misspelt field is refused at the subject, while it is typed.
        await page.get_by_label("Subject").fill("The guide for {{ frist_name }}")
        await expect(editor.get_by_text("unknown field 'frist_name'")).to_be_visible(
            timeout=WAIT_MS
        )
        await page.get_by_label("Subject").fill("The guide for {{ first_name }}")
        await expect(editor.get_by_text("unknown field")).to_have_count(0, timeout=WAIT_MS)
        subject = page.get_by_test_id("preview-subject")
        await expect(subject).to_have_text("The guide for Ada", timeout=WAIT_MS)  # the sample
        # As Grace would get it.
        await page.get_by_label("Preview for").fill(grace)
        await expect(subject).to_have_text("The guide for Grace", timeout=WAIT_MS)
        shown = page.frame_locator('iframe[title="Email preview"]')
        await expect(shown.get_by_text("Hi Grace from Navy, here is the guide.")).to_be_visible()
        await expect(page.get_by_role("button", name="Send test")).to_be_disabled()  # unsaved
        await page.screenshot(path=str(SHOTS / "marketer-email-editor.png"), full_page=True)
        await page.get_by_role("button", name="Save template").click()
        await expect(page.get_by_text("Template saved")).to_be_visible(timeout=WAIT_MS)
        await expect(editor).to_contain_text(f"{name} — version 1")

        # A test of the saved version, to the marketer's own address (filled in), as Grace.
        await page.get_by_label("Preview for").fill(grace)
        await expect(subject).to_have_text("The guide for Grace", timeout=WAIT_MS)
        await page.get_by_role("button", name="Send test").click()
        await expect(page.get_by_text(f"Test sent to {marketer[0]}")).to_be_visible(timeout=WAIT_MS)

        # Changed and saved again: version 2 in the list.
        await page.get_by_label("Subject").fill("Your guide, {{ first_name }}")
        await page.get_by_role("button", name="Save a new version").click()
        await expect(page.get_by_text("Saved as version 2")).to_be_visible(timeout=WAIT_MS)
        row = page.get_by_test_id("template-row").filter(has_text=name)
        await expect(row).to_contain_text("Your guide, {{ first_name }}")
        await expect(row.get_by_role("cell").nth(2)).to_have_text("2")
        await browser.close()
    assert not errors, errors

    mailbox = services.stack.mailbox()

    async def tested() -> list[dict[str, object]] | None:
        return await mailbox.messages(to=marketer[0]) or None

    (caught,) = await eventually(tested, timeout=WAIT_MS / 1000)
    assert caught["subject"] == "[Test] The guide for Grace"
    assert "Hi Grace from Navy" in str(caught["text"])
    assert not await mailbox.messages(to=grace)  # a test goes only where it is sent
