"""The product catalog: what a SKU is called, its category, price and cost. Input set by
people (or a shop's sync), not a projection: a rebuild keeps it."""

from __future__ import annotations

from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

from lodestone_common.envelope import utcnow


class Catalog:
    def __init__(self, db: AsyncDatabase[dict[str, Any]]) -> None:
        self.collection = db["catalog"]

    async def put(self, sku: str, fields: dict[str, Any], by: str) -> dict[str, Any]:
        doc = {**fields, "updated_at": utcnow(), "updated_by": by}
        await self.collection.update_one({"_id": sku}, {"$set": doc}, upsert=True)
        return {"_id": sku, **doc}

    async def all(self) -> dict[str, dict[str, Any]]:
        return {d["_id"]: d async for d in self.collection.find({}).sort("_id", 1)}

    async def delete(self, sku: str) -> bool:
        return bool((await self.collection.delete_one({"_id": sku})).deleted_count)
