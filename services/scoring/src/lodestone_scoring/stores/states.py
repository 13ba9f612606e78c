"""Each contact's score state per model (score, grade, what was announced)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from pymongo import ASCENDING, ReplaceOne
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.database import AsyncDatabase

from ..domain.ledger import ScoreState

Session = AsyncClientSession | None


def state_id(contact_id: str, model_id: str) -> str:
    return f"{contact_id}:{model_id}"


class States:
    def __init__(self, db: AsyncDatabase[dict[str, Any]]) -> None:
        self.collection = db["states"]

    async def ensure_indexes(self) -> None:
        await self.collection.create_index([("contact_id", ASCENDING)], name="contact")
        await self.collection.create_index([("qualified", ASCENDING)], name="qualified")
        # Decay announcements: the states whose recheck time has come (sparse: most have none).
        await self.collection.create_index([("recheck_at", ASCENDING)], name="recheck", sparse=True)

    async def load(
        self, contacts: Iterable[str], models: Iterable[str], session: Session
    ) -> dict[str, ScoreState]:
        ids = [state_id(c, m) for c in contacts for m in models]
        found = self.collection.find({"_id": {"$in": ids}}, session=session)
        return {d["_id"]: ScoreState.of(d) async for d in found}

    async def save(self, states: dict[str, ScoreState], at: datetime, session: Session) -> None:
        ops = []
        for sid, state in states.items():
            contact, model_id = sid.rsplit(":", 1)
            doc = {**state.to_doc(), "_id": sid, "contact_id": contact, "model_id": model_id}
            ops.append(ReplaceOne({"_id": sid}, {**doc, "updated_at": at}, upsert=True))
        if ops:
            await self.collection.bulk_write(ops, ordered=False, session=session)

    async def recheck_unscheduled(self, now: datetime) -> int:
        """States announced before decay was scheduled: due now, once (settling them
        schedules the next)."""
        result = await self.collection.update_many(
            {"recheck_at": {"$exists": False}, "reported": {"$gt": 0}},
            {"$set": {"recheck_at": now}},
        )
        return result.modified_count

    async def due(self, now: datetime, models: list[str], limit: int) -> list[str]:
        """Contacts with a state of these models whose decay is due to be announced."""
        cursor = (
            self.collection.find(
                {"recheck_at": {"$lte": now}, "model_id": {"$in": models}}, {"contact_id": 1}
            )
            .sort("recheck_at", ASCENDING)
            .limit(limit)
        )
        return sorted({d["contact_id"] async for d in cursor})

    async def of_contact(self, contact_id: str, session: Session) -> dict[str, dict[str, Any]]:
        found = self.collection.find({"contact_id": contact_id}, session=session)
        return {d["model_id"]: d async for d in found}

    async def qualified_contacts(self, models: list[str], limit: int) -> list[str]:
        cursor = self.collection.find(
            {"qualified": True, "model_id": {"$in": models}}, {"contact_id": 1}
        ).limit(limit)
        return sorted({d["contact_id"] async for d in cursor})

    async def delete(self, contacts: list[str], session: Session) -> None:
        await self.collection.delete_many({"contact_id": {"$in": contacts}}, session=session)
