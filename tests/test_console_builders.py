"""The marketer's builders in the console, by clicking only (Debian's Chromium): a segment with
OR and NOT groups whose live count is the API's, and a broken condition told where it is."""

from __future__ import annotations

from typing import Any
from uuid import uuid4

import pytest

from tests.test_console_browser import CHROMIUM, SHOTS, WAIT_MS, _sign_in, _user, signed_in

pytestmark = pytest.mark.skipif(
    CHROMIUM is None, reason="needs Debian's chromium package (.ci/run installs it)"
)


async def test_a_marketer_builds_a_segment_with_or_and_not_groups(services, eventually) -> None:  # type: ignore[no-untyped-def]
    from playwright.async_api import expect

    tag = f"b{uuid4().hex[:8]}"
    marketer = await _user(services, "marketer", tag)
    people = {
        "acme": {"company": f"Acme {tag}", "tags": [tag]},
        "vip": {"tags": [tag, "vip"]},
        "plain": {"tags": [tag]},
        "won": {"tags": [tag, "vip"], "lifecycle_stage": "customer"},
    }
    async with services.client("contacts") as contacts:
        for name, fields in people.items():
            made = await contacts.post(
                "/v1/contacts", json={"email": f"{name}.{tag}@example.com", **fields}
            )
            assert made.status_code == 201, made.text
    # What the builder should make, and what the service counts for it.
    wanted = {
        "tags": [tag],
        "any_of": [{"company": f"Acme {tag}"}, {"tags": ["vip"]}],
        "none_of": [{"stage": ["customer"]}],
    }
    async with services.client("contacts") as contacts:
        counted = (await contacts.post("/v1/segments/preview", json={"filter": wanted})).json()
    assert counted["members"] == 2  # acme and vip; won is a customer, plain neither

    async with signed_in(services, marketer) as page:
        await page.get_by_role("link", name="Segments").click()

        await page.get_by_label("Name").fill(f"Acme or VIPs {tag}")
        await choose(page, "All condition 1 kind", "Has the tag")
        await page.get_by_role("textbox", name="All condition 1 value").fill(tag)
        await page.get_by_role("button", name="Add alternatives (OR)").click()
        await choose(page, "Either group 1 condition 1 kind", "Company is")
        await page.get_by_role("textbox", name="Either group 1 condition 1 value").fill(
            f"Acme {tag}"
        )
        await page.get_by_role("button", name="Add another alternative").click()
        await page.get_by_role("textbox", name="Either group 2 condition 1 value").fill("vip")
        await page.get_by_role("button", name="Exclude contacts (NOT)").click()
        await choose(page, "Not group 1 condition 1 kind", "Lifecycle stage is")
        await choose(page, "Not group 1 condition 1 value", "Customer")
        live = page.get_by_test_id("live-count")
        await expect(live).to_have_text(f"{counted['members']} contacts match now", timeout=WAIT_MS)

        # A broken condition: the service's error shows at that condition, and goes with it.
        not_group = page.get_by_test_id("none-group")
        await not_group.get_by_role("button", name="Add a condition").click()
        await choose(page, "Not group 1 condition 2 kind", "Custom field")
        await page.get_by_role("textbox", name="Not group 1 condition 2 field").fill("bad name!")
        await page.get_by_role("textbox", name="Not group 1 condition 2 value").fill("x")
        complaint = not_group.get_by_text("custom field name 'bad name!' is not a plain identifier")
        await expect(complaint).to_be_visible(timeout=WAIT_MS)
        await page.screenshot(path=str(SHOTS / "marketer-segment-error.png"), full_page=True)
        await page.get_by_role("button", name="Remove Not group 1 condition 2").click()
        await expect(complaint).to_be_hidden(timeout=WAIT_MS)
        await expect(live).to_have_text(f"{counted['members']} contacts match now", timeout=WAIT_MS)
        await page.screenshot(path=str(SHOTS / "marketer-segment-builder.png"), full_page=True)

        await page.get_by_role("button", name="Save segment").click()
        await expect(page.get_by_text("Segment saved")).to_be_visible(timeout=WAIT_MS)
        segment = await _saved_segment(services, eventually, f"Acme or VIPs {tag}", 2)
        # Exactly the filter the marketer meant, without typing JSON.
        assert segment["filter"] == {**wanted, "tags": [tag]}
        row = page.get_by_test_id("segment-row").filter(has_text=f"Acme or VIPs {tag}")
        await page.reload()
        await expect(row).to_contain_text("2", timeout=WAIT_MS)
        # Its members, by name, and which workflows enroll from it (none yet).
        await row.get_by_role("button", name=f"Acme or VIPs {tag}").click()
        detail = page.get_by_test_id("segment-detail")
        await expect(detail.get_by_test_id("segment-member")).to_have_count(2, timeout=WAIT_MS)
        await expect(detail.get_by_test_id("segment-workflows")).to_contain_text("None")
        async with services.client("automation") as automation:
            welcome = await automation.post(
                "/v1/workflows",
                json={
                    "name": f"Welcome to Acme or VIPs {tag}",
                    "trigger": {"type": "segment_joined", "segment_id": segment["id"]},
                    "steps": [{"id": "t", "type": "create_task", "title": "Say hello"}],
                },
            )
            assert welcome.status_code == 201, welcome.text
        await page.reload()
        await row.get_by_role("button", name=f"Acme or VIPs {tag}").click()
        await expect(page.get_by_test_id("segment-workflows")).to_contain_text(
            f"Welcome to Acme or VIPs {tag} (draft)", timeout=WAIT_MS
        )


async def test_a_marketer_tries_a_changed_scoring_rule_on_a_contact(services, eventually) -> None:  # type: ignore[no-untyped-def]
    from playwright.async_api import expect

    tag = f"s{uuid4().hex[:8]}"
    marketer = await _user(services, "marketer", tag)
    email = f"pricing.{tag}@example.com"
    async with services.client("contacts") as contacts, services.client("scoring") as scoring:
        sent = await contacts.post(
            "/v1/events",
            json={"events": [pricing_visit(f"{tag}-{i}", email) for i in range(2)]},
        )
        assert sent.status_code == 202, sent.text
        person = await eventually(lambda: _found(contacts, email), timeout=WAIT_MS / 1000)

        async def scored() -> bool:
            body = (await scoring.get(f"/v1/scores/{person}")).json()
            return sum(len(m.get("entries", [])) for m in body.get("models", [])) >= 4

        await eventually(scored, timeout=WAIT_MS / 1000)
        default = next(
            m for m in (await scoring.get("/v1/scoring-models")).json() if m["id"] == "default"
        )

        async def api_try(points: float) -> dict[str, object]:
            definition = default["definition"]
            rules = [
                {**r, "points": points} if r["id"] == "pricing" else r for r in definition["rules"]
            ]
            answer = await scoring.post(
                "/v1/scoring-models/try",
                json={"definition": {**definition, "rules": rules}, "contact_id": person},
            )
            assert answer.status_code == 200, answer.text
            return dict(answer.json())

        as_is, changed = await api_try(10), await api_try(25)

    async with signed_in(services, marketer) as page:
        await page.get_by_role("link", name="Scoring").click()
        await page.get_by_role("combobox", name="Model").click()
        await page.get_by_role(
            "option", name=f"{default['definition']['name']} (version"
        ).first.click()
        await page.get_by_label("Contact email").fill(email)
        await page.get_by_role("button", name="Try", exact=True).click()
        score = page.get_by_test_id("trial-score")
        await expect(score).to_have_text(
            f"Score {as_is['score']:g} · {as_is['band']}", timeout=WAIT_MS
        )
        pricing = page.get_by_test_id("trial-entry").filter(has_text="Visited pricing")
        await expect(pricing).to_have_count(2)
        await expect(pricing.first).to_contain_text("+10")
        # The marketer raises the pricing rule: the explanation changes before anything is saved.
        points = page.get_by_role("textbox", name="Points of rule pricing")
        await points.fill("25")
        await expect(score).to_have_text(
            f"Score {changed['score']:g} · {changed['band']}", timeout=WAIT_MS
        )
        await expect(pricing.first).to_contain_text("+25")
        await expect(pricing.nth(1)).to_contain_text("(capped from 25)")
        await page.screenshot(path=str(SHOTS / "marketer-scoring-try.png"), full_page=True)
        # A rule worth nothing is refused, at that rule.
        await points.fill("0")
        await expect(page.get_by_text("rule 'pricing' awards 0 points").first).to_be_visible(
            timeout=WAIT_MS
        )
    async with services.client("scoring") as scoring:
        after = next(
            m for m in (await scoring.get("/v1/scoring-models")).json() if m["id"] == "default"
        )
    assert after["version"] == default["version"]  # tried, never saved


async def _saved_segment(services, eventually, name: str, members: int) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    """The segment saved under `name`, once its backfill counts `members`."""
    async with services.client("contacts") as contacts:

        async def saved() -> dict[str, Any] | None:
            found = [s for s in (await contacts.get("/v1/segments")).json() if s["name"] == name]
            return found[0] if found and found[0]["members"] == members else None

        return await eventually(saved, timeout=WAIT_MS / 1000)


async def choose(page, combobox: str, option: str) -> None:  # type: ignore[no-untyped-def]
    """Pick `option` in a Mantine select (a combobox) by its accessible name."""
    await page.get_by_role("combobox", name=combobox).click()
    await page.get_by_role("option", name=option, exact=True).click()


def pricing_visit(event_id: str, email: str) -> dict[str, object]:
    """One visit to /pricing as an integrator sends it."""
    return {
        "event_id": event_id,
        "type": "page",
        "name": "/pricing",
        "contact": {"email": email},
        "properties": {"url": "/pricing"},
    }


async def _found(contacts, email: str) -> str | None:  # type: ignore[no-untyped-def]
    items = (await contacts.get("/v1/contacts", params={"email": email})).json()["items"]
    return str(items[0]["id"]) if items else None


async def test_a_marketer_builds_the_pricing_journey_and_exactly_one_email_goes(  # type: ignore[no-untyped-def]
    services, eventually
) -> None:
    from playwright.async_api import expect

    tag = f"w{uuid4().hex[:8]}"
    marketer = await _user(services, "marketer", tag)
    tried = f"tried.{tag}@example.com"  # the contact the dry run is made on
    async with services.client("contacts") as contacts:
        made = await contacts.post("/v1/contacts", json={"email": tried, "first_name": "Tia"})
        assert made.status_code == 201, made.text
    async with services.client("automation") as automation:

        async def known() -> bool:
            walked = await automation.post(
                "/v1/workflows/dry-run",
                json={
                    "definition": {
                        "name": "probe",
                        "trigger": {"type": "manual"},
                        "steps": [{"id": "t", "type": "create_task", "title": "t"}],
                    },
                    "contact_id": made.json()["id"],
                },
            )
            return walked.status_code == 200

        await eventually(known, timeout=WAIT_MS / 1000)  # automation has heard of Tia
    subject = f"Questions about pricing? {tag}"
    async with signed_in(services, marketer) as page:
        await page.get_by_role("link", name="Workflows").click()
        await page.get_by_label("Name").fill(f"Pricing follow-up {tag}")
        # The trigger starts as "does something 3 times within 7 days"; pricing pages only.
        await expect(page.get_by_role("combobox", name="Trigger")).to_have_value(
            "Someone does something a number of times"
        )
        await page.get_by_label("Page address contains").fill("/pricing")
        await page.get_by_role("combobox", name="Add a step").click()
        await page.get_by_role("option", name="Send an email").click()
        await page.get_by_label("Step 1 subject").fill(subject)
        await page.get_by_label("Step 1 text").fill("Hi {{first_name}}, can we help you choose?")
        # A wait longer than a year is refused, at that step, while it is built.
        await page.get_by_role("combobox", name="Add a step").click()
        await page.get_by_role("option", name="Wait", exact=True).click()
        await page.get_by_role("textbox", name="Step 2 wait").fill("400")  # days
        wait_step = page.get_by_test_id("step").nth(1)
        await expect(wait_step).to_contain_text("less than or equal to", timeout=WAIT_MS)
        await expect(page.get_by_test_id("step").first).not_to_contain_text("less than")
        await page.get_by_role("button", name="Remove step 2").click()
        # Dry run on Tia: the email would go.
        await page.get_by_label("On the contact").fill(tried)
        await page.get_by_role("button", name="Dry run", exact=True).click()
        walk = page.get_by_test_id("dry-run")
        await expect(walk).to_contain_text(f"sends “{subject}”", timeout=WAIT_MS)
        await expect(walk).to_contain_text("completed")
        # Checked as it was built: nothing is marked wrong.
        await expect(page.get_by_role("alert")).to_have_count(0)
        await page.screenshot(path=str(SHOTS / "marketer-workflow-builder.png"), full_page=True)
        await page.get_by_role("button", name="Save as draft").click()
        await expect(page.get_by_text("Workflow saved as a draft")).to_be_visible(timeout=WAIT_MS)
        await page.get_by_role("button", name=f"Activate Pricing follow-up {tag}").click()
        row = page.get_by_test_id("workflow-row").filter(has_text=f"Pricing follow-up {tag}")
        await expect(row).to_contain_text("active", timeout=WAIT_MS)

    # Events through the ingestion API: three pricing visits, then a fourth.
    visitor = f"visitor.{tag}@example.com"
    async with services.client("contacts") as contacts:
        for i in range(4):
            sent = await contacts.post(
                "/v1/events",
                json={"events": [pricing_visit(f"{tag}-visit-{i}", visitor)]},
            )
            assert sent.status_code == 202, sent.text
    mailbox = services.stack.mailbox()

    async def mailed() -> list[dict[str, object]] | None:
        found = [m for m in await mailbox.messages(to=visitor) if subject in str(m.get("subject"))]
        return found or None

    assert len(await eventually(mailed, timeout=WAIT_MS / 1000)) == 1
    async with services.client("automation") as automation:
        workflow = next(
            w
            for w in (await automation.get("/v1/workflows")).json()
            if w["definition"]["name"] == f"Pricing follow-up {tag}"
        )
        trigger = {k: v for k, v in workflow["definition"]["trigger"].items() if v is not None}
        assert trigger == {
            "type": "interaction_count",
            "interaction_type": "page_visit",
            "count": 3,
            "within_days": 7.0,
            "conditions": [{"field": "url", "op": "contains", "value": "/pricing"}],
        }
    # The fourth visit sent nothing more (once everything has settled).
    await eventually(mailed, timeout=WAIT_MS / 1000)
    assert len(await mailed() or []) == 1

    # The workflow's page counts the visitor: enrolled once, through the email, completed.
    async with signed_in(services, marketer) as page:
        await page.get_by_role("link", name="Workflows").click()
        row = page.get_by_test_id("workflow-row").filter(has_text=f"Pricing follow-up {tag}")
        await expect(row.get_by_test_id("workflow-counts")).to_contain_text(
            "0 in progress · 1 completed", timeout=WAIT_MS
        )
        await row.get_by_role("button", name=f"Open Pricing follow-up {tag}").click()
        builder = page.get_by_test_id("workflow-builder")
        await expect(builder.get_by_test_id("workflow-progress")).to_contain_text("1 enrolled")
        await expect(builder.get_by_test_id("workflow-progress")).to_contain_text("1 completed")
        await expect(builder.get_by_test_id("step-progress")).to_have_text("0 here")
        await page.screenshot(path=str(SHOTS / "marketer-workflow-progress.png"), full_page=True)


async def test_a_qualified_lead_is_assigned_and_its_rep_sees_the_call(  # type: ignore[no-untyped-def]
    services, eventually
) -> None:
    from playwright.async_api import async_playwright, expect

    tag = f"q{uuid4().hex[:8]}"
    rep_id = f"rae-{tag}"
    model_id = f"demo-{tag}"
    async with services.client("automation") as automation, services.client("scoring") as scoring:
        made = await automation.put(
            f"/v1/reps/{rep_id}", json={"name": f"Rae {tag}", "weight": 1, "available": True}
        )
        assert made.status_code in (200, 201), made.text
        # A model of this test's own: a demo request is worth the threshold (nobody else's
        # events match it, so no other test's lead qualifies here).
        model = await scoring.post(
            "/v1/scoring-models",
            json={
                "id": model_id,
                "name": f"Demo requests {tag}",
                "rules": [
                    {
                        "id": "demo",
                        "name": "Asked for a demo",
                        "event_name": f"Demo Requested {tag}",
                        "points": 100,
                    }
                ],
                "decay": {"type": "none"},
                "threshold": {"score": 100},
            },
        )
        assert model.status_code == 201, model.text
    marketer = await _user(services, "marketer", tag)
    rep = await _user(services, "rep", tag, rep_id=rep_id)
    base = services.url("console")
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        page = await (await browser.new_context(viewport={"width": 1280, "height": 900})).new_page()
        await _sign_in(page, base, *marketer)
        await page.get_by_role("link", name="Workflows").click()

        await page.get_by_label("Name").fill(f"Qualified to Rae {tag}")
        await choose(page, "Trigger", "A lead qualifies (reaches the score threshold)")
        await choose(page, "By the scoring model", f"Demo requests {tag}")
        await choose(page, "Add a step", "Assign an owner (round-robin)")
        await page.get_by_role("combobox", name="Step 1 reps").click()
        await page.get_by_role("option", name=f"Rae {tag}").click()
        await page.keyboard.press("Escape")
        await choose(page, "Add a step", "Create a task for the owner")
        await page.get_by_label("Step 2 task").fill("Call {{first_name}} about the demo")
        await expect(page.get_by_role("alert")).to_have_count(0)
        await page.get_by_role("button", name="Save as draft").click()
        await expect(page.get_by_text("Workflow saved as a draft")).to_be_visible(timeout=WAIT_MS)
        await page.get_by_role("button", name=f"Activate Qualified to Rae {tag}").click()
        row = page.get_by_test_id("workflow-row").filter(has_text=f"Qualified to Rae {tag}")
        await expect(row).to_contain_text("active", timeout=WAIT_MS)

        # Quinn asks for a demo (through the ingestion API): she qualifies, is Rae's, and Rae
        # has the call on her day.
        async with services.client("contacts") as contacts:
            sent = await contacts.post(
                "/v1/events",
                json={
                    "events": [
                        {
                            "event_id": f"{tag}-who",
                            "type": "identify",
                            "contact": {"email": f"quinn.{tag}@example.com"},
                            "traits": {"first_name": "Quinn"},
                        },
                        {
                            "event_id": f"{tag}-demo",
                            "type": "track",
                            "name": f"Demo Requested {tag}",
                            "contact": {"email": f"quinn.{tag}@example.com"},
                        },
                    ]
                },
            )
            assert sent.status_code == 202, sent.text
        page = await (await browser.new_context(viewport={"width": 1280, "height": 900})).new_page()
        await _sign_in(page, base, *rep)
        await page.get_by_role("link", name="My day").click()
        await expect(page.get_by_text("Call Quinn about the demo")).to_be_visible(timeout=WAIT_MS)
        await page.screenshot(path=str(SHOTS / "rep-qualified-lead-task.png"), full_page=True)
        # The marketer pauses the workflow, then retires it.
        page = await (await browser.new_context(viewport={"width": 1280, "height": 900})).new_page()
        await _sign_in(page, base, *marketer)
        await page.get_by_role("link", name="Workflows").click()
        await row_of(page, tag).get_by_role("button", name=f"Pause Qualified to Rae {tag}").click()
        await expect(row_of(page, tag)).to_contain_text("paused", timeout=WAIT_MS)
        # A toast stays while the pointer rests on it: move it away, as a person would.
        await page.mouse.move(0, 0)
        await expect(page.get_by_text("Workflow changed")).to_be_hidden(timeout=WAIT_MS)
        await (
            row_of(page, tag).get_by_role("button", name=f"Archive Qualified to Rae {tag}").click()
        )
        await expect(row_of(page, tag)).to_contain_text("archived", timeout=WAIT_MS)
        await browser.close()
    async with services.client("contacts") as contacts:
        quinn = (
            await contacts.get("/v1/contacts", params={"email": f"quinn.{tag}@example.com"})
        ).json()["items"][0]
    assert quinn["owner_id"] == rep_id
    async with services.client("scoring") as scoring:  # the stack's later tests score less
        mine = (await scoring.get(f"/v1/scoring-models/{model_id}")).json()
        retired = await scoring.put(
            f"/v1/scoring-models/{model_id}", json={**mine["definition"], "active": False}
        )
        assert retired.status_code == 200, retired.text


def row_of(page, tag: str):  # type: ignore[no-untyped-def]
    return page.get_by_test_id("workflow-row").filter(has_text=f"Qualified to Rae {tag}")


async def test_a_marketer_segments_by_purchases_and_contract_end(services, eventually) -> None:  # type: ignore[no-untyped-def]
    """ "Bought the widget in the last 30 days OR the contract ends within 60 days", by
    clicking; the live count is the API's, and the saved filter says exactly that."""
    from datetime import UTC, date, datetime, timedelta

    from playwright.async_api import expect

    tag = f"p{uuid4().hex[:8]}"
    widget = f"W-{tag}"
    marketer = await _user(services, "marketer", tag)
    now = datetime.now(UTC)
    people = {
        "buyer": 5,  # bought the widget 5 days ago
        "old-buyer": 60,  # 60 days ago
        "renewing": None,  # no purchase, contract ends in 30 days
        "plain": None,
    }
    async with services.client("contacts") as contacts:
        for name, days_ago in people.items():
            fields: dict[str, object] = {"email": f"{name}.{tag}@example.com", "tags": [tag]}
            if name == "renewing":
                fields["contract_end_date"] = (date.today() + timedelta(days=30)).isoformat()
            made = await contacts.post("/v1/contacts", json=fields)
            assert made.status_code == 201, made.text
            if days_ago is not None:
                order = {
                    "event_id": str(uuid4()),
                    "type": "track",
                    "name": "Order Completed",
                    "contact": {"email": f"{name}.{tag}@example.com"},
                    "occurred_at": (now - timedelta(days=days_ago)).isoformat(),
                    "properties": {
                        "amount": 80,
                        "items": [{"sku": widget, "name": "Widget", "price": 80}],
                    },
                }
                sent = await contacts.post("/v1/events", json={"events": [order]})
                assert sent.status_code == 202, sent.text
        wanted = {
            "tags": [tag],
            "any_of": [
                {"purchased": [{"product": widget, "within_days": 30}]},
                {"dates": [{"field": "contract_end_date", "from_days": 0, "to_days": 60}]},
            ],
        }

        async def bought_twice() -> int | None:
            anyone = {"tags": [tag], "purchased": [{"product": widget}]}
            found = await contacts.post("/v1/segments/preview", json={"filter": anyone})
            return 2 if found.json()["members"] == 2 else None

        await eventually(bought_twice)  # both orders are on their records
        counted = (await contacts.post("/v1/segments/preview", json={"filter": wanted})).json()
    assert counted["members"] == 2  # the recent buyer and the renewing one

    async with signed_in(services, marketer) as page:
        await page.get_by_role("link", name="Segments").click()
        await page.get_by_label("Name").fill(f"Recent widget buyers or renewals {tag}")
        await choose(page, "All condition 1 kind", "Has the tag")
        await page.get_by_role("textbox", name="All condition 1 value").fill(tag)
        await page.get_by_role("button", name="Add alternatives (OR)").click()
        await choose(page, "Either group 1 condition 1 kind", "Bought")
        await page.get_by_role("textbox", name="Either group 1 condition 1 product").fill(widget)
        await page.get_by_role("textbox", name="Either group 1 condition 1 within days").fill("30")
        await page.get_by_role("button", name="Add another alternative").click()
        await choose(page, "Either group 2 condition 1 kind", "Contract ends within")
        await page.get_by_role("textbox", name="Either group 2 condition 1 days").fill("60")
        live = page.get_by_test_id("live-count")
        await expect(live).to_have_text("2 contacts match now", timeout=WAIT_MS)
        await page.screenshot(path=str(SHOTS / "marketer-segment-purchases.png"), full_page=True)
        await page.get_by_role("button", name="Save segment").click()
        await expect(page.get_by_text("Segment saved")).to_be_visible(timeout=WAIT_MS)
    name = f"Recent widget buyers or renewals {tag}"
    segment = await _saved_segment(services, eventually, name, 2)
    assert segment["filter"] == wanted
