"""Tasks for people: follow-ups a workflow created or somebody added by hand."""

from __future__ import annotations

from typing import Any

from pymongo import ASCENDING
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.collection import AsyncCollection

Session = AsyncClientSession | None


class Tasks:
    def __init__(self, collection: AsyncCollection[dict[str, Any]]) -> None:
        self.collection = collection

    async def ensure_indexes(self) -> None:
        await self.collection.create_index(
            [("owner_id", ASCENDING), ("status", ASCENDING), ("due_at", ASCENDING)], name="owner"
        )
        await self.collection.create_index([("contact_id", ASCENDING)], name="contact")
        # A reminder's time is unset once it is sent: what is due is a bounded range scan.
        await self.collection.create_index([("remind_at", ASCENDING)], name="remind_at")
        await self.collection.create_index([("escalate_at", ASCENDING)], name="escalate_at")

    async def list(self, query: dict[str, Any], limit: int) -> list[dict[str, Any]]:
        return await self.collection.find(query).sort("due_at", 1).to_list(limit)

    async def get(self, task_id: str, session: Session = None) -> dict[str, Any] | None:
        return await self.collection.find_one({"_id": task_id}, session=session)

    async def insert(self, task: dict[str, Any], session: Session) -> None:
        await self.collection.insert_one(task, session=session)

    async def insert_many(self, tasks: list[dict[str, Any]], session: Session) -> None:
        if tasks:
            await self.collection.insert_many(tasks, session=session)

    async def update(
        self, task_id: str, fields: dict[str, Any], session: Session
    ) -> dict[str, Any] | None:
        """The task as it was before these fields changed (None: there is no such task)."""
        return await self.collection.find_one_and_update(
            {"_id": task_id}, {"$set": fields}, session=session
        )

    async def due_reminders(self, now: Any, limit: int) -> list[dict[str, Any]]:
        """Open tasks whose reminder time has come and that have not been reminded."""
        query = {"remind_at": {"$lte": now}, "status": "open"}
        return await self.collection.find(query).sort("remind_at", 1).to_list(limit)

    async def reminded(self, task_id: str, remind_at: Any, now: Any) -> None:
        """Marked reminded (unless it was moved meanwhile: then its new reminder stands)."""
        await self.collection.update_one(
            {"_id": task_id, "remind_at": remind_at},
            {"$set": {"reminded_at": now, "remind_at": None}},
        )

    async def due_escalations(self, now: Any, limit: int) -> list[dict[str, Any]]:
        """Open tasks left undone long enough to tell their rep's manager."""
        query = {"escalate_at": {"$lte": now}, "status": "open"}
        return await self.collection.find(query).sort("escalate_at", 1).to_list(limit)

    async def escalated(self, task_id: str, escalate_at: Any, now: Any) -> None:
        await self.collection.update_one(
            {"_id": task_id, "escalate_at": escalate_at},
            {"$set": {"escalated_at": now, "escalate_at": None}},
        )
