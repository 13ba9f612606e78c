"""Managed API keys as records (the keys themselves are never stored: only who, what, when)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pymongo import ASCENDING, ReturnDocument
from pymongo.asynchronous.database import AsyncDatabase


class ApiKeys:
    def __init__(self, db: AsyncDatabase[dict[str, Any]]) -> None:
        self.keys = db["api_keys"]

    async def ensure_indexes(self) -> None:
        await self.keys.create_index([("revoked_at", ASCENDING)], name="revoked_at")

    async def add(self, record: dict[str, Any]) -> dict[str, Any]:
        await self.keys.insert_one(record)
        return record

    async def get(self, key_id: str) -> dict[str, Any] | None:
        return await self.keys.find_one({"_id": key_id})

    async def all(self) -> list[dict[str, Any]]:
        return await self.keys.find({}).sort("created_at", -1).to_list(1000)

    async def revoke(
        self, key_id: str, at: datetime, replaced_by: str | None = None
    ) -> dict[str, Any] | None:
        """Set when the key stops working (an earlier time is kept: revoking twice is once)."""
        fields: dict[str, Any] = {"revoked_at": at}
        if replaced_by:
            fields["replaced_by"] = replaced_by
        return await self.keys.find_one_and_update(
            {"_id": key_id, "$or": [{"revoked_at": None}, {"revoked_at": {"$gt": at}}]},
            {"$set": fields},
            return_document=ReturnDocument.AFTER,
        ) or await self.get(key_id)

    async def revoked(self, now: datetime) -> list[str]:
        """Ids of every key that no longer works."""
        found = self.keys.find({"revoked_at": {"$lte": now}}, {"_id": 1})
        return [d["_id"] async for d in found]
