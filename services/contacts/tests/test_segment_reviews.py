"""Membership that time changes, against the real database: each record carries the moment
it must be looked at again, the review moves it in or out then (announcing it), and only the
process owning the contact's partition does it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import uuid4

import orjson

from lodestone_common.liveness import Progress
from lodestone_common.outbox import Outbox, waiting
from lodestone_common.ownership import partition_of
from lodestone_common.processing import Transactions, UnitOfWork
from lodestone_contacts.domain.search import ContactFilter
from lodestone_contacts.segment_reviews import SegmentReviews
from lodestone_contacts.segments import SegmentRegistry

T = datetime(2026, 12, 5, 12, 0, tzinfo=UTC)


class Clock:
    def __init__(self) -> None:
        self.now = T

    def __call__(self) -> datetime:
        return self.now


async def _events(db) -> list[tuple[str, list[str], list[str]]]:  # type: ignore[no-untyped-def]
    found = []
    for row in await waiting(db["outbox"]):
        env = orjson.loads(row["value"])
        found.append((env["contact_id"], env["payload"]["joined"], env["payload"]["left"]))
    return found


async def test_time_moves_contacts_in_and_out_at_their_moments(mongo) -> None:  # type: ignore[no-untyped-def]
    db = mongo[f"test_reviews_{uuid4().hex[:8]}"]
    try:
        await db["contacts"].insert_many(
            [
                # Active 29 days ago: leaves "active in the last 30 days" in a day.
                {"_id": "ana", "last_activity_at": T - timedelta(days=29)},
                # Contract ends in 62 days: joins "ends within 60 days" in two.
                {"_id": "bo", "contract_end_date": (T + timedelta(days=62)).date().isoformat()},
                # Bought 6 days ago: leaves "bought in the last week" in a day.
                {"_id": "cy", "purchases": {"orders": 1, "last_at": T - timedelta(days=6)}},
                {"_id": "dee"},  # nothing time can change
            ]
        )
        clock = Clock()
        outbox = Outbox(db, None, holder="test", service="contacts")  # type: ignore[arg-type]
        transactions = Transactions(mongo, outbox)
        registry = SegmentRegistry(db, transactions, "test", clock=clock)
        for sid, raw in (
            ("active", {"dates": [{"field": "last_activity_at", "from_days": -30}]}),
            ("renewal", {"dates": [{"field": "contract_end_date", "from_days": 0, "to_days": 60}]}),
            ("recent", {"purchased": [{"within_days": 7}]}),
        ):
            await db["segments"].insert_one({"_id": sid, "filter": raw})
        await registry.reload()

        async def refresh(uow: UnitOfWork) -> int:
            return await registry.refresh(["ana", "bo", "cy", "dee"], uow)

        assert await transactions.run(refresh) == 2  # ana active, cy recent
        docs = {d["_id"]: d async for d in db["contacts"].find({})}
        assert docs["ana"]["segments"] == ["active"] and docs["cy"]["segments"] == ["recent"]
        # Each carries its next moment, rounded up to the millisecond, and its partition.
        assert docs["ana"]["review"]["at"] == T + timedelta(days=1, milliseconds=1)
        assert docs["ana"]["review"]["partition"] == partition_of("ana")
        renew_at = datetime.combine((T + timedelta(days=2)).date(), datetime.min.time(), UTC)
        assert docs["bo"]["review"]["at"] == renew_at
        assert "review" not in docs["dee"]

        progress = Progress()
        reviews = SegmentReviews(registry, transactions, owned=lambda: None, progress=progress)
        assert await reviews.once() == 0  # nothing is due yet
        clock.now = T + timedelta(days=1, seconds=30)  # ana's and cy's moments have passed
        assert await reviews.overdue() == 0  # not late enough to call the loop stalled
        assert await reviews.once() == 2
        docs = {d["_id"]: d async for d in db["contacts"].find({})}
        assert docs["ana"]["segments"] == [] and docs["cy"]["segments"] == []
        assert "review" not in docs["ana"]  # nothing left for time to change
        clock.now = renew_at
        assert await reviews.once() == 1
        bo = await db["contacts"].find_one({"_id": "bo"})
        assert bo["segments"] == ["renewal"]
        # It leaves the day after the contract ends.
        assert bo["review"]["at"] == renew_at + timedelta(days=61)
        assert await _events(db) == [
            ("ana", ["active"], []),
            ("cy", ["recent"], []),
            ("ana", [], ["active"]),
            ("cy", [], ["recent"]),
            ("bo", ["renewal"], []),
        ]
        # A review only ever comes early on a change: activity today keeps ana's record
        # reviewed at its old moment, which then finds the new one.
        clock.now = T + timedelta(days=3)
        await db["contacts"].update_one({"_id": "ana"}, {"$set": {"last_activity_at": clock.now}})
        assert await transactions.run(refresh) == 1
        ana = await db["contacts"].find_one({"_id": "ana"})
        assert ana["review"]["at"] == clock.now + timedelta(days=30, milliseconds=1)
    finally:
        await mongo.drop_database(db.name)


async def test_only_the_owner_of_a_contacts_partition_reviews_it(mongo) -> None:  # type: ignore[no-untyped-def]
    db = mongo[f"test_reviews_{uuid4().hex[:8]}"]
    try:
        due = T - timedelta(minutes=5)
        await db["contacts"].insert_one(
            {"_id": "eve", "review": {"at": due, "partition": partition_of("eve")}}
        )
        clock = Clock()
        outbox = Outbox(db, None, holder="test", service="contacts")  # type: ignore[arg-type]
        transactions = Transactions(mongo, outbox)
        registry = SegmentRegistry(db, transactions, "test", clock=clock)
        owned: dict[str, Any] = {"now": frozenset({partition_of("eve") + 1})}
        progress = Progress(stall_after=60)
        reviews = SegmentReviews(registry, transactions, lambda: owned["now"], progress)
        assert await reviews.once() == 0  # another process's contact
        assert await reviews.overdue() == 0  # and another's to report late
        owned["now"] = frozenset({partition_of("eve")})
        assert await reviews.overdue() == 1  # five minutes late: the loop reports it
        assert await reviews.once() == 1
        assert "review" not in await db["contacts"].find_one({"_id": "eve"})
        assert await reviews.overdue() == 0
        assert ContactFilter().flips({"_id": "eve"}, T) is None
    finally:
        await mongo.drop_database(db.name)
