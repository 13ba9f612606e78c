"""`/v1/campaigns`: an email template sent to a segment, now or at a set time, once per person."""

from __future__ import annotations

from typing import Any, Literal
from uuid import uuid4

from fastapi import APIRouter, HTTPException, Query, status

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
    state_of,
)
from ..domain.workflows import sender_domain
from .campaign_views import Campaign, RecipientOut, RecipientPage, view
from .deps import AutomationDep, ContactsDep, RunnerDep, SenderDep

router = APIRouter(prefix="/v1/campaigns", tags=["campaigns"])


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
