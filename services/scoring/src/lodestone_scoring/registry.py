"""Scoring models: stored with every version, cached in memory for the consumers."""

from __future__ import annotations

import asyncio
from typing import Any

from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from lodestone_common.envelope import utcnow

from .domain.defaults import DEFAULT_MODEL, DEFAULT_MODEL_ID
from .domain.models import ModelDefinition

ActiveModels = dict[str, tuple[int, ModelDefinition]]


class ModelExists(Exception):
    pass


class ModelRegistry:
    def __init__(self, db: AsyncDatabase[dict[str, Any]]) -> None:
        self.models = db["models"]
        self.versions = db["model_versions"]
        self._active: ActiveModels = {}
        # One reload at a time: a periodic reload that read before a change must not land
        # after the reload the change made (the cache would go back a version).
        self._reloading = asyncio.Lock()

    def active(self) -> ActiveModels:
        return self._active

    async def ensure_default(self) -> None:
        try:
            await self._store(DEFAULT_MODEL_ID, 1, DEFAULT_MODEL, "lodestone", insert=True)
        except ModelExists:
            pass
        await self.reload()

    async def reload(self) -> None:
        async with self._reloading:
            active: ActiveModels = {}
            async for doc in self.models.find({"definition.active": True}):
                definition = ModelDefinition.model_validate(doc["definition"])
                active[doc["_id"]] = (doc["version"], definition)
            self._active = active

    async def watch(self, every: float = 2.0) -> None:
        while True:
            await asyncio.sleep(every)
            await self.reload()

    async def _store(
        self, model_id: str, version: int, definition: ModelDefinition, by: str, insert: bool
    ) -> dict[str, Any]:
        now = utcnow()
        body = definition.model_dump(mode="json")
        doc = {
            "_id": model_id,
            "version": version,
            "definition": body,
            "updated_at": now,
            "updated_by": by,
        }
        try:
            await self.versions.insert_one(
                {
                    "_id": f"{model_id}:{version}",
                    "model_id": model_id,
                    "version": version,
                    "definition": body,
                    "at": now,
                    "by": by,
                }
            )
        except DuplicateKeyError as exc:
            raise ModelExists(model_id) from exc
        if insert:
            doc["created_at"] = now
            await self.models.insert_one(doc)
        else:
            await self.models.update_one({"_id": model_id, "version": version - 1}, {"$set": doc})
        await self.reload()
        return doc

    async def create(self, model_id: str, definition: ModelDefinition, by: str) -> dict[str, Any]:
        if await self.models.find_one({"_id": model_id}, {"_id": 1}):
            raise ModelExists(model_id)
        return await self._store(model_id, 1, definition, by, insert=True)

    async def replace(
        self, model_id: str, definition: ModelDefinition, by: str
    ) -> dict[str, Any] | None:
        current = await self.models.find_one({"_id": model_id})
        if current is None:
            return None
        return await self._store(model_id, current["version"] + 1, definition, by, insert=False)

    async def get(self, model_id: str) -> dict[str, Any] | None:
        return await self.models.find_one({"_id": model_id})

    async def all(self) -> list[dict[str, Any]]:
        return await self.models.find({}).sort("_id", 1).to_list(1000)

    async def history(self, model_id: str) -> list[dict[str, Any]]:
        return await self.versions.find({"model_id": model_id}).sort("version", -1).to_list(1000)
