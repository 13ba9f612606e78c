"""Contacts' HTTP API (`/v1/contacts`)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from fastapi import APIRouter, HTTPException, Request, status
from pydantic import BaseModel

from lodestone_common.auth import ApiKey, Scope
from lodestone_common.envelope import utcnow
from lodestone_common.events import LifecycleStage

from .domain import ContactDraft, created_event, new_contact
from .repository import ContactsRepository, EmailTaken

router = APIRouter(prefix="/v1", tags=["contacts"])


class Contact(BaseModel):
    id: str
    email: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    company: str | None = None
    title: str | None = None
    phone: str | None = None
    source: str | None = None
    lifecycle_stage: LifecycleStage | None = None
    owner_id: str | None = None
    tags: list[str] = []
    country: str | None = None
    contract_end_date: date | None = None
    custom: dict[str, Any] = {}
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, doc: dict[str, Any]) -> Contact:
        return cls(id=doc["_id"], **{k: v for k, v in doc.items() if k != "_id"})


def _repo(request: Request) -> ContactsRepository:
    return request.app.state.contacts


@router.post(
    "/contacts",
    status_code=status.HTTP_201_CREATED,
    response_model=Contact,
    summary="Create a contact",
    responses={409: {"description": "a contact with this email exists"}},
)
async def create_contact(
    draft: ContactDraft, request: Request, key: ApiKey = Scope("contacts:write")
) -> Contact:
    contact = new_contact(draft, utcnow(), created_by=key.name)
    event = created_event(contact).envelope(contact_id=contact["_id"], producer="contacts")
    try:
        await _repo(request).create(contact, event)
    except EmailTaken as exc:
        raise HTTPException(status.HTTP_409_CONFLICT, str(exc)) from exc
    return Contact.of(contact)


@router.get("/contacts/{contact_id}", response_model=Contact, summary="Read one contact")
async def get_contact(
    contact_id: str, request: Request, key: ApiKey = Scope("contacts:read")
) -> Contact:
    doc = await _repo(request).get(contact_id)
    if doc is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no contact {contact_id!r}")
    return Contact.of(doc)
