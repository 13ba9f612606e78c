"""Merged contacts' old ids and whom they became, so a score asked for by an old id (a link,
a CRM that kept it) answers with the survivor's, as contacts and the timeline do."""

from __future__ import annotations

from typing import Any

from pymongo import UpdateOne
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.database import AsyncDatabase

Session = AsyncClientSession | None


class Aliases:
    def __init__(self, db: AsyncDatabase[dict[str, Any]]) -> None:
        self.collection = db["merged_ids"]

    async def ensure_indexes(self) -> None:
        await self.collection.create_index("into")

    async def merged(self, survivor: str, merged: list[str], session: Session) -> None:
        """`merged` became `survivor`; so did whatever had become one of them (A → B, then
        B → C: A → C)."""
        await self.collection.update_many(
            {"into": {"$in": merged}}, {"$set": {"into": survivor}}, session=session
        )
        ops = [UpdateOne({"_id": m}, {"$set": {"into": survivor}}, upsert=True) for m in merged]
        if ops:
            await self.collection.bulk_write(ops, session=session)

    async def resolve(self, contact_id: str, session: Session) -> str:
        found = await self.collection.find_one({"_id": contact_id}, session=session)
        return found["into"] if found else contact_id

    async def delete(self, contacts: list[str], session: Session) -> None:
        """Erasure: no trace of these ids, as old ids or as survivors."""
        await self.collection.delete_many(
            {"$or": [{"_id": {"$in": contacts}}, {"into": {"$in": contacts}}]}, session=session
        )
