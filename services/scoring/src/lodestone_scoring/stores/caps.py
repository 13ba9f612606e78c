"""Points used of each rule's cap, as states written before the caps moved into the score
state kept them: read once for such a state, deleted with the contact."""

from __future__ import annotations

from typing import Any

from pymongo import ASCENDING
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.database import AsyncDatabase

Session = AsyncClientSession | None


class Caps:
    def __init__(self, db: AsyncDatabase[dict[str, Any]]) -> None:
        self.collection = db["caps"]

    async def ensure_indexes(self) -> None:
        await self.collection.create_index([("contact_id", ASCENDING)], name="contact")

    async def load(
        self, contacts: list[str], windows: list[str], session: Session
    ) -> dict[str, float]:
        """{contact:model:rule:window: points used}."""
        found = self.collection.find(
            {"contact_id": {"$in": contacts}, "window": {"$in": windows}}, session=session
        )
        return {d["_id"]: d["used"] async for d in found}

    async def delete(
        self, contacts: list[str], session: Session, models: list[str] | None = None
    ) -> None:
        query: dict[str, Any] = {"contact_id": {"$in": contacts}}
        if models is not None:
            query["model_id"] = {"$in": models}
        await self.collection.delete_many(query, session=session)
