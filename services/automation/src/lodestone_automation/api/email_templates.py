"""`/v1/email-templates`: MJML emails with personal fields, versioned, previewed, test-sent."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import uuid4

from fastapi import APIRouter, HTTPException, status
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ConfigDict, Field

from lodestone_common.auth import ApiKey, Scope
from lodestone_common.envelope import utcnow
from lodestone_common.http import invalid

from ..domain.email_templates import (
    KNOWN,
    SAMPLE,
    Compiled,
    TemplateDraft,
    TemplateProblem,
    compile_draft,
    render,
)
from ..domain.workflows import sender_domain
from .deps import AutomationDep, RunnerDep

router = APIRouter(prefix="/v1/email-templates", tags=["email templates"])

DESCRIPTION = (
    "The body is MJML (https://documentation.mjml.io); fields are Jinja: `{{ first_name }}`, "
    '`{{ first_name or "there" }}` (a fallback), `{% if company %}…{% endif %}` (inside a '
    "text block), `{{ custom.plan }}` for a custom field. Fields: "
    + ", ".join(f"`{f}`" for f in sorted(KNOWN))
    + ". A field no contact can have is refused (422), never a blank in a sent email."
)


class TemplateVersion(BaseModel):
    version: int
    created_at: datetime
    created_by: str


class EmailTemplate(BaseModel):
    id: str
    name: str
    version: int
    subject: str
    mjml: str
    text: str | None
    fields: list[str] = Field(description="the fields it uses")
    created_at: datetime
    updated_at: datetime
    updated_by: str


class Preview(BaseModel):
    subject: str
    html: str
    text: str
    version: int | None = Field(description="the version shown (none: an unsaved draft)")
    contact_id: str | None = Field(description="whose fields filled it (none: a sample)")


class PreviewRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    contact_id: str | None = Field(None, max_length=100, description="none: a sample contact")
    version: int | None = Field(None, ge=1, description="none: the latest")


class DraftPreview(TemplateDraft):
    contact_id: str | None = Field(None, max_length=100, description="none: a sample contact")


class TestSend(PreviewRequest):
    to: str = Field(min_length=3, max_length=254, description="one address")


class TestSent(BaseModel):
    to: str
    subject: str


def _problem(exc: TemplateProblem) -> RequestValidationError:
    return invalid("body", exc.field, exc.message)


def _compiled(draft: TemplateDraft) -> Compiled:
    try:
        return compile_draft(draft)
    except TemplateProblem as exc:
        raise _problem(exc) from exc


def _out(head: dict[str, Any], version: dict[str, Any]) -> EmailTemplate:
    return EmailTemplate(
        id=head["_id"],
        **{k: head[k] for k in ("name", "created_at", "updated_at", "updated_by")},
        **{k: version.get(k) for k in ("version", "subject", "mjml", "text")},
        fields=version.get("fields", []),
    )


def _version(
    draft: TemplateDraft, compiled: Compiled, template_id: str, who: str
) -> dict[str, Any]:
    return {
        "_id": f"{template_id}:{uuid4().hex[:8]}",
        "template_id": template_id,
        **draft.model_dump(exclude={"name"}),
        "html": compiled.html,
        "fields": sorted(compiled.fields),
        "created_at": utcnow(),
        "created_by": who,
    }


@router.post(
    "",
    response_model=EmailTemplate,
    status_code=status.HTTP_201_CREATED,
    summary="Create a template (version 1)",
    description=DESCRIPTION,
)
async def create(
    draft: TemplateDraft, automation: AutomationDep, key: ApiKey = Scope("emails:write")
) -> EmailTemplate:
    compiled = _compiled(draft)
    template_id = f"tpl_{uuid4().hex[:12]}"
    now = utcnow()
    version = {**_version(draft, compiled, template_id, key.name), "version": 1}
    head = {
        "_id": template_id,
        "name": draft.name,
        "version": 1,
        "created_at": now,
        "updated_at": now,
        "updated_by": key.name,
    }
    await automation.stores.email_templates.create(head, version)
    return _out(head, version)


@router.get("", response_model=list[EmailTemplate], summary="Every template, latest versions")
async def list_templates(
    automation: AutomationDep, key: ApiKey = Scope("emails:read")
) -> list[EmailTemplate]:
    store = automation.stores.email_templates
    heads = await store.all()
    versions = await store.current(heads)
    return [_out(h, versions[h["_id"]]) for h in heads if h["_id"] in versions]


async def _found(
    automation: AutomationDep, template_id: str, number: int | None = None
) -> tuple[dict[str, Any], dict[str, Any]]:
    store = automation.stores.email_templates
    head = await store.get(template_id)
    version = await store.version(template_id, number) if head else None
    if head is None or version is None:
        what = f"template {template_id!r}" + (f" version {number}" if number else "")
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no {what}")
    return head, version


@router.get("/{template_id}", response_model=EmailTemplate, summary="A template, latest version")
async def get_template(
    template_id: str, automation: AutomationDep, key: ApiKey = Scope("emails:read")
) -> EmailTemplate:
    return _out(*await _found(automation, template_id))


@router.put(
    "/{template_id}",
    response_model=EmailTemplate,
    summary="Save a new version",
    description="Earlier versions stay readable; " + DESCRIPTION,
)
async def save_version(
    template_id: str,
    draft: TemplateDraft,
    automation: AutomationDep,
    key: ApiKey = Scope("emails:write"),
) -> EmailTemplate:
    compiled = _compiled(draft)
    head = await automation.stores.email_templates.add_version(
        template_id,
        _version(draft, compiled, template_id, key.name),
        {"name": draft.name, "updated_at": utcnow(), "updated_by": key.name},
    )
    if head is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no template {template_id!r}")
    return _out(*await _found(automation, template_id, head["version"]))


@router.get("/{template_id}/versions", response_model=list[TemplateVersion], summary="Its versions")
async def versions(
    template_id: str, automation: AutomationDep, key: ApiKey = Scope("emails:read")
) -> list[TemplateVersion]:
    await _found(automation, template_id)
    history = await automation.stores.email_templates.history(template_id)
    return [TemplateVersion(**v) for v in history]


@router.get("/{template_id}/versions/{number}", response_model=EmailTemplate, summary="One version")
async def one_version(
    template_id: str,
    number: int,
    automation: AutomationDep,
    key: ApiKey = Scope("emails:read"),
) -> EmailTemplate:
    return _out(*await _found(automation, template_id, number))


async def _render(automation: AutomationDep, template_id: str, ask: PreviewRequest) -> Preview:
    _, version = await _found(automation, template_id, ask.version)
    return await _shown(automation, Compiled.saved(version), ask.contact_id, version["version"])


async def _shown(
    automation: AutomationDep, compiled: Compiled, contact_id: str | None, version: int | None
) -> Preview:
    contact: dict[str, Any] = SAMPLE
    if contact_id is not None:
        contact = await automation.stores.audience.contact(contact_id)
        if set(contact) == {"_id"}:
            raise HTTPException(status.HTTP_404_NOT_FOUND, f"no contact {contact_id!r}")
    try:
        shown = render(
            compiled, contact, {"unsubscribe_url": "https://example.invalid/unsubscribe"}
        )
    except TemplateProblem as exc:  # rendered fine for the sample; not for this contact
        raise _problem(exc) from exc
    return Preview(
        subject=shown.subject,
        html=shown.html,
        text=shown.text,
        version=version,
        contact_id=contact_id,
    )


@router.post(
    "/preview",
    response_model=Preview,
    summary="A draft as a contact would get it, nothing saved",
    description="What the editor shows while a template is written: errors as saving would "
    "answer them. " + DESCRIPTION,
)
async def preview_draft(
    ask: DraftPreview, automation: AutomationDep, key: ApiKey = Scope("emails:read")
) -> Preview:
    draft = TemplateDraft.model_validate(ask.model_dump(exclude={"contact_id"}))
    return await _shown(automation, _compiled(draft), ask.contact_id, None)


@router.post(
    "/{template_id}/preview",
    response_model=Preview,
    summary="The email a contact would get",
    description="Rendered with the contact's fields (a sample contact without one); the "
    "unsubscribe link is a placeholder.",
)
async def preview(
    template_id: str,
    ask: PreviewRequest,
    automation: AutomationDep,
    key: ApiKey = Scope("emails:read"),
) -> Preview:
    return await _render(automation, template_id, ask)


@router.post(
    "/{template_id}/test-send",
    response_model=TestSent,
    status_code=status.HTTP_202_ACCEPTED,
    summary="Send the preview to one address",
    description="Subject marked `[Test]`; nothing is recorded against the contact.",
)
async def test_send(
    template_id: str,
    ask: TestSend,
    automation: AutomationDep,
    runner: RunnerDep,
    key: ApiKey = Scope("emails:write"),
) -> TestSent:
    if sender_domain(ask.to) is None:
        raise invalid("body", "to", "one address, e.g. ada@example.com")
    shown = await _render(automation, template_id, ask)
    subject = f"[Test] {shown.subject}"
    await runner.performer.mailer.send(
        ask.to, subject, shown.text, f"test:{template_id}:{uuid4().hex}", html=shown.html
    )
    return TestSent(to=ask.to, subject=subject)
