"""The prospect record: fields, lifecycle stages and how they may move."""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Annotated, Any, Literal
from uuid import uuid4

from pydantic import BaseModel, ConfigDict, Field, field_validator
from pydantic.json_schema import SkipJsonSchema

from lodestone_common.events import EXITS, FUNNEL, LifecycleStage
from lodestone_common.limits import BoundedMap, check_map

# No separators or quoting either: an address with a comma would become a second recipient.
_NOT_IN_EMAIL = r"@\s,;:<>()\[\]\\\""
_EMAIL = re.compile(rf"^[^{_NOT_IN_EMAIL}]+@[^{_NOT_IN_EMAIL}]+\.[^{_NOT_IN_EMAIL}]+$")


def normalize_email(raw: str) -> str:
    """Lower-cased and trimmed; raises ValueError for something that is not an address."""
    email = raw.strip().lower()
    if not _EMAIL.match(email) or len(email) > 254:
        raise ValueError(f"not an email address: {raw!r}")
    return email


def normalize_phone(raw: str) -> str:
    """Digits with a leading + kept: '+1 (555) 010-2030' and '+15550102030' are one phone."""
    digits = re.sub(r"[^\d+]", "", raw.strip())
    if digits.count("+") > 1 or "+" in digits[1:] or len(digits.lstrip("+")) < 5:
        raise ValueError(f"not a phone number: {raw!r}")
    return digits


# A contact id is this and a random UUID's hex: uniform, which a count estimate relies on
# (domain/estimate).
CONTACT_ID_PREFIX = "c_"


def new_contact_id() -> str:
    return f"{CONTACT_ID_PREFIX}{uuid4().hex}"


class Consent(BaseModel):
    model_config = ConfigDict(extra="forbid")

    email: Literal["granted", "denied", "unknown"] = "unknown"
    sms: Literal["granted", "denied", "unknown"] = "unknown"
    source: str | None = Field(default=None, max_length=200)


class ContactFields(BaseModel):
    """Every field a client may set on a contact."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    email: str | None = Field(default=None, max_length=254)
    emails: list[str] | None = Field(default=None, max_length=20)
    first_name: str | None = Field(default=None, max_length=100)
    last_name: str | None = Field(default=None, max_length=100)
    company: str | None = Field(default=None, max_length=200)
    company_size: int | None = Field(default=None, ge=0)
    industry: str | None = Field(default=None, max_length=100)
    title: str | None = Field(default=None, max_length=200)
    phone: str | None = Field(default=None, max_length=40)
    phones: list[str] | None = Field(default=None, max_length=20)
    source: str | None = Field(default=None, max_length=100)
    owner_id: str | None = Field(default=None, max_length=100)
    tags: list[Annotated[str, Field(max_length=100)]] | None = Field(default=None, max_length=100)
    country: str | None = Field(default=None, max_length=100)
    age: int | None = Field(default=None, ge=0, le=150)
    gender: str | None = Field(default=None, max_length=50)
    income_band: str | None = Field(default=None, max_length=50)
    preferred_payment_method: str | None = Field(default=None, max_length=50)
    purchase_purpose: str | None = Field(default=None, max_length=200)
    contract_end_date: date | None = None
    consent: Consent | None = None
    unsubscribed: bool | None = None
    # Files are a resource of their own, revisions kept; a list here would replace them all.
    attachments: SkipJsonSchema[Any] = None
    custom: BoundedMap | None = None

    @field_validator("custom")
    @classmethod
    def _custom_names(cls, value: dict[str, Any] | None) -> dict[str, Any] | None:
        # Identifiers, as ingested traits already must be: no `$`, dots or NULs that the
        # database would read as operators or paths.
        for name in value or {}:
            if not name.isidentifier() or len(name) > 100:
                raise ValueError(
                    f"custom field name {name[:100]!r}: letters, digits and _ only, "
                    "not starting with a digit, at most 100"
                )
        return value

    @field_validator("attachments", mode="before")
    @classmethod
    def _attachments(cls, value: Any) -> None:
        if value is not None:
            raise ValueError(
                "files are uploaded one at a time: POST /v1/contacts/{id}/attachments "
                "(each revision kept, DELETE removes one)"
            )

    @field_validator("email")
    @classmethod
    def _email(cls, value: str | None) -> str | None:
        return normalize_email(value) if value else None

    @field_validator("emails")
    @classmethod
    def _emails(cls, value: list[str] | None) -> list[str] | None:
        return [normalize_email(v) for v in value] if value is not None else None

    @field_validator("phone")
    @classmethod
    def _phone(cls, value: str | None) -> str | None:
        return normalize_phone(value) if value else None

    @field_validator("phones")
    @classmethod
    def _phones(cls, value: list[str] | None) -> list[str] | None:
        return [normalize_phone(v) for v in value] if value is not None else None

    @field_validator("tags")
    @classmethod
    def _tags(cls, value: list[str] | None) -> list[str] | None:
        return sorted({t.strip().lower() for t in value if t.strip()}) if value else value


class ContactDraft(ContactFields):
    lifecycle_stage: LifecycleStage | None = "subscriber"


class StageMove(BaseModel):
    model_config = ConfigDict(extra="forbid")

    to: LifecycleStage
    reason: str | None = Field(default=None, max_length=500)
    # A move back down the funnel (customer -> lead) must be asked for explicitly.
    allow_backward: bool = False


class ContactPatch(ContactFields):
    stage: StageMove | None = None


class StageError(ValueError):
    pass


def check_stage_move(current: str | None, move: StageMove) -> None:
    if current is None or move.to in EXITS or current in EXITS or current == move.to:
        return
    if FUNNEL.index(move.to) < FUNNEL.index(current) and not move.allow_backward:  # type: ignore[arg-type]
        raise StageError(
            f"moving back from {current} to {move.to} needs allow_backward=true and a reason"
        )
    if move.allow_backward and not move.reason:
        raise StageError("a backward stage move needs a reason")


def stage_entry(current: str | None, move: StageMove, by: str, at: datetime) -> dict[str, Any]:
    return {"from": current, "to": move.to, "by": by, "reason": move.reason, "at": at}


def new_contact(draft: ContactDraft, now: datetime, created_by: str) -> dict[str, Any]:
    fields = draft.model_dump(mode="json", exclude_none=True)
    emails = sorted(
        {*(fields.get("emails") or []), *([fields["email"]] if "email" in fields else [])}
    )
    phones = sorted(
        {*(fields.get("phones") or []), *([fields["phone"]] if "phone" in fields else [])}
    )
    doc: dict[str, Any] = {
        "_id": new_contact_id(),
        "tags": [],
        "custom": {},
        **fields,
        "emails": emails,
        "phones": phones,
        "anonymous": False,
        "activity": {},
        "created_at": now,
        "updated_at": now,
        "created_by": created_by,
        "stage_history": [],
    }
    if doc.get("owner_id"):
        doc["owner_assigned_at"] = now  # when response time to the new lead starts
    if draft.lifecycle_stage:
        doc["stage_history"] = [
            {
                "from": None,
                "to": draft.lifecycle_stage,
                "by": created_by,
                "reason": "created",
                "at": now,
            }
        ]
    return doc


def patch_changes(
    current: dict[str, Any], patch: ContactPatch
) -> tuple[dict[str, Any], dict[str, Any]]:
    """(changes, previous values) a patch makes; fields equal to the current value drop out."""
    wanted = patch.model_dump(mode="json", exclude_unset=True, exclude={"stage"})
    changes: dict[str, Any] = {}
    previous: dict[str, Any] = {}
    for field, value in wanted.items():
        if field == "custom" and value is not None:
            # Held to the limits as the record will hold it, not only as this patch adds it.
            value = check_map({**current.get("custom", {}), **value}, "the contact's custom fields")
        if current.get(field) != value:
            changes[field] = value
            previous[field] = current.get(field)
    if changes.get("email"):
        emails = sorted({*current.get("emails", []), changes["email"]})
        if emails != current.get("emails"):
            changes["emails"], previous["emails"] = emails, current.get("emails")
    if changes.get("phone"):
        phones = sorted({*current.get("phones", []), changes["phone"]})
        if phones != current.get("phones"):
            changes["phones"], previous["phones"] = phones, current.get("phones")
    return changes, previous


def merge_fields(survivor: dict[str, Any], other: dict[str, Any]) -> dict[str, Any]:
    """Fields the survivor gains from a merged contact: it keeps its own, fills the gaps."""
    gained: dict[str, Any] = {}
    for field, value in other.items():
        if field.startswith("_") or field in {
            "created_at",
            "updated_at",
            "created_by",
            "anonymous",
            "merged_into",
            "stage_history",
            "activity",
            "last_activity_at",
            "purchases",  # summed, not filled in (merge_purchases)
            "review",
        }:
            continue
        if field in ("emails", "phones", "tags"):
            union = sorted({*survivor.get(field, []), *(value or [])})
            if union != survivor.get(field):
                gained[field] = union
        elif field == "custom":
            combined = {**(value or {}), **survivor.get("custom", {})}
            if combined != survivor.get("custom"):
                gained["custom"] = combined
        elif survivor.get(field) in (None, "", []) and value not in (None, "", []):
            gained[field] = value
    return gained
