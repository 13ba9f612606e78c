"""Commission plans: input set by sales managers, not a projection (a rebuild keeps them)."""

from __future__ import annotations

from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

from lodestone_common.envelope import utcnow


class CommissionPlans:
    def __init__(self, db: AsyncDatabase[dict[str, Any]]) -> None:
        self.collection = db["commission_plans"]

    async def put(self, plan_id: str, fields: dict[str, Any], by: str) -> dict[str, Any]:
        doc = {**fields, "updated_at": utcnow(), "updated_by": by}
        await self.collection.update_one({"_id": plan_id}, {"$set": doc}, upsert=True)
        return {"_id": plan_id, **doc}

    async def all(self) -> list[dict[str, Any]]:
        return await self.collection.find({}).sort("_id", 1).to_list(None)

    async def delete(self, plan_id: str) -> bool:
        return bool((await self.collection.delete_one({"_id": plan_id})).deleted_count)
