"""`/v1/segments`: saved dynamic lists whose membership follows every contact change."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, HTTPException, Query, status
from pydantic import BaseModel, ConfigDict, Field
from pymongo.errors import ExecutionTimeout

from lodestone_common.auth import ApiKey, Scope

from ..domain.paging import decode_cursor, encode_cursor
from ..domain.search import ContactFilter
from ..segments import SegmentRegistry
from .deps import ContactsDep, SegmentsDep
from .views import Contact, ContactPage

router = APIRouter(prefix="/v1/segments", tags=["segments"])


class SegmentDefinition(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    name: str = Field(min_length=1, max_length=200)
    filter: ContactFilter = Field(
        description="the same fields as the contact search, e.g. "
        '{"stage": ["lead"], "min_activity": {"page_visit": 3}, "custom": {"plan": "pro"}}'
    )


class FilterOnly(BaseModel):
    model_config = ConfigDict(extra="forbid")

    filter: ContactFilter


class Counting(FilterOnly):
    at_most: int | None = Field(
        default=None,
        ge=1,
        le=10_000_000,
        description="stop counting here (a builder's first, quick answer: '10,000 or more')",
    )
    estimate: bool = Field(
        default=False,
        description="at a large size, estimate from a sample of the contacts first "
        "(`estimated`, with a 99 % interval); counted as with `at_most` otherwise",
    )


class Segment(BaseModel):
    id: str
    name: str
    filter: dict[str, Any]
    version: int
    members: int
    build: dict[str, Any] = Field(description="backfill progress: status, candidates, scanned")
    created_at: datetime
    updated_at: datetime


async def _view(registry: SegmentRegistry, doc: dict[str, Any]) -> Segment:
    return Segment(
        id=doc["_id"],
        name=doc["name"],
        filter=doc["filter"],
        version=doc["version"],
        members=await registry.member_count(doc["_id"]),
        build=doc["build"],
        created_at=doc["created_at"],
        updated_at=doc["updated_at"],
    )


def _not_found(segment_id: str) -> HTTPException:
    return HTTPException(status.HTTP_404_NOT_FOUND, f"no segment {segment_id!r}")


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=Segment,
    summary="Save a segment; existing contacts are added in the background",
)
async def create_segment(
    body: SegmentDefinition, registry: SegmentsDep, key: ApiKey = Scope("segments:write")
) -> Segment:
    return await _view(registry, await registry.create(body.name, body.filter, key.name))


EXAMPLES = 5  # members a preview shows


class Preview(BaseModel):
    members: int = Field(description="contacts the filter matches now")
    exact: bool = Field(
        description="false: at least `members` (counting stopped at at_most), or an estimate"
    )
    estimated: bool = Field(
        default=False, description="`members` estimated from a sample of the contacts"
    )
    low: int | None = Field(default=None, description="an estimate's 99 % interval, from")
    high: int | None = Field(default=None, description="… to")
    sample: list[Contact] = Field(description="a few of them")


@router.post(
    "/preview",
    response_model=Preview,
    summary="How many contacts a filter matches now, and a few of them (nothing is saved)",
    description="What a segment builder shows while a filter is edited. A filter that no "
    "index narrows may take too long at a large size: it answers 503 after 5 seconds.",
)
async def preview(
    body: Counting,
    registry: SegmentsDep,
    contacts: ContactsDep,
    key: ApiKey = Scope("segments:read"),
) -> Preview:
    try:
        guess, docs = (
            await registry.estimate_members(body.filter, EXAMPLES) if body.estimate else (None, [])
        )
        count = None if guess else await registry.would_match(body.filter, at_most=body.at_most)
    except ExecutionTimeout as exc:
        raise HTTPException(
            status.HTTP_503_SERVICE_UNAVAILABLE, "counting took over 5 seconds; narrow the filter"
        ) from exc
    if len(docs) < EXAMPLES:  # the slice held too few: any of them
        docs = await contacts.stores.records.sample(body.filter.to_mongo(), EXAMPLES)
    sample = [Contact.of(d) for d in docs]
    if guess:
        return Preview(
            members=guess.members,
            exact=False,
            estimated=True,
            low=guess.low,
            high=guess.high,
            sample=sample,
        )
    assert count is not None
    exact = body.at_most is None or count < body.at_most
    return Preview(members=count, exact=exact, sample=sample)


@router.get("", response_model=list[Segment], summary="Every segment with its member count")
async def list_segments(
    registry: SegmentsDep, key: ApiKey = Scope("segments:read")
) -> list[Segment]:
    return [await _view(registry, doc) for doc in await registry.all()]


@router.get("/{segment_id}", response_model=Segment, summary="One segment and its build progress")
async def get_segment(
    segment_id: str, registry: SegmentsDep, key: ApiKey = Scope("segments:read")
) -> Segment:
    doc = await registry.get(segment_id)
    if doc is None:
        raise _not_found(segment_id)
    return await _view(registry, doc)


@router.put(
    "/{segment_id}",
    response_model=Segment,
    summary="Change a segment's definition; membership is rebuilt in the background",
)
async def replace_segment(
    segment_id: str,
    body: SegmentDefinition,
    registry: SegmentsDep,
    key: ApiKey = Scope("segments:write"),
) -> Segment:
    doc = await registry.replace(segment_id, body.name, body.filter)
    if doc is None:
        raise _not_found(segment_id)
    return await _view(registry, doc)


@router.delete(
    "/{segment_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Delete a segment (contacts are not touched otherwise)",
)
async def delete_segment(
    segment_id: str, registry: SegmentsDep, key: ApiKey = Scope("segments:write")
) -> None:
    if not await registry.delete(segment_id):
        raise _not_found(segment_id)


@router.get("/{segment_id}/members", response_model=ContactPage, summary="A segment's members")
async def members(
    segment_id: str,
    contacts: ContactsDep,
    registry: SegmentsDep,
    limit: int = Query(50, ge=1, le=500),
    cursor: str | None = Query(None),
    key: ApiKey = Scope("segments:read"),
) -> ContactPage:
    if await registry.get(segment_id) is None:
        raise _not_found(segment_id)
    try:
        after = decode_cursor(cursor) if cursor else None
    except ValueError as exc:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_ENTITY, str(exc)) from exc
    query = ContactFilter(segment=segment_id).to_mongo()
    docs = await contacts.stores.records.search(query, after, limit)
    return ContactPage(
        items=[Contact.of(d) for d in docs],
        next_cursor=encode_cursor(docs[-1]["_id"]) if len(docs) == limit else None,
    )
