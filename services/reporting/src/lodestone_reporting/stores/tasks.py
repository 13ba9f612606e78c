"""Sales tasks as reporting last saw them (for overdue counts per rep)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pymongo import ASCENDING, DeleteMany, UpdateOne
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.database import AsyncDatabase

from ..domain.projector import State


class Tasks:
    def __init__(self, db: AsyncDatabase[dict[str, Any]]) -> None:
        self.collection = db["tasks"]

    async def ensure_indexes(self) -> None:
        await self.collection.create_index([("contact_id", ASCENDING)], name="contact")
        await self.collection.create_index(
            [("status", ASCENDING), ("due_at", ASCENDING)], name="due"
        )

    async def load(self, state: State, ids: list[str], session: AsyncClientSession | None) -> None:
        if ids:
            async for task in self.collection.find({"_id": {"$in": ids}}, session=session):
                state.tasks[task["_id"]] = task

    async def save(self, state: State, session: AsyncClientSession | None) -> None:
        ops: list[Any] = [
            UpdateOne({"_id": t}, {"$set": state.tasks[t]}, upsert=True)
            for t in sorted(state.changed_tasks)
        ]
        if state.erased:
            ops.append(DeleteMany({"contact_id": {"$in": sorted(state.erased)}}))
        if ops:
            await self.collection.bulk_write(ops, ordered=True, session=session)

    async def overdue_by_owner(self, now: datetime) -> dict[str, int]:
        cursor = self.collection.find({"status": "open", "due_at": {"$lt": now}}, {"owner": 1})
        counts: dict[str, int] = {}
        async for task in cursor:
            owner = task.get("owner") or "unassigned"
            counts[owner] = counts.get(owner, 0) + 1
        return counts
