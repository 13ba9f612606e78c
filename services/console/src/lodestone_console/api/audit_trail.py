"""`/v1/audit`: the audit trail, newest first (admins)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel

from lodestone_common.auth import ApiKey
from lodestone_common.provided import provided

from ..stores.audit import AuditTrail
from .deps import Allowed

router = APIRouter(prefix="/v1/audit", tags=["audit"])
TrailDep = Annotated[AuditTrail, provided("audit")]


class Entry(BaseModel):
    at: datetime
    actor: str
    method: str
    path: str
    status: int
    address: str | None


class Page(BaseModel):
    entries: list[Entry]
    before: datetime | None = None  # pass as `before` for the next (older) page


@router.get("", response_model=Page, summary="Who changed what, when: newest first")
async def entries(
    trail: TrailDep,
    actor: str | None = Query(None, max_length=254, description="one person's email or key"),
    contains: str | None = Query(None, max_length=200, description="paths containing this"),
    before: datetime | None = Query(None, description="older than this (the last page's end)"),
    limit: int = Query(100, ge=1, le=1000),
    key: ApiKey = Allowed("audit:read"),
) -> Page:
    found = await trail.page(actor, contains, before, limit)
    last = found[-1]["at"] if len(found) == limit else None
    return Page(entries=[Entry(**d) for d in found], before=last)
