"""Transactional outbox: events are written with the state change, then relayed to Kafka.

A service inserts `Outbox.rows(...)` in the same transaction as its write, so an event can
never be lost when the process dies between the database write and the publish; a unit of
work's events share a row. The relay publishes rows in id order and deletes them only after
Kafka acknowledged them; a crash in between republishes, which consumers absorb by event id.
The deletion runs beside the next publish rather than before it (a round trip off every
event's path), and a poll waits for it, so the relay never reads a row it already sent.
One relay per service is active at a time (a lease in the same database) so per-contact
order holds with many replicas.

An event Kafka can never take (larger than the producer or the topic accepts) would block
every row behind it forever: it is moved to `outbox_parked` with the reason instead, counted
in `lodestone_outbox_parked_total`, and the rest flows on. `lodestone-parked` lists, shows
and re-drives parked events.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from datetime import datetime, timedelta
from typing import Any

from bson import ObjectId
from faststream.kafka import KafkaBroker
from pymongo import InsertOne, ReturnDocument
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from . import tracing
from .envelope import Envelope, utcnow
from .kafka import Outgoing, is_transient_kafka, publish_all
from .metrics import OUTBOX_OLDEST_SECONDS, OUTBOX_PARKED, OUTBOX_PENDING

PARKED = "outbox_parked"
# A row holds at most this many events and bytes of them (a document stays far below the
# database's 16 MiB however large the unit of work).
ROW_ENTRIES = 1000
ROW_BYTES = 4_000_000
# Rows over this size are parked before any send: the producer refuses records over its
# max_request_size (aiokafka's default 1 MiB, the broker's default message.max.bytes too).
MAX_RECORD_BYTES = 1_000_000

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
        self.parked = db[PARKED]
        self.leases = db["leases"]
        self.broker = broker
        self.holder = holder
        self.service = service
        self.batch_size = batch_size
        self.lease = timedelta(seconds=lease_seconds)
        self._held_until: datetime | None = None  # when our last renewal runs out
        self._wake = asyncio.Event()
        self._handed: list[dict[str, Any]] = []  # committed here, not published yet
        # The last poll left rows pending (or failed): handed rows would overtake them.
        self._behind = True
        self._polled_at = 0.0  # monotonic time of the last poll
        self._sweep: asyncio.Future[None] | None = None  # deleting the rows last sent
        self._stopping = False
        self._running = False
        self._stopped = asyncio.Event()

    @staticmethod
    def rows(
        items: list[tuple[str, Envelope]], traces: list[dict[str, str]] | None = None
    ) -> list[InsertOne[Any]]:
        """Inserts of the rows for `items` (see `documents`)."""
        return [InsertOne(doc) for doc in Outbox.documents(items, traces)]

    @staticmethod
    def documents(
        items: list[tuple[str, Envelope]], traces: list[dict[str, str]] | None = None
    ) -> list[dict[str, Any]]:
        """Rows for `items`, in order; `traces`, when given, the trace context each continues.

        A unit of work's events share a row (up to ROW_ENTRIES of them, ROW_BYTES of values):
        one document written and one deleted per transaction instead of per event.
        """
        now = utcnow()
        out: list[dict[str, Any]] = []
        entries: list[dict[str, Any]] = []
        size = 0
        for index, (topic, env) in enumerate(items):
            entry = {
                "topic": topic,
                "key": env.key(),
                "value": env.to_bytes(),
                "event_id": str(env.event_id),
            }
            if traces and traces[index]:
                entry["trace"] = traces[index]
            if entries and (len(entries) >= ROW_ENTRIES or size + len(entry["value"]) > ROW_BYTES):
                out.append({"_id": ObjectId(), "created_at": now, "entries": entries})
                entries, size = [], 0
            entries.append(entry)
            size += len(entry["value"])
        if entries:
            out.append({"_id": ObjectId(), "created_at": now, "entries": entries})
        return out

    async def add(
        self,
        items: list[tuple[str, Envelope]],
        session: AsyncClientSession | None = None,
        traces: list[dict[str, str]] | None = None,
    ) -> list[dict[str, Any]]:
        """Write rows for `items` (in `session`'s transaction); the rows, for `hand`."""
        rows = self.documents(items, traces)
        if rows:
            await self.rows_collection.insert_many(rows, ordered=True, session=session)
        return rows

    def wake(self) -> None:
        """Tell the relay new rows are committed, so it need not wait for its next poll."""
        self._wake.set()

    def hand(self, rows: list[dict[str, Any]]) -> None:
        """Rows this process just committed: the relay publishes them without reading them
        back, when it holds the lease and nothing older is pending (else its poll finds them)."""
        if len(self._handed) < self.batch_size:
            self._handed.extend(rows)
        else:  # too many waiting: the poll takes them all, in order
            self._handed, self._behind = [], True
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
        """Publish up to about one batch of pending events; how many (parked ones included)."""
        self._behind = True  # until this pass has published all it found
        await self.swept()  # rows sent but not deleted yet must not be read again
        found = await self.rows_collection.find({}).sort("_id", 1).to_list(self.batch_size)
        rows, events = [], 0
        for row in found:  # whole rows, up to a batch of events (at least one row)
            if rows and events + len(entries_of(row)) > self.batch_size:
                break
            rows.append(row)
            events += len(entries_of(row))
        OUTBOX_PENDING.labels(self.service).set(events)
        OUTBOX_OLDEST_SECONDS.labels(self.service).set(_age(rows[0]) if rows else 0.0)
        published = {r["_id"] for r in rows}
        self._handed = [r for r in self._handed if r["_id"] not in published]
        if rows:
            await self._publish(rows)
        self._behind = len(rows) < len(found) or len(found) >= self.batch_size
        return events

    async def relay_handed(self) -> int:
        """Publish the rows handed over since the last pass, when nothing older is pending;
        how many events (0: a poll is due instead)."""
        rows, self._handed = self._handed, []
        if not rows or self._behind:
            return 0
        self._behind = True  # until they are out
        await self._publish(rows)
        self._behind = False
        return sum(len(entries_of(r)) for r in rows)

    async def _publish(self, rows: list[dict[str, Any]]) -> None:
        sendable = []
        for row in rows:
            for entry in entries_of(row):
                size = len(entry["value"]) + len(entry.get("key") or b"")
                if size > MAX_RECORD_BYTES:
                    error = f"{size} bytes; Kafka takes {MAX_RECORD_BYTES}"
                    await self._park(row, entry, "too_large", error)
                else:
                    sendable.append((row, entry))
        try:
            await publish_all(self.broker, [_outgoing(row, e) for row, e in sendable])
        except Exception as exc:
            if is_transient_kafka(exc):
                raise  # the broker is away: retry the whole batch later, in order
            # Something in the batch can never be sent (the topic refuses its size, say):
            # find which events, one by one, park them, and send the rest.
            await self._isolate(sendable)
        self._sweep_after([r["_id"] for r in rows])

    def _sweep_after(self, ids: list[Any]) -> None:
        """Delete these sent rows after the deletions before them, without waiting for it."""
        previous = self._sweep

        async def sweep() -> None:
            if previous is not None:
                await previous  # its failure is this one's too: the poll finds both
            await self.rows_collection.delete_many({"_id": {"$in": ids}})

        self._sweep = asyncio.ensure_future(sweep())

    async def swept(self) -> None:
        """Wait until every row sent so far is deleted (a failed deletion raises here; the
        rows stay and the next poll sends them again, which consumers absorb)."""
        sweep, self._sweep = self._sweep, None
        if sweep is not None:
            await sweep

    async def _isolate(self, sendable: list[tuple[dict[str, Any], dict[str, Any]]]) -> None:
        for row, entry in sendable:
            try:
                await publish_all(self.broker, [_outgoing(row, entry)])
            except Exception as exc:
                if is_transient_kafka(exc):
                    raise
                await self._park(row, entry, "unpublishable", repr(exc))

    async def _park(
        self, row: dict[str, Any], entry: dict[str, Any], reason: str, error: str
    ) -> None:
        # Keyed by the event: a crash before the row is deleted parks it again, never twice.
        # The row goes once the rest of it is published.
        await self.parked.replace_one(
            {"event_id": entry["event_id"]},
            {
                **entry,
                "created_at": row.get("created_at"),
                "reason": reason,
                "error": error[:2000],
                "parked_at": utcnow(),
            },
            upsert=True,
        )
        OUTBOX_PARKED.labels(self.service, reason).inc()
        log.error(
            "outbox event parked: Kafka can never take it",
            extra={
                "topic": entry["topic"],
                "event_id": entry.get("event_id"),
                "reason": reason,
                "error": error[:300],
            },
        )

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
                await self.relay_once()
                while self._behind:  # more than a batch was pending
                    await self.relay_once()
                await self.swept()
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
                    # This process's own rows go out as they commit, unread; the poll finds
                    # the rest (other replicas', any a failure left), at least every
                    # `idle_poll` however busy this process is.
                    handed = await self.relay_handed()
                    if not handed or time.monotonic() - self._polled_at >= idle_poll:
                        await self.relay_once()
                        self._polled_at = time.monotonic()
                        if self._behind:
                            continue  # more waiting: no pause
                else:
                    self._handed, self._behind = [], True  # the holder's poll finds them
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


def entries_of(row: dict[str, Any]) -> list[dict[str, Any]]:
    """A row's events: a list, or the row itself as written before rows held several (and
    as `lodestone-parked` re-drives one)."""
    return row["entries"] if "entries" in row else [row]


def _outgoing(row: dict[str, Any], entry: dict[str, Any]) -> Outgoing:
    headers = tracing.published(entry["topic"], entry.get("trace") or {}, row.get("created_at"))
    return Outgoing(entry["topic"], entry.get("key"), entry["value"], headers or None)


def _age(row: dict[str, Any]) -> float:
    """Seconds since a row was written (its ObjectId's time, to the second)."""
    made = row["_id"].generation_time if isinstance(row["_id"], ObjectId) else utcnow()
    return max((utcnow() - made).total_seconds(), 0.0)


async def waiting(collection: Any) -> list[dict[str, Any]]:
    """Every event waiting in an outbox collection, in order (for tools and tests)."""
    return [e async for row in collection.find({}).sort("_id", 1) for e in entries_of(row)]
