"""Background jobs against a real database: progress recorded, a drained job resumed at its
checkpoint by another replica, a dead holder's job taken over once its lease lapsed, a live
one left alone, a failure recorded with its reason."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any
from uuid import uuid4

from pymongo import AsyncMongoClient

from lodestone_common.envelope import utcnow
from lodestone_common.jobs import Job, Jobs

ITEMS = 40


class Counting:
    """Work over ITEMS items, one step each, that can be held after a given item."""

    def __init__(self, hold_after: int | None = None) -> None:
        self.seen: list[int] = []
        self.hold_after = hold_after
        self.held = asyncio.Event()

    async def __call__(self, job: Job) -> str:
        start = job.checkpoint or 0
        for item in range(start, ITEMS):
            self.seen.append(item)
            await job.advance(item + 1, inc={"done": 1})
            if self.hold_after is not None and item + 1 == self.hold_after:
                self.held.set()
                await asyncio.Event().wait()  # until drained
        return "done"


async def test_a_drained_job_resumes_at_its_checkpoint_on_another_replica(
    mongo: AsyncMongoClient, eventually: Any
) -> None:
    name = f"test_jobs_{uuid4().hex[:8]}"
    collection = mongo[name]["jobs"]
    try:
        first = Counting(hold_after=15)
        a = Jobs(collection, first, "replica-a")
        job = await a.start({"done": 0})
        await asyncio.wait_for(first.held.wait(), 60)
        await a.drain()  # the process stops: marked interrupted, its lease released
        stopped = await a.get(job["_id"])
        assert stopped is not None
        assert (stopped["status"], stopped["holder"], stopped["checkpoint"]) == (
            "interrupted",
            None,
            15,
        )

        second = Counting()
        b = Jobs(collection, second, "replica-b")
        assert await b.take_over() == 1
        assert await b.take_over() == 0  # taken once

        async def finished() -> bool:
            doc = await b.get(job["_id"])
            return doc is not None and doc["status"] == "done"

        await eventually(finished, timeout=60)
        assert first.seen == list(range(15)) and second.seen == list(range(15, ITEMS))
        done = await b.get(job["_id"])
        assert done is not None and done["done"] == ITEMS and done["finished_at"] is not None
    finally:
        await mongo.drop_database(name)


async def test_a_dead_holders_job_is_taken_over_once_its_lease_lapsed(
    mongo: AsyncMongoClient, eventually: Any
) -> None:
    name = f"test_jobs_{uuid4().hex[:8]}"
    collection = mongo[name]["jobs"]
    old = utcnow() - timedelta(minutes=5)
    base = {"status": "running", "checkpoint": 30, "done": 30, "started_at": old}
    await collection.insert_many(
        [
            {"_id": "dead", **base, "holder": "gone", "heartbeat_at": old},
            {"_id": "alive", **base, "holder": "busy", "heartbeat_at": utcnow()},
            {"_id": "over", **base, "status": "done", "holder": None, "heartbeat_at": None},
        ]
    )
    try:
        work = Counting()
        jobs = Jobs(collection, work, "replica-c", lease=30)
        assert await jobs.take_over() == 1

        async def finished() -> bool:
            doc = await jobs.get("dead")
            return doc is not None and doc["status"] == "done"

        await eventually(finished, timeout=60)
        assert work.seen == list(range(30, ITEMS))
        alive = await jobs.get("alive")
        assert alive is not None and alive["holder"] == "busy"  # its holder renews its lease
    finally:
        await mongo.drop_database(name)


async def test_a_failing_job_says_why(mongo: AsyncMongoClient, eventually: Any) -> None:
    name = f"test_jobs_{uuid4().hex[:8]}"
    collection = mongo[name]["jobs"]

    async def broken(job: Job) -> str:
        raise ValueError("the file is empty")

    try:
        jobs = Jobs(collection, broken, "replica-d")
        job = await jobs.start({})

        async def failed() -> bool:
            doc = await jobs.get(job["_id"])
            return doc is not None and doc["status"] == "failed"

        await eventually(failed, timeout=60)
        doc = await jobs.get(job["_id"])
        assert doc is not None and doc["reason"] == "the file is empty"
    finally:
        await mongo.drop_database(name)


class Stoppable:
    """Work over ITEMS items that reads what it was asked between them."""

    def __init__(self) -> None:
        self.seen: list[int] = []
        self.gate = asyncio.Event()
        self.gate.set()

    async def __call__(self, job: Job) -> str:
        for item in range(job.checkpoint or 0, ITEMS):
            asked = await job.requested()
            if asked:
                return {"pause": "paused", "cancel": "cancelled"}[asked]
            await self.gate.wait()
            self.seen.append(item)
            await job.advance(item + 1)
        return "done"


async def test_a_scheduled_job_starts_at_its_time_and_a_paused_one_resumes_where_it_stopped(
    mongo: AsyncMongoClient, eventually: Any
) -> None:
    name = f"test_jobs_{uuid4().hex[:8]}"
    collection = mongo[name]["jobs"]
    try:
        work = Stoppable()
        jobs = Jobs(collection, work, "replica-a")
        await collection.insert_many(
            [{"_id": "later", "status": "draft"}, {"_id": "now", "status": "draft"}]
        )
        # Not yet due: nobody takes it; due: the next look starts it.
        assert await jobs.schedule("later", utcnow() + timedelta(hours=1), ["draft"])
        assert await jobs.take_over() == 0
        assert not await jobs.schedule("later", utcnow(), ["draft"])  # no longer a draft
        await collection.update_one({"_id": "later"}, {"$set": {"not_before": utcnow()}})
        assert await jobs.take_over() == 1

        async def status(job_id: str, wanted: str) -> bool:
            doc = await jobs.get(job_id)
            return doc is not None and doc["status"] == wanted

        await eventually(lambda: status("later", "done"))

        # Launched, asked to pause midway, resumed: every item once, in order.
        work.seen.clear()
        work.gate.clear()
        assert await jobs.launch("now", ["draft"])
        assert not await jobs.launch("now", ["draft"])  # one run at a time
        assert await jobs.request("now", "pause", ["running"]) is not None
        work.gate.set()
        await eventually(lambda: status("now", "paused"))
        paused = await jobs.get("now")
        assert paused is not None and "requested" not in paused
        assert await jobs.request("now", "pause", ["running"]) is None
        assert await jobs.launch("now", ["paused"])
        await eventually(lambda: status("now", "done"))
        assert work.seen == list(range(ITEMS))
    finally:
        await mongo.drop_database(name)
