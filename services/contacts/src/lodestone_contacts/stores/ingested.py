"""The ids of events the front doors accepted, so a client's resend counts as a duplicate
(the consumer's inbox still deduplicates whatever slips past)."""

from __future__ import annotations

import logging
from typing import Any

from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import BulkWriteError, PyMongoError

from lodestone_common.envelope import utcnow
from lodestone_common.mongo import duplicate_only

log = logging.getLogger(__name__)


class Ingested:
    def __init__(self, collection: AsyncCollection[dict[str, Any]]) -> None:
        self.collection = collection

    async def known(self, event_ids: list[str]) -> set[str]:
        cursor = self.collection.find({"_id": {"$in": event_ids}}, {"_id": 1})
        return {d["_id"] async for d in cursor}

    async def remember(self, event_ids: list[str]) -> None:
        if not event_ids:
            return
        now = utcnow()
        try:
            await self.collection.insert_many(
                [{"_id": i, "at": now} for i in event_ids], ordered=False
            )
        except BulkWriteError as exc:
            if not duplicate_only(exc):  # a concurrent resend's duplicates are expected
                log.warning("could not remember ingested ids", extra={"error": str(exc)})
        except PyMongoError as exc:
            # The events are durable on Kafka already; only the duplicate count may miss
            # them (the consumer's inbox still dedupes), so the request must not fail.
            log.warning("could not remember ingested ids", extra={"error": str(exc)})
