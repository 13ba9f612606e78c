"""Every interaction scoring saw, kept so a changed model can replay history; how many of
each kind a contact had (the predictive model's features) is counted from it when asked,
not kept beside it (a second write per event)."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from pymongo import ASCENDING
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.database import AsyncDatabase

from ..domain.ledger import Interaction

Session = AsyncClientSession | None


class History:
    def __init__(self, db: AsyncDatabase[dict[str, Any]]) -> None:
        self.collection = db["interactions"]

    async def ensure_indexes(self) -> None:
        await self.collection.create_index(
            [("contact_id", ASCENDING), ("at", ASCENDING)], name="contact_at"
        )

    async def add(self, contacted: list[tuple[str, Interaction]], session: Session) -> None:
        """(contact id, interaction) pairs."""
        docs = [
            {
                "_id": i.event_id,
                "contact_id": contact,
                "at": i.at,
                "interaction_type": i.interaction_type,
                "name": i.name,
                "properties": i.properties,
            }
            for contact, i in contacted
        ]
        if docs:
            await self.collection.insert_many(docs, ordered=False, session=session)

    async def of_contacts(
        self, contacts: list[str], session: Session
    ) -> dict[str, list[Interaction]]:
        by_contact: dict[str, list[Interaction]] = defaultdict(list)
        async for doc in self.collection.find({"contact_id": {"$in": contacts}}, session=session):
            by_contact[doc["contact_id"]].append(
                Interaction(
                    doc["_id"],
                    doc["at"],
                    doc["interaction_type"],
                    doc["name"],
                    doc.get("properties") or {},
                )
            )
        return by_contact

    async def activity(self, contacts: list[str], session: Session) -> dict[str, dict[str, int]]:
        """{contact: {interaction type: how many}}: one aggregation over the contacts' range
        of the `contact_at` index."""
        rows = await self.collection.aggregate(
            [
                {"$match": {"contact_id": {"$in": contacts}}},
                {
                    "$group": {
                        "_id": {"c": "$contact_id", "t": "$interaction_type"},
                        "n": {"$sum": 1},
                    }
                },
            ],
            session=session,
        )
        counts: dict[str, dict[str, int]] = defaultdict(dict)
        async for row in rows:
            counts[row["_id"]["c"]][row["_id"]["t"]] = row["n"]
        return dict(counts)

    async def move(self, merged: list[str], survivor: str, session: Session) -> None:
        await self.collection.update_many(
            {"contact_id": {"$in": merged}}, {"$set": {"contact_id": survivor}}, session=session
        )

    async def delete(self, contacts: list[str], session: Session) -> None:
        await self.collection.delete_many({"contact_id": {"$in": contacts}}, session=session)
