"""The suppression list: addresses no email goes to (hard bounces, complaints, unsubscribes,
manual entries), keyed by the address itself so a second contact with it is covered too."""

from __future__ import annotations

from typing import Any

from pymongo import ASCENDING, UpdateOne
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.database import AsyncDatabase

from lodestone_common.envelope import utcnow


def address_key(email: str) -> str:
    return email.strip().lower()


class Suppressions:
    def __init__(self, db: AsyncDatabase[dict[str, Any]]) -> None:
        self.collection = db["suppressions"]

    async def ensure_indexes(self) -> None:
        await self.collection.create_index([("reason", ASCENDING), ("_id", ASCENDING)])

    async def add_many(
        self, entries: list[dict[str, Any]], session: AsyncClientSession | None = None
    ) -> None:
        """Suppress each entry's `email` with its `reason` (and `detail`, `by`); the latest
        reason wins, the first time an address was suppressed is kept."""
        if not entries:
            return
        now = utcnow()
        ops = [
            UpdateOne(
                {"_id": address_key(e["email"])},
                {
                    "$set": {
                        "reason": e["reason"],
                        "detail": e.get("detail"),
                        "by": e.get("by"),
                        "updated_at": now,
                    },
                    "$setOnInsert": {"since": now},
                },
                upsert=True,
            )
            for e in entries
        ]
        await self.collection.bulk_write(ops, ordered=True, session=session)

    async def get(self, email: str) -> dict[str, Any] | None:
        return await self.collection.find_one({"_id": address_key(email)})

    async def among(self, emails: list[str]) -> dict[str, str]:
        """{address key: reason} of those of these addresses that are suppressed (one read)."""
        keys = sorted({address_key(e) for e in emails})
        return {d["_id"]: d["reason"] async for d in self.collection.find({"_id": {"$in": keys}})}

    async def remove(self, email: str) -> bool:
        return bool((await self.collection.delete_one({"_id": address_key(email)})).deleted_count)

    async def page(self, reason: str | None, after: str | None, limit: int) -> list[dict[str, Any]]:
        query: dict[str, Any] = {}
        if reason:
            query["reason"] = reason
        if after:
            query["_id"] = {"$gt": after}
        return await self.collection.find(query).sort("_id", ASCENDING).to_list(limit)
