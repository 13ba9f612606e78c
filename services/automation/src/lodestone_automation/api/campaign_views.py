"""What `/v1/campaigns` answers: a campaign with its state and results, and its recipients."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

from ..domain.campaigns import State, results, state_of


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
