"""What the contacts API answers about a contact: the record as readers see it (its purchase
history summed, internal fields left out), a page of them, a possible duplicate."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from lodestone_common.events import LifecycleStage

from ..domain.purchases import readable_history
from ..domain.traits import readable

_INTERNAL = {"_id", "terms", "review"}  # terms is the search index's copy of name, company, emails


class Bought(BaseModel):
    name: str = Field(description="the product (SKU, else item name) or category")
    title: str | None = Field(None, description="a product's name, as its latest order said")
    orders: int
    units: int = 0
    spent: dict[str, float] = Field(description="per currency")
    last_at: datetime | None = None


class PurchaseHistory(BaseModel):
    orders: int
    first_at: datetime | None = None
    last_at: datetime | None = None
    spent: dict[str, float] = Field(description="per currency, never summed across")
    products: list[Bought]
    categories: list[Bought]


class Contact(BaseModel):
    model_config = ConfigDict(extra="allow")

    id: str
    email: str | None = None
    emails: list[str] = []
    phone: str | None = Field(None, description="the main phone; every known one in `phones`")
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
    # What scoring last said (kept here for search and lists).
    score: float | None = None
    score_band: str | None = None
    grade: str | None = None
    source: str | None = None
    purchases: PurchaseHistory | None = Field(
        None, description="what they bought, summed as orders arrive (segments filter on it)"
    )
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, doc: dict[str, Any]) -> Contact:
        # Whatever the stored record holds: one bad value must not make it unreadable.
        shown = {k: v for k, v in doc.items() if k not in _INTERNAL}
        shown["purchases"] = readable_history(doc.get("purchases"))
        return readable(cls, {"id": doc["_id"], **shown})


class ContactPage(BaseModel):
    items: list[Contact]
    next_cursor: str | None = Field(description="pass as `cursor` for the next page")


class Duplicate(BaseModel):
    contact: Contact
    reasons: list[str]
