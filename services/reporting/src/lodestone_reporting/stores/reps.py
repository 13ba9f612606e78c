"""Sales reps as automation announces them: who may have goals and a leaderboard row."""

from __future__ import annotations

from typing import Any

from pymongo import UpdateOne
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.database import AsyncDatabase


class Reps:
    def __init__(self, db: AsyncDatabase[dict[str, Any]]) -> None:
        self.collection = db["reps"]

    async def save(
        self, reps: dict[str, dict[str, Any]], session: AsyncClientSession | None
    ) -> None:
        if reps:
            await self.collection.bulk_write(
                [
                    UpdateOne({"_id": r}, {"$set": doc}, upsert=True)
                    for r, doc in sorted(reps.items())
                ],
                session=session,
            )

    async def all(self) -> dict[str, dict[str, Any]]:
        return {d["_id"]: d async for d in self.collection.find({})}

    async def get(self, rep_id: str) -> dict[str, Any] | None:
        return await self.collection.find_one({"_id": rep_id})
