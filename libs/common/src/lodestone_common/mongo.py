"""The async MongoDB client, transactions, and the inbox that makes effects idempotent."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from typing import Any, Protocol, TypeVar

import pymongo
from pymongo import AsyncMongoClient, UpdateOne, monitoring
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import BulkWriteError, ConnectionFailure, OperationFailure, PyMongoError

from .envelope import utcnow
from .metrics import DB_COMMAND_SECONDS, DB_CONFLICTS, DB_TRANSACTIONS

T = TypeVar("T")


class _AboutContact(Protocol):
    @property
    def envelope(self) -> Any: ...


E = TypeVar("E", bound=_AboutContact)
DUPLICATE_KEY = 11000
# Nothing waits forever: every database call of a service ends within OPERATION_SECONDS (the
# client's timeoutMS, which also goes to the server as maxTimeMS), and a transaction with
# every retry of it within TRANSACTION_SECONDS, MongoDB's own transactionLifetimeLimitSeconds.
# A timed-out batch is a transient error: retried, never committed, never dead-lettered.
OPERATION_SECONDS = 60.0
TRANSACTION_SECONDS = 60.0


def make_client(
    url: str, app_name: str, timeout: float = OPERATION_SECONDS
) -> AsyncMongoClient[dict[str, Any]]:
    # Majority writes: an effect counts as durable only once the server journaled it.
    return AsyncMongoClient(
        url,
        appname=app_name,
        w="majority",
        tz_aware=True,
        serverSelectionTimeoutMS=5000,
        timeoutMS=int(timeout * 1000),
        retryWrites=True,
        event_listeners=[Conflicts(app_name)],
    )


WRITE_CONFLICT = 112
_WRITES = ("insert", "update", "delete", "findAndModify")


class Conflicts(monitoring.CommandListener):
    """Counts transactions committed and aborted, the collections write conflicts happen on
    and each command's round trip (lodestone_db_* metrics): with_transaction retries a
    conflict silently, so without these a service whose own writers meet would only look
    slow, and one waiting on the database could not say on what."""

    def __init__(self, app: str) -> None:
        self.app = app
        self._targets: dict[int, str] = {}  # request id -> collection, while in flight

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        target = event.command.get(event.command_name)
        if event.command_name == "getMore":
            target = event.command.get("collection")
        self._targets[event.request_id] = target if isinstance(target, str) else "-"

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        collection = self._observe(event)
        if event.command_name == "commitTransaction":
            DB_TRANSACTIONS.labels(self.app, "committed").inc()
        elif event.command_name == "abortTransaction":
            DB_TRANSACTIONS.labels(self.app, "aborted").inc()
        elif collection is not None:
            errors = event.reply.get("writeErrors") or ()
            if any(e.get("code") == WRITE_CONFLICT for e in errors):
                DB_CONFLICTS.labels(self.app, collection).inc()

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        collection = self._observe(event)
        failure = event.failure if isinstance(event.failure, dict) else {}
        if collection is not None and failure.get("code") == WRITE_CONFLICT:
            DB_CONFLICTS.labels(self.app, collection).inc()
        elif event.command_name == "abortTransaction":  # the server had ended it already
            DB_TRANSACTIONS.labels(self.app, "aborted").inc()

    def _observe(
        self, event: monitoring.CommandSucceededEvent | monitoring.CommandFailedEvent
    ) -> str | None:
        """Time the round trip; the collection it wrote to, if it was a write."""
        target = self._targets.pop(event.request_id, "-")
        DB_COMMAND_SECONDS.labels(self.app, event.command_name, target).observe(
            event.duration_micros / 1e6
        )
        return target if event.command_name in _WRITES else None


async def ping(client: AsyncMongoClient[Any]) -> None:
    await client.admin.command("ping")


def is_transient(exc: BaseException) -> bool:
    """Infrastructure trouble that retrying fixes (as opposed to a bad message)."""
    if isinstance(exc, ConnectionFailure):
        return True
    if isinstance(exc, PyMongoError) and (
        exc.timeout  # a bounded call ran out of time (client-side or the server's maxTimeMS)
        or exc.has_error_label("TransientTransactionError")
        or exc.has_error_label("RetryableWriteError")
        or exc.has_error_label("UnknownTransactionCommitResult")
    ):
        return True
    return isinstance(exc, OperationFailure) and exc.code in {50, 112, 189, 91, 11600, 11602}


async def in_transaction(
    client: AsyncMongoClient[Any],
    work: Callable[[AsyncClientSession], Awaitable[T]],
    limit: float = TRANSACTION_SECONDS,
) -> T:
    """Run `work` in one multi-document transaction, retried on transient errors, all of it
    within `limit` seconds (then a timeout error, which `is_transient` counts as transient).
    Leaving the session aborts a transaction still open, so no error leaves one behind."""
    with pymongo.timeout(limit):
        async with client.start_session() as session:
            return await session.with_transaction(work)


class MergedSets:
    """Upserting `$set`s of a batch, one statement per document instead of one per event:
    each update statement costs the database far more than a larger one (see bench/README).
    Later values win; a change whose paths collide with the pending one (`a` and `a.b`)
    starts a new statement so the server never sees a conflict. Call `flush` before any
    other write that must come after what is pending (a delete, a merge)."""

    def __init__(self) -> None:
        self._ops: list[UpdateOne[Any]] = []
        self._pending: dict[str, dict[str, Any]] = {}
        self._parents: dict[str, set[str]] = {}  # the pending paths' proper prefixes

    def set(self, doc_id: str, fields: dict[str, Any]) -> None:
        pending = self._pending.get(doc_id)
        if pending is not None and _collide(pending, self._parents[doc_id], fields):
            self._emit(doc_id)
            pending = None
        if pending is None:
            self._pending[doc_id] = pending = {}
            self._parents[doc_id] = set()
        pending.update(fields)
        self._parents[doc_id].update(p for key in fields for p in _parents(key))

    def flush(self) -> list[UpdateOne[Any]]:
        """Everything pending as statements, in the order the documents were first set."""
        for doc_id in list(self._pending):
            self._emit(doc_id)
        ops, self._ops = self._ops, []
        return ops

    def _emit(self, doc_id: str) -> None:
        fields = self._pending.pop(doc_id)
        del self._parents[doc_id]
        self._ops.append(UpdateOne({"_id": doc_id}, {"$set": fields}, upsert=True))


def _parents(path: str) -> list[str]:
    """`a.b.c` → `a`, `a.b` (none for a plain field: the common case costs nothing)."""
    if "." not in path:
        return []
    parts = path.split(".")
    return [".".join(parts[:i]) for i in range(1, len(parts))]


def _collide(pending: dict[str, Any], parents: set[str], fields: dict[str, Any]) -> bool:
    """A new path above a pending one (`a` over `a.b`) or below it (`a.b` under `a`)."""
    return any(key in parents or any(p in pending for p in _parents(key)) for key in fields)


class Inbox:
    """Remembers which event ids a consumer already applied, for as long as a duplicate can
    still arrive (`KEEP_DAYS`).

    One document per batch holds the batch's ids (a multikey index finds them), written in
    the same transaction as the batch's effects: either both are durable or neither is. A
    document per event was one more document written per event in every service, and kept
    for ever. By event id rather than by offset: a relay that republishes after a crash, or a
    second relay still sending after losing its lease, puts a copy at a new offset, and only
    the id tells it is the same event.
    """

    # Longer than any redelivery (uncommitted offsets, a relay's unsent rows) can lag behind.
    KEEP_DAYS = 14

    def __init__(self, collection: AsyncCollection[dict[str, Any]]) -> None:
        self.collection = collection
        # Documents of one id each, `_id` the event id, as written before (their `at`
        # expires them too); looked up until none is left.
        self._legacy: bool | None = None

    async def ensure_indexes(self) -> None:
        await self.collection.create_index("ids", name="ids")
        await self.collection.create_index(
            "at", name="expiry", expireAfterSeconds=int(self.KEEP_DAYS * 86400)
        )

    async def unseen(
        self, event_ids: Iterable[str], session: AsyncClientSession | None = None
    ) -> set[str]:
        ids = set(event_ids)
        if not ids:
            return ids
        wanted = sorted(ids)
        seen = self.collection.find({"ids": {"$in": wanted}}, {"ids": 1}, session=session)
        async for doc in seen:
            ids.difference_update(doc["ids"])
        if ids and await self._has_legacy(session):
            old = self.collection.find({"_id": {"$in": sorted(ids)}}, {"_id": 1}, session=session)
            async for doc in old:
                ids.discard(doc["_id"])
        return ids

    async def _has_legacy(self, session: AsyncClientSession | None) -> bool:
        if self._legacy is None:
            one = await self.collection.find_one(
                {"ids": {"$exists": False}}, {"_id": 1}, session=session
            )
            self._legacy = one is not None
        return self._legacy

    async def remember(
        self, event_ids: Iterable[str], session: AsyncClientSession | None = None
    ) -> None:
        ids = sorted(set(event_ids))
        if ids:
            await self.collection.insert_one({"ids": ids, "at": utcnow()}, session=session)

    async def count(self) -> int:
        """How many ids are remembered (benchmarks wait on it)."""
        rows = await self.collection.aggregate(
            [{"$group": {"_id": None, "n": {"$sum": {"$size": {"$ifNull": ["$ids", [0]]}}}}}]
        )
        found = await rows.to_list(1)
        return int(found[0]["n"]) if found else 0


class Erased:
    """The ids (and nothing else) of contacts erased under GDPR, as one service last saw them.

    Topics are read by separate consumer groups, so an interaction or score for a person can
    arrive after their erasure; writing it would bring their data back. Consumers drop events
    about ids in this register, in the same transaction that applies the rest.
    """

    def __init__(self, collection: AsyncCollection[dict[str, Any]]) -> None:
        self.collection = collection

    async def among(
        self, contact_ids: Iterable[str], session: AsyncClientSession | None = None
    ) -> set[str]:
        ids = sorted(set(contact_ids))
        if not ids:
            return set()
        found = self.collection.find({"_id": {"$in": ids}}, {"_id": 1}, session=session)
        return {doc["_id"] async for doc in found}

    async def without(self, events: list[E], session: AsyncClientSession | None = None) -> list[E]:
        """These events, minus those about erased contacts."""
        gone = await self.among((e.envelope.contact_id for e in events), session)
        return [e for e in events if e.envelope.contact_id not in gone] if gone else events

    async def add(
        self, contact_ids: Iterable[str], session: AsyncClientSession | None = None
    ) -> None:
        at = utcnow()
        ops = [
            UpdateOne({"_id": c}, {"$setOnInsert": {"at": at}}, upsert=True)
            for c in sorted(set(contact_ids))
        ]
        if ops:
            await self.collection.bulk_write(ops, ordered=False, session=session)


def duplicate_only(exc: BulkWriteError) -> bool:
    """True when every error of a bulk write is a duplicate key (an idempotent replay)."""
    errors = exc.details.get("writeErrors", [])
    return bool(errors) and all(e.get("code") == DUPLICATE_KEY for e in errors)


__all__ = [
    "AsyncClientSession",
    "AsyncDatabase",
    "Erased",
    "Inbox",
    "duplicate_only",
    "in_transaction",
    "is_transient",
    "make_client",
    "ping",
]
