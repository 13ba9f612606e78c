"""A builder's first answer at a large size: a filter's members estimated from a fixed slice of
the contacts (domain/estimate), the slice read through the real database's indexes."""

from __future__ import annotations

import random
from uuid import UUID, uuid4

from lodestone_common.processing import MemoryTransactions
from lodestone_contacts.domain.estimate import (
    FEWEST,
    estimate,
    fraction_for,
    id_slice,
)
from lodestone_contacts.domain.records import new_contact_id
from lodestone_contacts.domain.search import ContactFilter
from lodestone_contacts.segments import SegmentRegistry
from lodestone_contacts.stores.records import Records

PEOPLE = 5_000


def test_the_slice_is_the_share_of_random_ids_it_claims() -> None:
    ids = [new_contact_id() for _ in range(50_000)]
    for fraction in (0.02, 0.1, 0.5):
        bounds = id_slice(fraction)
        inside = sum(bounds["$gte"] <= i < bounds["$lt"] for i in ids)
        assert abs(inside / len(ids) - fraction) < 0.01
    assert fraction_for(10_000) == 1.0  # small: counted, not estimated
    assert fraction_for(1_000_000) == 0.02


def test_an_estimate_says_what_the_sample_can_tell() -> None:
    guess = estimate(2_847, 0.02)
    assert guess is not None
    assert guess.members == 142_000  # ± 5,200: no finer digits
    assert guess.low < 142_350 < guess.high
    assert estimate(FEWEST - 1, 0.02) is None  # too few in the slice to say
    assert estimate(500, 1.0) is None  # the slice was everyone: that is a count


async def test_estimates_hold_the_exact_count_on_the_real_database(mongo) -> None:  # type: ignore[no-untyped-def]
    db = mongo[f"test_estimate_{uuid4().hex[:8]}"]
    rnd = random.Random(11)  # fixed ids: the same slice every run
    people = [
        {
            "_id": f"c_{UUID(int=rnd.getrandbits(128)).hex}",
            "lifecycle_stage": "lead" if i % 4 == 0 else "subscriber",
            "tags": ["vip"] if i % 100 == 0 else ["webinar"],
            "company": "Acme" if i % 3 == 0 else "Other",
        }
        for i in range(PEOPLE)
    ]
    try:
        await Records(db["contacts"]).ensure_indexes()
        await db["contacts"].insert_many(people)
        registry = SegmentRegistry(db, MemoryTransactions(), "test", sample=500)
        leads_at_acme_or_vip = ContactFilter.model_validate(
            {"stage": ["lead"], "any_of": [{"company": "Acme"}, {"tags": ["vip"]}]}
        )
        for flt in (ContactFilter(stage=["lead"]), leads_at_acme_or_vip):
            exact = await registry.would_match(flt)
            guess, some = await registry.estimate_members(flt)
            assert guess is not None
            assert guess.low <= exact <= guess.high, (exact, guess)
            # Examples from the slice, each a member.
            assert len(some) == 5 and all(p["lifecycle_stage"] == "lead" for p in some)
        # 50 VIPs: about 5 in a tenth of the ids, too few to estimate from.
        guess, some = await registry.estimate_members(ContactFilter(tags=["vip"]))
        assert guess is None and all("vip" in p["tags"] for p in some)
        # A collection no larger than the sample is counted, never estimated (its size is
        # itself estimated, from a 1,024th of the ids: a sample well above it).
        everyone = SegmentRegistry(db, MemoryTransactions(), "test", sample=10 * PEOPLE)
        assert await everyone.estimate_members(ContactFilter(stage=["lead"])) == (None, [])
    finally:
        await mongo.drop_database(db.name)
