"""The workflow builder beyond the seed's journeys, by clicking only (Debian's Chromium): a
ready-made workflow from the gallery, every kind of step the engine has, an error the service
finds only on saving shown at its step, and a saved workflow reopened and changed into its next
version with its webhook secret kept."""

from __future__ import annotations

from uuid import uuid4

import pytest

from tests.test_console_browser import CHROMIUM, SHOTS, WAIT_MS, _sign_in, _user
from tests.test_console_builders import choose

pytestmark = pytest.mark.skipif(
    CHROMIUM is None, reason="needs Debian's chromium package (.ci/run installs it)"
)


async def _saved(services, name: str) -> dict:  # type: ignore[no-untyped-def,type-arg]
    async with services.client("automation") as automation:
        found = [
            w
            for w in (await automation.get("/v1/workflows")).json()
            if w["definition"]["name"] == name
        ]
    assert len(found) == 1, found
    return found[0]  # type: ignore[no-any-return]


async def test_a_marketer_starts_from_a_template_and_builds_every_kind_of_step(  # type: ignore[no-untyped-def]
    services,
) -> None:
    from playwright.async_api import async_playwright, expect

    tag = f"g{uuid4().hex[:8]}"
    marketer = await _user(services, "marketer", tag)
    async with services.client("automation") as automation:
        library = (await automation.get("/v1/workflow-templates")).json()
    cadence = next(t for t in library if t["name"] == "new-lead-cadence")["definition"]
    base = services.url("console")
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        page = await (await browser.new_context(viewport={"width": 1280, "height": 900})).new_page()
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        await _sign_in(page, base, *marketer)
        await page.get_by_role("link", name="Workflows").click()

        # A ready-made workflow opens in the builder as it is, to adjust and save.
        await page.get_by_role("tab", name="Start from a template").click()
        gallery = page.get_by_test_id("template-gallery")
        await expect(gallery.get_by_test_id("workflow-template")).to_have_count(len(library))
        await page.screenshot(path=str(SHOTS / "marketer-workflow-templates.png"), full_page=True)
        await gallery.get_by_role("button", name=f"Use {cadence['name']}").click()
        builder = page.get_by_test_id("workflow-builder")
        await expect(builder.get_by_test_id("step")).to_have_count(len(cadence["steps"]))
        await expect(page.get_by_role("combobox", name="Trigger")).to_have_value(
            "A contact's lifecycle stage changes"
        )
        await page.get_by_label("Name").fill(f"Cadence {tag}")
        await page.get_by_role("button", name="Save as draft").click()
        await expect(page.get_by_text("Workflow saved as a draft")).to_be_visible(timeout=WAIT_MS)
        copied = await _saved(services, f"Cadence {tag}")
        assert copied["status"] == "draft"
        stored = copied["definition"]["steps"]
        assert len(stored) == len(cadence["steps"])
        for saved, given in zip(stored, cadence["steps"], strict=True):  # the service adds defaults
            assert {k: saved[k] for k in given} == given
        assert copied["definition"]["goal"] == cadence["goal"]

        # A new workflow with a step of every kind.
        await page.get_by_role("button", name="New workflow").click()
        await page.get_by_label("Name").fill(f"Every step {tag}")
        await choose(page, "Trigger", "Someone does something")
        await choose(page, "Does", "Filled in a form")
        await choose(page, "Add a step", "Wait until they do something")  # 1
        await page.get_by_role("textbox", name="Step 1 at most").fill("3")  # days
        await choose(page, "Add a step", "Continue only if")  # 2
        await choose(page, "Add a step", "Update the contact")  # 3
        await choose(page, "Step 3 stage", "Marketing qualified")
        tags = page.get_by_role("combobox", name="Step 3 add tags")
        await tags.fill("nurtured")
        await tags.press("Enter")
        await choose(page, "Add a step", "Call another system (webhook)")  # 4
        await page.get_by_label("Step 4 address").fill("http://169.254.169.254/latest/meta-data")
        await page.get_by_label("Step 4 signing secret").fill(f"secret-{tag}")
        await choose(page, "Add a step", "Create a task for the owner")  # 5
        await choose(page, "Add a step", "End the workflow here")  # 6
        await choose(page, "Add a step", "Send an email")  # 7, reached by the branch only
        await page.get_by_label("Step 7 subject").fill("Not qualified yet")
        await page.get_by_label("Step 7 text").fill("Hi {{first_name}}, here is a guide.")
        # The branch: leads go on, everyone else jumps to the email at step 7.
        await choose(page, "Otherwise go to", "send-email-7: Send an email")
        # The goal: leave (a success) once a customer.
        await page.get_by_role("button", name="Add a condition (Goal condition)").click()
        await choose(page, "Goal condition 1 value", "Customer")
        # The metadata address is refused by the service, at the webhook step, as it is built.
        steps = page.get_by_test_id("step")
        await expect(steps.nth(3)).to_contain_text("refused by policy", timeout=WAIT_MS)
        await expect(steps.nth(0)).not_to_contain_text("refused")
        await page.get_by_label("Step 4 address").fill("https://hooks.example.com/lodestone")
        await expect(steps.nth(3)).not_to_contain_text("refused", timeout=WAIT_MS)
        await expect(page.get_by_role("alert")).to_have_count(0)
        await page.screenshot(path=str(SHOTS / "marketer-workflow-every-step.png"), full_page=True)
        await page.get_by_role("button", name="Save as draft").click()
        await expect(page.get_by_text("Workflow saved as a draft")).to_be_visible(timeout=WAIT_MS)

        made = await _saved(services, f"Every step {tag}")
        definition = made["definition"]
        assert definition["trigger"]["type"] == "interaction"
        assert definition["trigger"]["interaction_type"] == "form_submitted"
        assert [s["type"] for s in definition["steps"]] == [
            "wait_for",
            "if",
            "update_contact",
            "webhook",
            "create_task",
            "exit",
            "send_email",
        ]
        wait_for, branch, update, hook = definition["steps"][:4]
        assert wait_for["timeout_seconds"] == 3 * 86400
        assert wait_for["on_timeout"] == "exit"
        assert branch["conditions"] == [
            {"field": "lifecycle_stage", "op": "equals", "value": "lead"}
        ]
        assert branch["else"] == "send-email-7"
        assert update["stage"] == "marketing_qualified"
        assert update["add_tags"] == ["nurtured"]
        assert hook["url"] == "https://hooks.example.com/lodestone"
        assert hook["secret"] == "********"  # write-only
        assert definition["goal"] == [
            {"field": "lifecycle_stage", "op": "equals", "value": "customer"}
        ]

        # Reopened, changed and saved: version 2, the secret kept without being shown.
        row = page.get_by_test_id("workflow-row").filter(has_text=f"Every step {tag}")
        await row.get_by_role("button", name=f"Open Every step {tag}").click()
        builder = page.get_by_test_id("workflow-builder")
        await expect(builder).to_contain_text("version 1, draft")
        await expect(builder.get_by_test_id("step")).to_have_count(7)
        await expect(builder.get_by_test_id("step-progress").first).to_have_text("0 here")
        await page.get_by_role("textbox", name="Step 1 at most").fill("5")
        await page.get_by_role("button", name="Save a new version").click()
        await expect(page.get_by_text("Saved as version 2")).to_be_visible(timeout=WAIT_MS)
        await browser.close()
    assert not errors, errors

    changed = await _saved(services, f"Every step {tag}")
    assert changed["version"] == 2
    assert changed["definition"]["steps"][0]["timeout_seconds"] == 5 * 86400
    async with services.client("automation") as automation:
        versions = (await automation.get(f"/v1/workflows/{changed['id']}/versions")).json()
    assert [v["version"] for v in versions] == [2, 1]
