"""The in-memory segment evaluator must agree with the database query for the same filter."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import uuid4

import pytest

from lodestone_contacts.domain.search import ContactFilter
from lodestone_contacts.domain.segments import matches, membership_change

T = datetime(2026, 11, 1, tzinfo=UTC)
NOW = datetime(2026, 12, 5, 12, 0, tzinfo=UTC)

DOCS = [
    {
        "_id": "a",
        "lifecycle_stage": "lead",
        "tags": ["vip", "b2b"],
        "custom": {"seats": 5},
        "activity": {"page_visit": 3},
        "created_at": T,
        "score_band": "hot",
        "score": 120.0,
        "emails": ["a@x.io"],
        "company": "Acme",
        "anonymous": False,
    },
    {
        "_id": "b",
        "lifecycle_stage": "customer",
        "tags": ["vip"],
        "custom": {"seats": "5"},
        "activity": {"page_visit": 1},
        "created_at": T.replace(month=10),
        "anonymous": False,
    },
    {
        "_id": "c",
        "lifecycle_stage": "lead",
        "tags": [],
        "custom": {"trial": True},
        "activity": {},
        "created_at": T,
        "anonymous": True,
        "segments": ["s_old"],
    },
    {
        "_id": "f",
        "lifecycle_stage": "customer",
        "created_at": NOW - timedelta(days=400),
        "last_activity_at": NOW - timedelta(days=3),
        "contract_end_date": "2026-12-20",
        "purchases": {
            "orders": 3,
            "first_at": NOW - timedelta(days=200),
            "last_at": NOW - timedelta(days=3),
            "spent": {"USD": 250.0, "EUR": 40.0},
            "products": {
                "W%2E1": {
                    "orders": 2,
                    "units": 5,
                    "spent": {"USD": 200.0},
                    "last_at": NOW - timedelta(days=3),
                },
                "G-2": {
                    "orders": 1,
                    "units": 1,
                    "spent": {"EUR": 40.0},
                    "last_at": NOW - timedelta(days=200),
                },
            },
            "categories": {
                "gadgets": {
                    "orders": 3,
                    "units": 6,
                    "spent": {"USD": 200.0, "EUR": 40.0},
                    "last_at": NOW - timedelta(days=3),
                },
            },
        },
        "anonymous": False,
    },
    {
        "_id": "g",
        "lifecycle_stage": "customer",
        "created_at": NOW - timedelta(days=10),
        "last_activity_at": NOW - timedelta(days=45),
        "contract_end_date": "2027-06-01",
        "purchases": {
            "orders": 1,
            "last_at": NOW - timedelta(days=45),
            "spent": {"USD": 20.0},
            "products": {
                "G-2": {
                    "orders": 1,
                    "units": 1,
                    "spent": {"USD": 20.0},
                    "last_at": NOW - timedelta(days=45),
                }
            },
        },
        "anonymous": False,
    },
    {"_id": "d", "lifecycle_stage": "lead", "merged_into": "a", "tags": ["vip"]},
    {"_id": "e", "erased": True},
]

FILTERS = [
    {},
    {"stage": ["lead"]},
    {"tags": ["vip"]},
    {"tags": ["vip", "b2b"]},
    {"custom": {"seats": "5"}},
    {"custom": {"trial": "true"}},
    {"min_activity": {"page_visit": 2}},
    {"score_band": ["hot"], "min_score": 100},
    {"created_after": "2026-10-15T00:00:00"},
    {"created_before": "2026-10-15T00:00:00Z"},
    {"email": "A@x.io"},
    {"company": "Acme", "anonymous": False},
    {"stage": ["lead"], "anonymous": True},
    {"segment": "s_old"},
    {"title": "CTO", "min_age": 30},
    {"max_age": 40},
    {"min_company_size": 10, "max_company_size": 100},
    {"gender": "f", "stage": ["lead"]},
    # OR and NOT groups, nested.
    {"any_of": [{"company": "Acme"}, {"stage": ["customer"]}]},
    {"stage": ["lead"], "none_of": [{"anonymous": True}]},
    {
        "any_of": [{"tags": ["b2b"]}, {"custom": {"trial": "true"}}],
        "none_of": [{"score_band": ["hot"]}],
    },
    {
        "any_of": [
            {"stage": ["customer"]},
            {"any_of": [{"company": "Acme"}], "none_of": [{"tags": ["vip"]}]},
        ]
    },
    {"none_of": [{"any_of": [{"tags": ["vip"]}, {"anonymous": True}]}]},
    # A shared part testing the same field as an alternative (the query keeps both).
    {"tags": ["b2b"], "any_of": [{"tags": ["vip"]}, {"company": "Acme"}]},
    {"company": "Acme", "any_of": [{"company": "Acme", "stage": ["lead"]}, {"tags": ["vip"]}]},
]
# Purchase history and dates relative to NOW: (filter, who it chooses among a, b, c, f, g).
RELATIVE = [
    ({"purchased": [{}]}, {"f", "g"}),
    ({"purchased": [{"product": "W.1"}]}, {"f"}),
    ({"purchased": [{"product": "G-2", "within_days": 30}]}, set()),
    ({"purchased": [{"product": "G-2", "within_days": 60}]}, {"g"}),
    ({"purchased": [{"product": "W.1", "min_orders": 2, "within_days": 7}]}, {"f"}),
    ({"purchased": [{"product": "W.1", "min_orders": 3}]}, set()),
    ({"purchased": [{"category": "gadgets", "min_spent": 30, "currency": "EUR"}]}, {"f"}),
    ({"purchased": [{"min_spent": 100}]}, {"f"}),
    ({"purchased": [{"product": "W.1"}, {"product": "G-2"}]}, {"f"}),
    ({"stage": ["customer"], "none_of": [{"purchased": [{"product": "W.1"}]}]}, {"b", "g"}),
    ({"any_of": [{"purchased": [{"product": "W.1"}]}, {"tags": ["b2b"]}]}, {"a", "f"}),
    ({"dates": [{"field": "last_activity_at", "from_days": -30}]}, {"f"}),
    ({"dates": [{"field": "last_activity_at", "to_days": -30}]}, {"g"}),
    ({"dates": [{"field": "last_purchase_at", "from_days": -7}]}, {"f"}),
    ({"dates": [{"field": "created_at", "from_days": -30}]}, {"g"}),
    ({"dates": [{"field": "contract_end_date", "from_days": 0, "to_days": 60}]}, {"f"}),
    ({"dates": [{"field": "contract_end_date", "from_days": 0, "to_days": 15}]}, {"f"}),
    ({"dates": [{"field": "contract_end_date", "from_days": 0, "to_days": 14}]}, set()),
    ({"dates": [{"field": "contract_end_date", "from_days": 100}]}, {"g"}),
    (
        {
            "stage": ["customer"],
            "none_of": [{"dates": [{"field": "last_activity_at", "from_days": -30}]}],
        },
        {"b", "g"},
    ),
]

# What the groups choose among a, b and c (d is merged, e erased).
GROUPS = {
    0: {"a", "b"},  # Acme OR customer
    1: {"a"},  # leads that are NOT anonymous
    2: {"c"},  # b2b OR on trial, NOT hot
    3: {"b"},  # customer OR (Acme and NOT vip): Acme is a vip
    4: set(),  # NOT (vip OR anonymous): everyone is one or the other
}


@pytest.mark.parametrize("raw", FILTERS)
def test_evaluator_cases(raw: dict) -> None:  # type: ignore[type-arg]
    flt = ContactFilter.model_validate(raw)
    chosen = {d["_id"] for d in DOCS if matches(flt, d)}
    assert "d" not in chosen and "e" not in chosen


@pytest.mark.parametrize(("raw", "chosen"), RELATIVE)
def test_purchase_and_relative_date_conditions_choose_what_they_say(
    raw: dict,
    chosen: set[str],  # type: ignore[type-arg]
) -> None:
    flt = ContactFilter.model_validate(raw)
    assert {d["_id"] for d in DOCS if matches(flt, d, NOW)} == chosen


async def test_evaluator_agrees_with_the_database(mongo) -> None:  # type: ignore[no-untyped-def]
    db = mongo[f"test_segments_{uuid4().hex[:8]}"]
    try:
        await db.contacts.insert_many([dict(d) for d in DOCS])
        for raw in [*FILTERS, *(r for r, _ in RELATIVE)]:
            flt = ContactFilter.model_validate(raw)
            query = flt.to_mongo(NOW)
            in_db = {d["_id"] async for d in db.contacts.find(query, {"_id": 1})}
            in_memory = {d["_id"] for d in DOCS if matches(flt, d, NOW)}
            assert in_db == in_memory, raw
            # A new segment's candidates hold everyone it may ever match without a change.
            loose = {d["_id"] async for d in db.contacts.find(flt.loosened().to_mongo(NOW))}
            assert in_memory <= loose, raw

    finally:
        await mongo.drop_database(db.name)


def test_membership_change_only_touches_the_given_segments() -> None:
    doc = {"_id": "x", "lifecycle_stage": "lead", "segments": ["s_other", "s_gone"]}
    segments = {"s_leads": ContactFilter(stage=["lead"]), "s_gone": ContactFilter(stage=["lost"])}
    assert membership_change(doc, segments) == (["s_leads"], ["s_gone"])


@pytest.mark.parametrize("index", sorted(GROUPS))
def test_or_and_not_groups_choose_what_they_say(index: int) -> None:
    raw = [f for f in FILTERS if "any_of" in f or "none_of" in f][index]
    flt = ContactFilter.model_validate(raw)
    first = [d for d in DOCS if d["_id"] in "abcde"]
    assert {d["_id"] for d in first if matches(flt, d)} == GROUPS[index]


def test_groups_nest_three_deep_at_most() -> None:
    deep: dict = {"company": "Acme"}  # type: ignore[type-arg]
    for _ in range(3):
        deep = {"any_of": [deep]}
    assert ContactFilter.model_validate(deep).depth() == 3
    with pytest.raises(ValueError, match="at most 3 deep"):
        ContactFilter.model_validate({"none_of": [deep]})


@pytest.mark.parametrize(("raw", "_"), RELATIVE)
def test_membership_changes_only_at_the_moments_flips_names(raw: dict, _: set[str]) -> None:  # type: ignore[type-arg]
    """Walking a year forward from NOW an hour at a time, a record's membership never changes
    between one announced flip and the next: a review at each flip misses nothing."""
    flt = ContactFilter.model_validate(raw)
    for doc in DOCS:
        at, due = NOW, flt.flips(doc, NOW)
        was = matches(flt, doc, at)
        while at < NOW + timedelta(days=365):
            at += timedelta(hours=1)
            if due is not None and at >= due:  # reviewed at its moment: starts afresh
                was, due = matches(flt, doc, due), flt.flips(doc, due)
                assert due is None or due > at - timedelta(hours=1)
            assert matches(flt, doc, at) == was, (raw, doc["_id"], at)


def test_a_window_flips_in_and_out_at_its_edges() -> None:
    ends = {"_id": "x", "contract_end_date": "2027-01-31"}
    soon = ContactFilter.model_validate(
        {"dates": [{"field": "contract_end_date", "from_days": 0, "to_days": 30}]}
    )
    # In from the start of 1 January (31 - 30 days) to the end of 31 January.
    assert soon.flips(ends, NOW) == datetime(2027, 1, 1, tzinfo=UTC)
    assert not matches(soon, ends, datetime(2026, 12, 31, 23, 59, tzinfo=UTC))
    assert matches(soon, ends, datetime(2027, 1, 1, tzinfo=UTC))
    assert soon.flips(ends, datetime(2027, 1, 1, tzinfo=UTC)) == datetime(2027, 2, 1, tzinfo=UTC)
    assert matches(soon, ends, datetime(2027, 1, 31, 23, 59, tzinfo=UTC))
    assert not matches(soon, ends, datetime(2027, 2, 1, tzinfo=UTC))
    bought = {"_id": "y", "purchases": {"orders": 1, "last_at": NOW}}
    recent = ContactFilter.model_validate({"purchased": [{"within_days": 7}]})
    assert recent.flips(bought, NOW) == NOW + timedelta(days=7, microseconds=1)


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ({"dates": [{"field": "contract_end_date"}]}, "from_days, to_days or both"),
        ({"dates": [{"field": "created_at", "from_days": 5, "to_days": -5}]}, "not be after"),
        ({"dates": [{"field": "birthday", "from_days": 0}]}, "Input should be"),
        ({"purchased": [{"product": "a", "category": "b"}]}, "not both"),
        ({"purchased": [{"min_spent": 5, "currency": "usd"}]}, "pattern"),
        ({"purchased": [{"within_days": 0}]}, "greater than or equal to 1"),
    ],
)
def test_conditions_refuse_what_means_nothing(raw: dict, message: str) -> None:  # type: ignore[type-arg]
    with pytest.raises(ValueError, match=message):
        ContactFilter.model_validate(raw)
