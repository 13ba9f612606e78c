"""Sales reps that workflows assign contacts to, and the turn counters of round robins."""

from __future__ import annotations

from typing import Any

from pymongo import ReturnDocument
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from lodestone_common.envelope import utcnow


class Reps:
    def __init__(self, db: AsyncDatabase[dict[str, Any]]) -> None:
        self.reps = db["reps"]
        self.turns = db["turns"]

    async def all(self) -> list[dict[str, Any]]:
        return await self.reps.find({}).sort("_id", 1).to_list(10_000)

    async def put(
        self, rep_id: str, fields: dict[str, Any], session: AsyncClientSession | None = None
    ) -> dict[str, Any]:
        return await self.reps.find_one_and_update(
            {"_id": rep_id},
            {"$set": {**fields, "updated_at": utcnow()}},
            upsert=True,
            return_document=ReturnDocument.AFTER,
            session=session,
        )

    async def delete(self, rep_id: str, session: AsyncClientSession | None = None) -> bool:
        return bool((await self.reps.delete_one({"_id": rep_id}, session=session)).deleted_count)

    async def next_turn(self, key: str) -> int:
        """A counter shared by every replica: each assignment takes the next turn."""
        # The counter is created apart from the increment: two first turns upserting at once
        # (parallel enrollments) made SecantusDB's find-and-modify return no document.
        try:
            await self.turns.update_one({"_id": key}, {"$setOnInsert": {"n": 0}}, upsert=True)
        except DuplicateKeyError:
            pass  # a concurrent first turn created it
        doc = await self.turns.find_one_and_update(
            {"_id": key}, {"$inc": {"n": 1}}, return_document=ReturnDocument.AFTER
        )
        assert doc is not None, f"turn counter {key} vanished"
        return int(doc["n"]) - 1
