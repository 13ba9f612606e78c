"""The ledger: every point a rule awarded, the explanation of each score."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from pymongo import ASCENDING, DESCENDING
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.database import AsyncDatabase

from ..domain.ledger import Entry

Session = AsyncClientSession | None


class Ledger:
    def __init__(self, db: AsyncDatabase[dict[str, Any]]) -> None:
        self.collection = db["ledger"]

    async def ensure_indexes(self) -> None:
        await self.collection.create_index(
            [("contact_id", ASCENDING), ("model_id", ASCENDING), ("at", DESCENDING)],
            name="contact_model_at",
        )

    async def add(self, entries: list[tuple[str, Entry]], session: Session) -> None:
        """(contact id, entry) pairs."""
        docs = [{"_id": e.key(), "contact_id": c, **e.__dict__} for c, e in entries]
        if docs:
            await self.collection.insert_many(docs, ordered=False, session=session)

    async def of_contact(
        self, contact_id: str, session: Session, limit: int = 2000
    ) -> dict[str, list[dict[str, Any]]]:
        """The newest entries, by model."""
        by_model: dict[str, list[dict[str, Any]]] = defaultdict(list)
        cursor = self.collection.find({"contact_id": contact_id}, session=session)
        async for entry in cursor.sort("at", DESCENDING).limit(limit):
            by_model[entry["model_id"]].append(entry)
        return by_model

    async def delete(
        self, contacts: list[str], session: Session, models: list[str] | None = None
    ) -> None:
        query: dict[str, Any] = {"contact_id": {"$in": contacts}}
        if models is not None:
            query["model_id"] = {"$in": models}
        await self.collection.delete_many(query, session=session)
