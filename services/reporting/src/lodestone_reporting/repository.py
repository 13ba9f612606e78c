"""Reporting's own database: pre-aggregated counters and the inbox that keeps them exact."""

from __future__ import annotations

from collections import Counter
from typing import Any

from pymongo import UpdateOne
from pymongo.asynchronous.client_session import AsyncClientSession

from lodestone_common.http import Runtime
from lodestone_common.mongo import Inbox, in_transaction


class CountersRepository:
    def __init__(self, runtime: Runtime) -> None:
        self.client = runtime.mongo
        self.counters = runtime.db["counters"]
        self.inbox = Inbox(runtime.db["inbox"])

    async def apply(self, event_ids: list[str], deltas_for: Any) -> int:
        """Apply the counter deltas of the not-yet-seen events in one transaction.

        `deltas_for(unseen_ids)` computes the increments; returns how many events were new.
        """

        async def work(session: AsyncClientSession) -> int:
            unseen = await self.inbox.unseen(event_ids, session=session)
            if not unseen:
                return 0
            deltas: Counter[str] = deltas_for(unseen)
            if deltas:
                await self.counters.bulk_write(
                    [
                        UpdateOne({"_id": name}, {"$inc": {"value": n}}, upsert=True)
                        for name, n in sorted(deltas.items())
                    ],
                    ordered=False,
                    session=session,
                )
            await self.inbox.remember(unseen, session=session)
            return len(unseen)

        return await in_transaction(self.client, work)

    async def with_prefix(self, prefix: str) -> dict[str, int]:
        # Anchored prefix regex: served by the _id index, not a collection scan.
        cursor = self.counters.find({"_id": {"$regex": f"^{prefix}"}})
        return {doc["_id"]: int(doc["value"]) async for doc in cursor}

    async def value(self, name: str) -> int:
        doc = await self.counters.find_one({"_id": name})
        return int(doc["value"]) if doc else 0
