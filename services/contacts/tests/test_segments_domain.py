"""The in-memory segment evaluator must agree with the database query for the same filter."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import uuid4

import pytest

from lodestone_contacts.domain.search import ContactFilter
from lodestone_contacts.domain.segments import matches, membership_change

T = datetime(2026, 11, 1, tzinfo=UTC)

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


async def test_evaluator_agrees_with_the_database(mongo) -> None:  # type: ignore[no-untyped-def]
    db = mongo[f"test_segments_{uuid4().hex[:8]}"]
    try:
        await db.contacts.insert_many([dict(d) for d in DOCS])
        for raw in FILTERS:
            flt = ContactFilter.model_validate(raw)
            in_db = {d["_id"] async for d in db.contacts.find(flt.to_mongo(), {"_id": 1})}
            in_memory = {d["_id"] for d in DOCS if matches(flt, d)}
            assert in_db == in_memory, raw

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
    assert {d["_id"] for d in DOCS if matches(flt, d)} == GROUPS[index]


def test_groups_nest_three_deep_at_most() -> None:
    deep: dict = {"company": "Acme"}  # type: ignore[type-arg]
    for _ in range(3):
        deep = {"any_of": [deep]}
    assert ContactFilter.model_validate(deep).depth() == 3
    with pytest.raises(ValueError, match="at most 3 deep"):
        ContactFilter.model_validate({"none_of": [deep]})
