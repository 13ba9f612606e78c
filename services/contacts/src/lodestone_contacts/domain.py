"""Contact rules in plain Python: normalization, new records, the event they publish."""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Any
from uuid import uuid4

from pydantic import BaseModel, ConfigDict, Field, field_validator

from lodestone_common.events import ContactCreated, ContactSnapshot, LifecycleStage

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def normalize_email(raw: str) -> str:
    """Lower-cased and trimmed; raises ValueError for something that is not an address."""
    email = raw.strip().lower()
    if not _EMAIL.match(email) or len(email) > 254:
        raise ValueError(f"not an email address: {raw!r}")
    return email


def new_contact_id() -> str:
    return f"c_{uuid4().hex}"


class ContactDraft(BaseModel):
    """What a client sends to create a contact."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    email: str | None = Field(default=None, max_length=254)
    first_name: str | None = Field(default=None, max_length=100)
    last_name: str | None = Field(default=None, max_length=100)
    company: str | None = Field(default=None, max_length=200)
    title: str | None = Field(default=None, max_length=200)
    phone: str | None = Field(default=None, max_length=40)
    source: str | None = Field(default=None, max_length=100)
    lifecycle_stage: LifecycleStage = "subscriber"
    owner_id: str | None = Field(default=None, max_length=100)
    tags: list[str] = Field(default_factory=list, max_length=100)
    country: str | None = Field(default=None, max_length=100)
    contract_end_date: date | None = None
    custom: dict[str, Any] = Field(default_factory=dict)

    @field_validator("email")
    @classmethod
    def _email(cls, value: str | None) -> str | None:
        return normalize_email(value) if value else None


def new_contact(draft: ContactDraft, now: datetime, created_by: str) -> dict[str, Any]:
    """The stored document of a new contact."""
    return {
        "_id": new_contact_id(),
        **draft.model_dump(mode="json"),
        "created_at": now,
        "updated_at": now,
        "created_by": created_by,
    }


def created_event(contact: dict[str, Any]) -> ContactCreated:
    fields = {k: v for k, v in contact.items() if k in ContactSnapshot.model_fields}
    return ContactCreated(contact=ContactSnapshot(**fields))
