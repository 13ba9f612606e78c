"""A segment's backfill against the real database: stopped with its process mid-way, it
resumes where it stopped in the next one and ends with every member once."""

from __future__ import annotations

import asyncio
from typing import Any
from uuid import uuid4

from lodestone_common.outbox import Outbox, waiting
from lodestone_common.processing import Transactions
from lodestone_contacts import segments as segments_module
from lodestone_contacts.domain.search import ContactFilter
from lodestone_contacts.segments import SegmentRegistry

PEOPLE = 600


class Stalling(Transactions):
    """Transactions that hold the third batch until the process stops."""

    def __init__(self, client: Any, outbox: Outbox) -> None:
        super().__init__(client, outbox)
        self.runs = 0
        self.stalled = asyncio.Event()

    async def run(self, work: Any) -> Any:
        self.runs += 1
        if self.runs == 3:
            self.stalled.set()
            await asyncio.Event().wait()
        return await super().run(work)


async def test_a_stopped_build_resumes_where_it_stopped(mongo, eventually, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(segments_module, "BACKFILL_BATCH", 100)
    name = f"test_builds_{uuid4().hex[:8]}"
    db = mongo[name]
    await db["contacts"].insert_many(
        [{"_id": f"c{i:04d}", "tags": ["vip"] if i % 2 else ["other"]} for i in range(PEOPLE)]
    )
    try:
        outbox = Outbox(db, None, holder="test", service="contacts")  # type: ignore[arg-type]
        stalling = Stalling(mongo, outbox)
        first = SegmentRegistry(db, stalling, "replica-a")
        segment = await first.create("VIPs", ContactFilter(tags=["vip"]), "ana")
        await asyncio.wait_for(stalling.stalled.wait(), 60)
        await first.builds.drain()
        half = await db["segments"].find_one({"_id": segment["_id"]})
        assert half["build"]["status"] == "building" and half["build"]["scanned"] == 200
        job = await db["segment_builds"].find_one({"segment_id": segment["_id"]})
        assert job["status"] == "interrupted"

        second = SegmentRegistry(db, Transactions(mongo, outbox), "replica-b")
        assert await second.builds.take_over() == 1

        async def ready() -> dict[str, Any] | None:
            doc = await db["segments"].find_one({"_id": segment["_id"]})
            return doc if doc["build"]["status"] == "ready" else None

        done = await eventually(ready, timeout=60)
        assert done["build"]["scanned"] == PEOPLE // 2  # the candidates, each once
        assert await second.member_count(segment["_id"]) == PEOPLE // 2
        assert done["build"]["changed"] == PEOPLE // 2
        # Each member joined once: one contact.segments_changed per member in the outbox.
        assert len(await waiting(db["outbox"])) == PEOPLE // 2
    finally:
        await mongo.drop_database(name)
