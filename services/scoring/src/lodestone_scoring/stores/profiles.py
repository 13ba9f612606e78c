"""What scoring keeps of each contact: the fields fit rules and outcomes read (activity
counts come from the history)."""

from __future__ import annotations

from typing import Any

from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.database import AsyncDatabase

from lodestone_common.mongo import MergedSets

Session = AsyncClientSession | None


class Profiles:
    def __init__(self, db: AsyncDatabase[dict[str, Any]]) -> None:
        self.collection = db["profiles"]

    async def load(self, contacts: list[str], session: Session) -> dict[str, dict[str, Any]]:
        found = self.collection.find({"_id": {"$in": contacts}}, session=session)
        return {d["_id"]: d async for d in found}

    async def get(self, contact_id: str, session: Session) -> dict[str, Any] | None:
        return await self.collection.find_one({"_id": contact_id}, session=session)

    async def add(self, contacts: list[str], session: Session) -> None:
        """Documents for contacts scoring had not heard of (a recompute pages over profiles;
        the contact's creation usually made it first). Only the partition's owner writes a
        contact's profile, so none appears between the caller's read and this insert."""
        if contacts:
            docs = [{"_id": c} for c in contacts]
            await self.collection.insert_many(docs, ordered=False, session=session)

    async def save(self, changes: MergedSets, session: Session) -> None:
        """Write the pending field changes (one statement per contact)."""
        ops = changes.flush()
        if ops:
            await self.collection.bulk_write(ops, ordered=True, session=session)

    async def fill(self, contact_id: str, fields: dict[str, Any], session: Session) -> None:
        if fields:
            await self.collection.update_one(
                {"_id": contact_id}, {"$set": fields}, upsert=True, session=session
            )

    async def page(self, after: str, limit: int) -> list[str]:
        """Known contacts in id order."""
        query = {"_id": {"$gt": after}} if after else {}
        cursor = self.collection.find(query, {"_id": 1}).sort("_id", 1).limit(limit)
        return [d["_id"] async for d in cursor]

    async def count(self) -> int:
        return await self.collection.estimated_document_count()

    async def delete(self, contacts: list[str], session: Session) -> None:
        await self.collection.delete_many({"_id": {"$in": contacts}}, session=session)
