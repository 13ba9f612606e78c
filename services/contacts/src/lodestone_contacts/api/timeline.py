"""A contact's timeline: interactions, changes and notes, newest first, a page at a time."""

from __future__ import annotations

import base64
from datetime import datetime
from typing import Any, Literal

import orjson
from fastapi import APIRouter, HTTPException, Query, status
from pydantic import BaseModel, ConfigDict, Field

from lodestone_common.auth import ApiKey, Scope
from lodestone_common.envelope import utcnow
from lodestone_common.people import changes_everyones

from .contacts import existing
from .deps import ContactsDep

router = APIRouter(prefix="/v1", tags=["contacts"])


class TimelineEntry(BaseModel):
    id: str
    at: datetime
    kind: str
    type: str
    name: str | None = None
    channel: str | None = None
    properties: dict[str, Any] = {}
    detail: dict[str, Any] = {}
    by: str | None = Field(None, description="who recorded or changed it (a person or a key)")


class TimelinePage(BaseModel):
    entries: list[TimelineEntry]
    next_cursor: str | None = Field(description="pass as `before` for the next (older) page")


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
    contacts: ContactsDep,
    limit: int = Query(50, ge=1, le=500),
    before: str | None = Query(None, description="cursor from the previous page"),
    kind: Literal["interaction", "change", "note"] | None = Query(None),
    key: ApiKey = Scope("contacts:read"),
) -> TimelinePage:
    doc = await existing(contacts, contact_id)
    entries = await contacts.stores.timeline.page(
        doc["_id"], limit, _parse_cursor(before) if before else None, kind
    )
    return TimelinePage(
        entries=[
            TimelineEntry(id=str(e["_id"]), **{k: v for k, v in e.items() if k != "_id"})
            for e in entries
        ],
        next_cursor=_cursor(entries[-1]) if len(entries) == limit else None,
    )


class NoteRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    text: str = Field(min_length=1, max_length=20_000)


@router.post(
    "/contacts/{contact_id}/notes",
    status_code=status.HTTP_201_CREATED,
    response_model=TimelineEntry,
    summary="Add a note (shown on the timeline; `?kind=note` lists notes only)",
)
async def add_note(
    contact_id: str, body: NoteRequest, contacts: ContactsDep, key: ApiKey = Scope("contacts:write")
) -> TimelineEntry:
    doc = await existing(contacts, contact_id)
    entry = await contacts.add_note(doc["_id"], body.text, key.name)
    return TimelineEntry(id=entry["_id"], **{k: v for k, v in entry.items() if k != "_id"})


def _entry(doc: dict[str, Any]) -> TimelineEntry:
    return TimelineEntry(id=doc["_id"], **{k: v for k, v in doc.items() if k != "_id"})


async def _own_note(
    contacts: ContactsDep, contact_id: str, note_id: str, key: ApiKey
) -> dict[str, Any]:
    note = await contacts.stores.timeline.note(contact_id, note_id)
    if note is None or note["detail"].get("deleted_at"):
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no note {note_id!r} on {contact_id!r}")
    if note["detail"].get("author") != key.name and not changes_everyones(key, "contacts"):
        raise HTTPException(
            status.HTTP_403_FORBIDDEN,
            "only its author, a manager, a marketer or an admin may change a note",
        )
    return note


@router.patch(
    "/contacts/{contact_id}/notes/{note_id}",
    response_model=TimelineEntry,
    summary="Edit a note (its earlier text kept in `detail.history`)",
)
async def edit_note(
    contact_id: str,
    note_id: str,
    body: NoteRequest,
    contacts: ContactsDep,
    key: ApiKey = Scope("contacts:write"),
) -> TimelineEntry:
    note = await _own_note(contacts, contact_id, note_id, key)
    revised = await contacts.stores.timeline.revise_note(
        note_id, body.text, key.name, utcnow(), note
    )
    if revised is None:
        raise HTTPException(status.HTTP_409_CONFLICT, "the note changed meanwhile; reload it")
    return _entry(revised)


@router.delete(
    "/contacts/{contact_id}/notes/{note_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Delete a note (the timeline says who deleted it; its text stays in its history)",
)
async def delete_note(
    contact_id: str, note_id: str, contacts: ContactsDep, key: ApiKey = Scope("contacts:write")
) -> None:
    note = await _own_note(contacts, contact_id, note_id, key)
    if await contacts.stores.timeline.revise_note(note_id, None, key.name, utcnow(), note) is None:
        raise HTTPException(status.HTTP_409_CONFLICT, "the note changed meanwhile; reload it")
