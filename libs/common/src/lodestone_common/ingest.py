"""The public ingestion contract: what integrators send to `POST /v1/events` or the raw topic."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal
from uuid import NAMESPACE_URL, UUID, uuid5

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, PrivateAttr, model_validator

from .limits import BoundedMap

# Integrators may use any string as an event id; the envelope id derived from it is stable,
# so every retry of the same event carries the same dedup key downstream.
_ID_NAMESPACE = uuid5(NAMESPACE_URL, "https://lodestone.dev/ingest")


class ContactRef(BaseModel):
    """Who the event is about: at least one identity."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    email: str | None = Field(default=None, max_length=254)
    anonymous_id: str | None = Field(default=None, min_length=1, max_length=200)
    external_id: str | None = Field(default=None, min_length=1, max_length=200)
    contact_id: str | None = Field(default=None, min_length=1, max_length=100)

    @model_validator(mode="after")
    def _one_identity(self) -> ContactRef:
        if not (self.email or self.anonymous_id or self.external_id or self.contact_id):
            raise ValueError("needs one of email, anonymous_id, external_id or contact_id")
        return self


class IngestEvent(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    event_id: str = Field(min_length=1, max_length=200)
    type: Literal["track", "identify", "page"]
    name: str | None = Field(default=None, min_length=1, max_length=200)
    occurred_at: AwareDatetime | None = None
    contact: ContactRef
    properties: BoundedMap = Field(default_factory=dict)
    traits: BoundedMap = Field(default_factory=dict)
    # A lead source that applies only while the contact has none (first-touch attribution,
    # e.g. the UTM source of a Segment message); `traits.source` always sets it.
    first_touch_source: str | None = Field(default=None, min_length=1, max_length=100)
    # Who recorded it (the key or signed-in person that sent it): set by the API that accepted
    # it, whatever the sender wrote, and shown on the contact's timeline.
    recorded_by: str | None = Field(default=None, max_length=254)

    @model_validator(mode="after")
    def _named_track(self) -> IngestEvent:
        if self.type == "track" and not self.name:
            raise ValueError("a track event needs a name")
        return self

    # Derived once: a batch asks for it several times per event, and uuid5 (SHA-1) was 13%
    # of the contacts service's CPU under load before.
    _envelope_id: UUID | None = PrivateAttr(default=None)

    def envelope_id(self) -> UUID:
        if self._envelope_id is None:
            try:
                self._envelope_id = UUID(self.event_id)
            except ValueError:
                self._envelope_id = uuid5(_ID_NAMESPACE, self.event_id)
        return self._envelope_id

    def partition_key(self) -> bytes:
        """The strongest identity given: one person's events stay in one partition."""
        ref = self.contact
        for prefix, value in (
            ("id", ref.contact_id),
            ("ext", ref.external_id),
            ("email", ref.email.lower() if ref.email else None),
            ("anon", ref.anonymous_id),
        ):
            if value:
                return f"{prefix}:{value}".encode()
        raise AssertionError("validated refs always have an identity")


class IngestBatch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    events: list[dict[str, Any]] = Field(
        description="Events as in IngestEvent; validated one by one so errors name the event"
    )


class IngestAccepted(BaseModel):
    accepted: int
    duplicates: int


def stamp(event: IngestEvent, now: datetime) -> IngestEvent:
    """Fill the receive time for events sent without one."""
    return event if event.occurred_at else event.model_copy(update={"occurred_at": now})


# The contract of an `Email Bounced` event: `bounce_type` says how ("hard" when not given);
# a soft one (a full mailbox, a greylisting server) is worth trying again later.
SOFT_BOUNCES = frozenset({"soft", "transient", "temporary"})


def bounce_kind(properties: dict[str, Any]) -> str:
    """ "hard", "soft" or "complaint" for an email_bounced interaction's properties."""
    kind = str(properties.get("bounce_type") or properties.get("type") or "hard").lower()
    if kind in SOFT_BOUNCES:
        return "soft"
    return "complaint" if kind in ("complaint", "spam") else "hard"
