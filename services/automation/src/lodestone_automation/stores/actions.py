"""Action records: one per effect a workflow step has (an email, a webhook, a task), so
each happens once however often a step is retried."""

from __future__ import annotations

from typing import Any

from pymongo import ReturnDocument
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import DuplicateKeyError

from lodestone_common.envelope import utcnow

Session = AsyncClientSession | None


class Actions:
    def __init__(self, collection: AsyncCollection[dict[str, Any]]) -> None:
        self.collection = collection

    async def begin(self, key: str, detail: dict[str, Any]) -> str | None:
        """Record that an action starts. None: go ahead; else the earlier attempt's status."""
        try:
            await self.collection.insert_one(
                {"_id": key, "status": "started", "started_at": utcnow(), **detail}
            )
            return None
        except DuplicateKeyError:
            previous = await self.collection.find_one({"_id": key})
            status = previous["status"] if previous else "started"
            if status == "started":
                # The attempt died mid-way: it may have happened. Never risk doing it twice.
                await self.collection.update_one(
                    {"_id": key, "status": "started"}, {"$set": {"status": "unknown"}}
                )
                return "unknown"
            return status

    async def webhook_attempt(self, key: str, detail: dict[str, Any]) -> dict[str, Any]:
        """The delivery record of a webhook action (created on its first attempt)."""
        return await self.collection.find_one_and_update(
            {"_id": key},
            {
                "$setOnInsert": {
                    "status": "retrying",
                    "attempts": 0,
                    "started_at": utcnow(),
                    **detail,
                }
            },
            upsert=True,
            return_document=ReturnDocument.AFTER,
        )

    async def status(self, key: str, session: Session) -> str | None:
        # Checked, not caught: a duplicate-key error would abort the whole transaction.
        found = await self.collection.find_one({"_id": key}, {"status": 1}, session=session)
        return found["status"] if found else None

    async def insert(self, record: dict[str, Any], session: Session) -> None:
        await self.collection.insert_one(record, session=session)

    async def insert_many(self, records: list[dict[str, Any]], session: Session) -> None:
        if records:
            await self.collection.insert_many(records, session=session)

    async def finish(self, key: str, status: str, detail: dict[str, Any], session: Session) -> None:
        await self.collection.update_one(
            {"_id": key},
            {"$set": {"status": status, "finished_at": utcnow(), **detail}},
            session=session,
        )
