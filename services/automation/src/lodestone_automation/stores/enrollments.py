"""Enrollments: who is in which workflow, at which step — and, by their `due_at`, the durable
timers the runner claims (only in the partitions its process owns)."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta
from typing import Any

from pymongo import ASCENDING, UpdateOne
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.collection import AsyncCollection

from lodestone_common.envelope import utcnow
from lodestone_common.ownership import partition_of

from ..domain.progress import LIVE

Session = AsyncClientSession | None


class Enrollments:
    def __init__(self, collection: AsyncCollection[dict[str, Any]]) -> None:
        self.collection = collection

    async def ensure_indexes(self) -> None:
        # Only runnable enrollments have a due_at, so "what is due now" is a bounded range
        # scan of this index however many timers are pending.
        await self.collection.create_index([("due_at", ASCENDING)], name="due_at")
        # A runner takes only what is due in the partitions its process owns.
        await self.collection.create_index(
            [("partition", ASCENDING), ("due_at", ASCENDING)], name="partition_due_at"
        )
        await self.collection.create_index(
            [("workflow_id", ASCENDING), ("contact_id", ASCENDING)], name="workflow_contact"
        )
        await self.collection.create_index([("contact_id", ASCENDING)], name="contact")

    # -- the consumers' side ---------------------------------------------------------------

    async def earlier(
        self, workflow_ids: list[str], contact_ids: list[str], session: Session
    ) -> dict[tuple[str, str], list[dict[str, Any]]]:
        """Every enrollment of these contacts in these workflows, by (workflow, contact)."""
        found: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
        async for d in self.collection.find(
            {"workflow_id": {"$in": workflow_ids}, "contact_id": {"$in": contact_ids}},
            {"workflow_id": 1, "contact_id": 1, "enrolled_at": 1, "status": 1},
            session=session,
        ):
            found[(d["workflow_id"], d["contact_id"])].append(d)
        return found

    async def insert(self, docs: list[dict[str, Any]], session: Session) -> None:
        if docs:
            await self.collection.insert_many(docs, ordered=True, session=session)

    async def reschedule(
        self, workflow_id: str, contact_id: str, due_at: datetime, session: Session
    ) -> bool:
        """Move a not-yet-started date-offset enrollment to its new day."""
        result = await self.collection.update_one(
            {"workflow_id": workflow_id, "contact_id": contact_id, "status": "scheduled"},
            {"$set": {"due_at": due_at}},
            session=session,
        )
        return bool(result.matched_count)

    async def waiting_for_events(
        self, contact_ids: list[str], session: Session
    ) -> list[dict[str, Any]]:
        return await self.collection.find(
            {"contact_id": {"$in": contact_ids}, "status": "waiting", "waiting_for": True},
            session=session,
        ).to_list(None)

    async def event_arrived(self, enrollment_id: str, session: Session) -> None:
        await self.collection.update_one(
            {"_id": enrollment_id, "status": "waiting"},
            {"$set": {"event_arrived": True, "due_at": utcnow()}},
            session=session,
        )

    async def contacts_arrived(self, contact_ids: list[str], session: Session) -> int:
        """Enrollments deferred until these people's records arrived are due now (rather
        than at their next re-check); how many. Read first, then one statement per deferred
        enrollment: most batches have none, and write nothing the runner could race."""
        if not contact_ids:
            return 0
        deferred = [
            d["_id"]
            async for d in self.collection.find(
                {"contact_id": {"$in": sorted(set(contact_ids))}, "awaiting_contact": True},
                {"_id": 1},
                session=session,
            )
        ]
        if not deferred:
            return 0
        done = await self.collection.bulk_write(
            [
                UpdateOne(
                    {"_id": i, "awaiting_contact": True},
                    {"$set": {"due_at": utcnow()}, "$unset": {"awaiting_contact": ""}},
                )
                for i in deferred
            ],
            ordered=False,
            session=session,
        )
        return done.modified_count

    async def rekey(self, survivor: str, merged: list[str], session: Session) -> None:
        await self.collection.update_many(
            {"contact_id": {"$in": merged}},
            {"$set": {"contact_id": survivor, "partition": partition_of(survivor)}},
            session=session,
        )

    async def tally(self, workflow_id: str) -> list[dict[str, Any]]:
        """How many enrollments of a workflow are at each (version, step, status): one
        aggregation over the workflow's index range, however many people it holds."""
        rows = await self.collection.aggregate(
            [
                {"$match": {"workflow_id": workflow_id}},
                {
                    "$group": {
                        "_id": {"version": "$version", "step": "$step", "status": "$status"},
                        "count": {"$sum": 1},
                    }
                },
            ]
        )
        return [{**r["_id"], "count": r["count"]} async for r in rows]

    async def of(self, query: dict[str, Any], limit: int = 200) -> list[dict[str, Any]]:
        return await self.collection.find(query).sort("enrolled_at", -1).to_list(limit)

    # -- the runner's side -----------------------------------------------------------------

    async def claim_due(
        self,
        token: str,
        limit: int = 100,
        lease: float = 30.0,
        partitions: frozenset[int] | None = None,
    ) -> list[dict[str, Any]]:
        """Take up to `limit` due enrollments of these partitions (None: of every one) for this
        runner; no other replica runs them until the lease lapses (and actions are idempotent
        even then). The lease also fences a partition's hand-over to another process."""
        if partitions is not None and not partitions:
            return []
        now = utcnow()
        owned = _in_partitions(partitions)
        due = {
            **owned,
            "due_at": {"$lte": now},
            "status": {"$in": list(LIVE)},
            # Unclaimed or lease lapsed. Not a top-level $or: next to `_id $in` SecantusDB
            # plans that as a collection scan (1.5 s at 1M timers instead of 1 ms).
            "claimed_until": {"$not": {"$gte": now}},
        }
        # Only the bounded due_at range goes to the index scan (status and lease filters
        # there cost SecantusDB ~100x); the claim below re-checks them atomically.
        candidates = (
            self.collection.find(
                {**owned, "due_at": {"$lte": now}}, {"_id": 1, "status": 1, "claimed_until": 1}
            )
            .sort("due_at", 1)
            .limit(limit * 2)
        )
        ids = [d["_id"] async for d in candidates if _claimable(d, now)][:limit]
        if not ids:
            return []
        until = now + timedelta(seconds=lease)
        await self._each(ids, due, {"claimed_by": token, "claimed_until": until})
        # `until` tells this claim from an earlier one of the same runner (it is unique per
        # claim, and only renewals, of enrollments already in flight, change it).
        return await self.collection.find(
            {"_id": {"$in": ids}, "claimed_by": token, "claimed_until": until}
        ).to_list(limit)

    async def overdue(
        self, before: datetime, limit: int = 100, partitions: frozenset[int] | None = None
    ) -> int:
        """How many live enrollments of these partitions (up to `limit`) were due before
        `before` and are held by no runner: work a runner should have taken already."""
        if partitions is not None and not partitions:
            return 0
        now = utcnow()
        sample = self.collection.find(
            {**_in_partitions(partitions), "due_at": {"$lte": before}},
            {"status": 1, "claimed_until": 1},
        ).sort("due_at", 1)
        return len([d async for d in sample.limit(limit) if _claimable(d, now)])

    async def assign_partitions(self, chunk: int = 500) -> int:
        """Give enrollments written before partition ownership their contact's partition
        (one statement per document; a merge meanwhile sets it itself)."""
        done = 0
        while True:
            docs = await self.collection.find(
                {"partition": {"$exists": False}}, {"contact_id": 1}
            ).to_list(chunk)
            if not docs:
                return done
            ops = [
                UpdateOne(
                    {
                        "_id": d["_id"],
                        "contact_id": d["contact_id"],
                        "partition": {"$exists": False},
                    },
                    {"$set": {"partition": partition_of(d["contact_id"])}},
                )
                for d in docs
            ]
            await self.collection.bulk_write(ops, ordered=False)
            done += len(docs)

    async def renew_claims(self, token: str, ids: list[str], lease: float) -> None:
        """Extend this runner's leases on the enrollments it is still advancing, in one
        round trip. Only leases it still holds: one saved meanwhile (lease cleared) or taken
        over stays as it is."""
        if not ids:
            return
        now = utcnow()
        await self._each(
            ids,
            {"claimed_by": token, "claimed_until": {"$gte": now}},
            {"claimed_until": now + timedelta(seconds=lease)},
        )

    async def release_claims(self, token: str, ids: list[str]) -> None:
        """Give up this runner's leases on enrollments it will not advance after all."""
        if ids:
            await self._each(ids, {"claimed_by": token}, {"claimed_until": None})

    async def _each(self, ids: list[str], where: dict[str, Any], fields: dict[str, Any]) -> None:
        """`$set` on each enrollment that still matches `where`: one single-document statement
        per enrollment, sent as one bulk write. Never one multi-document update outside a
        transaction: the database runs that as a statement that keeps the whole collection
        while it retries on a consumer transaction's uncommitted write to one of the
        documents, and that transaction's next write to the collection then waits for it
        forever (bench/README, "Known limits of the local database")."""
        await self.collection.bulk_write(
            [UpdateOne({**where, "_id": i}, {"$set": fields}) for i in ids], ordered=False
        )

    async def save_progress(
        self,
        enrollment_id: str,
        token: str,
        fields: dict[str, Any],
        notes: list[dict[str, Any]],
        session: Session = None,
    ) -> bool:
        """Move an enrollment on (only while this runner holds it), adding `notes` to its
        history; whether it did."""
        update: dict[str, Any] = {"$set": fields}
        if "awaiting_contact" not in fields:  # any other progress ends a deferral
            update["$unset"] = {"awaiting_contact": ""}
        if notes:
            update["$push"] = {"history": {"$each": notes, "$slice": -200}}
        done = await self.collection.update_one(
            {"_id": enrollment_id, "claimed_by": token}, update, session=session
        )
        return bool(done.modified_count)


def _in_partitions(partitions: frozenset[int] | None) -> dict[str, Any]:
    return {} if partitions is None else {"partition": {"$in": sorted(partitions)}}


def _claimable(enrollment: dict[str, Any], now: datetime) -> bool:
    """Live and held by no runner (never claimed, or its lease lapsed)."""
    lease = enrollment.get("claimed_until")
    return enrollment.get("status") in LIVE and (lease is None or lease < now)
