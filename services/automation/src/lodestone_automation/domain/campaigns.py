"""Email campaigns: one email template sent to a segment's members, now or at a set time.

The audience is frozen when sending starts (a segment that changes afterwards changes
nothing); each member gets the email once, whatever restarts or replicas do, and at the
campaign's pace. What a campaign may do next depends on where it is:

    draft ──send──> sending ──(every recipient done)──> sent
      │               │  ↑
      └─schedule─> scheduled   pause ↓  │ resume
                      │        paused ──┘
                      └─ cancel (also from sending and paused) ──> cancelled
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from lodestone_common.ingest import bounce_kind

from .steps import SendEmailStep, one_sender

State = Literal["draft", "scheduled", "sending", "paused", "sent", "cancelled", "failed"]
# A campaign's job status (lodestone_common.jobs) as people read it.
STATES: dict[str, State] = {
    "draft": "draft",
    "scheduled": "scheduled",
    "running": "sending",
    "interrupted": "sending",  # its process stopped; the next replica continues it
    "paused": "paused",
    "done": "sent",
    "cancelled": "cancelled",
    "failed": "failed",
}
# Which job statuses each command may start from.
SENDABLE = ["draft", "scheduled"]
PAUSABLE = ["running", "interrupted"]
RESUMABLE = ["paused"]
CANCELLABLE = ["scheduled", "running", "interrupted", "paused"]
EDITABLE = ["draft", "scheduled"]

# Recipients' send status; "sending" is in doubt after a crash (see the sender).
Recipient = Literal["queued", "sending", "sent", "skipped", "failed"]
# People who did something with the email, each counted once however often they did it.
REACTIONS = {
    "email_opened": "opened",
    "email_clicked": "clicked",
    "email_unsubscribed": "unsubscribed",
}


# Every reaction a campaign counts: those above, and what bounces say.
REACTED = (*REACTIONS.values(), "bounced", "complained")


def reaction(interaction_type: str, properties: dict[str, Any]) -> str | None:
    """What an email interaction says its recipient did: opened, clicked, unsubscribed,
    bounced (hard), complained; None for a soft bounce (the relay tries again) or others."""
    if interaction_type == "email_bounced":
        return {"hard": "bounced", "complaint": "complained"}.get(bounce_kind(properties))
    return REACTIONS.get(interaction_type)


class CampaignFields(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, populate_by_name=True)

    name: str = Field(min_length=1, max_length=200)
    template_id: str = Field(min_length=1, max_length=64, description="/v1/email-templates")
    template_version: int | None = Field(
        None, ge=1, description="pin a version; else the latest one when sending starts"
    )
    segment_id: str = Field(min_length=1, max_length=100, description="contacts' /v1/segments")
    from_: str | None = Field(None, alias="from", max_length=300)
    rate_per_minute: int = Field(
        600, ge=1, le=60_000, description="emails a minute at most, for the whole campaign"
    )
    domain_rate_per_minute: int = Field(
        120,
        ge=1,
        le=60_000,
        description="emails a minute at most to one recipient domain (gmail.com, …): "
        "receivers throttle senders who flood them",
    )

    @field_validator("from_")
    @classmethod
    def _one_sender(cls, value: str | None) -> str | None:
        return one_sender(value)


class CampaignPatch(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, populate_by_name=True)

    name: str | None = Field(None, min_length=1, max_length=200)
    template_id: str | None = Field(None, min_length=1, max_length=64)
    template_version: int | None = Field(None, ge=1)
    segment_id: str | None = Field(None, min_length=1, max_length=100)
    from_: str | None = Field(None, alias="from", max_length=300)
    rate_per_minute: int | None = Field(None, ge=1, le=60_000)
    domain_rate_per_minute: int | None = Field(None, ge=1, le=60_000)

    @field_validator("from_")
    @classmethod
    def _one_sender(cls, value: str | None) -> str | None:
        return one_sender(value)


class SendRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    at: datetime | None = Field(
        None, description="when to start (with a time zone); absent or past: now"
    )

    @field_validator("at")
    @classmethod
    def _zoned(cls, value: datetime | None) -> datetime | None:
        if value is not None and value.tzinfo is None:
            raise ValueError("give a time zone, e.g. 2027-01-05T09:00:00+01:00")
        return value


def state_of(doc: dict[str, Any]) -> State:
    return STATES.get(doc.get("status", "draft"), "failed")


def email_step(campaign: dict[str, Any]) -> SendEmailStep:
    """The campaign's email as a workflow's email step: the same composer, tracking,
    unsubscribe headers and Message-IDs serve both."""
    return SendEmailStep.model_validate(
        {
            "id": "campaign",
            "type": "send_email",
            "template_id": campaign["template_id"],
            "template_version": campaign.get("frozen_version") or campaign.get("template_version"),
            "from": campaign.get("from"),
        }
    )


def recipient_id(campaign_id: str, contact_id: str) -> str:
    """One recipient record per person and campaign: the key of "exactly once"."""
    return f"{campaign_id}:{contact_id}"


def domain_of(address: str) -> str:
    return address.rpartition("@")[2].lower()


def results(counts: dict[str, int], audience: int) -> dict[str, Any]:
    """What the campaign did, in people: sent, delivered (accepted and not bounced), bounced,
    opened, clicked, unsubscribed, and the rates of those sent."""
    sent = counts.get("sent", 0)
    bounced = counts.get("bounced", 0)

    def rate(n: int) -> float | None:
        return round(n / sent, 4) if sent else None

    return {
        "audience": audience,
        "queued": counts.get("queued", 0) + counts.get("sending", 0),
        "sent": sent,
        "skipped": counts.get("skipped", 0),
        "failed": counts.get("failed", 0),
        "delivered": max(sent - bounced, 0),
        "bounced": bounced,
        "opened": counts.get("opened", 0),
        "clicked": counts.get("clicked", 0),
        "unsubscribed": counts.get("unsubscribed", 0),
        "complained": counts.get("complained", 0),
        "open_rate": rate(counts.get("opened", 0)),
        "click_rate": rate(counts.get("clicked", 0)),
        "bounce_rate": rate(bounced),
        "progress": round(1 - (counts.get("queued", 0) + counts.get("sending", 0)) / audience, 4)
        if audience
        else None,
    }


# What a recipient record keeps of the contact: what templates and the consent check read.
KEPT = (
    "email",
    "first_name",
    "last_name",
    "company",
    "title",
    "phone",
    "country",
    "lifecycle_stage",
    "owner_id",
    "consent",
    "unsubscribed",
    "custom",
)


def recipient(campaign_id: str, contact: dict[str, Any]) -> dict[str, Any]:
    return {
        "_id": recipient_id(campaign_id, contact["id"]),
        "campaign_id": campaign_id,
        "contact_id": contact["id"],
        "email": contact.get("email"),
        "contact": {k: contact[k] for k in KEPT if contact.get(k) is not None},
        "status": "queued",
    }
