"""Workflow names, as their enrollment events carry them (reports show names, not ids)."""

from __future__ import annotations

from typing import Any

from pymongo import UpdateOne
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.database import AsyncDatabase


class Workflows:
    """Names by id: workflows' (and, as `Workflows(db, "products")`, products' by SKU)."""

    def __init__(self, db: AsyncDatabase[dict[str, Any]], name: str = "workflows") -> None:
        self.collection = db[name]

    async def save(self, names: dict[str, str], session: AsyncClientSession | None) -> None:
        if names:
            await self.collection.bulk_write(
                [
                    UpdateOne({"_id": wf}, {"$set": {"name": name}}, upsert=True)
                    for wf, name in sorted(names.items())
                ],
                session=session,
            )

    async def names(self) -> dict[str, str]:
        return {d["_id"]: d.get("name") async for d in self.collection.find({})}
