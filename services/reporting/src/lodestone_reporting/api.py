"""Reporting's HTTP API (`/v1/reports`)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from pydantic import BaseModel

from lodestone_common.auth import ApiKey, Scope

from .domain import CONTACTS_CREATED
from .repository import CountersRepository

router = APIRouter(prefix="/v1/reports", tags=["reports"])


class ContactsReport(BaseModel):
    total: int
    by_day: dict[str, int]
    by_source: dict[str, int]


def _counters(request: Request) -> CountersRepository:
    return request.app.state.counters


@router.get("/contacts", response_model=ContactsReport, summary="Contacts created")
async def contacts_report(request: Request, key: ApiKey = Scope("reports:read")) -> ContactsReport:
    counters = _counters(request)
    values = await counters.with_prefix(f"{CONTACTS_CREATED}:")
    by_day = {k.rsplit(":", 1)[1]: v for k, v in values.items() if ":day:" in k}
    by_source = {k.split(":source:", 1)[1]: v for k, v in values.items() if ":source:" in k}
    return ContactsReport(
        total=await counters.value(CONTACTS_CREATED),
        by_day=dict(sorted(by_day.items())),
        by_source=dict(sorted(by_source.items())),
    )
