"""Each contact's timeline: interactions, changes to the record and notes, newest first."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pymongo import ASCENDING, DESCENDING, InsertOne, ReturnDocument
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.collection import AsyncCollection

Session = AsyncClientSession | None


def change(
    contact_id: str, at: datetime, what: str, detail: dict[str, Any], by: str | None = None
) -> dict[str, Any]:
    """A timeline entry for a change to the record (interactions are entries too)."""
    entry = {"contact_id": contact_id, "at": at, "kind": "change", "type": what, "detail": detail}
    return {**entry, "by": by} if by else entry


class Timeline:
    def __init__(self, collection: AsyncCollection[dict[str, Any]]) -> None:
        self.collection = collection

    async def ensure_indexes(self) -> None:
        await self.collection.create_index(
            [("contact_id", ASCENDING), ("at", DESCENDING), ("_id", DESCENDING)], name="contact_at"
        )

    async def page(
        self,
        contact_id: str,
        limit: int,
        before: tuple[datetime, str] | None,
        kind: str | None = None,
    ) -> list[dict[str, Any]]:
        query: dict[str, Any] = {"contact_id": contact_id}
        if kind:
            query["kind"] = kind
        if before:
            at, last_id = before
            # Inside $and so the contact_id index still drives the plan on SecantusDB.
            query["$and"] = [{"$or": [{"at": {"$lt": at}}, {"at": at, "_id": {"$lt": last_id}}]}]
        cursor = self.collection.find(query).sort([("at", DESCENDING), ("_id", DESCENDING)])
        return await cursor.to_list(limit)

    async def add(self, entries: list[dict[str, Any]], session: Session = None) -> None:
        if entries:
            await self.collection.insert_many(entries, session=session)

    async def add_once(self, entries: list[dict[str, Any]], session: Session) -> None:
        """Entries with their own ids (an interaction's envelope id), in any order."""
        if entries:
            await self.collection.bulk_write(
                [InsertOne(e) for e in entries], ordered=False, session=session
            )

    async def of_type(
        self, contact_ids: list[str], what: str, session: Session
    ) -> list[dict[str, Any]]:
        """These contacts' interactions of one type (every one: a purchase history rebuild)."""
        query = {"contact_id": {"$in": contact_ids}, "kind": "interaction", "type": what}
        return await self.collection.find(query, session=session).to_list(None)

    async def note(self, contact_id: str, note_id: str) -> dict[str, Any] | None:
        return await self.collection.find_one(
            {"_id": note_id, "contact_id": contact_id, "kind": "note"}
        )

    async def revise_note(
        self, note_id: str, text: str | None, by: str, at: datetime, before: dict[str, Any]
    ) -> dict[str, Any] | None:
        """A note's new text (None: deleted), the old one kept in its history; only if it is
        still as `before` (two people editing at once: the second is told)."""
        revision = {"text": before["detail"].get("text"), "at": at, "by": by}
        changes: dict[str, Any] = {
            "detail.text": text,
            "detail.edited_at": at,
            "detail.edited_by": by,
        }
        if text is None:
            changes = {"detail.text": None, "detail.deleted_at": at, "detail.deleted_by": by}
        return await self.collection.find_one_and_update(
            {"_id": note_id, "detail.text": before["detail"].get("text")},
            {"$set": changes, "$push": {"detail.history": revision}},
            return_document=ReturnDocument.AFTER,
        )

    async def move(self, from_id: str, to_id: str, session: Session) -> None:
        await self.collection.update_many(
            {"contact_id": from_id}, {"$set": {"contact_id": to_id}}, session=session
        )

    async def forget(self, contact_ids: list[str], session: Session) -> None:
        await self.collection.delete_many({"contact_id": {"$in": contact_ids}}, session=session)
