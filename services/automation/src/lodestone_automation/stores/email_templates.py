"""Email templates: a head per template (name, latest version) and every version as written."""

from __future__ import annotations

from typing import Any

from pymongo import ASCENDING, DESCENDING, ReturnDocument
from pymongo.asynchronous.database import AsyncDatabase


class EmailTemplates:
    def __init__(self, db: AsyncDatabase[dict[str, Any]]) -> None:
        self.heads = db["email_templates"]
        self.versions = db["email_template_versions"]

    async def ensure_indexes(self) -> None:
        await self.versions.create_index(
            [("template_id", ASCENDING), ("version", DESCENDING)], unique=True
        )

    async def create(self, head: dict[str, Any], version: dict[str, Any]) -> None:
        await self.versions.insert_one(version)
        await self.heads.insert_one(head)

    async def add_version(
        self, template_id: str, version: dict[str, Any], head: dict[str, Any]
    ) -> dict[str, Any] | None:
        """Version n+1 of a template (None if it does not exist). The unique index makes two
        saves racing for one number fail rather than both win."""
        current = await self.heads.find_one({"_id": template_id})
        if current is None:
            return None
        number = current["version"] + 1
        await self.versions.insert_one({**version, "version": number})
        return await self.heads.find_one_and_update(
            {"_id": template_id, "version": {"$lt": number}},
            {"$set": {**head, "version": number}},
            return_document=ReturnDocument.AFTER,
        )

    async def get(self, template_id: str) -> dict[str, Any] | None:
        return await self.heads.find_one({"_id": template_id})

    async def all(self, limit: int = 1000) -> list[dict[str, Any]]:
        return await self.heads.find({}).sort("name", ASCENDING).to_list(limit)

    async def version(self, template_id: str, number: int | None = None) -> dict[str, Any] | None:
        """A version as written; the latest without a number."""
        query: dict[str, Any] = {"template_id": template_id}
        if number is not None:
            query["version"] = number
        return await self.versions.find_one(query, sort=[("version", DESCENDING)])

    async def current(self, heads: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
        """{template id: its head's version}, for many templates in one read."""
        wanted = [{"template_id": h["_id"], "version": h["version"]} for h in heads]
        if not wanted:
            return {}
        cursor = self.versions.find({"$or": wanted})
        return {v["template_id"]: v async for v in cursor}

    async def history(self, template_id: str) -> list[dict[str, Any]]:
        cursor = self.versions.find({"template_id": template_id}, {"mjml": 0, "text": 0})
        return await cursor.sort("version", DESCENDING).to_list(1000)
