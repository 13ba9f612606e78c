"""Scoring's own database: one score record per contact."""

from __future__ import annotations

from typing import Any

from pymongo import DeleteMany, UpdateOne

from lodestone_common.http import Runtime


class ScoresRepository:
    def __init__(self, runtime: Runtime) -> None:
        self.scores = runtime.db["scores"]

    async def apply(self, upserts: list[dict[str, Any]], erase: list[str]) -> None:
        """Create missing score records and forget erased contacts, in one bulk write.

        `$setOnInsert` makes a redelivered create a no-op.
        """
        ops: list[Any] = [
            UpdateOne({"_id": doc["_id"]}, {"$setOnInsert": doc}, upsert=True) for doc in upserts
        ]
        if erase:
            ops.append(DeleteMany({"_id": {"$in": erase}}))
        if ops:
            await self.scores.bulk_write(ops, ordered=True)

    async def get(self, contact_id: str) -> dict[str, Any] | None:
        return await self.scores.find_one({"_id": contact_id})
