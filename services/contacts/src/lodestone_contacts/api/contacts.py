"""`/v1/contacts`: create, read, update, erase, merge, and the timeline."""

from __future__ import annotations

import base64
from datetime import date, datetime
from typing import Any

import orjson
from fastapi import APIRouter, HTTPException, Query, Request, status
from pydantic import BaseModel, ConfigDict, Field

from lodestone_common.auth import ApiKey, Scope
from lodestone_common.envelope import utcnow
from lodestone_common.events import LifecycleStage

from ..domain.records import (
    ContactDraft,
    ContactPatch,
    StageError,
    check_stage_move,
    new_contact,
    patch_changes,
    stage_entry,
)
from ..repository import ContactsRepository, EmailTaken, NotFound

router = APIRouter(prefix="/v1", tags=["contacts"])


class Contact(BaseModel):
    model_config = ConfigDict(extra="allow")

    id: str
    email: str | None = None
    emails: list[str] = []
    phones: list[str] = []
    first_name: str | None = None
    last_name: str | None = None
    company: str | None = None
    title: str | None = None
    lifecycle_stage: LifecycleStage | None = None
    owner_id: str | None = None
    tags: list[str] = []
    contract_end_date: date | None = None
    custom: dict[str, Any] = {}
    anonymous: bool = False
    activity: dict[str, int] = {}
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, doc: dict[str, Any]) -> Contact:
        return cls(id=doc["_id"], **{k: v for k, v in doc.items() if k != "_id"})


class TimelineEntry(BaseModel):
    id: str
    at: datetime
    kind: str
    type: str
    name: str | None = None
    channel: str | None = None
    properties: dict[str, Any] = {}
    detail: dict[str, Any] = {}


class TimelinePage(BaseModel):
    entries: list[TimelineEntry]
    next_cursor: str | None = Field(description="pass as `before` for the next (older) page")


class MergeRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    merge_ids: list[str] = Field(min_length=1, max_length=50)


def _repo(request: Request) -> ContactsRepository:
    return request.app.state.contacts


def _not_found(contact_id: str) -> HTTPException:
    return HTTPException(status.HTTP_404_NOT_FOUND, f"no contact {contact_id!r}")


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
    try:
        await _repo(request).create(contact)
    except EmailTaken as exc:
        raise HTTPException(status.HTTP_409_CONFLICT, str(exc)) from exc
    return Contact.of(contact)


@router.get("/contacts/{contact_id}", response_model=Contact, summary="Read one contact")
async def get_contact(
    contact_id: str, request: Request, key: ApiKey = Scope("contacts:read")
) -> Contact:
    doc = await _repo(request).get(contact_id)
    if doc is None or doc.get("erased"):
        raise _not_found(contact_id)
    return Contact.of(doc)


@router.patch(
    "/contacts/{contact_id}",
    response_model=Contact,
    summary="Update fields, owner or lifecycle stage",
    description="A backward stage move (e.g. customer → lead) needs `allow_backward` and a reason.",
)
async def patch_contact(
    contact_id: str, patch: ContactPatch, request: Request, key: ApiKey = Scope("contacts:write")
) -> Contact:
    repo = _repo(request)
    current = await repo.get(contact_id)
    if current is None or current.get("erased"):
        raise _not_found(contact_id)
    stage = None
    if patch.stage:
        try:
            check_stage_move(current.get("lifecycle_stage"), patch.stage)
        except StageError as exc:
            raise HTTPException(status.HTTP_409_CONFLICT, str(exc)) from exc
        stage = stage_entry(current.get("lifecycle_stage"), patch.stage, key.name, utcnow())
    changes, previous = patch_changes(current, patch)
    try:
        doc = await repo.update(current["_id"], changes, previous, key.name, stage)
    except EmailTaken as exc:
        raise HTTPException(status.HTTP_409_CONFLICT, str(exc)) from exc
    except NotFound as exc:
        raise _not_found(contact_id) from exc
    return Contact.of(doc)


@router.delete(
    "/contacts/{contact_id}",
    status_code=status.HTTP_202_ACCEPTED,
    summary="Erase a person (GDPR)",
    description="Removes the record, its identities and timeline here, and tells every "
    "service to forget the person (contact.erased).",
)
async def erase_contact(
    contact_id: str, request: Request, key: ApiKey = Scope("contacts:erase")
) -> dict[str, str]:
    try:
        erased = await _repo(request).erase(contact_id, key.name)
    except NotFound as exc:
        raise _not_found(contact_id) from exc
    return {"erased": erased}


@router.post(
    "/contacts/{contact_id}/merge",
    response_model=Contact,
    summary="Merge other contacts into this one",
    description="The others' identities, timeline and missing fields move here; their ids keep "
    "resolving to this contact; a contact.merged event tells every service to re-key.",
)
async def merge_contacts(
    contact_id: str, body: MergeRequest, request: Request, key: ApiKey = Scope("contacts:write")
) -> Contact:
    try:
        doc = await _repo(request).merge(contact_id, body.merge_ids, key.name)
    except NotFound as exc:
        raise _not_found(str(exc)) from exc
    return Contact.of(doc)


def _cursor(entry: dict[str, Any]) -> str:
    raw = orjson.dumps([entry["at"].isoformat(), str(entry["_id"])])
    return base64.urlsafe_b64encode(raw).decode()


def _parse_cursor(cursor: str) -> tuple[datetime, str]:
    try:
        at, last = orjson.loads(base64.urlsafe_b64decode(cursor.encode()))
        return datetime.fromisoformat(at), last
    except Exception as exc:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_ENTITY, "before: not a cursor") from exc


@router.get(
    "/contacts/{contact_id}/timeline",
    response_model=TimelinePage,
    summary="Every interaction and change, newest first",
)
async def timeline(
    contact_id: str,
    request: Request,
    limit: int = Query(50, ge=1, le=500),
    before: str | None = Query(None, description="cursor from the previous page"),
    key: ApiKey = Scope("contacts:read"),
) -> TimelinePage:
    repo = _repo(request)
    doc = await repo.get(contact_id)
    if doc is None or doc.get("erased"):
        raise _not_found(contact_id)
    entries = await repo.timeline_page(doc["_id"], limit, _parse_cursor(before) if before else None)
    return TimelinePage(
        entries=[
            TimelineEntry(id=str(e["_id"]), **{k: v for k, v in e.items() if k != "_id"})
            for e in entries
        ],
        next_cursor=_cursor(entries[-1]) if len(entries) == limit else None,
    )
