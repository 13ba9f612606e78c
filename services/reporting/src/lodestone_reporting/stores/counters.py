"""Pre-aggregated counters: one document per metric, rollup, day and dimensions."""

from __future__ import annotations

from typing import Any

from pymongo import ASCENDING, UpdateOne
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.database import AsyncDatabase

from ..domain.counters import NOW, Deltas


class Counters:
    def __init__(self, db: AsyncDatabase[dict[str, Any]]) -> None:
        self.collection = db["counters"]

    async def ensure_indexes(self) -> None:
        await self.collection.create_index(
            [("m", ASCENDING), ("r", ASCENDING), ("d", ASCENDING)], name="metric_day"
        )

    async def add(self, deltas: Deltas, session: AsyncClientSession | None) -> None:
        ops = [
            UpdateOne(
                {"_id": key.id},
                {
                    "$inc": {"v": n},
                    "$setOnInsert": {
                        "m": key.metric,
                        "r": key.rollup,
                        "d": key.day,
                        "k": dict(key.dims),
                    },
                },
                upsert=True,
            )
            for key, n in deltas.nonzero().items()
        ]
        if ops:
            await self.collection.bulk_write(ops, ordered=False, session=session)

    async def rows(
        self,
        metric: str,
        *,
        start: str | None = None,
        end: str | None = None,
        now: bool = False,
        rollup: str = "base",
        match: dict[str, str] | None = None,
    ) -> list[dict[str, Any]]:
        """Counter documents of one metric: a day range, or the "now" counters."""
        query: dict[str, Any] = {"m": metric, "r": rollup}
        query["d"] = NOW if now else {"$gte": start or "0000", "$lte": end or "9999"}
        query.update({f"k.{k}": v for k, v in (match or {}).items()})
        return await self.collection.find(query, {"_id": 0, "m": 0, "r": 0}).to_list(None)
