"""Names by id as events carry them (reports show names, not ids): workflows' from their
enrollment events, products' from purchases' line items (by SKU)."""

from __future__ import annotations

from typing import Any

from pymongo import UpdateOne
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.database import AsyncDatabase


class Names:
    def __init__(self, db: AsyncDatabase[dict[str, Any]], collection: str) -> None:
        self.collection = db[collection]

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
