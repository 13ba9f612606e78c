"""Transactional outbox: events are written with the state change, then relayed to Kafka.

A service inserts `Outbox.rows(...)` in the same transaction as its write, so an event can
never be lost when the process dies between the database write and the publish. The relay
publishes rows in id order and deletes them only after Kafka acknowledged them; a crash in
between republishes, which consumers absorb by event id. One relay per service is active at a
time (a lease in the same database) so per-contact order holds with many replicas.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import datetime, timedelta
from typing import Any

from bson import ObjectId
from faststream.kafka import KafkaBroker
from pymongo import InsertOne, ReturnDocument
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from .envelope import Envelope, utcnow
from .kafka import Outgoing, publish_all
from .metrics import OUTBOX_PENDING

log = logging.getLogger(__name__)


class Outbox:
    def __init__(
        self,
        db: AsyncDatabase[dict[str, Any]],
        broker: KafkaBroker,
        *,
        holder: str,
        service: str,
        batch_size: int = 1000,
        lease_seconds: float = 10.0,
    ) -> None:
        self.rows_collection = db["outbox"]
        self.leases = db["leases"]
        self.broker = broker
        self.holder = holder
        self.service = service
        self.batch_size = batch_size
        self.lease = timedelta(seconds=lease_seconds)
        self._held_until: datetime | None = None  # when our last renewal runs out
        self._wake = asyncio.Event()
        self._stopping = False
        self._running = False
        self._stopped = asyncio.Event()

    @staticmethod
    def rows(items: list[tuple[str, Envelope]]) -> list[InsertOne[Any]]:
        now = utcnow()
        return [
            InsertOne(
                {
                    "_id": ObjectId(),
                    "topic": topic,
                    "key": env.key(),
                    "value": env.to_bytes(),
                    "event_id": str(env.event_id),
                    "created_at": now,
                }
            )
            for topic, env in items
        ]

    async def add(
        self, items: list[tuple[str, Envelope]], session: AsyncClientSession | None = None
    ) -> None:
        rows = self.rows(items)
        if rows:
            await self.rows_collection.bulk_write(rows, ordered=True, session=session)

    def wake(self) -> None:
        """Tell the relay new rows are committed, so it need not wait for its next poll."""
        self._wake.set()

    async def _hold_lease(self) -> bool:
        now = utcnow()
        if self._held_until is not None and now < self._held_until - self.lease / 2:
            # Nobody can take it before it runs out: renewing on every pass would be one more
            # round trip per batch relayed for nothing.
            return True
        try:
            doc = await self.leases.find_one_and_update(
                {
                    "_id": "outbox-relay",
                    "$or": [{"holder": self.holder}, {"expires_at": {"$lt": now}}],
                },
                {"$set": {"holder": self.holder, "expires_at": now + self.lease}},
                upsert=True,
                return_document=ReturnDocument.AFTER,
            )
        except DuplicateKeyError:
            return False  # another replica holds an unexpired lease
        held = doc is not None and doc.get("holder") == self.holder
        self._held_until = now + self.lease if held else None
        return held

    async def relay_once(self) -> int:
        """Publish up to one batch of pending rows; the number relayed."""
        rows = await self.rows_collection.find({}).sort("_id", 1).to_list(self.batch_size)
        OUTBOX_PENDING.labels(self.service).set(len(rows))
        if not rows:
            return 0
        await publish_all(
            self.broker,
            [Outgoing(r["topic"], r.get("key"), r["value"]) for r in rows],
        )
        await self.rows_collection.delete_many({"_id": {"$in": [r["_id"] for r in rows]}})
        return len(rows)

    async def run(self, idle_poll: float = 0.25) -> None:
        self._running = True
        try:
            await self._relay_until_stopped(idle_poll)
        finally:
            self._stopped.set()

    async def drain(self) -> None:
        """On shutdown: relay what is pending, then hand the lease back, so another replica
        (or this service, restarted) relays at once instead of waiting out the lease."""
        self._stopping = True
        self._wake.set()
        if self._running:
            await self._stopped.wait()
        try:
            if await self._hold_lease():
                while await self.relay_once() >= self.batch_size:
                    pass
                await self.leases.delete_one({"_id": "outbox-relay", "holder": self.holder})
                self._held_until = None
        except Exception as exc:  # the lease then simply expires
            log.warning("outbox drain failed", extra={"error": repr(exc)})

    async def _relay_until_stopped(self, idle_poll: float) -> None:
        backoff = 0.1
        while not self._stopping:
            # Cleared before reading the rows: a wake for rows committed meanwhile must not
            # be lost for an idle poll (it is a quarter of a second on every event's path).
            self._wake.clear()
            try:
                if await self._hold_lease():
                    relayed = await self.relay_once()
                    if relayed >= self.batch_size:
                        continue  # more waiting: no pause
                backoff = 0.1
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("outbox relay failed, retrying", extra={"error": repr(exc)})
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 5.0)
                continue
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), idle_poll)
