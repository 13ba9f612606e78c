"""Automation's own database: workflows, enrollments (which are also the durable timers),
action records that make every effect happen once, tasks, trigger windows, the audience."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from uuid import uuid4

from pymongo import ASCENDING, DeleteMany, ReturnDocument, UpdateOne
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.errors import DuplicateKeyError

from lodestone_common.consumer import EnvelopeEvent
from lodestone_common.envelope import Envelope, utcnow
from lodestone_common.events import TaskChanged, WorkflowEnrollmentChanged
from lodestone_common.http import Runtime
from lodestone_common.mongo import Erased, MergedSets
from lodestone_common.ownership import partition_of
from lodestone_common.processing import Transactions, UnitOfWork
from lodestone_common.topics import AUTOMATION

from .domain.audience import audience_change
from .domain.triggers import may_enroll
from .domain.workflows import WorkflowDefinition

LIVE = ("active", "waiting", "scheduled")


class Conflict(Exception):
    pass


@dataclass(frozen=True)
class Candidate:
    """Somebody a trigger fired for: enrolled if the workflow's policy allows."""

    workflow: dict[str, Any]
    definition: WorkflowDefinition
    contact_id: str
    at: datetime  # when the cause happened
    cause: str
    due_at: datetime | None = None  # a date-offset enrollment's day


class AutomationRepository:
    def __init__(self, runtime: Runtime, transactions: Transactions) -> None:
        db = runtime.db
        self.workflows = db["workflows"]
        self.versions = db["workflow_versions"]
        self.enrollments = db["enrollments"]
        self.actions = db["actions"]
        self.tasks = db["tasks"]
        self.hits = db["trigger_hits"]
        self.audience = db["audience"]
        self.reps = db["reps"]
        self.turns = db["turns"]
        self.meta = db["meta"]
        self.erased = Erased(db["erased"])
        self.transactions = transactions

    async def ensure_indexes(self) -> None:
        # Only runnable enrollments have a due_at, so "what is due now" is a bounded range
        # scan of this index however many timers are pending.
        await self.enrollments.create_index([("due_at", ASCENDING)], name="due_at")
        # A runner takes only what is due in the partitions its process owns.
        await self.enrollments.create_index(
            [("partition", ASCENDING), ("due_at", ASCENDING)], name="partition_due_at"
        )
        await self.enrollments.create_index(
            [("workflow_id", ASCENDING), ("contact_id", ASCENDING)], name="workflow_contact"
        )
        await self.enrollments.create_index([("contact_id", ASCENDING)], name="contact")
        await self.tasks.create_index(
            [("owner_id", ASCENDING), ("status", ASCENDING), ("due_at", ASCENDING)], name="owner"
        )
        await self.tasks.create_index([("contact_id", ASCENDING)], name="contact")
        await self.hits.create_index([("contact_id", ASCENDING)], name="contact")

    # -- workflows -------------------------------------------------------------------------

    async def create_workflow(self, definition: WorkflowDefinition, by: str) -> dict[str, Any]:
        now = utcnow()
        body = definition.model_dump(mode="json", by_alias=True)
        doc = {
            "_id": f"wf_{uuid4().hex[:16]}",
            "version": 1,
            "status": "draft",
            "definition": body,
            "created_at": now,
            "updated_at": now,
            "updated_by": by,
        }
        await self.versions.insert_one(
            {
                "_id": f"{doc['_id']}:1",
                "workflow_id": doc["_id"],
                "version": 1,
                "definition": body,
                "at": now,
                "by": by,
            }
        )
        await self.workflows.insert_one(doc)
        await self.bump_catalog()
        return doc

    async def replace_workflow(
        self, workflow_id: str, definition: WorkflowDefinition, by: str
    ) -> dict[str, Any] | None:
        current = await self.workflows.find_one({"_id": workflow_id})
        if current is None:
            return None
        if current["status"] == "archived":
            raise Conflict("an archived workflow cannot change")
        now, version = utcnow(), current["version"] + 1
        body = definition.model_dump(mode="json", by_alias=True)
        await self.versions.insert_one(
            {
                "_id": f"{workflow_id}:{version}",
                "workflow_id": workflow_id,
                "version": version,
                "definition": body,
                "at": now,
                "by": by,
            }
        )
        doc = await self.workflows.find_one_and_update(
            {"_id": workflow_id, "version": current["version"]},
            {"$set": {"definition": body, "version": version, "updated_at": now, "updated_by": by}},
            return_document=ReturnDocument.AFTER,
        )
        await self.bump_catalog()
        return doc

    async def set_status(self, workflow_id: str, status: str) -> dict[str, Any] | None:
        current = await self.workflows.find_one({"_id": workflow_id})
        if current is None:
            return None
        if current["status"] == "archived" and status != "archived":
            raise Conflict("an archived workflow stays archived")
        doc = await self.workflows.find_one_and_update(
            {"_id": workflow_id},
            {"$set": {"status": status, "updated_at": utcnow()}},
            return_document=ReturnDocument.AFTER,
        )
        await self.bump_catalog()
        return doc

    async def bump_catalog(self) -> None:
        """Count a workflow change, after it is written: every replica's consumers compare
        this revision before each batch, so a change applies to the next batch anywhere."""
        await self.meta.update_one({"_id": "catalog"}, {"$inc": {"revision": 1}}, upsert=True)

    async def catalog_revision(self) -> int:
        doc = await self.meta.find_one({"_id": "catalog"})
        return int(doc["revision"]) if doc else 0

    async def workflow(self, workflow_id: str) -> dict[str, Any] | None:
        return await self.workflows.find_one({"_id": workflow_id})

    async def all_workflows(self) -> list[dict[str, Any]]:
        return await self.workflows.find({}).sort("created_at", 1).to_list(1000)

    async def version(self, workflow_id: str, version: int) -> dict[str, Any] | None:
        return await self.versions.find_one({"_id": f"{workflow_id}:{version}"})

    async def history(self, workflow_id: str) -> list[dict[str, Any]]:
        return (
            await self.versions.find({"workflow_id": workflow_id}).sort("version", -1).to_list(1000)
        )

    # -- enrollments -----------------------------------------------------------------------

    async def enroll(
        self,
        workflow: dict[str, Any],
        definition: WorkflowDefinition,
        contact_id: str,
        at: datetime,
        cause: str,
        uow: UnitOfWork,
        due_at: datetime | None = None,
    ) -> tuple[dict[str, Any] | None, str]:
        """Enroll unless the workflow's policy forbids it: (enrollment or None, why)."""
        candidate = Candidate(workflow, definition, contact_id, at, cause, due_at)
        return (await self.enroll_many([candidate], uow))[0]

    async def enroll_many(
        self, candidates: list[Candidate], uow: UnitOfWork
    ) -> list[tuple[dict[str, Any] | None, str]]:
        """Enroll each candidate the workflow's policy allows, in order (a contact triggering
        twice in one batch meets its first enrollment): one read, one insert and one outbox
        write for all of them. (enrollment or None, why) per candidate."""
        if not candidates:
            return []
        session = uow.session
        earlier: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
        async for d in self.enrollments.find(
            {
                "workflow_id": {"$in": sorted({c.workflow["_id"] for c in candidates})},
                "contact_id": {"$in": sorted({c.contact_id for c in candidates})},
            },
            {"workflow_id": 1, "contact_id": 1, "enrolled_at": 1, "status": 1},
            session=session,
        ):
            earlier[(d["workflow_id"], d["contact_id"])].append(d)
        results: list[tuple[dict[str, Any] | None, str]] = []
        docs: list[dict[str, Any]] = []
        events: list[tuple[str, Envelope]] = []
        now = utcnow()
        for c in candidates:
            before = earlier[(c.workflow["_id"], c.contact_id)]
            allowed, why = may_enroll(
                c.definition.enrollment,
                [d["enrolled_at"] for d in before],
                c.at,
                any(d["status"] in LIVE for d in before),
            )
            if not allowed:
                results.append((None, why))
                continue
            doc = {
                "_id": f"enr_{uuid4().hex[:20]}",
                "workflow_id": c.workflow["_id"],
                "version": c.workflow["version"],
                "contact_id": c.contact_id,
                # Advanced by the process that owns the contact's partition (ownership.py).
                "partition": partition_of(c.contact_id),
                # A date-offset enrollment is "scheduled" until its day comes.
                "status": "scheduled" if c.due_at else "active",
                "step": 0,
                "waited_until": None,
                "due_at": c.due_at or now,
                "claimed_by": None,
                "claimed_until": None,
                "enrolled_at": c.at,  # when the cause happened
                "created_at": now,  # when automation saw it
                "cause": c.cause,
                "history": [{"at": now, "what": "enrolled", "why": c.cause}],
            }
            before.append(doc)
            docs.append(doc)
            event = WorkflowEnrollmentChanged(
                workflow_id=c.workflow["_id"],
                workflow_name=c.definition.name,
                enrollment_id=doc["_id"],
                status="enrolled",
                reason=c.cause,
            ).envelope(contact_id=c.contact_id, producer="automation")
            events.append((AUTOMATION, event))
            results.append((doc, why))
        if docs:
            await self.enrollments.insert_many(docs, ordered=True, session=session)
            for topic, event in events:
                uow.emit(topic, event)
        return results

    async def reschedule(
        self, workflow_id: str, contact_id: str, due_at: datetime, session: AsyncClientSession
    ) -> bool:
        """Move a not-yet-started date-offset enrollment to its new day."""
        result = await self.enrollments.update_one(
            {"workflow_id": workflow_id, "contact_id": contact_id, "status": "scheduled"},
            {"$set": {"due_at": due_at}},
            session=session,
        )
        return bool(result.matched_count)

    async def waiting_for_events(
        self, contact_ids: list[str], session: AsyncClientSession
    ) -> list[dict[str, Any]]:
        return await self.enrollments.find(
            {"contact_id": {"$in": contact_ids}, "status": "waiting", "waiting_for": True},
            session=session,
        ).to_list(None)

    async def event_arrived(self, enrollment_id: str, session: AsyncClientSession) -> None:
        await self.enrollments.update_one(
            {"_id": enrollment_id, "status": "waiting"},
            {"$set": {"event_arrived": True, "due_at": utcnow()}},
            session=session,
        )

    async def enrollments_of(self, query: dict[str, Any], limit: int = 200) -> list[dict[str, Any]]:
        return await self.enrollments.find(query).sort("enrolled_at", -1).to_list(limit)

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
            self.enrollments.find(
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
        return await self.enrollments.find(
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
        sample = self.enrollments.find(
            {**_in_partitions(partitions), "due_at": {"$lte": before}},
            {"status": 1, "claimed_until": 1},
        ).sort("due_at", 1)
        return len([d async for d in sample.limit(limit) if _claimable(d, now)])

    async def assign_partitions(self, chunk: int = 500) -> int:
        """Give enrollments written before partition ownership their contact's partition
        (one statement per document; a merge meanwhile sets it itself)."""
        done = 0
        while True:
            docs = await self.enrollments.find(
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
            await self.enrollments.bulk_write(ops, ordered=False)
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

    async def _each(self, ids: list[str], where: dict[str, Any], fields: dict[str, Any]) -> None:
        """`$set` on each enrollment that still matches `where`: one single-document statement
        per enrollment, sent as one bulk write. Never one multi-document update outside a
        transaction: the database runs that as a statement that keeps the whole collection
        while it retries on a consumer transaction's uncommitted write to one of the
        documents, and that transaction's next write to the collection then waits for it
        forever (bench/README, "Known limits of the local database")."""
        await self.enrollments.bulk_write(
            [UpdateOne({**where, "_id": i}, {"$set": fields}) for i in ids], ordered=False
        )

    async def save_progress(
        self,
        enrollment_id: str,
        token: str,
        fields: dict[str, Any],
        notes: list[dict[str, Any]],
        announce: Envelope | None = None,
    ) -> None:
        """Move an enrollment on (only while this runner holds it), adding `notes` to its
        history; `announce` is published with the change in one transaction."""
        update: dict[str, Any] = {"$set": fields}
        if "awaiting_contact" not in fields:  # any other progress ends a deferral
            update["$unset"] = {"awaiting_contact": ""}
        if notes:
            update["$push"] = {"history": {"$each": notes, "$slice": -200}}
        if announce is None:
            await self.enrollments.update_one({"_id": enrollment_id, "claimed_by": token}, update)
            return

        async def work(uow: UnitOfWork) -> None:
            done = await self.enrollments.update_one(
                {"_id": enrollment_id, "claimed_by": token}, update, session=uow.session
            )
            if done.modified_count:
                uow.emit(AUTOMATION, announce)

        await self.transactions.run(work)

    # -- actions ---------------------------------------------------------------------------

    async def begin_action(self, key: str, detail: dict[str, Any]) -> str | None:
        """Record that an action starts. None: go ahead; else the earlier attempt's status."""
        try:
            await self.actions.insert_one(
                {"_id": key, "status": "started", "started_at": utcnow(), **detail}
            )
            return None
        except DuplicateKeyError:
            previous = await self.actions.find_one({"_id": key})
            status = previous["status"] if previous else "started"
            if status == "started":
                # The attempt died mid-way: it may have happened. Never risk doing it twice.
                await self.actions.update_one(
                    {"_id": key, "status": "started"}, {"$set": {"status": "unknown"}}
                )
                return "unknown"
            return status

    async def webhook_attempt(self, key: str, detail: dict[str, Any]) -> dict[str, Any]:
        """The delivery record of a webhook action (created on its first attempt)."""
        return await self.actions.find_one_and_update(
            {"_id": key},
            {
                "$setOnInsert": {
                    "status": "retrying",
                    "attempts": 0,
                    "started_at": utcnow(),
                    **detail,
                }
            },
            upsert=True,
            return_document=ReturnDocument.AFTER,
        )

    async def finish_action(
        self, key: str, status: str, detail: dict[str, Any], announce: Envelope | None = None
    ) -> None:
        """Record an action's outcome and, in the same transaction, the event announcing it,
        so reporting never misses a sent email nor counts one that was not recorded."""

        async def work(uow: UnitOfWork) -> None:
            await self.actions.update_one(
                {"_id": key},
                {"$set": {"status": status, "finished_at": utcnow(), **detail}},
                session=uow.session,
            )
            if announce is not None:
                uow.emit(AUTOMATION, announce)

        await self.transactions.run(work)

    async def task_action(
        self,
        key: str,
        detail: dict[str, Any],
        task: dict[str, Any],
        announce: Envelope,
    ) -> str:
        """Create a workflow's task as one action: the action record, the task and both
        events in one transaction (nothing leaves the database, so there is no "started"
        state to guard). The outcome, or "already <outcome>" when the action was done."""

        async def work(uow: UnitOfWork) -> str:
            session = uow.session
            # Checked, not caught: a duplicate-key error would abort the whole transaction.
            earlier = await self.actions.find_one({"_id": key}, {"status": 1}, session=session)
            if earlier is not None:
                return f"already {earlier['status']}"
            status = "exists"
            if not await self.tasks.find_one({"_id": key}, {"_id": 1}, session=session):
                await self.tasks.insert_one({"_id": key, **task}, session=session)
                uow.emit(AUTOMATION, _task_event({"_id": key, **task}))
                status = "created"
            now = utcnow()
            await self.actions.insert_one(
                {
                    "_id": key,
                    "status": status,
                    "started_at": now,
                    "finished_at": now,
                    "task_id": key,
                    **detail,
                },
                session=session,
            )
            uow.emit(AUTOMATION, announce)
            return status

        return await self.transactions.run(work)

    async def list_tasks(self, query: dict[str, Any], limit: int) -> list[dict[str, Any]]:
        return await self.tasks.find(query).sort("due_at", 1).to_list(limit)

    async def add_task(self, task: dict[str, Any]) -> dict[str, Any]:
        """A task a person created by hand, and its event, in one transaction."""

        async def work(uow: UnitOfWork) -> dict[str, Any]:
            await self.tasks.insert_one(task, session=uow.session)
            uow.emit(AUTOMATION, _task_event(task))
            return task

        return await self.transactions.run(work)

    async def task(self, task_id: str) -> dict[str, Any] | None:
        return await self.tasks.find_one({"_id": task_id})

    async def update_task(self, task_id: str, fields: dict[str, Any]) -> dict[str, Any] | None:
        async def work(uow: UnitOfWork) -> dict[str, Any] | None:
            before = await self.tasks.find_one_and_update(
                {"_id": task_id}, {"$set": fields}, session=uow.session
            )
            if before is None:
                return None
            after = {**before, **fields}
            # What the other services read of a task (reporting counts it per owner).
            if any(before.get(k) != after.get(k) for k in _TASK_EVENT_FIELDS):
                uow.emit(AUTOMATION, _task_event(after))
            return after

        return await self.transactions.run(work)

    # -- reps ------------------------------------------------------------------------------

    async def all_reps(self) -> list[dict[str, Any]]:
        return await self.reps.find({}).sort("_id", 1).to_list(10_000)

    async def put_rep(self, rep_id: str, fields: dict[str, Any]) -> dict[str, Any]:
        return await self.reps.find_one_and_update(
            {"_id": rep_id},
            {"$set": {**fields, "updated_at": utcnow()}},
            upsert=True,
            return_document=ReturnDocument.AFTER,
        )

    async def delete_rep(self, rep_id: str) -> bool:
        return bool((await self.reps.delete_one({"_id": rep_id})).deleted_count)

    async def next_turn(self, key: str) -> int:
        """A counter shared by every replica: each assignment takes the next turn."""
        # The counter is created apart from the increment: two first turns upserting at once
        # (parallel enrollments) made SecantusDB's find-and-modify return no document.
        try:
            await self.turns.update_one({"_id": key}, {"$setOnInsert": {"n": 0}}, upsert=True)
        except DuplicateKeyError:
            pass  # a concurrent first turn created it
        doc = await self.turns.find_one_and_update(
            {"_id": key}, {"$inc": {"n": 1}}, return_document=ReturnDocument.AFTER
        )
        assert doc is not None, f"turn counter {key} vanished"
        return int(doc["n"]) - 1

    async def note_owner(self, contact_id: str, owner_id: str) -> None:
        # Our own projection learns the owner now; contacts' event confirms it later.
        await self.audience.update_one(
            {"_id": contact_id}, {"$set": {"owner_id": owner_id}}, upsert=True
        )

    # -- audience and triggers (inside the consumers' transactions) ------------------------

    async def contact(self, contact_id: str) -> dict[str, Any]:
        doc = await self.audience.find_one({"_id": contact_id})
        return doc or {"_id": contact_id}

    async def apply_audience(
        self, events: list[EnvelopeEvent], session: AsyncClientSession
    ) -> None:
        ops: list[Any] = []
        sets = MergedSets()  # a contact's changes in one batch: one statement
        for event in events:
            contact_id, fields, forget = audience_change(event)
            if fields:
                sets.set(contact_id, fields)
            if forget:
                ops += [*sets.flush(), DeleteMany({"_id": {"$in": forget}})]
        ops += sets.flush()
        if ops:
            await self.audience.bulk_write(ops, ordered=True, session=session)

    async def count_activity(
        self, counts: dict[str, dict[str, int]], session: AsyncClientSession
    ) -> None:
        ops = [
            UpdateOne(
                {"_id": c}, {"$inc": {f"activity.{k}": n for k, n in kinds.items()}}, upsert=True
            )
            for c, kinds in counts.items()
        ]
        if ops:
            await self.audience.bulk_write(ops, ordered=False, session=session)

    async def window_hits(
        self, pairs: set[tuple[str, str]], session: AsyncClientSession
    ) -> dict[tuple[str, str], list[datetime]]:
        """The sliding-window hits of these (workflow, contact) pairs, in one query."""
        if not pairs:
            return {}
        ids = sorted(f"{workflow_id}:{contact_id}" for workflow_id, contact_id in pairs)
        return {
            (doc["workflow_id"], doc["contact_id"]): doc["hits"]
            async for doc in self.hits.find({"_id": {"$in": ids}}, session=session)
        }

    async def save_hits(
        self, windows: dict[tuple[str, str], list[datetime]], session: AsyncClientSession
    ) -> None:
        ops = [
            UpdateOne(
                {"_id": f"{workflow_id}:{contact_id}"},
                {"$set": {"hits": hits, "contact_id": contact_id, "workflow_id": workflow_id}},
                upsert=True,
            )
            for (workflow_id, contact_id), hits in sorted(windows.items())
        ]
        if ops:
            await self.hits.bulk_write(ops, ordered=False, session=session)

    async def contacts_arrived(self, contact_ids: list[str], session: AsyncClientSession) -> int:
        """Enrollments deferred until these people's records arrived are due now (rather
        than at their next re-check); how many. Read first, then one statement per deferred
        enrollment: most batches have none, and write nothing the runner could race."""
        if not contact_ids:
            return 0
        deferred = [
            d["_id"]
            async for d in self.enrollments.find(
                {"contact_id": {"$in": sorted(set(contact_ids))}, "awaiting_contact": True},
                {"_id": 1},
                session=session,
            )
        ]
        if not deferred:
            return 0
        done = await self.enrollments.bulk_write(
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

    async def forget(self, contact_ids: list[str], session: AsyncClientSession) -> None:
        """GDPR erase: enrollments, windows and tasks about these people go."""
        await self.erased.add(contact_ids, session)
        query = {"contact_id": {"$in": contact_ids}}
        for collection in (self.enrollments, self.hits, self.tasks, self.actions):
            await collection.delete_many(query, session=session)

    async def rekey(self, survivor: str, merged: list[str], session: AsyncClientSession) -> None:
        query = {"contact_id": {"$in": merged}}
        moved = {"contact_id": survivor}
        await self.enrollments.update_many(
            query, {"$set": {**moved, "partition": partition_of(survivor)}}, session=session
        )
        for collection in (self.tasks, self.actions):
            await collection.update_many(query, {"$set": moved}, session=session)
        by_workflow: dict[str, list[datetime]] = defaultdict(list)
        async for doc in self.hits.find(
            {"contact_id": {"$in": [survivor, *merged]}}, session=session
        ):
            by_workflow[doc["workflow_id"]] += doc["hits"]
        await self.hits.delete_many({"contact_id": {"$in": merged}}, session=session)
        await self.save_hits(
            {(workflow_id, survivor): sorted(hits) for workflow_id, hits in by_workflow.items()},
            session,
        )


_TASK_EVENT_FIELDS = ("status", "owner_id", "due_at", "outcome")


def _in_partitions(partitions: frozenset[int] | None) -> dict[str, Any]:
    return {} if partitions is None else {"partition": {"$in": sorted(partitions)}}


def _claimable(enrollment: dict[str, Any], now: datetime) -> bool:
    """Live and held by no runner (never claimed, or its lease lapsed)."""
    lease = enrollment.get("claimed_until")
    return enrollment.get("status") in LIVE and (lease is None or lease < now)


def _task_event(task: dict[str, Any]) -> Envelope:
    return TaskChanged(
        task_id=task["_id"],
        owner_id=task.get("owner_id"),
        kind=task["kind"],
        status=task["status"],
        due_at=task["due_at"],
        created_at=task["created_at"],
        done_at=task.get("done_at"),
        workflow_id=task.get("workflow_id"),
        outcome=task.get("outcome"),
    ).envelope(contact_id=task["contact_id"], producer="automation")
