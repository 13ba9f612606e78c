"""Email templates: MJML with personal fields, checked when saved, rendered per contact."""

from __future__ import annotations

import re
from uuid import uuid4

import httpx
import pytest

from lodestone_automation.domain.email_templates import (
    TemplateDraft,
    TemplateProblem,
    compile_draft,
    render,
)

BODY = """<mjml><mj-body><mj-section><mj-column>
<mj-text>Hi {{ first_name or "there" }}{% if company %} from {{ company }}{% endif %},
plan: {{ custom.plan or "none" }}. <a href="https://example.com/guide">The guide</a></mj-text>
<mj-button href="https://example.com/pricing">See plans</mj-button>
<mj-text><a href="{{ unsubscribe_url }}">Unsubscribe</a></mj-text>
</mj-column></mj-section></mj-body></mjml>"""


def draft(**changes: str) -> TemplateDraft:
    fields = {"name": "Welcome", "subject": "Welcome, {{ first_name or 'friend' }}", "mjml": BODY}
    return TemplateDraft(**{**fields, **changes})


def test_fields_fill_in_escaped_with_fallbacks_and_a_text_part_with_links() -> None:
    compiled = compile_draft(draft())
    assert compiled.fields == {"first_name", "company", "custom", "unsubscribe_url"}
    mail = render(
        compiled,
        {"first_name": "<b>Zoe</b>", "company": "Acme & Co", "custom": {"plan": "pro"}},
        {"unsubscribe_url": "https://u.example/t"},
    )
    assert mail.subject == "Welcome, <b>Zoe</b>"  # the subject is text, not HTML
    assert "&lt;b&gt;Zoe&lt;/b&gt; from Acme &amp; Co" in mail.html and "<b>Zoe" not in mail.html
    assert "<table" in mail.html  # MJML's email-safe layout
    assert mail.text.startswith("Hi <b>Zoe</b> from Acme & Co,")
    assert "[See plans](https://example.com/pricing)" in mail.text
    assert "[Unsubscribe](https://u.example/t)" in mail.text
    bare = render(compiled, {}, {"unsubscribe_url": "https://u.example/t"})
    assert bare.subject == "Welcome, friend" and "Hi there, plan: none." in bare.text


@pytest.mark.parametrize(
    ("changes", "field", "says"),
    [
        ({"subject": "Hi {{ frist_name }}"}, "subject", "unknown field 'frist_name'"),
        ({"subject": "Hi {% if %}"}, "subject", "line 1"),
        ({"subject": "Hi\r\nBcc: x@evil.test"}, "subject", "one line"),
        ({"mjml": "<mjml><mj-body><mj-section>"}, "mjml", "not valid MJML"),
        ({"mjml": BODY.replace("{{ company }}", "{{ compnay }}")}, "mjml", "'compnay'"),
        ({"mjml": BODY.replace("The guide", "{{ ''.__class__ }}")}, "mjml", "unsafe"),
        ({"text": "Hi {{ nope }}"}, "text", "unknown field 'nope'"),
    ],
)
def test_a_template_that_cannot_work_is_refused_where_it_is_wrong(
    changes: dict[str, str], field: str, says: str
) -> None:
    with pytest.raises(TemplateProblem) as caught:
        compile_draft(draft(**changes))
    assert caught.value.field == field and says in caught.value.message


async def test_templates_are_versioned_previewed_for_a_contact_and_test_sent(  # type: ignore[no-untyped-def]
    services, eventually
) -> None:
    tag = uuid4().hex[:6]
    email = f"tpl.{tag}@example.com"
    async with services.client("contacts") as contacts, services.client("automation") as http:
        person = (
            await contacts.post(
                "/v1/contacts", json={"email": email, "first_name": "Grace", "company": "Navy"}
            )
        ).json()
        refused = await http.post(
            "/v1/email-templates", json={**draft().model_dump(), "subject": "{{ nope }}"}
        )
        assert (
            refused.status_code == 422 and refused.json()["details"][0]["field"] == "body.subject"
        )
        made = await http.post(
            "/v1/email-templates", json=draft(name=f"Welcome {tag}").model_dump()
        )
        assert made.status_code == 201, made.text
        template = made.json()
        assert template["version"] == 1 and "first_name" in template["fields"]
        second = await http.put(
            f"/v1/email-templates/{template['id']}",
            json=draft(name=f"Welcome {tag}", subject="Hello {{ first_name }}").model_dump(),
        )
        assert second.status_code == 200 and second.json()["version"] == 2
        listed = (await http.get("/v1/email-templates")).json()
        assert [t["version"] for t in listed if t["id"] == template["id"]] == [2]
        history = (await http.get(f"/v1/email-templates/{template['id']}/versions")).json()
        assert [v["version"] for v in history] == [2, 1]
        first = (await http.get(f"/v1/email-templates/{template['id']}/versions/1")).json()
        assert first["subject"].startswith("Welcome")

        async def previewed() -> dict | None:  # type: ignore[type-arg]
            shown = await http.post(
                f"/v1/email-templates/{template['id']}/preview",
                json={"contact_id": person["id"]},
            )
            return shown.json() if shown.status_code == 200 else None  # 404 until it knows them

        shown = await eventually(previewed, timeout=60)
        assert shown["subject"] == "Hello Grace" and "Grace from Navy" in shown["text"]
        old = await http.post(f"/v1/email-templates/{template['id']}/preview", json={"version": 1})
        assert old.json()["subject"] == "Welcome, Ada"  # the sample contact
        # A draft, unsaved, as the editor shows it while it is written; its errors as saving's.
        typed = draft(subject="Draft for {{ first_name }}").model_dump()
        unsaved = await http.post(
            "/v1/email-templates/preview", json={**typed, "contact_id": person["id"]}
        )
        assert unsaved.status_code == 200, unsaved.text
        assert unsaved.json()["subject"] == "Draft for Grace"
        assert unsaved.json()["version"] is None and "Grace from Navy" in unsaved.json()["text"]
        broken = await http.post(
            "/v1/email-templates/preview", json={**typed, "subject": "Hi {{ frist_name }}"}
        )
        assert broken.status_code == 422
        assert broken.json()["details"][0]["field"] == "body.subject"
        assert "frist_name" in broken.json()["details"][0]["message"]
        versions = (await http.get(f"/v1/email-templates/{template['id']}/versions")).json()
        assert len(versions) == 2  # previewing saved nothing
        bad_to = await http.post(
            f"/v1/email-templates/{template['id']}/test-send", json={"to": "a@x.io, b@y.io"}
        )
        assert bad_to.status_code == 422
        sent = await http.post(
            f"/v1/email-templates/{template['id']}/test-send",
            json={"to": email, "contact_id": person["id"]},
        )
        assert sent.status_code == 202, sent.text
    (caught,) = await services.stack.mailbox().messages(to=email)
    assert caught["subject"] == "[Test] Hello Grace"
    assert "Grace from Navy" in caught["text"] and "Grace from Navy" in caught["html"]
    assert caught["headers"]["Content-Type"].startswith("multipart/alternative")
    async with services.client("automation", key=services.key_for("workflows:read")) as reader:
        assert (await reader.get("/v1/email-templates")).status_code == 403


async def test_a_workflow_sends_a_template_tracked_and_refuses_one_that_is_not_there(  # type: ignore[no-untyped-def]
    services, eventually
) -> None:
    tag = uuid4().hex[:6]
    email = f"tplwf.{tag}@example.com"
    async with services.client("contacts") as contacts, services.client("automation") as http:
        person = (await contacts.post("/v1/contacts", json={"email": email})).json()
        template = (
            await http.post("/v1/email-templates", json=draft(name=f"Flow {tag}").model_dump())
        ).json()
        step = {"id": "mail", "type": "send_email", "template_id": "tpl_nope"}
        definition = {"name": f"tpl flow {tag}", "trigger": {"type": "manual"}, "steps": [step]}
        refused = await http.post("/v1/workflows", json=definition)
        assert refused.status_code == 422 and "steps.0.template_id" in refused.text
        both = {**step, "template_id": template["id"], "subject": "x", "body": "y"}
        refused = await http.post("/v1/workflows/validate", json={**definition, "steps": [both]})
        assert refused.status_code == 422 and "not both" in refused.text
        step["template_id"] = template["id"]
        made = await http.post("/v1/workflows", json=definition)
        assert made.status_code == 201, made.text
        workflow_id = made.json()["id"]
        await http.post(f"/v1/workflows/{workflow_id}/activate")

        async def enrolled() -> bool:
            answer = await http.post(
                f"/v1/workflows/{workflow_id}/enrollments", json={"contact_id": person["id"]}
            )
            return answer.status_code == 201  # 404 until automation knows the contact

        await eventually(enrolled, timeout=60)

    async def delivered() -> list[dict]:  # type: ignore[type-arg]
        return await services.stack.mailbox().messages(to=email)

    (caught,) = await eventually(delivered, timeout=60)
    assert caught["subject"] == "Welcome, friend"
    html = caught["html"]
    assert (
        "/t/open/" in html and "/unsubscribe/" in html and "https://example.com/pricing" not in html
    )
    (click,) = [
        u for u in re.findall(r'href="([^"]+)"', html) if "/t/click/" in u and "pricing" in u
    ]
    async with httpx.AsyncClient() as browser:
        followed = await browser.get(click.replace("&amp;", "&"))
    assert (
        followed.status_code == 302
        and followed.headers["location"] == "https://example.com/pricing"
    )
