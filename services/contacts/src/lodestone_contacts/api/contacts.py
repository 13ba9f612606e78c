"""`/v1/contacts`: create, read, update, erase, merge, search, duplicates."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException, Query, Request, status
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from lodestone_common.auth import ApiKey, Scope
from lodestone_common.envelope import utcnow
from lodestone_common.http import invalid
from lodestone_common.people import check_change

from ..domain.duplicates import duplicate_reasons
from ..domain.paging import (
    after_sorted,
    decode_cursor,
    decode_sorted_cursor,
    encode_cursor,
    encode_sorted_cursor,
    sort_key,
)
from ..domain.records import (
    ContactDraft,
    ContactPatch,
    StageError,
    check_stage_move,
    new_contact,
    patch_changes,
    stage_entry,
)
from ..domain.search import from_query
from ..domain.terms import terms_query
from ..service import Contacts, NotFound
from ..stores import EmailTaken
from .deps import ContactsDep
from .views import Contact, ContactPage, Duplicate

router = APIRouter(prefix="/v1", tags=["contacts"])


class MergeRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    merge_ids: list[str] = Field(min_length=1, max_length=50)


def not_found(contact_id: str) -> HTTPException:
    return HTTPException(status.HTTP_404_NOT_FOUND, f"no contact {contact_id!r}")


async def existing(contacts: Contacts, contact_id: str) -> dict[str, Any]:
    """The contact (a merged-away id reads its survivor), or a 404 if none or erased."""
    doc = await contacts.stores.records.get(contact_id)
    if doc is None or doc.get("erased"):
        raise not_found(contact_id)
    return doc


@router.post(
    "/contacts",
    status_code=status.HTTP_201_CREATED,
    response_model=Contact,
    summary="Create a contact",
    responses={409: {"description": "a contact with this email exists"}},
)
async def create_contact(
    draft: ContactDraft, contacts: ContactsDep, key: ApiKey = Scope("contacts:write")
) -> Contact:
    contact = new_contact(draft, utcnow(), created_by=key.name)
    try:
        await contacts.create(contact)
    except EmailTaken as exc:
        raise HTTPException(status.HTTP_409_CONFLICT, str(exc)) from exc
    return Contact.of(contact)


@router.get("/contacts/{contact_id}", response_model=Contact, summary="Read one contact")
async def get_contact(
    contact_id: str, contacts: ContactsDep, key: ApiKey = Scope("contacts:read")
) -> Contact:
    doc = await existing(contacts, contact_id)
    return Contact.of(doc)


@router.patch(
    "/contacts/{contact_id}",
    response_model=Contact,
    summary="Update fields, owner or lifecycle stage",
    description="A backward stage move (e.g. customer → lead) needs `allow_backward` and a reason.",
)
async def patch_contact(
    contact_id: str,
    patch: ContactPatch,
    contacts: ContactsDep,
    key: ApiKey = Scope("contacts:write"),
) -> Contact:
    current = await existing(contacts, contact_id)
    check_change(key, "contacts", current.get("owner_id"), f"contact {contact_id!r}")
    stage = None
    if patch.stage:
        try:
            check_stage_move(current.get("lifecycle_stage"), patch.stage)
        except StageError as exc:
            raise HTTPException(status.HTTP_409_CONFLICT, str(exc)) from exc
        stage = stage_entry(current.get("lifecycle_stage"), patch.stage, key.name, utcnow())
    try:
        changes, previous = patch_changes(current, patch)
    except ValueError as exc:  # the custom fields it adds would outgrow the record's limit
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_ENTITY, f"custom: {exc}") from exc
    try:
        doc = await contacts.update(current["_id"], changes, previous, key.name, stage)
    except EmailTaken as exc:
        raise HTTPException(status.HTTP_409_CONFLICT, str(exc)) from exc
    except NotFound as exc:
        raise not_found(contact_id) from exc
    return Contact.of(doc)


@router.delete(
    "/contacts/{contact_id}",
    status_code=status.HTTP_202_ACCEPTED,
    summary="Erase a person (GDPR)",
    description="Removes the record, its identities and timeline here, and tells every "
    "service to forget the person (contact.erased).",
)
async def erase_contact(
    contact_id: str, contacts: ContactsDep, key: ApiKey = Scope("contacts:erase")
) -> dict[str, str]:
    try:
        erased = await contacts.erase(contact_id, key.name)
    except NotFound as exc:
        raise not_found(contact_id) from exc
    return {"erased": erased}


@router.post(
    "/contacts/{contact_id}/merge",
    response_model=Contact,
    summary="Merge other contacts into this one",
    description="The others' identities, timeline and missing fields move here; their ids keep "
    "resolving to this contact; a contact.merged event tells every service to re-key. A merge "
    "deletes the other records, so it takes the erase permission.",
)
async def merge_contacts(
    contact_id: str,
    body: MergeRequest,
    contacts: ContactsDep,
    key: ApiKey = Scope("contacts:erase"),
) -> Contact:
    try:
        doc = await contacts.merge(contact_id, body.merge_ids, key.name)
    except NotFound as exc:
        raise not_found(str(exc)) from exc
    return Contact.of(doc)


@router.get(
    "/contacts",
    response_model=ContactPage,
    summary="Search contacts",
    description=(
        "Filters (all optional, combined with AND): `stage` (repeatable or comma-separated), "
        "`external_id` (the sender's userId), `owner_id`, `tag` (all of), `email`, `phone`, "
        "`company`, `country`, `source`, "
        "`anonymous`, `first_name`, `last_name`, `title`, `industry`, `gender`, `income_band`, "
        "`preferred_payment_method`, `purchase_purpose`, `min_age`/`max_age`, "
        "`min_company_size`/`max_company_size`, `segment`, `score_band` (cold/warm/hot), "
        "`grade`, `min_score`, `created_after`, "
        "`created_before`, `active_after`, `custom.<field>=<value>`, "
        "`min_activity.<interaction type>=<count>` (e.g. `min_activity.page_visit=3`). "
        "Pages follow `next_cursor`."
    ),
)
async def search_contacts(
    request: Request,
    contacts: ContactsDep,
    limit: int = Query(50, ge=1, le=500),
    cursor: str | None = Query(None),
    q: str | None = Query(
        None,
        max_length=200,
        description="free text: every word must begin a word of the contact's name, company "
        "or an email (`ada acme`, `ada@acme.com`); case and accents do not matter",
    ),
    sort: str | None = Query(
        None,
        max_length=30,
        description="created_at, last_activity_at, score, last_name or company; `-` first "
        "for descending (`-score`: best first); by id when not given",
    ),
    key: ApiKey = Scope("contacts:read"),
) -> ContactPage:
    params: dict[str, list[str]] = {}
    for name, value in request.query_params.multi_items():
        params.setdefault(name, []).append(value)
    try:
        params.pop("q", None)
        params.pop("sort", None)
        flt = from_query(params)
        order = sort_key(sort)
        after: str | dict[str, Any] | None = None
        if cursor and order:
            after = after_sorted(*order, *decode_sorted_cursor(cursor, order[0]))
        elif cursor:
            after = decode_cursor(cursor)
        query = flt.to_mongo()
        if q is not None:
            query = {"$and": [query, *_words(q)]}
    except ValidationError as exc:
        raise RequestValidationError(
            [{**e, "loc": ("query", *e["loc"])} for e in exc.errors()]
        ) from exc
    except ValueError as exc:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_ENTITY, str(exc)) from exc
    docs = await contacts.stores.records.search(query, after, limit, order)
    next_cursor = None
    if len(docs) == limit:
        last = docs[-1]
        next_cursor = (
            encode_sorted_cursor(last.get(order[0]), last["_id"])
            if order
            else encode_cursor(last["_id"])
        )
    return ContactPage(items=[Contact.of(d) for d in docs], next_cursor=next_cursor)


def _words(q: str) -> list[dict[str, Any]]:
    try:
        return terms_query(q)
    except ValueError as exc:  # a field error, shown next to the search box
        why = str(exc).removeprefix("q: ")
        raise invalid("query", "q", why) from exc


@router.get(
    "/contacts/{contact_id}/duplicates",
    response_model=list[Duplicate],
    summary="Possible duplicates of a contact",
    description="Same normalized email or phone, or a similar name at the same company. "
    "Merge with `POST /v1/contacts/{id}/merge`.",
)
async def duplicates(
    contact_id: str, contacts: ContactsDep, key: ApiKey = Scope("contacts:read")
) -> list[Duplicate]:
    doc = await existing(contacts, contact_id)
    found = []
    for other in await contacts.stores.records.duplicate_candidates(doc):
        reasons = duplicate_reasons(doc, other)
        if reasons:
            found.append(Duplicate(contact=Contact.of(other), reasons=reasons))
    return found
