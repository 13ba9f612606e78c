"""The audit trail: one record per change a person or key asked the console for."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from pymongo import DESCENDING
from pymongo.asynchronous.database import AsyncDatabase

# Kept for this long, then the database deletes them (a TTL index).
KEEP_DAYS = 400


class AuditTrail:
    def __init__(self, db: AsyncDatabase[dict[str, Any]]) -> None:
        self.records = db["audit"]

    async def ensure_indexes(self) -> None:
        await self.records.create_index(
            [("at", DESCENDING)], name="at", expireAfterSeconds=KEEP_DAYS * 86400
        )
        await self.records.create_index([("actor", 1), ("at", DESCENDING)], name="actor_at")

    async def add(self, record: dict[str, Any]) -> None:
        await self.records.insert_one(record)

    async def page(
        self, actor: str | None, contains: str | None, before: datetime | None, limit: int
    ) -> list[dict[str, Any]]:
        query: dict[str, Any] = {}
        if actor:
            query["actor"] = actor
        if before:
            query["at"] = {"$lt": before}
        if contains:
            query["path"] = {"$regex": re.escape(contains)}
        return await self.records.find(query).sort("at", DESCENDING).to_list(limit)
