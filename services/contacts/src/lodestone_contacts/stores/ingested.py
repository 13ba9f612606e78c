"""The ids of events the front doors accepted, so a client's resend counts as a duplicate
(the consumer's inbox still deduplicates whatever slips past, e.g. two resends at once).
Kept as the consumers' inbox keeps them: one document per request, for `Inbox.KEEP_DAYS`."""

from __future__ import annotations

import logging
from typing import Any

from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import PyMongoError

from lodestone_common.mongo import Inbox

log = logging.getLogger(__name__)


class Ingested:
    def __init__(self, collection: AsyncCollection[dict[str, Any]]) -> None:
        self.ids = Inbox(collection)

    async def ensure_indexes(self) -> None:
        await self.ids.ensure_indexes()

    async def known(self, event_ids: list[str]) -> set[str]:
        return set(event_ids) - await self.ids.unseen(event_ids)

    async def remember(self, event_ids: list[str]) -> None:
        try:
            await self.ids.remember(event_ids)
        except PyMongoError as exc:
            # The events are durable on Kafka already; only the duplicate count may miss
            # them (the consumer's inbox still dedupes), so the request must not fail.
            log.warning("could not remember ingested ids", extra={"error": str(exc)})
