"""What the predictive model learned from: each contact's outcome and the counts over them."""

from __future__ import annotations

from typing import Any

from pymongo import ReplaceOne, UpdateOne
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.database import AsyncDatabase

from lodestone_common.envelope import utcnow

Session = AsyncClientSession | None


class Outcomes:
    def __init__(self, db: AsyncDatabase[dict[str, Any]]) -> None:
        self.outcomes = db["outcomes"]
        self.counts = db["nb_counts"]

    async def load(self, contacts: list[str], session: Session) -> dict[str, dict[str, Any]]:
        found = self.outcomes.find({"_id": {"$in": contacts}}, session=session)
        return {d["_id"]: d async for d in found}

    async def save(self, learned: dict[str, tuple[str, dict[str, str]]], session: Session) -> None:
        """{contact: (outcome, features)}."""
        at = utcnow()
        ops = [
            ReplaceOne({"_id": c}, {"_id": c, "outcome": o, "features": x, "at": at}, upsert=True)
            for c, (o, x) in learned.items()
        ]
        if ops:
            await self.outcomes.bulk_write(ops, ordered=False, session=session)

    async def add_counts(self, totals: dict[str, float], session: Session) -> None:
        ops = [
            UpdateOne({"_id": k}, {"$inc": {"n": v}}, upsert=True)
            for k, v in sorted(totals.items())
            if v
        ]
        if ops:
            await self.counts.bulk_write(ops, ordered=False, session=session)

    async def all_counts(self) -> dict[str, float]:
        return {d["_id"]: d["n"] async for d in self.counts.find({"n": {"$gt": 0}})}

    async def delete(self, contacts: list[str], session: Session) -> None:
        await self.outcomes.delete_many({"_id": {"$in": contacts}}, session=session)
