"""Re-scoring jobs and their progress."""

from __future__ import annotations

from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

from lodestone_common.envelope import utcnow


class JobRecords:
    def __init__(self, db: AsyncDatabase[dict[str, Any]]) -> None:
        self.collection = db["jobs"]

    async def add(self, job: dict[str, Any]) -> None:
        await self.collection.insert_one(job)

    async def get(self, job_id: str) -> dict[str, Any] | None:
        return await self.collection.find_one({"_id": job_id})

    async def advance(self, job_id: str, done: int) -> None:
        await self.collection.update_one({"_id": job_id}, {"$inc": {"done": done}})

    async def finish(self, job_id: str, status: str, reason: str | None) -> None:
        await self.collection.update_one(
            {"_id": job_id},
            {"$set": {"status": status, "finished_at": utcnow(), "reason": reason}},
        )
