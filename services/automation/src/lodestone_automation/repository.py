"""Automation's own database: the audience projection."""

from __future__ import annotations

from typing import Any

from pymongo import DeleteMany, UpdateOne

from lodestone_common.consumer import EnvelopeEvent
from lodestone_common.http import Runtime

from .domain import audience_change


class AudienceRepository:
    def __init__(self, runtime: Runtime) -> None:
        self.audience = runtime.db["audience"]

    async def apply(self, events: list[EnvelopeEvent]) -> None:
        """One ordered bulk write per batch; `$set` of the same fields again is a no-op."""
        ops: list[Any] = []
        for event in events:
            contact_id, fields, forget = audience_change(event)
            if fields:
                ops.append(UpdateOne({"_id": contact_id}, {"$set": fields}, upsert=True))
            if forget:
                ops.append(DeleteMany({"_id": {"$in": forget}}))
        if ops:
            await self.audience.bulk_write(ops, ordered=True)

    async def get(self, contact_id: str) -> dict[str, Any] | None:
        return await self.audience.find_one({"_id": contact_id})
