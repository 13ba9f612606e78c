"""Monthly targets per rep: input set by managers, not a projection."""

from __future__ import annotations

from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

from lodestone_common.envelope import utcnow


class Goals:
    def __init__(self, db: AsyncDatabase[dict[str, Any]]) -> None:
        self.collection = db["goals"]

    async def put(
        self, owner: str, month: str, targets: dict[str, float], currency: str | None = None
    ) -> dict[str, Any]:
        doc = {
            "owner": owner,
            "month": month,
            "targets": targets,
            "currency": currency,
            "updated_at": utcnow(),
        }
        await self.collection.update_one({"_id": f"{owner}:{month}"}, {"$set": doc}, upsert=True)
        return doc

    async def of_months(self, months: list[str]) -> list[dict[str, Any]]:
        return await self.collection.find({"month": {"$in": months}}, {"_id": 0}).to_list(None)

    async def delete(self, owner: str, month: str) -> bool:
        return bool((await self.collection.delete_one({"_id": f"{owner}:{month}"})).deleted_count)
