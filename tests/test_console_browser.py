"""The console as its people use it, in headless Chromium (Debian's package, driven by
Playwright) against the running services: a rep works a lead a workflow just handed them,
their manager sees it on the leaderboard, an admin adds a user and imports a CSV. Every
screen's screenshot is kept in test-artifacts/console/ for a human to look at."""

from __future__ import annotations

import asyncio
import contextlib
import re
import shutil
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import uuid4

import pytest

ROOT = Path(__file__).resolve().parent.parent
SHOTS = ROOT / "test-artifacts" / "console"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
PROPOSAL = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n"
WAIT_MS = 90_000  # a condition's ceiling on a loaded machine; each wait ends when it holds

pytestmark = pytest.mark.skipif(
    CHROMIUM is None, reason="needs Debian's chromium package (.ci/run installs it)"
)


async def _user(services: Any, role: str, tag: str, **extra: Any) -> tuple[str, str]:
    email, password = f"{role}.{tag}@example.com", f"{role}-{tag}-password"
    async with services.client("console") as console:
        made = await console.post(
            "/v1/users",
            json={
                "email": email,
                "name": f"{role.title()} {tag}",
                "role": role,
                "password": password,
                **extra,
            },
        )
        assert made.status_code == 201, made.text
    return email, password


async def _sign_in(page: Any, base: str, email: str, password: str) -> None:
    await page.goto(base + "/")
    await page.get_by_label("Email").fill(email)
    await page.get_by_role("textbox", name="Password").fill(password)
    await page.get_by_role("button", name="Sign in").click()
    await page.get_by_role("button", name="Sign out").wait_for(timeout=WAIT_MS)


@contextlib.asynccontextmanager
async def signed_in(services: Any, who: tuple[str, str]) -> AsyncIterator[Any]:
    """A Chromium page of the console, signed in as `who` (email, password), at desktop
    width; no script error may happen on it meanwhile."""
    from playwright.async_api import async_playwright

    errors: list[str] = []
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        page = await (await browser.new_context(viewport={"width": 1280, "height": 900})).new_page()
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        await _sign_in(page, services.url("console"), *who)
        try:
            yield page
        finally:
            await browser.close()
    assert not errors, errors


async def test_a_rep_works_a_new_lead_and_the_manager_and_admin_see_to_theirs(
    services, eventually
) -> None:  # type: ignore[no-untyped-def]
    from playwright.async_api import async_playwright, expect

    tag = uuid4().hex[:6]
    rep_id, first = f"rep-{tag}", f"Zoe{tag}"
    async with services.client("automation") as automation:
        put = await automation.put(f"/v1/reps/{rep_id}", json={"name": f"Ana {tag}"})
        assert put.status_code == 200, put.text
        workflow = await automation.post(
            "/v1/workflows",
            json={
                "name": f"hand demo requests to {rep_id}",
                "trigger": {
                    "type": "interaction",
                    "interaction_type": "form_submitted",
                    "conditions": [{"field": "form_id", "op": "equals", "value": f"demo-{tag}"}],
                },
                "steps": [
                    {"id": "assign", "type": "assign_owner", "reps": [rep_id]},
                    {
                        "id": "call",
                        "type": "create_task",
                        "kind": "call",
                        "title": "Call {{first_name}}",
                        "due_in_hours": 0,
                    },
                ],
            },
        )
        assert workflow.status_code == 201, workflow.text
        activated = await automation.post(f"/v1/workflows/{workflow.json()['id']}/activate")
        assert activated.status_code == 200, activated.text
    rep = await _user(services, "rep", tag, rep_id=rep_id)
    manager = await _user(services, "manager", tag)
    admin = await _user(services, "admin", tag)
    email = f"zoe.{tag}@example.com"
    async with services.client("contacts") as contacts:
        sent = await contacts.post(
            "/v1/events",
            json={
                "events": [
                    {
                        "event_id": f"id-{tag}",
                        "type": "identify",
                        "contact": {"email": email},
                        "traits": {
                            "first_name": first,
                            "last_name": tag,
                            "company": "Initech",
                            "phone": "+44 20 7946 0018",
                            "plan": "pro",
                        },
                    },
                    {
                        "event_id": f"form-{tag}",
                        "type": "track",
                        "name": "form_submitted",
                        "contact": {"email": email},
                        "properties": {"form_id": f"demo-{tag}"},
                    },
                ]
            },
        )
        assert sent.status_code == 202, sent.text
        # Another rep's lead: ours to read and call, not to change.
        theirs = await contacts.post(
            "/v1/contacts",
            json={
                "email": f"bo.{tag}@example.com",
                "first_name": f"Bo{tag}",
                "owner_id": f"ben-{tag}",
            },
        )
        assert theirs.status_code == 201, theirs.text
    async with services.client("automation") as automation:

        async def tasked() -> Any:  # the workflow assigned the lead and set the call
            return (await automation.get("/v1/tasks", params={"owner_id": rep_id})).json()

        await eventually(tasked, timeout=120)
    # Ana's lead buys in two currencies, and a duplicate of it she also owned is merged in:
    # the reports must say EUR and INR apart and count the person once.
    async with services.client("contacts") as contacts:
        bought = await contacts.post(
            "/v1/events",
            json={
                "events": [
                    {
                        "event_id": f"buy-{currency}-{tag}",
                        "type": "track",
                        "name": "Order Completed",
                        "contact": {"email": email},
                        "properties": {
                            "amount": amount,
                            "currency": currency,
                            "items": [
                                {"sku": "pro", "name": "Pro", "price": amount, "quantity": 1}
                            ],
                        },
                    }
                    for currency, amount in (("EUR", 1200), ("INR", 50000))
                ]
            },
        )
        assert bought.status_code == 202, bought.text
        duplicate = await contacts.post(
            "/v1/contacts", json={"email": f"zoe.dup.{tag}@example.com", "owner_id": rep_id}
        )
        lead_id = (await contacts.get("/v1/contacts", params={"email": email})).json()["items"][0]
        merged = await contacts.post(
            f"/v1/contacts/{lead_id['id']}/merge", json={"merge_ids": [duplicate.json()["id"]]}
        )
        assert merged.status_code == 200, merged.text

    SHOTS.mkdir(parents=True, exist_ok=True)
    base = services.url("console")
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        errors: list[str] = []

        async def page_for(width: int = 1280, height: int = 800) -> Any:
            context = await browser.new_context(viewport={"width": width, "height": height})
            page = await context.new_page()
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            return page

        # Signed out, the console shows only the sign-in page.
        page = await page_for()
        await page.goto(base + "/contacts")
        await expect(page.get_by_role("button", name="Sign in")).to_be_visible()
        assert await page.get_by_role("navigation").count() == 0
        await page.screenshot(path=str(SHOTS / "sign-in.png"))

        # The rep: the workflow's lead and call task are on their day.
        await _sign_in(page, base, *rep)
        task = page.get_by_test_id("task").filter(has_text=f"Call {first}")
        await expect(task).to_be_visible(timeout=WAIT_MS)
        lead = page.get_by_test_id("lead").filter(has_text=first)
        await expect(lead).to_be_visible(timeout=WAIT_MS)
        await page.screenshot(path=str(SHOTS / "rep-my-day.png"), full_page=True)

        # Opens the contact and reads why it scored as it did.
        await lead.get_by_role("link").click()
        await expect(page.get_by_role("heading", name=re.compile(first))).to_be_visible()
        await page.get_by_role("tab", name="Why this score").click()
        model = page.get_by_test_id("score-model").first
        await expect(model).to_contain_text("points", timeout=WAIT_MS)
        await expect(model.get_by_role("row").nth(1)).to_be_visible(timeout=WAIT_MS)
        await page.screenshot(path=str(SHOTS / "rep-why-this-score.png"), full_page=True)

        # Rings the number shown beside "Log a call", then logs the call in two clicks (the
        # defaults are a made, connected call); the dialog shows the number too.
        ring = page.get_by_test_id("call-phone")
        await expect(ring).to_have_attribute("href", re.compile(r"^tel:\+44\s?20"))
        phone = (await ring.text_content() or "").strip()
        assert phone.replace(" ", "") == "+442079460018", phone
        await page.get_by_role("button", name="Log a call").click()
        await expect(page.get_by_test_id("dialog-phone")).to_contain_text(phone)
        await page.get_by_role("dialog").get_by_role("button", name="Save").click()
        await expect(page.get_by_role("dialog")).to_have_count(0)
        await page.get_by_role("tab", name="Timeline").click()
        entry = page.get_by_test_id("timeline-entry").filter(has_text="Call")
        await expect(entry.first).to_be_visible(timeout=WAIT_MS)
        await page.screenshot(path=str(SHOTS / "rep-contact-timeline.png"), full_page=True)

        # Completes the task with an outcome.
        await page.get_by_role("tab", name="Overview").click()
        await (
            page.get_by_test_id("task")
            .filter(has_text=f"Call {first}")
            .get_by_role("button", name="Done")
            .click()
        )
        dialog = page.get_by_role("dialog")
        await dialog.get_by_label("Note").fill("Wants a demo next week")
        await dialog.get_by_role("button", name="Mark done").click()
        await expect(page.get_by_test_id("task").filter(has_text="Done: Connected")).to_be_visible(
            timeout=WAIT_MS
        )
        # The call the task was is on the contact's timeline too, with how it went.
        async with services.client("contacts") as contacts:
            found = (await contacts.get("/v1/contacts", params={"email": email})).json()
            lead = found["items"][0]["id"]

            async def logged() -> list[dict[str, Any]] | None:
                page_ = (await contacts.get(f"/v1/contacts/{lead}/timeline")).json()
                calls = [e for e in page_["entries"] if e["type"] == "call_logged"]
                return calls if any("task_id" in e["properties"] for e in calls) else None

            from_task = [e for e in await eventually(logged) if "task_id" in e["properties"]]
        assert len(from_task) == 1 and from_task[0]["properties"]["outcome"] == "connected"
        assert from_task[0]["properties"]["note"] == "Wants a demo next week"
        # Writes a note, then corrects it (the first text stays in its history).
        await page.get_by_label("New note").fill("Keen on pricing")
        await page.get_by_role("button", name="Add note").click()
        note = page.get_by_test_id("note").filter(has_text="Keen on pricing")
        await note.get_by_role("button", name="Edit").click()
        editing = page.get_by_test_id("note").filter(has=page.get_by_label("Edit note"))
        await editing.get_by_label("Edit note").fill("Keen on the pro plan")
        await editing.get_by_role("button", name="Save").click()
        edited = page.get_by_test_id("note").filter(has_text="Keen on the pro plan")
        await expect(edited).to_contain_text("edited by", timeout=WAIT_MS)
        # Custom fields are the rep's to edit too (their own lead).
        await page.get_by_label("plan").fill("enterprise")
        await page.get_by_role("button", name="Save changes").click()
        await expect(page.get_by_text("Saved")).to_be_visible(timeout=WAIT_MS)
        async with services.client("contacts") as contacts:
            found = (await contacts.get("/v1/contacts", params={"email": email})).json()
        assert found["items"][0]["custom"]["plan"] == "enterprise"
        # Attaches the proposal, then its revised version; both stay downloadable.
        files = page.get_by_test_id("attachment")
        for name, body in (("Proposal.pdf", PROPOSAL), ("Proposal v2.pdf", PROPOSAL + b"%v2\n")):
            button = (
                page.get_by_role("button", name="Attach a file")
                if name == "Proposal.pdf"
                else files.first.get_by_role("button", name="New version")
            )
            async with page.expect_file_chooser() as chooser:
                await button.click()
            await (await chooser.value).set_files(
                {"name": name, "mimeType": "application/pdf", "buffer": body}
            )
            await expect(files.first).to_contain_text(name, timeout=WAIT_MS)
        await expect(files).to_have_count(1)
        await expect(files.first).to_contain_text("version 2")
        async with page.expect_download() as downloading:
            await files.first.get_by_role("link", name="Proposal v2.pdf").click()
        download = await downloading.value
        saved = await asyncio.to_thread(Path(await download.path()).read_bytes)
        assert saved == PROPOSAL + b"%v2\n"
        await files.first.get_by_role("button", name="Versions").click()
        versions = page.get_by_role("dialog", name="Versions of Proposal v2.pdf")
        await expect(versions.get_by_role("row")).to_have_count(3)
        await expect(versions).to_have_css("opacity", "1")  # its opening transition done
        await page.screenshot(path=str(SHOTS / "rep-contact-file-versions.png"))
        await page.keyboard.press("Escape")
        await expect(versions).to_have_count(0)  # closed, not fading, in the screenshot
        await page.screenshot(path=str(SHOTS / "rep-contact-overview.png"), full_page=True)

        # Another rep's lead: the rep may log a call, the record itself says whose it is.
        await page.goto(base + f"/contacts/{theirs.json()['id']}")
        await expect(page.get_by_test_id("not-yours")).to_contain_text(f"ben-{tag}")
        await expect(page.get_by_role("button", name="Log a call")).to_be_visible()
        assert await page.get_by_role("button", name="Save changes").count() == 0
        assert await page.get_by_role("button", name="Attach a file").count() == 0
        await page.screenshot(path=str(SHOTS / "rep-someone-elses-contact.png"), full_page=True)

        # The manager sees the call and the task on the leaderboard.
        page = await page_for()
        await _sign_in(page, base, *manager)
        await page.get_by_role("link", name="Reports").click()
        row = page.get_by_test_id("leaderboard-row").filter(has_text=f"Ana {tag}")
        await expect(row).to_be_visible(timeout=WAIT_MS)
        # Calls, meetings, tasks done: columns 3, 4 and 5 of the row (two calls: the one logged
        # by hand and the call task done).
        await expect(row.get_by_role("cell").nth(2)).to_have_text("2", timeout=WAIT_MS)
        await expect(row.get_by_role("cell").nth(4)).to_have_text("1", timeout=WAIT_MS)
        await expect(page.get_by_test_id("funnel-stage").first).to_be_visible()
        # Every cell of Ana's row is what the reporting API says (revenue per currency, the
        # merged duplicate not counted as a second lead).
        async with services.client("reporting") as reporting:

            async def row_matches_the_api() -> list[str] | None:
                board = (await reporting.get("/v1/reports/leaderboard")).json()["reps"]
                api = next(r for r in board if r["owner"] == rep_id)
                money = " · ".join(f"{c} {round(v):,}" for c, v in api["revenue"].items())
                keys = ("leads_owned", "calls", "meetings", "tasks_done", "tasks_overdue")
                expected = [*(str(api[k]) for k in (*keys, "conversions")), money]
                shown = (await row.get_by_role("cell").all_inner_texts())[:-1]  # not goals
                # Her name, then her place among the reps she is compared with.
                rank = await row.get_by_test_id("team-rank").text_content()
                return (
                    shown
                    if shown[1:] == expected
                    and shown[0].startswith(f"Ana {tag}")
                    and rank == f"#{api['rank']} of {api['team_size']}"
                    and api["revenue"].keys() >= {"EUR", "INR"}
                    else None
                )

            shown = await eventually(row_matches_the_api, timeout=WAIT_MS / 1000)
            assert shown[1] == "1" and shown[-1] == "EUR 1,200 · INR 50,000", shown
            await expect(row.get_by_role("cell").last).to_have_text("No goals")
            await page.screenshot(path=str(SHOTS / "manager-reports.png"), full_page=True)

            # The manager picks this month, sets Ana's goals for it and sees how far she is,
            # as the reporting API counts it for the month.
            now = datetime.now(UTC)
            month = now.strftime("%Y-%m")
            first = now.replace(day=1).date()
            last = (first.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)
            await page.get_by_role("combobox", name="Period").click()
            await page.get_by_role("option", name=f"This month ({now:%B %Y})").click()
            await row.get_by_role("button", name=f"Set goals of Ana {tag}").click()
            dialog = page.get_by_role("dialog")
            await dialog.get_by_label("Revenue").fill("5000")
            await dialog.get_by_label("Calls").fill("4")
            await dialog.get_by_role("button", name="Save goals").click()
            await expect(page.get_by_text("Goals saved")).to_be_visible(timeout=WAIT_MS)
            month_range = {"start": first.isoformat(), "end": last.isoformat()}
            board = (await reporting.get("/v1/reports/leaderboard", params=month_range)).json()
            api = next(r for r in board["reps"] if r["owner"] == rep_id)
            assert api["goals"]["revenue"]["attainment"] == 1200 / 5000
            goals = row.get_by_test_id("goal")
            await expect(goals).to_have_text(
                ["Revenue: EUR 1,200 of EUR 5,000 (24%)", "Calls: 2 of 4 (50%)"], timeout=WAIT_MS
            )
            goal = (await reporting.get("/v1/goals", params={"month": month})).json()
            assert {g["owner"]: g["targets"] for g in goal}[rep_id] == {"revenue": 5000, "calls": 4}
            await page.mouse.move(0, 0)  # a toast stays while the pointer rests on it
            await expect(page.get_by_text("Goals saved")).to_be_hidden(timeout=WAIT_MS)
            await page.screenshot(path=str(SHOTS / "manager-goals.png"), full_page=True)
            # Last month Ana sold nothing and had no goals.
            last_month = (first - timedelta(days=1)).strftime("%B %Y")
            await page.get_by_role("combobox", name="Period").click()
            await page.get_by_role("option", name=last_month, exact=True).click()
            await expect(row.get_by_role("cell").nth(7)).to_have_text("—", timeout=WAIT_MS)
            await expect(row.get_by_role("cell").last).to_contain_text("No goals")

        # The manager sends Ana on holiday: workflows skip her until she is back.
        await page.get_by_role("link", name="Reps").click()
        await page.get_by_label(f"Ana {tag} takes new leads").click(force=True)
        await expect(page.get_by_text("Rep changed")).to_be_visible(timeout=WAIT_MS)
        async with services.client("automation") as automation:
            reps = (await automation.get("/v1/reps")).json()
        assert next(r for r in reps if r["id"] == rep_id)["available"] is False
        # ... and puts her in a team of her own: the leaderboard ranks her within it.
        team = f"East {tag}"
        await page.get_by_label(f"Team of Ana {tag}").fill(team)
        await page.get_by_label(f"Team of Ana {tag}").press("Tab")
        async with services.client("automation") as automation:

            async def in_team() -> bool:
                reps = (await automation.get("/v1/reps")).json()
                return next(r for r in reps if r["id"] == rep_id).get("team") == team

            await eventually(in_team, timeout=WAIT_MS / 1000)
        await page.screenshot(path=str(SHOTS / "manager-reps.png"), full_page=True)
        await page.get_by_role("link", name="Reports").click()
        ranked = page.get_by_test_id("leaderboard-row").filter(has_text=f"Ana {tag}")
        await expect(ranked.get_by_test_id("team-rank")).to_have_text(
            f"#1 of 1 · {team}", timeout=WAIT_MS
        )
        # The manager writes Ana a commission plan by clicking (10 % on everything); a rate of
        # 200 % is refused at its field before anything is sent. The Commissions card then
        # shows what she earned, to the cent and per currency, as the reporting API counts it.
        await page.get_by_role("button", name="New plan").click()
        editor = page.get_by_role("dialog", name="New commission plan")
        await editor.get_by_label("Name").fill(f"Ana {tag}")
        await editor.get_by_role("combobox", name="Pays these reps").click()
        await page.get_by_role("option", name=f"Ana {tag}").click()
        await page.keyboard.press("Escape")
        await editor.get_by_label("From").fill("2020-01-01")
        await editor.get_by_label("Rate on everything else").fill("10")
        await editor.get_by_role("button", name="Add a rate").click()
        await editor.get_by_label("Rate 1: which").fill(f"gadgets-{tag}")
        await editor.get_by_label("Rate 1", exact=True).fill("200")
        await editor.get_by_role("button", name="Save plan").click()
        await expect(editor.get_by_text("Between 0 and 100 %")).to_be_visible(timeout=WAIT_MS)
        await page.screenshot(path=str(SHOTS / "manager-commission-plan-refused.png"))
        await editor.get_by_role("button", name="Remove rate 1").click()
        await editor.get_by_role("button", name="Save plan").click()
        await expect(editor).to_be_hidden(timeout=WAIT_MS)
        await expect(page.get_by_test_id("plan-row").filter(has_text=f"Ana {tag}")).to_contain_text(
            "10% by default"
        )
        async with services.client("reporting") as reporting:
            plans = (await reporting.get("/v1/commission-plans")).json()
            mine = next(p for p in plans if p["name"] == f"Ana {tag}")
            assert (mine["reps"], mine["default_rate"], mine["rates"]) == ([rep_id], 0.1, [])
            paid = (await reporting.get("/v1/reports/commissions", params={"owner": rep_id})).json()
        (earned,) = paid["reps"]
        assert earned["total"]["EUR"] == 120.0 and earned["total"]["INR"] == 5000.0, earned
        total = " · ".join(f"{c} {v:,.2f}" for c, v in earned["total"].items())
        commission = page.get_by_test_id("commission-row").filter(has_text=f"Ana {tag}")
        await expect(commission.get_by_test_id("commission-total")).to_have_text(
            total, timeout=WAIT_MS
        )
        await page.screenshot(path=str(SHOTS / "manager-commissions.png"), full_page=True)

        # The admin adds a user and imports a CSV, watching its progress.
        page = await page_for()
        await _sign_in(page, base, *admin)
        await page.get_by_role("link", name="Users").click()
        await page.get_by_label("Email").fill(f"new.{tag}@example.com")
        await page.get_by_label("Name").fill("New Colleague")
        # A rep user works as one of the rep records; the form asks which.
        await page.get_by_label("Works as rep").first.click()
        await page.get_by_role("option", name=f"Ana {tag} ({rep_id})").click()
        await page.get_by_role("button", name="Add user").click()
        await page.screenshot(path=str(SHOTS / "admin-user-added.png"), full_page=True)
        await expect(page.get_by_test_id("initial-password")).to_be_visible(timeout=WAIT_MS)
        await expect(
            page.get_by_test_id("user-row").filter(has_text=f"new.{tag}@example.com")
        ).to_be_visible()
        await page.screenshot(path=str(SHOTS / "admin-users.png"), full_page=True)

        rows = 20_000
        csv_path = SHOTS.parent / f"import-{tag}.csv"
        # An export from elsewhere: the admin sees its columns and first values, and says
        # that "Firma" is the company and the notes stay behind.
        csv_path.write_text(
            "E-Mail Address,First Name,Firma,Notes\n"
            + "".join(f"imp{i}.{tag}@example.com,Imp{i},Globex,ring back\n" for i in range(rows))
        )
        await page.get_by_role("link", name="Import contacts").click()
        await page.locator("input[type=file]").set_input_files(str(csv_path))
        preview = page.get_by_test_id("import-preview")
        await expect(preview.get_by_test_id("column-row")).to_have_count(4, timeout=WAIT_MS)
        await expect(preview.get_by_test_id("column-row").first).to_contain_text(
            f"imp0.{tag}@example.com"
        )
        await expect(page.get_by_role("combobox", name="Import E-Mail Address as")).to_have_value(
            "Email"
        )
        await page.get_by_role("combobox", name="Import Firma as").click()
        await page.get_by_role("option", name="Company", exact=True).click()
        await page.get_by_role("combobox", name="Import Notes as").click()
        await page.get_by_role("option", name="Leave out").click()
        await page.screenshot(path=str(SHOTS / "admin-import-mapping.png"), full_page=True)
        await page.get_by_role("button", name="Import", exact=True).click()
        progress = page.get_by_test_id("import-progress")
        await expect(progress).to_be_visible(timeout=WAIT_MS)
        seen = await page.get_by_label("Import progress").get_attribute("aria-valuenow")
        await page.screenshot(path=str(SHOTS / "admin-import-running.png"), full_page=True)
        await expect(progress).to_contain_text("Import finished", timeout=WAIT_MS * 3)
        await expect(progress).to_contain_text(f"{rows} created")
        await expect(progress).to_contain_text(f"{rows:,} rows read · 100%")
        await page.screenshot(path=str(SHOTS / "admin-import-done.png"), full_page=True)
        csv_path.unlink()
        async with services.client("contacts") as contacts:
            found = await contacts.get("/v1/contacts", params={"email": f"imp7.{tag}@example.com"})
            person = found.json()["items"][0]
        assert person["company"] == "Globex" and not person.get("custom"), person

        # At phone width the same screens work behind the menu button.
        page = await page_for(390, 844)
        await _sign_in(page, base, *rep)
        await page.get_by_role("button", name="Menu").click()
        await page.get_by_role("link", name="Contacts", exact=True).click()
        await expect(page.get_by_test_id("contact-row").first).to_be_visible(timeout=WAIT_MS)
        # Free-text search finds one of the 20,000 just imported by name and address words.
        await page.get_by_label("Search").fill(f"imp19999 {tag}")
        await expect(page.get_by_test_id("contact-row")).to_have_count(1, timeout=WAIT_MS)
        await expect(page.get_by_test_id("contact-row")).to_contain_text("Imp19999")
        await page.screenshot(path=str(SHOTS / "phone-contacts.png"), full_page=True)
        await browser.close()

    assert seen is not None  # the progress bar was there while the import ran
    assert not errors, errors


async def test_a_viewer_changes_their_own_password(services) -> None:  # type: ignore[no-untyped-def]
    from playwright.async_api import async_playwright, expect

    tag = uuid4().hex[:6]
    email, password = await _user(services, "viewer", tag)
    new = f"fresh-{tag}-password"
    SHOTS.mkdir(parents=True, exist_ok=True)
    base = services.url("console")
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        page = await (await browser.new_context(viewport={"width": 1280, "height": 800})).new_page()
        await _sign_in(page, base, email, password)
        await page.get_by_role("button", name="Password").click()
        dialog = page.get_by_role("dialog", name="Change your password")
        await dialog.get_by_label("Current password").fill("not-my-password")
        await dialog.get_by_label("New password").first.fill(new)  # then "... again"
        await dialog.get_by_label("New password again").fill(new)
        await dialog.get_by_role("button", name="Change password").click()
        await expect(dialog.get_by_text("The current password is not right.")).to_be_visible(
            timeout=WAIT_MS
        )
        await page.screenshot(path=str(SHOTS / "change-password-refused.png"))
        await dialog.get_by_label("Current password").fill(password)
        await dialog.get_by_role("button", name="Change password").click()
        await expect(page.get_by_text("Password changed")).to_be_visible(timeout=WAIT_MS)
        await expect(dialog).to_be_hidden()
        await page.screenshot(path=str(SHOTS / "change-password-done.png"))
        await page.get_by_role("button", name="Sign out").click()
        await _sign_in(page, base, email, new)  # the new one works
        await browser.close()


async def test_a_marketer_sends_a_campaign_and_watches_it_reach_people(  # type: ignore[no-untyped-def]
    services, eventually
) -> None:
    """Issue 19/23: the campaign screen on the campaigns API — draft by clicking, send now,
    progress and results in people, each recipient's line."""
    from playwright.async_api import async_playwright, expect

    tag = uuid4().hex[:6]
    people = 6
    async with services.client("contacts") as contacts, services.client("automation") as auto:
        events = [
            {
                "event_id": f"cmp-{tag}-{i}",
                "type": "identify",
                "contact": {"email": f"spring{i}.{tag}@example.com"},
                "traits": {"first_name": f"Spring{i}", "company": f"Bloom {tag}"},
            }
            for i in range(people)
        ]
        assert (await contacts.post("/v1/events", json={"events": events})).status_code == 202
        segment = await contacts.post(
            "/v1/segments", json={"name": f"Bloom {tag}", "filter": {"company": f"Bloom {tag}"}}
        )
        assert segment.status_code == 201, segment.text

        async def built() -> bool:
            found = (await contacts.get(f"/v1/segments/{segment.json()['id']}")).json()
            return found["members"] == people

        await eventually(built, timeout=120)
        mjml = (
            "<mjml><mj-body><mj-section><mj-column><mj-text>Hi {{ first_name }}, spring is "
            "here.</mj-text></mj-column></mj-section></mj-body></mjml>"
        )
        template = await auto.post(
            "/v1/email-templates",
            json={"name": f"Spring {tag}", "subject": "Spring, {{ first_name }}", "mjml": mjml},
        )
        assert template.status_code == 201, template.text
    marketer = await _user(services, "marketer", tag)
    base = services.url("console")
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        page = await (await browser.new_context(viewport={"width": 1280, "height": 900})).new_page()
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        await _sign_in(page, base, *marketer)
        await page.get_by_role("link", name="Campaigns").click()
        await page.get_by_role("button", name="New campaign").click()
        dialog = page.get_by_role("dialog", name="New campaign")
        await dialog.get_by_label("Name").fill(f"Spring {tag}")
        await dialog.get_by_label("Email").first.click()
        await page.get_by_role("option", name=f"Spring {tag}").click()
        await dialog.get_by_label("To").first.click()
        await page.get_by_role("option", name=re.compile(f"Bloom {tag}")).click()
        await page.screenshot(path=str(SHOTS / "marketer-new-campaign.png"))
        await dialog.get_by_role("button", name="Save draft").click()
        detail = page.get_by_role("dialog", name=f"Spring {tag}")
        await expect(detail.get_by_test_id("campaign-state")).to_have_text("draft", timeout=WAIT_MS)
        await detail.get_by_role("button", name="Send now").click()
        await expect(detail.get_by_test_id("campaign-state")).to_have_text("sent", timeout=WAIT_MS)
        await expect(detail.get_by_test_id("figure-delivered")).to_contain_text(str(people))
        await expect(detail.get_by_test_id("recipient")).to_have_count(people, timeout=WAIT_MS)
        for row in await detail.get_by_test_id("recipient").all():
            await expect(row).to_contain_text("sent ", timeout=WAIT_MS)
        await expect(detail).to_have_css("opacity", "1")
        await page.screenshot(path=str(SHOTS / "marketer-campaign-sent.png"))
        await browser.close()
    mails = await services.stack.mailbox().messages()
    ours = [
        m for m in mails if m["subject"].startswith("Spring, Spring") and tag in m["rcpt_to"][0]
    ]
    assert len(ours) == people
    assert not errors, errors
