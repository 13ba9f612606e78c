"""Contact filters: one definition used by search (as a MongoDB query) and, being plain data,
testable without a database."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from lodestone_common.events import InteractionType, LifecycleStage

from .records import normalize_email, normalize_phone
from .relative import DateWindow, Purchased

_FIELD = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")
# OR and NOT groups: filters per group, and how deep groups may nest.
MAX_GROUP = 20
MAX_DEPTH = 3
BANDS = ("cold", "warm", "hot")
EQUALITY_FIELDS = (
    "external_id",
    "owner_id",
    "company",
    "country",
    "source",
    "anonymous",
    "first_name",
    "last_name",
    "title",
    "industry",
    "gender",
    "income_band",
    "preferred_payment_method",
    "purchase_purpose",
)


# Every list and string in a filter is bounded: a segment is re-evaluated on every contact
# change, and a 250,000-tag filter stalled the service for seconds.
Text = Annotated[str, Field(max_length=300)]


class ContactFilter(BaseModel):
    model_config = ConfigDict(extra="forbid")

    stage: list[LifecycleStage] = Field(default_factory=list, max_length=10)
    external_id: Text | None = Field(
        default=None, description="the id the sending system knows them by (a userId)"
    )
    owner_id: Text | None = None
    tags: list[Annotated[str, Field(max_length=100)]] = Field(
        default_factory=list, max_length=50, description="contacts carrying all of them"
    )
    email: Text | None = None
    phone: Text | None = None
    company: Text | None = None
    country: Text | None = None
    source: Text | None = None
    anonymous: bool | None = None
    first_name: Text | None = None
    last_name: Text | None = None
    title: Text | None = None
    industry: Text | None = None
    gender: Text | None = None
    income_band: Text | None = None
    preferred_payment_method: Text | None = None
    purchase_purpose: Text | None = None
    min_age: int | None = Field(default=None, ge=0, le=200)
    max_age: int | None = Field(default=None, ge=0, le=200)
    min_company_size: int | None = Field(default=None, ge=0, le=10**9)
    max_company_size: int | None = Field(default=None, ge=0, le=10**9)
    score_band: list[Text] = Field(default_factory=list, max_length=10)
    grade: list[Text] = Field(default_factory=list, max_length=10)
    min_score: float | None = None
    created_after: datetime | None = None
    created_before: datetime | None = None
    active_after: datetime | None = None
    custom: dict[str, Text] = Field(default_factory=dict, max_length=20)
    min_activity: dict[InteractionType, Annotated[int, Field(ge=0, le=10**9)]] = Field(
        default_factory=dict
    )
    segment: str | None = Field(default=None, description="members of this saved segment")
    purchased: list[Purchased] = Field(
        default_factory=list,
        max_length=10,
        description="purchase history, every condition holding: "
        '[{"product": "SKU-1", "within_days": 30}, {"category": "shoes", "min_spent": 100}]',
    )
    dates: list[DateWindow] = Field(
        default_factory=list,
        max_length=10,
        description="dates relative to now, every window holding: "
        '[{"field": "contract_end_date", "from_days": 0, "to_days": 60}]; membership '
        "changes when time moves a contact in or out",
    )
    # Groups: contacts matching everything above AND at least one filter of `any_of` AND
    # none of `none_of`; groups nest (a group's filters may have groups of their own).
    any_of: list[ContactFilter] = Field(
        default_factory=list, max_length=MAX_GROUP, description="OR: at least one of these"
    )
    none_of: list[ContactFilter] = Field(
        default_factory=list, max_length=MAX_GROUP, description="NOT: none of these"
    )

    @model_validator(mode="after")
    def _shallow(self) -> ContactFilter:
        if self.depth() > MAX_DEPTH:
            raise ValueError(f"groups nest at most {MAX_DEPTH} deep")
        return self

    def depth(self) -> int:
        inner = [f.depth() for f in (*self.any_of, *self.none_of)]
        return 1 + max(inner) if inner else 0

    @field_validator("created_after", "created_before", "active_after")
    @classmethod
    def _utc(cls, value: datetime | None) -> datetime | None:
        # A date without a zone means UTC, as stored.
        return value.replace(tzinfo=UTC) if value and value.tzinfo is None else value

    @field_validator("email")
    @classmethod
    def _email(cls, value: str | None) -> str | None:
        return normalize_email(value) if value else None

    @field_validator("phone")
    @classmethod
    def _phone(cls, value: str | None) -> str | None:
        return normalize_phone(value) if value else None

    @field_validator("tags")
    @classmethod
    def _tags(cls, value: list[str]) -> list[str]:
        return sorted({t.strip().lower() for t in value if t.strip()})

    @field_validator("score_band")
    @classmethod
    def _bands(cls, value: list[str]) -> list[str]:
        for band in value:
            if band not in BANDS:
                raise ValueError(f"score band must be one of {', '.join(BANDS)}")
        return value

    @field_validator("custom")
    @classmethod
    def _custom(cls, value: dict[str, str]) -> dict[str, str]:
        for name in value:
            if not _FIELD.match(name):
                raise ValueError(f"custom field name {name!r} is not a plain identifier")
        return value

    @field_validator("min_activity")
    @classmethod
    def _activity(cls, value: dict[str, int]) -> dict[str, int]:
        if any(n < 0 for n in value.values()):
            raise ValueError("activity counts are not negative")
        return value

    def ranges(self) -> dict[str, tuple[int | None, int | None]]:
        return {
            "age": (self.min_age, self.max_age),
            "company_size": (self.min_company_size, self.max_company_size),
        }

    def relative(self) -> bool:
        """Whether the passing of time alone can change what this filter matches."""
        own = self.dates or any(p.within_days is not None for p in self.purchased)
        return bool(own) or any(f.relative() for f in (*self.any_of, *self.none_of))

    def flips(self, doc: dict[str, Any], now: datetime) -> datetime | None:
        """The next moment after `now` at which time alone may change whether this record
        matches (the earliest flip of any relative condition in the filter), or None."""
        moments = [c.flips(doc, now) for c in (*self.dates, *self.purchased)]
        moments += [f.flips(doc, now) for f in (*self.any_of, *self.none_of)]
        found = [m for m in moments if m is not None]
        return min(found) if found else None

    def loosened(self) -> ContactFilter:
        """A filter matching every contact this one matches now or may match later without
        a change to the contact (a new segment's candidates): relative conditions dropped
        where they narrow, NOT groups holding one dropped whole."""
        if not self.relative():
            return self
        return self.model_copy(
            update={
                "dates": [],
                "purchased": [p.model_copy(update={"within_days": None}) for p in self.purchased],
                "any_of": [f.loosened() for f in self.any_of],
                "none_of": [f for f in self.none_of if not f.relative()],
            }
        )

    def to_mongo(self, now: datetime | None = None) -> dict[str, Any]:
        top = {"merged_into": {"$exists": False}, "erased": {"$ne": True}}
        return self._query(top, now or datetime.now(UTC))

    def conditions(self, now: datetime) -> dict[str, Any]:
        """The query of this filter's own conditions (inside a group: the merged and erased
        are left out once, at the top)."""
        return self._query({}, now)

    def _query(self, query: dict[str, Any], now: datetime) -> dict[str, Any]:
        if self.stage:
            query["lifecycle_stage"] = {"$in": list(self.stage)}
        if self.tags:
            query["tags"] = {"$all": self.tags}
        for name in EQUALITY_FIELDS:
            value = getattr(self, name)
            if value is not None:
                query[name] = value
        for name, (low, high) in self.ranges().items():
            bounds = {}
            if low is not None:
                bounds["$gte"] = low
            if high is not None:
                bounds["$lte"] = high
            if bounds:
                query[name] = bounds
        if self.email:
            query["emails"] = self.email
        if self.phone:
            query["phones"] = self.phone
        if self.score_band:
            query["score_band"] = {"$in": self.score_band}
        if self.grade:
            query["grade"] = {"$in": self.grade}
        if self.min_score is not None:
            query["score"] = {"$gte": self.min_score}
        created: dict[str, Any] = {}
        if self.created_after:
            created["$gte"] = self.created_after
        if self.created_before:
            created["$lt"] = self.created_before
        if created:
            query["created_at"] = created
        if self.active_after:
            query["last_activity_at"] = {"$gte": self.active_after}
        for name, value in self.custom.items():
            query[f"custom.{name}"] = _scalar(value)
        for kind, n in self.min_activity.items():
            query[f"activity.{kind}"] = {"$gte": n}
        if self.segment:
            query["segments"] = self.segment
        # Several conditions may test one path (two products' windows): each its own clause.
        groups: list[dict[str, Any]] = [c.clause(now) for c in (*self.purchased, *self.dates)]
        if self.any_of:
            groups.append({"$or": [f.conditions(now) for f in self.any_of]})
        if self.none_of:
            groups.append({"$nor": [f.conditions(now) for f in self.none_of]})
        if groups:
            query["$and"] = groups
        return query


def _scalar(text: str) -> Any:
    """Query-string values are text; match numbers and booleans as what they look like."""
    if text in ("true", "false"):
        return {"$in": [text, text == "true"]}
    try:
        number = float(text)
    except ValueError:
        return text
    return {"$in": [text, number, int(number)] if number.is_integer() else [text, number]}


def from_query(params: dict[str, list[str]]) -> ContactFilter:
    """A filter from query-string parameters (`custom.plan=pro`, `min_activity.page_visit=3`)."""
    fields: dict[str, Any] = {"custom": {}, "min_activity": {}}
    lists = {"stage", "tags", "tag", "score_band", "grade"}
    for name, values in params.items():
        if name in ("limit", "cursor"):
            continue
        if name.startswith("custom."):
            fields["custom"][name.removeprefix("custom.")] = values[-1]
        elif name.startswith("min_activity."):
            fields["min_activity"][name.removeprefix("min_activity.")] = values[-1]
        elif name in lists:
            key = "tags" if name == "tag" else name
            fields.setdefault(key, []).extend(v for raw in values for v in raw.split(","))
        else:
            fields[name] = values[-1]
    return ContactFilter.model_validate(fields)
