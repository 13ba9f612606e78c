"""Segment conditions on purchase history and on dates relative to now ("in the last 30
days", "contract ends within 60 days").

Each condition is three things: a MongoDB clause (search, counts, a segment's candidates),
an in-memory test (membership on every change) and — for those that hold or stop holding
as time passes — the next moment its answer can flip, so a contact is looked at again then
and only then (segments.py keeps that moment on the record; no sweep over all contacts).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from lodestone_common.conditions import values

from .purchases import escape

DAYS = 36_500  # a hundred years either way
Days = Annotated[int, Field(ge=-DAYS, le=DAYS)]
DateField = Literal[
    "created_at", "last_activity_at", "last_purchase_at", "owner_assigned_at", "contract_end_date"
]
# Where each date lives on the record; contract_end_date is a calendar day (ISO text).
PATHS: dict[str, str] = {
    "created_at": "created_at",
    "last_activity_at": "last_activity_at",
    "last_purchase_at": "purchases.last_at",
    "owner_assigned_at": "owner_assigned_at",
    "contract_end_date": "contract_end_date",
}
CALENDAR_DAYS = {"contract_end_date"}


def lookup(doc: dict[str, Any], path: str) -> Any:
    """The value at a dotted path of the record (None if it has none)."""
    found = values(doc, path)
    return found[0] if found else None


def _aware(value: Any) -> datetime | None:
    if not isinstance(value, datetime):
        return None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


class DateWindow(BaseModel):
    """A date between `from_days` and `to_days` from now (negative: ago). "In the last 30
    days": from_days -30. "Contract ends within 60 days": from_days 0, to_days 60. "Over 90
    days ago": to_days -90."""

    model_config = ConfigDict(extra="forbid")

    field: DateField
    from_days: Days | None = Field(default=None, description="on or after now + this many days")
    to_days: Days | None = Field(default=None, description="on or before now + this many days")

    @model_validator(mode="after")
    def _bounded(self) -> DateWindow:
        if self.from_days is None and self.to_days is None:
            raise ValueError("give from_days, to_days or both")
        if self.from_days is not None and self.to_days is not None:
            if self.from_days > self.to_days:
                raise ValueError("from_days must not be after to_days")
        return self

    @property
    def path(self) -> str:
        return PATHS[self.field]

    def bounds(self, now: datetime) -> tuple[Any, Any]:
        """(lowest, highest) value that holds now; calendar days as ISO text."""

        def at(days: int | None) -> Any:
            if days is None:
                return None
            if self.field in CALENDAR_DAYS:
                return (now.date() + timedelta(days=days)).isoformat()
            return now + timedelta(days=days)

        return at(self.from_days), at(self.to_days)

    def clause(self, now: datetime) -> dict[str, Any]:
        low, high = self.bounds(now)
        found: dict[str, Any] = {}
        if low is not None:
            found["$gte"] = low
        if high is not None:
            found["$lte"] = high
        return {self.path: found}

    def _value(self, doc: dict[str, Any]) -> Any:
        value = lookup(doc, self.path)
        if self.field in CALENDAR_DAYS:
            return value if isinstance(value, str) else None
        return _aware(value)

    def holds(self, doc: dict[str, Any], now: datetime) -> bool:
        value = self._value(doc)
        if value is None:
            return False
        low, high = self.bounds(now)
        return (low is None or value >= low) and (high is None or value <= high)

    def flips(self, doc: dict[str, Any], now: datetime) -> datetime | None:
        """The next moment after now when this condition's answer changes for this record."""
        value = self._value(doc)
        if value is None:
            return None
        if self.field in CALENDAR_DAYS:
            day = date.fromisoformat(value)
            start = datetime.combine(day, time(), UTC)
            # Holds from the start of (day - to_days) until the end of (day - from_days).
            moments = [
                start - timedelta(days=self.to_days) if self.to_days is not None else None,
                start - timedelta(days=self.from_days - 1) if self.from_days is not None else None,
            ]
        else:
            # Holds while value - to_days <= now <= value - from_days.
            moments = [
                value - timedelta(days=self.to_days) if self.to_days is not None else None,
                value - timedelta(days=self.from_days) + timedelta(microseconds=1)
                if self.from_days is not None
                else None,
            ]
        later = [m for m in moments if m is not None and m > now]
        return min(later) if later else None


Currency = Annotated[str, Field(pattern=r"^[A-Z]{3}$")]


class Purchased(BaseModel):
    """Bought (a product, a category, or anything): at least `min_orders` orders and
    `min_spent` in `currency` over all time, the latest of them within `within_days`."""

    model_config = ConfigDict(extra="forbid")

    product: str | None = Field(
        default=None, min_length=1, max_length=100, description="SKU (or item name without one)"
    )
    category: str | None = Field(default=None, min_length=1, max_length=100)
    min_orders: int = Field(default=1, ge=1, le=10**9)
    min_spent: float | None = Field(default=None, ge=0, le=1e12)
    currency: Currency = Field(default="USD", description="of min_spent")
    within_days: int | None = Field(
        default=None, ge=1, le=DAYS, description="the latest such order in the last N days"
    )

    @model_validator(mode="after")
    def _one_subject(self) -> Purchased:
        if self.product is not None and self.category is not None:
            raise ValueError("a product or a category, not both (use two conditions)")
        return self

    @property
    def base(self) -> str:
        if self.product is not None:
            return f"purchases.products.{escape(self.product)}"
        if self.category is not None:
            return f"purchases.categories.{escape(self.category)}"
        return "purchases"

    def clause(self, now: datetime) -> dict[str, Any]:
        found: dict[str, Any] = {f"{self.base}.orders": {"$gte": self.min_orders}}
        if self.min_spent is not None:
            found[f"{self.base}.spent.{self.currency}"] = {"$gte": self.min_spent}
        if self.within_days is not None:
            found[f"{self.base}.last_at"] = {"$gte": now - timedelta(days=self.within_days)}
        return found

    def holds(self, doc: dict[str, Any], now: datetime) -> bool:
        line = lookup(doc, self.base)
        if not isinstance(line, dict):
            return False
        orders = line.get("orders")
        if not isinstance(orders, int | float) or orders < self.min_orders:
            return False
        if self.min_spent is not None:
            spent = (line.get("spent") or {}).get(self.currency)
            if not isinstance(spent, int | float) or spent < self.min_spent:
                return False
        if self.within_days is not None:
            last = _aware(line.get("last_at"))
            if last is None or last < now - timedelta(days=self.within_days):
                return False
        return True

    def flips(self, doc: dict[str, Any], now: datetime) -> datetime | None:
        if self.within_days is None:
            return None
        last = _aware(lookup(doc, f"{self.base}.last_at"))
        if last is None:
            return None
        leaves = last + timedelta(days=self.within_days) + timedelta(microseconds=1)
        return leaves if leaves > now else None
