"""Segment membership that changes as time passes ("active in the last 30 days", "contract
ends within 60 days", "bought in the last week"), without a sweep over all contacts.

Every evaluation stores on the record the next moment time alone can change its membership
(`review.at`, SegmentRegistry.refresh); this loop re-evaluates the records whose moment has
come, a batch per transaction, each in the process that owns the contact's partition (one
writer per contact, as automation's timers). A review that stops keeping up shows as an
overdue loop on /healthz.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from pymongo.asynchronous.collection import AsyncCollection

from lodestone_common.liveness import Progress
from lodestone_common.processing import Transactions, UnitOfWork

from .segments import SegmentRegistry

log = logging.getLogger(__name__)
LOOP = "contacts-segment-reviews"
REVIEW_BATCH = 500


class SegmentReviews:
    def __init__(
        self,
        registry: SegmentRegistry,
        transactions: Transactions,
        owned: Callable[[], frozenset[int] | None],
        progress: Progress,
        every: float = 1.0,
    ) -> None:
        self.registry = registry
        self.contacts: AsyncCollection[dict[str, Any]] = registry.contacts
        self.transactions = transactions
        self.owned = owned
        self.progress = progress
        self.every = every
        progress.watch_loop(LOOP, self.overdue)

    def _due(self, before: datetime) -> dict[str, Any]:
        query: dict[str, Any] = {"review.at": {"$lte": before}}
        partitions = self.owned()
        if partitions is not None:
            query["review.partition"] = {"$in": sorted(partitions)}
        return query

    async def once(self) -> int:
        """Re-evaluate one batch of records whose moment has come; how many."""
        cursor = self.contacts.find(self._due(self.registry.clock()), {"_id": 1}).sort(
            "review.at", 1
        )
        ids = [d["_id"] async for d in cursor.limit(REVIEW_BATCH)]
        if ids:

            async def work(uow: UnitOfWork) -> int:
                return await self.registry.refresh(ids, uow, reviewing=True)

            changed = await self.transactions.run(work)
            if changed:
                log.info("time moved contacts in or out of segments", extra={"changed": changed})
        return len(ids)

    async def run(self) -> None:
        while True:
            reviewed = await self.once()
            self.progress.beat(LOOP)
            if reviewed < REVIEW_BATCH:
                await asyncio.sleep(self.every)

    async def overdue(self) -> int:
        """Records whose review is later than a stalled loop would be."""
        before = self.registry.clock() - timedelta(seconds=self.progress.stall_after)
        return await self.contacts.count_documents(self._due(before))
