"""Which interaction an ingested event is, and the properties each kind must carry."""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from lodestone_common.events import InteractionType
from lodestone_common.ingest import IngestEvent

# Track names integrators commonly send, in any case, with spaces, underscores or dashes.
_CANONICAL: dict[str, InteractionType] = {
    "page viewed": "page_visit",
    "page visit": "page_visit",
    "site visit": "page_visit",
    "email sent": "email_sent",
    "email opened": "email_opened",
    "email clicked": "email_clicked",
    "email link clicked": "email_clicked",
    "email bounced": "email_bounced",
    "email unsubscribed": "email_unsubscribed",
    "unsubscribed": "email_unsubscribed",
    "form submitted": "form_submitted",
    "call logged": "call_logged",
    "call": "call_logged",
    "meeting held": "meeting_held",
    "meeting": "meeting_held",
    "purchase": "purchase",
    "order completed": "purchase",
}

CHANNELS: dict[str, str] = {
    "page_visit": "web",
    "email_sent": "email",
    "email_opened": "email",
    "email_clicked": "email",
    "email_bounced": "email",
    "email_unsubscribed": "email",
    "form_submitted": "web",
    "call_logged": "phone",
    "meeting_held": "meeting",
    "purchase": "commerce",
    "identify": "identity",
    "custom": "custom",
}


def interaction_type(event: IngestEvent) -> InteractionType:
    if event.type == "page":
        return "page_visit"
    if event.type == "identify":
        return "identify"
    key = re.sub(r"[\s_\-]+", " ", (event.name or "").strip().lower())
    return _CANONICAL.get(key, "custom")


def interaction_name(event: IngestEvent) -> str:
    if event.name:
        return event.name
    if event.type == "page":
        # A page's URL may be longer than a name is (an interaction's is 200 at most).
        return str(event.properties.get("url") or event.properties.get("path") or "page")[:200]
    return event.type


class _Props(BaseModel):
    model_config = ConfigDict(extra="allow")


class CallProperties(_Props):
    direction: Literal["made", "received"]
    duration_seconds: float = Field(ge=0, le=86_400)
    outcome: str | None = Field(default=None, max_length=100)


class MeetingProperties(_Props):
    duration_minutes: float | None = Field(default=None, ge=0, le=24 * 60)


class PurchaseItem(BaseModel):
    model_config = ConfigDict(extra="allow")

    sku: str | None = Field(default=None, max_length=100)
    name: str = Field(min_length=1, max_length=200)
    quantity: int = Field(default=1, ge=1, le=1_000_000)
    price: float = Field(ge=0, le=1e12)


class PurchaseProperties(_Props):
    amount: float = Field(ge=0, le=1e12)
    currency: str = Field(default="USD", pattern=r"^[A-Z]{3}$")
    items: list[PurchaseItem] = Field(default_factory=list, max_length=500)


class EmailProperties(_Props):
    campaign_id: str | None = Field(default=None, max_length=200)
    email_id: str | None = Field(default=None, max_length=200)
    url: str | None = Field(default=None, max_length=2000)


class FormProperties(_Props):
    form_id: str | None = Field(default=None, max_length=200)


_RULES: dict[str, type[_Props]] = {
    "call_logged": CallProperties,
    "meeting_held": MeetingProperties,
    "purchase": PurchaseProperties,
    "email_sent": EmailProperties,
    "email_opened": EmailProperties,
    "email_clicked": EmailProperties,
    "email_bounced": EmailProperties,
    "email_unsubscribed": EmailProperties,
    "form_submitted": FormProperties,
}


def property_errors(event: IngestEvent) -> list[tuple[str, str]]:
    """(field, message) for each property the event's kind requires and it lacks or breaks."""
    rule = _RULES.get(interaction_type(event))
    if rule is None:
        return []
    try:
        rule.model_validate(event.properties)
    except ValidationError as exc:
        return [
            ("properties." + ".".join(str(p) for p in e["loc"]), e["msg"]) for e in exc.errors()
        ]
    return []


def normalized_properties(event: IngestEvent) -> dict[str, Any]:
    rule = _RULES.get(interaction_type(event))
    if rule is None:
        return dict(event.properties)
    return rule.model_validate(event.properties).model_dump(mode="json", exclude_none=True)
