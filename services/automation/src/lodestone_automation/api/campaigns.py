"""`/v1/campaigns`: an email template sent to a segment, now or at a set time, once per person."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal
from uuid import uuid4

from fastapi import APIRouter, HTTPException, Query, status
from pydantic import BaseModel, Field

from lodestone_common.auth import ApiKey, Scope
from lodestone_common.envelope import utcnow
from lodestone_common.http import invalid

from ..domain.campaigns import (
    CANCELLABLE,
    EDITABLE,
    PAUSABLE,
    RESUMABLE,
    SENDABLE,
    CampaignFields,
    CampaignPatch,
    SendRequest,
    State,
    results,
    state_of,
)
from ..domain.workflows import sender_domain
from .deps import AutomationDep, ContactsDep, RunnerDep, SenderDep

router = APIRouter(prefix="/v1/campaigns", tags=["campaigns"])


class Results(BaseModel):
    audience: int = Field(description="recipients frozen when sending began")
    queued: int = Field(description="still to send")
    sent: int
    skipped: int = Field(description="not sent: no consent, suppressed, no address")
    failed: int
    delivered: int = Field(description="accepted by the relay and not bounced")
    bounced: int
    opened: int = Field(description="people, not opens")
    clicked: int = Field(description="people, not clicks or links")
    unsubscribed: int
    complained: int
    open_rate: float | None
    click_rate: float | None
    bounce_rate: float | None
    progress: float | None = Field(description="share of the audience done, 0 to 1")


class Campaign(BaseModel):
    id: str
    name: str
    template_id: str
    template_version: int | None = Field(description="pinned; else the latest when sent")
    sent_version: int | None = Field(None, description="the version being or that was sent")
    segment_id: str
    from_: str | None = Field(None, alias="from", serialization_alias="from")
    rate_per_minute: int
    domain_rate_per_minute: int
    state: State
    stopping: Literal["pause", "cancel"] | None = Field(
        None, description="asked to; it stops after the batch in flight"
    )
    send_at: datetime | None = None
    problem: str | None = Field(None, description="why sending failed")
    results: Results | None = None
    created_at: datetime
    created_by: str
    started_at: datetime | None = None
    finished_at: datetime | None = None


def view(doc: dict[str, Any], counts: dict[str, int] | None = None) -> Campaign:
    checkpoint = doc.get("checkpoint") or {}
    return Campaign.model_validate(
        {
            **doc,
            "id": doc["_id"],
            "state": state_of(doc),
            "stopping": doc.get("requested"),
            "sent_version": checkpoint.get("version"),
            "send_at": doc.get("not_before"),
            "problem": checkpoint.get("problem") or doc.get("reason"),
            "started_at": doc.get("started_at") if doc.get("status") != "draft" else None,
            "results": results(counts, counts["audience"]) if counts else None,
        }
    )


class RecipientOut(BaseModel):
    contact_id: str
    email: str | None
    status: str
    reason: str | None = None
    sent_at: datetime | None = None
    opened_at: datetime | None = None
    clicked_at: datetime | None = None
    bounced_at: datetime | None = None
    unsubscribed_at: datetime | None = None
    complained_at: datetime | None = None


class RecipientPage(BaseModel):
    items: list[RecipientOut]
    next_cursor: str | None


async def _checked(
    fields: dict[str, Any], automation: AutomationDep, runner: RunnerDep, contacts: ContactsDep
) -> None:
    """The template, the segment and the sender exist and are allowed, or 422 naming which."""
    if "template_id" in fields or "template_version" in fields:
        template = fields["template_id"]
        found = await automation.stores.email_templates.version(
            template, fields.get("template_version")
        )
        if found is None:
            raise invalid(
                "body", "template_id", f"no email template {template!r} (of that version)"
            )
    if fields.get("from") and sender_domain(fields["from"]) not in runner.settings.sender_domains():
        raise invalid("body", "from", "not a domain this installation sends from")
    if "segment_id" in fields:
        try:
            answer = await contacts.get(f"/v1/segments/{fields['segment_id']}", {})
        except Exception as exc:
            raise HTTPException(
                status.HTTP_503_SERVICE_UNAVAILABLE, "contacts did not answer; try again"
            ) from exc
        if answer.status_code == 404:
            raise invalid("body", "segment_id", f"no segment {fields['segment_id']!r}")
        if answer.status_code >= 400:
            raise HTTPException(
                status.HTTP_503_SERVICE_UNAVAILABLE,
                f"contacts answered {answer.status_code} about the segment",
            )


async def _found(automation: AutomationDep, campaign_id: str) -> dict[str, Any]:
    doc = await automation.stores.campaigns.get(campaign_id)
    if doc is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no campaign {campaign_id!r}")
    return doc


def _wrong_state(doc: dict[str, Any], what: str) -> HTTPException:
    return HTTPException(
        status.HTTP_409_CONFLICT, f"campaign {doc['_id']!r} is {state_of(doc)}: it cannot {what}"
    )


@router.post(
    "", status_code=status.HTTP_201_CREATED, response_model=Campaign, summary="Draft a campaign"
)
async def create_campaign(
    body: CampaignFields,
    automation: AutomationDep,
    runner: RunnerDep,
    contacts: ContactsDep,
    key: ApiKey = Scope("emails:write"),
) -> Campaign:
    fields = body.model_dump(by_alias=True)
    await _checked(fields, automation, runner, contacts)
    doc = {
        "_id": f"cmp_{uuid4().hex[:16]}",
        **fields,
        "status": "draft",
        "checkpoint": None,
        "created_at": utcnow(),
        "created_by": key.name,
    }
    await automation.stores.campaigns.create(doc)
    return view(doc)


@router.get("", response_model=list[Campaign], summary="Campaigns, newest first")
async def list_campaigns(
    automation: AutomationDep,
    limit: int = Query(100, ge=1, le=500),
    key: ApiKey = Scope("emails:read"),
) -> list[Campaign]:
    return [view(d) for d in await automation.stores.campaigns.page(limit)]


@router.get(
    "/{campaign_id}", response_model=Campaign, summary="A campaign, its progress and results"
)
async def get_campaign(
    campaign_id: str, automation: AutomationDep, key: ApiKey = Scope("emails:read")
) -> Campaign:
    doc = await _found(automation, campaign_id)
    audience = (doc.get("checkpoint") or {}).get("audience")
    return view(doc, await automation.stores.campaigns.counts(campaign_id, audience))


@router.patch(
    "/{campaign_id}", response_model=Campaign, summary="Change a draft or scheduled campaign"
)
async def change_campaign(
    campaign_id: str,
    body: CampaignPatch,
    automation: AutomationDep,
    runner: RunnerDep,
    contacts: ContactsDep,
    key: ApiKey = Scope("emails:write"),
) -> Campaign:
    doc = await _found(automation, campaign_id)
    fields = body.model_dump(by_alias=True, exclude_unset=True)
    if "template_version" in fields and "template_id" not in fields:
        fields["template_id"] = doc["template_id"]
    await _checked(fields, automation, runner, contacts)
    changed = await automation.stores.campaigns.change(campaign_id, fields, EDITABLE)
    if changed is None:
        raise _wrong_state(doc, "change any more")
    return view(changed)


@router.delete("/{campaign_id}", status_code=status.HTTP_204_NO_CONTENT, summary="Delete a draft")
async def delete_campaign(
    campaign_id: str, automation: AutomationDep, key: ApiKey = Scope("emails:write")
) -> None:
    doc = await _found(automation, campaign_id)
    if not await automation.stores.campaigns.delete(campaign_id, ["draft"]):
        raise _wrong_state(doc, "be deleted (cancel it instead; what was sent stays on record)")


@router.post(
    "/{campaign_id}/send",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=Campaign,
    summary="Send now, or at `at`",
    description="The audience is the segment's members when sending starts; each gets the "
    "email once. Sending is paced by the campaign's rates and skips anyone without email "
    "consent (the installation's consent policy), unsubscribed or suppressed.",
)
async def send_campaign(
    campaign_id: str,
    body: SendRequest,
    automation: AutomationDep,
    sender: SenderDep,
    key: ApiKey = Scope("emails:write"),
) -> Campaign:
    doc = await _found(automation, campaign_id)
    if body.at is not None and body.at > utcnow():
        started = await sender.jobs.schedule(campaign_id, body.at, SENDABLE)
    else:
        started = await sender.jobs.launch(campaign_id, SENDABLE)
    if not started:
        raise _wrong_state(doc, "be sent (again)")
    return view(await _found(automation, campaign_id))


@router.post(
    "/{campaign_id}/pause",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=Campaign,
    summary="Pause sending (after the batch in flight)",
)
async def pause_campaign(
    campaign_id: str,
    automation: AutomationDep,
    sender: SenderDep,
    key: ApiKey = Scope("emails:write"),
) -> Campaign:
    doc = await _found(automation, campaign_id)
    paused = await sender.jobs.request(campaign_id, "pause", PAUSABLE)
    if paused is None:
        raise _wrong_state(doc, "be paused")
    return view(paused)


@router.post(
    "/{campaign_id}/resume",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=Campaign,
    summary="Go on sending a paused campaign where it stopped",
)
async def resume_campaign(
    campaign_id: str,
    automation: AutomationDep,
    sender: SenderDep,
    key: ApiKey = Scope("emails:write"),
) -> Campaign:
    doc = await _found(automation, campaign_id)
    if not await sender.jobs.launch(campaign_id, RESUMABLE):
        raise _wrong_state(doc, "be resumed")
    return view(await _found(automation, campaign_id))


@router.post(
    "/{campaign_id}/cancel",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=Campaign,
    summary="Cancel: nobody else gets it (what was sent stays on record)",
)
async def cancel_campaign(
    campaign_id: str,
    automation: AutomationDep,
    sender: SenderDep,
    key: ApiKey = Scope("emails:write"),
) -> Campaign:
    doc = await _found(automation, campaign_id)
    stopped = {"status": "cancelled", "finished_at": utcnow(), "holder": None}
    # Nothing runs a scheduled or paused one: cancelled at once. A sending one stops itself.
    done = await automation.stores.campaigns.change(campaign_id, stopped, ["scheduled", "paused"])
    if done is None:
        done = await sender.jobs.request(campaign_id, "cancel", CANCELLABLE)
    if done is None:
        raise _wrong_state(doc, "be cancelled")
    return view(done)


@router.get(
    "/{campaign_id}/recipients",
    response_model=RecipientPage,
    summary="Each recipient: sent or why not, and what they did with the email",
)
async def campaign_recipients(
    campaign_id: str,
    automation: AutomationDep,
    status_: Literal["queued", "sending", "sent", "skipped", "failed"] | None = Query(
        None, alias="status"
    ),
    cursor: str | None = Query(None, max_length=200),
    limit: int = Query(100, ge=1, le=1000),
    key: ApiKey = Scope("emails:read"),
) -> RecipientPage:
    await _found(automation, campaign_id)
    store = automation.stores.campaigns
    rows = await store.recipients_page(campaign_id, status_, cursor, limit)
    reactions = await store.reactions_of([r["_id"] for r in rows])
    items = [
        RecipientOut(
            **{k: v for k, v in r.items() if k in RecipientOut.model_fields},
            **{f"{what}_at": at for what, at in reactions.get(r["_id"], {}).items()},
        )
        for r in rows
    ]
    return RecipientPage(items=items, next_cursor=rows[-1]["_id"] if len(rows) == limit else None)
