"""`/v1/suppressions`: the addresses no email goes to, why, and lifting an entry."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from fastapi import APIRouter, HTTPException, Query, status
from pydantic import BaseModel, ConfigDict, Field

from lodestone_common.auth import ApiKey, Scope
from lodestone_common.http import invalid

from ..domain.workflows import sender_domain
from ..stores.suppressions import address_key
from .deps import AutomationDep

router = APIRouter(prefix="/v1/suppressions", tags=["suppressions"])

Reason = Literal["hard_bounce", "complaint", "unsubscribe", "manual"]


class Suppression(BaseModel):
    email: str
    reason: Reason
    detail: str | None = None
    by: str | None = Field(None, description="who or what added it")
    since: datetime
    updated_at: datetime

    @classmethod
    def of(cls, doc: dict[str, Any]) -> Suppression:
        return cls(email=doc["_id"], **{k: doc.get(k) for k in cls.model_fields if k != "email"})


class SuppressionPage(BaseModel):
    items: list[Suppression]
    next_cursor: str | None = Field(description="pass as `after` for the next page")


class ManualSuppression(BaseModel):
    model_config = ConfigDict(extra="forbid")

    email: str = Field(min_length=3, max_length=254)
    note: str | None = Field(None, max_length=500)


@router.get("", response_model=SuppressionPage, summary="Suppressed addresses, by address")
async def list_suppressions(
    automation: AutomationDep,
    reason: Reason | None = None,
    after: str | None = Query(None, max_length=254),
    limit: int = Query(100, ge=1, le=1000),
    key: ApiKey = Scope("emails:read"),
) -> SuppressionPage:
    docs = await automation.stores.suppressions.page(reason, after, limit)
    cursor = docs[-1]["_id"] if len(docs) == limit else None
    return SuppressionPage(items=[Suppression.of(d) for d in docs], next_cursor=cursor)


@router.post(
    "",
    response_model=Suppression,
    status_code=status.HTTP_201_CREATED,
    summary="Suppress an address by hand",
)
async def suppress(
    body: ManualSuppression, automation: AutomationDep, key: ApiKey = Scope("emails:write")
) -> Suppression:
    if sender_domain(body.email) is None:  # one plain address, nothing else
        raise invalid("body", "email", "one address, e.g. ada@example.com")
    store = automation.stores.suppressions
    entry = {"email": body.email, "reason": "manual", "detail": body.note, "by": key.name}
    await store.add_many([entry])
    found = await store.get(body.email)
    assert found is not None
    return Suppression.of(found)


@router.get("/{email}", response_model=Suppression, summary="Whether an address is suppressed")
async def one(
    email: str, automation: AutomationDep, key: ApiKey = Scope("emails:read")
) -> Suppression:
    found = await automation.stores.suppressions.get(email)
    if found is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"{address_key(email)!r} is not suppressed")
    return Suppression.of(found)


@router.delete(
    "/{email}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Lift a suppression (the address may be mailed again)",
)
async def lift(email: str, automation: AutomationDep, key: ApiKey = Scope("emails:write")) -> None:
    if not await automation.stores.suppressions.remove(email):
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"{address_key(email)!r} is not suppressed")
