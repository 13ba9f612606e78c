"""Input people keep in reporting (the product catalog, commission plans): documents by id,
each saying who changed it last and when. Not a projection: a rebuild keeps them."""

from __future__ import annotations

from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

from lodestone_common.envelope import utcnow


class Entered:
    def __init__(self, db: AsyncDatabase[dict[str, Any]], name: str) -> None:
        self.collection = db[name]

    async def put(self, key: str, fields: dict[str, Any], by: str) -> dict[str, Any]:
        doc = {**fields, "updated_at": utcnow(), "updated_by": by}
        await self.collection.update_one({"_id": key}, {"$set": doc}, upsert=True)
        return {"_id": key, **doc}

    async def all(self) -> list[dict[str, Any]]:
        return await self.collection.find({}).sort("_id", 1).to_list(None)

    async def by_id(self) -> dict[str, dict[str, Any]]:
        return {d["_id"]: d for d in await self.all()}

    async def delete(self, key: str) -> bool:
        return bool((await self.collection.delete_one({"_id": key})).deleted_count)
