"""Contacts' own database: records, identities, timeline, and the outbox events leave through.

Every state change and the events announcing it are written in one transaction; the outbox
relay publishes them afterwards, so no event is lost when the process dies in between.
"""

from __future__ import annotations

import logging
from collections import Counter
from datetime import datetime
from typing import Any
from uuid import UUID, uuid4

from pymongo import ASCENDING, DESCENDING, InsertOne, UpdateOne
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.errors import BulkWriteError, DuplicateKeyError, PyMongoError

from lodestone_common.envelope import Envelope, utcnow
from lodestone_common.events import (
    ContactCreated,
    ContactErased,
    ContactMerged,
    ContactOwnerAssigned,
    ContactStageChanged,
    ContactUpdated,
    EventPayload,
    InteractionContext,
    InteractionRecorded,
)
from lodestone_common.http import Runtime
from lodestone_common.ingest import IngestEvent
from lodestone_common.mongo import duplicate_only
from lodestone_common.processing import Transactions, UnitOfWork
from lodestone_common.topics import CONTACTS, INTERACTIONS

from .domain.identity import Known, identity_keys, resolve
from .domain.imports import update_fields
from .domain.interactions import (
    CHANNELS,
    interaction_name,
    interaction_type,
    normalized_properties,
)
from .domain.records import ContactDraft, merge_fields, new_contact, snapshot
from .domain.terms import TERM_FIELDS, terms_of
from .segments import SegmentRegistry

PRODUCER = "contacts"
log = logging.getLogger(__name__)
# Personal data a merged contact's tombstone must not keep.
_TOMBSTONE_KEEP = {"_id", "merged_into", "merged_at", "created_at", "anonymous"}


class EmailTaken(Exception):
    def __init__(self, identity: str) -> None:
        kind, _, value = identity.partition(":")
        label = {"email": "email", "ext": "external id"}.get(kind, kind)
        super().__init__(f"a contact with {label} {value!r} already exists")


class NotFound(Exception):
    pass


def _event(payload: EventPayload, contact_id: str, **kw: Any) -> Envelope:
    return payload.envelope(contact_id=contact_id, producer=PRODUCER, **kw)


def _change(contact_id: str, at: datetime, what: str, detail: dict[str, Any]) -> dict[str, Any]:
    """A timeline entry for a change to the record (interactions are entries too)."""
    return {"contact_id": contact_id, "at": at, "kind": "change", "type": what, "detail": detail}


def _emit(uow: UnitOfWork, events: list[tuple[str, Envelope]]) -> None:
    for topic, envelope in events:
        uow.emit(topic, envelope)


class ContactsRepository:
    def __init__(self, runtime: Runtime, transactions: Transactions) -> None:
        db = runtime.db
        self.contacts = db["contacts"]
        self.identities = db["identities"]
        self.timeline = db["timeline"]
        self.ingested = db["ingested"]
        self.transactions = transactions
        # Set by main: re-evaluates saved segments inside every write transaction.
        self.segments: SegmentRegistry | None = None

    async def _refresh(self, contact_ids: Any, uow: UnitOfWork) -> None:
        if self.segments is not None:
            await self.segments.refresh(contact_ids, uow)

    async def _contexts(
        self, contact_ids: set[str], session: AsyncClientSession
    ) -> dict[str, InteractionContext]:
        fields = ["owner_id", "owner_assigned_at", "source", "lifecycle_stage", "segments"]
        cursor = self.contacts.find(
            {"_id": {"$in": list(contact_ids)}}, dict.fromkeys(fields, 1), session=session
        )
        return {
            doc["_id"]: InteractionContext(**{f: doc[f] for f in fields if doc.get(f) is not None})
            async for doc in cursor
        }

    async def ensure_indexes(self) -> None:
        await self.identities.create_index([("contact_id", ASCENDING)], name="contact")
        await self.timeline.create_index(
            [("contact_id", ASCENDING), ("at", DESCENDING), ("_id", DESCENDING)], name="contact_at"
        )
        for fields, name in (
            ([("lifecycle_stage", ASCENDING), ("_id", ASCENDING)], "stage"),
            ([("owner_id", ASCENDING), ("_id", ASCENDING)], "owner"),
            ([("tags", ASCENDING), ("_id", ASCENDING)], "tags"),
            ([("emails", ASCENDING)], "emails"),
            ([("phones", ASCENDING)], "phones"),
            ([("company", ASCENDING), ("last_name", ASCENDING)], "company_name"),
            ([("created_at", ASCENDING)], "created_at"),
            ([("score_band", ASCENDING), ("_id", ASCENDING)], "score_band"),
            ([("last_activity_at", ASCENDING)], "last_activity"),
            ([("segments", ASCENDING), ("_id", ASCENDING)], "segments"),
            ([("terms", ASCENDING)], "terms"),
        ):
            await self.contacts.create_index(fields, name=name)

    # -- reads -----------------------------------------------------------------------------

    async def get(
        self, contact_id: str, session: AsyncClientSession | None = None
    ) -> dict[str, Any] | None:
        """The contact, following merges: an old id still finds the person."""
        for _ in range(10):
            doc = await self.contacts.find_one({"_id": contact_id}, session=session)
            if doc is None or not doc.get("merged_into"):
                return doc
            contact_id = doc["merged_into"]
        return None

    async def timeline_page(
        self,
        contact_id: str,
        limit: int,
        before: tuple[datetime, str] | None,
        kind: str | None = None,
    ) -> list[dict[str, Any]]:
        query: dict[str, Any] = {"contact_id": contact_id}
        if kind:
            query["kind"] = kind
        if before:
            at, last_id = before
            # Inside $and so the contact_id index still drives the plan on SecantusDB.
            query["$and"] = [{"$or": [{"at": {"$lt": at}}, {"at": at, "_id": {"$lt": last_id}}]}]
        cursor = self.timeline.find(query).sort([("at", DESCENDING), ("_id", DESCENDING)])
        return await cursor.to_list(limit)

    async def add_note(self, contact_id: str, text: str, author: str) -> dict[str, Any]:
        entry = {
            "_id": f"note_{uuid4().hex}",
            "contact_id": contact_id,
            "at": utcnow(),
            "kind": "note",
            "type": "note",
            "detail": {"text": text, "author": author},
        }
        await self.timeline.insert_one(entry)
        return entry

    async def known_event_ids(self, event_ids: list[str]) -> set[str]:
        cursor = self.ingested.find({"_id": {"$in": event_ids}}, {"_id": 1})
        return {d["_id"] async for d in cursor}

    async def remember_ingested(self, event_ids: list[str]) -> None:
        if not event_ids:
            return
        now = utcnow()
        try:
            await self.ingested.insert_many(
                [{"_id": i, "at": now} for i in event_ids], ordered=False
            )
        except BulkWriteError as exc:
            if not duplicate_only(exc):  # a concurrent resend's duplicates are expected
                log.warning("could not remember ingested ids", extra={"error": str(exc)})
        except PyMongoError as exc:
            # The events are durable on Kafka already; only the duplicate count may miss
            # them (the consumer's inbox still dedupes), so the request must not fail.
            log.warning("could not remember ingested ids", extra={"error": str(exc)})

    async def duplicate_candidates(self, contact: dict[str, Any]) -> list[dict[str, Any]]:
        """Contacts sharing an email or phone, or at the same company (indexed look-ups)."""
        clauses: list[dict[str, Any]] = []
        if contact.get("emails"):
            clauses.append({"emails": {"$in": contact["emails"]}})
        if contact.get("phones"):
            clauses.append({"phones": {"$in": contact["phones"]}})
        if contact.get("company"):
            clauses.append({"company": contact["company"]})
        if not clauses:
            return []
        query = {
            "$or": clauses,
            "_id": {"$ne": contact["_id"]},
            "merged_into": {"$exists": False},
            "erased": {"$ne": True},
        }
        return await self.contacts.find(query).to_list(500)

    async def backfill_terms(self, batch: int = 500) -> None:
        """Give records written before free-text search their terms, a batch at a time."""
        done = 0
        live = {"terms": {"$exists": False}, "erased": {"$ne": True}, "merged_into": None}
        while docs := await self.contacts.find(live, dict.fromkeys(TERM_FIELDS, 1)).to_list(batch):
            await self.contacts.bulk_write(
                [UpdateOne({"_id": d["_id"]}, {"$set": {"terms": terms_of(d)}}) for d in docs],
                ordered=False,
            )
            done += len(docs)
        if done:
            log.info("gave contacts their search terms", extra={"contacts": done})

    async def search(
        self, query: dict[str, Any], after: str | None, limit: int
    ) -> list[dict[str, Any]]:
        if after:
            query = {**query, "_id": {"$gt": after}}
        return await self.contacts.find(query).sort("_id", ASCENDING).to_list(limit)

    async def apply_scores(
        self, updates: list[tuple[str, str, datetime, dict[str, Any]]], uow: UnitOfWork
    ) -> None:
        """Keep each model's latest verdict; an older (redelivered) one never overwrites it."""
        # Only a batch's latest verdict per contact and model can win: one statement each
        # (the first of equally recent ones, as applying them in order would keep).
        latest: dict[tuple[str, str], tuple[str, str, datetime, dict[str, Any]]] = {}
        for update in updates:
            key = (update[0], update[1])
            if key not in latest or update[2] > latest[key][2]:
                latest[key] = update
        ops = [
            UpdateOne(
                {
                    "_id": contact_id,
                    "merged_into": {"$exists": False},
                    "erased": {"$ne": True},
                    "$and": [  # not a top-level $or: keeps the _id look-up on SecantusDB
                        {
                            "$or": [
                                {f"scores.{model}.at": {"$lt": at}},
                                {f"scores.{model}": {"$exists": False}},
                            ]
                        }
                    ],
                },
                {"$set": fields},
            )
            for contact_id, model, at, fields in latest.values()
        ]
        if not ops:
            return
        await self.contacts.bulk_write(ops, ordered=True, session=uow.session)
        await self._refresh([u[0] for u in updates], uow)

    async def existing_ids(self, contact_ids: list[str]) -> set[str]:
        cursor = self.contacts.find({"_id": {"$in": contact_ids}}, {"_id": 1})
        return {d["_id"] async for d in cursor}

    # -- writes ----------------------------------------------------------------------------

    async def create(self, contact: dict[str, Any]) -> None:
        """Store a new contact, claim its identities, announce it — atomically."""
        keys = [f"email:{e}" for e in contact.get("emails", [])]
        if contact.get("external_id"):
            keys.append(f"ext:{contact['external_id']}")

        async def work(uow: UnitOfWork) -> None:
            session = uow.session
            for key in keys:
                try:
                    await self.identities.insert_one(
                        {"_id": key, "contact_id": contact["_id"]}, session=session
                    )
                except DuplicateKeyError as exc:
                    raise EmailTaken(key) from exc
            await self.contacts.insert_one({**contact, "terms": terms_of(contact)}, session=session)
            await self.timeline.insert_one(
                _change(contact["_id"], contact["created_at"], "contact.created", {}),
                session=session,
            )
            created = ContactCreated(contact=snapshot(contact))
            uow.emit(CONTACTS, _event(created, contact["_id"]))
            await self._refresh([contact["_id"]], uow)

        await self.transactions.run(work)

    async def update(
        self,
        contact_id: str,
        changes: dict[str, Any],
        previous: dict[str, Any],
        by: str,
        stage: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        now = utcnow()

        async def work(uow: UnitOfWork) -> dict[str, Any]:
            session = uow.session
            current = await self.get(contact_id, session=session)
            if current is None:
                raise NotFound(contact_id)
            cid = current["_id"]
            new_emails = set(changes.get("emails") or []) - set(current.get("emails", []))
            for email in sorted(new_emails):
                try:
                    await self.identities.insert_one(
                        {"_id": f"email:{email}", "contact_id": cid}, session=session
                    )
                except DuplicateKeyError as exc:
                    raise EmailTaken(f"email:{email}") from exc
            update: dict[str, Any] = {"$set": {**changes, "updated_at": now}}
            if TERM_FIELDS & changes.keys():  # an edit replaces the words it changed
                update["$set"]["terms"] = terms_of({**current, **changes})
            events: list[tuple[str, Envelope]] = []
            timeline: list[dict[str, Any]] = []
            if changes:
                events.append(
                    (
                        CONTACTS,
                        _event(
                            ContactUpdated(changes=changes, previous=previous, changed_by=by), cid
                        ),
                    )
                )
                timeline.append(_change(cid, now, "contact.updated", {"fields": sorted(changes)}))
            if "owner_id" in changes:
                update["$set"]["owner_assigned_at"] = now
                events.append(
                    (
                        CONTACTS,
                        _event(
                            ContactOwnerAssigned(
                                owner_id=changes["owner_id"],
                                previous_owner_id=previous.get("owner_id"),
                                assigned_by=by,
                            ),
                            cid,
                        ),
                    )
                )
            if stage and stage["to"] != current.get("lifecycle_stage"):
                update["$set"]["lifecycle_stage"] = stage["to"]
                update["$push"] = {"stage_history": stage}
                events.append(
                    (
                        CONTACTS,
                        _event(
                            ContactStageChanged(
                                from_stage=current.get("lifecycle_stage"),
                                to_stage=stage["to"],
                                changed_by=by,
                                reason=stage.get("reason"),
                            ),
                            cid,
                        ),
                    )
                )
                timeline.append(
                    _change(
                        cid,
                        now,
                        "contact.stage_changed",
                        {
                            "from": current.get("lifecycle_stage"),
                            "to": stage["to"],
                            "reason": stage.get("reason"),
                        },
                    )
                )
            if not events:
                return current
            await self.contacts.update_one({"_id": cid}, update, session=session)
            await self.timeline.insert_many(timeline, session=session)
            _emit(uow, events)
            await self._refresh([cid], uow)
            return await self.contacts.find_one({"_id": cid}, session=session)  # type: ignore[return-value]

        return await self.transactions.run(work)

    async def merge(self, survivor_id: str, merged_ids: list[str], by: str) -> dict[str, Any]:
        """Explicit merge: every other contact folds into the survivor, with an audit trail."""

        async def work(uow: UnitOfWork) -> dict[str, Any]:
            session = uow.session
            survivor = await self.get(survivor_id, session=session)
            if survivor is None:
                raise NotFound(survivor_id)
            others = []
            for other_id in merged_ids:
                other = await self.get(other_id, session=session)
                if other is None:
                    raise NotFound(other_id)
                if other["_id"] != survivor["_id"] and other not in others:
                    others.append(other)
            for other in others:
                await self._fold(survivor["_id"], other, by, uow)
            await self._refresh([survivor["_id"]], uow)
            return await self.contacts.find_one({"_id": survivor["_id"]}, session=session)  # type: ignore[return-value]

        return await self.transactions.run(work)

    async def _fold(
        self, survivor_id: str, other: dict[str, Any], by: str, uow: UnitOfWork
    ) -> None:
        session = uow.session
        survivor = await self.contacts.find_one({"_id": survivor_id}, session=session)
        assert survivor is not None
        now = utcnow()
        gained = merge_fields(survivor, other)
        activity = Counter(survivor.get("activity", {}))
        activity.update(other.get("activity", {}))
        update: dict[str, Any] = {"$set": {**gained, "activity": dict(activity), "updated_at": now}}
        # The survivor is found by the merged record's words too (its old name, its address).
        words = {*survivor.get("terms", []), *other.get("terms", []), *terms_of(gained)}
        update["$set"]["terms"] = sorted(words)
        if other.get("last_activity_at"):
            update["$max"] = {"last_activity_at": other["last_activity_at"]}
        update["$push"] = {"merged_from": {"id": other["_id"], "by": by, "at": now}}
        await self.contacts.update_one({"_id": survivor_id}, update, session=session)
        await self.identities.update_many(
            {"contact_id": other["_id"]}, {"$set": {"contact_id": survivor_id}}, session=session
        )
        await self.timeline.update_many(
            {"contact_id": other["_id"]}, {"$set": {"contact_id": survivor_id}}, session=session
        )
        # The merged record keeps only a pointer: old ids resolve, personal data is gone.
        unset = {k: "" for k in other if k not in _TOMBSTONE_KEEP}
        tombstone: dict[str, Any] = {"$set": {"merged_into": survivor_id, "merged_at": now}}
        if unset:
            tombstone["$unset"] = unset
        await self.contacts.update_one({"_id": other["_id"]}, tombstone, session=session)
        await self.contacts.update_many(
            {"merged_into": other["_id"]}, {"$set": {"merged_into": survivor_id}}, session=session
        )
        await self.timeline.insert_one(
            _change(survivor_id, now, "contact.merged", {"merged_id": other["_id"], "by": by}),
            session=session,
        )
        merged = ContactMerged(merged_ids=[other["_id"]], merged_by=by)
        uow.emit(CONTACTS, _event(merged, survivor_id))

    async def erase(self, contact_id: str, by: str) -> str:
        """GDPR erase: the person, their identities and timeline go; every service is told."""

        async def work(uow: UnitOfWork) -> str:
            session = uow.session
            current = await self.get(contact_id, session=session)
            if current is None:
                raise NotFound(contact_id)
            cid = current["_id"]
            ids = [cid] + [
                d["_id"]
                async for d in self.contacts.find({"merged_into": cid}, {"_id": 1}, session=session)
            ]
            await self.identities.delete_many({"contact_id": {"$in": ids}}, session=session)
            await self.timeline.delete_many({"contact_id": {"$in": ids}}, session=session)
            await self.contacts.delete_many({"_id": {"$in": ids[1:]}}, session=session)
            # A bare tombstone stops late events for this id from recreating the person.
            await self.contacts.replace_one(
                {"_id": cid}, {"_id": cid, "erased": True, "erased_at": utcnow()}, session=session
            )
            uow.emit(CONTACTS, _event(ContactErased(requested_by=by), cid))
            return cid

        return await self.transactions.run(work)

    async def import_batch(self, drafts: list[ContactDraft], by: str) -> tuple[int, int]:
        """Create or update one batch of imported rows atomically: (created, updated).

        A row whose email belongs to a contact updates it; otherwise it creates one. Rows are
        validated before they get here, so the transaction holds only whole rows.
        """

        async def work(uow: UnitOfWork) -> tuple[int, int]:
            session = uow.session
            now = utcnow()
            emails = {e for d in drafts for e in [d.email, *(d.emails or [])] if e}
            owners = {
                d["_id"].split(":", 1)[1]: d["contact_id"]
                async for d in self.identities.find(
                    {"_id": {"$in": [f"email:{e}" for e in emails]}}, session=session
                )
            }
            created: dict[str, dict[str, Any]] = {}
            updates: dict[str, dict[str, Any]] = {}
            for draft in drafts:
                mine = [e for e in [draft.email, *(draft.emails or [])] if e]
                owner = next((owners[e] for e in mine if e in owners), None)
                if owner is None:
                    doc = new_contact(draft, now, by)
                    doc["source"] = doc.get("source") or "import"
                    created[doc["_id"]] = doc
                    owners.update(dict.fromkeys(mine, doc["_id"]))
                    continue
                fields = update_fields(draft)
                if owner in created:
                    created[owner].update(fields)
                    created[owner]["emails"] = sorted({*created[owner]["emails"], *mine})
                else:
                    updates.setdefault(owner, {}).update(fields)
                    updates[owner].setdefault("$emails", set()).update(mine)
                owners.update({e: owner for e in mine if e not in owners})
            events: list[tuple[str, Envelope]] = []
            if created:
                docs = list(created.values())
                for doc in docs:
                    doc["terms"] = terms_of(doc)
                await self.contacts.insert_many(docs, session=session)
                await self.timeline.insert_many(
                    [_change(d["_id"], now, "contact.created", {"via": "import"}) for d in docs],
                    session=session,
                )
                events += [
                    (CONTACTS, _event(ContactCreated(contact=snapshot(d)), d["_id"])) for d in docs
                ]
            links = [
                {"_id": f"email:{e}", "contact_id": cid}
                for e, cid in owners.items()
                if e in emails and (cid in created or cid in updates)
            ]
            existing = {
                d["_id"]
                async for d in self.identities.find(
                    {"_id": {"$in": [link["_id"] for link in links]}}, {"_id": 1}, session=session
                )
            }
            fresh_links = [link for link in links if link["_id"] not in existing]
            if fresh_links:
                await self.identities.insert_many(fresh_links, session=session)
            ops = []
            for cid, fields in updates.items():
                new_emails = sorted(fields.pop("$emails"))
                words = terms_of({**fields, "emails": new_emails})
                ops.append(
                    UpdateOne(
                        {"_id": cid},
                        {
                            "$set": {**fields, "updated_at": now},
                            "$addToSet": {
                                "emails": {"$each": new_emails},
                                "terms": {"$each": words},
                            },
                        },
                    )
                )
                if fields:
                    changed = ContactUpdated(changes=fields, changed_by=by)
                    events.append((CONTACTS, _event(changed, cid)))
            if ops:
                await self.contacts.bulk_write(ops, ordered=False, session=session)
            _emit(uow, events)
            await self._refresh([*created, *updates], uow)
            return len(created), len(updates)

        return await self.transactions.run(work)

    # -- ingestion -------------------------------------------------------------------------

    async def _known(self, ids: set[str], session: AsyncClientSession) -> dict[str, Known]:
        known: dict[str, Known] = {}
        pending = set(ids)
        while pending:  # follow merge chains to their survivors
            cursor = self.contacts.find(
                {"_id": {"$in": list(pending)}},
                {"_id": 1, "anonymous": 1, "merged_into": 1, "erased": 1, "source": 1},
                session=session,
            )
            pending = set()
            async for doc in cursor:
                if doc.get("erased"):
                    continue
                known[doc["_id"]] = Known(
                    doc["_id"],
                    bool(doc.get("anonymous")),
                    doc.get("merged_into"),
                    doc.get("source"),
                )
                if doc.get("merged_into") and doc["merged_into"] not in known:
                    pending.add(doc["merged_into"])
        return known

    async def apply_ingest(self, events: list[IngestEvent], uow: UnitOfWork) -> dict[str, str]:
        """Resolve, record and announce a batch of ingested events (each new: the processor
        dropped the ones applied before); {envelope id: why} of those rejected."""
        session = uow.session
        keys: set[str] = set()
        refs: set[str] = set()
        for event in events:
            try:
                found = identity_keys(event)
            except ValueError:
                continue
            refs.update(v for k, v in found.items() if k == "id")
            keys.update(v for k, v in found.items() if k != "id")
        identities = {
            d["_id"]: d["contact_id"]
            async for d in self.identities.find({"_id": {"$in": list(keys)}}, session=session)
        }
        known = await self._known(set(identities.values()) | refs, session)
        plan = resolve(events, identities, known)
        await self._write_plan(plan, uow)
        return {
            str(e.envelope_id()): plan.rejected[e.event_id]
            for e in events
            if e.event_id in plan.rejected
        }

    async def _write_plan(self, plan: Any, uow: UnitOfWork) -> None:
        session = uow.session
        events: list[tuple[str, Envelope]] = []
        if plan.new_contacts:
            await self.contacts.insert_many(
                [{**doc, "terms": terms_of(doc)} for doc in plan.new_contacts.values()],
                session=session,
            )
            for cid, doc in plan.new_contacts.items():
                # The traits of the batch that created it (source, name…) belong to its birth:
                # first-touch attribution reads them from contact.created.
                born = {**doc, **plan.updates.get(cid, {})}
                created = ContactCreated(contact=snapshot(born), anonymous=born["anonymous"])
                events.append((CONTACTS, _event(created, cid, occurred_at=doc["created_at"])))
        if plan.links:
            await self.identities.bulk_write(
                [
                    UpdateOne({"_id": k}, {"$set": {"contact_id": c}}, upsert=True)
                    for k, c in plan.links.items()
                ],
                ordered=False,
                session=session,
            )
        if plan.merges:  # a merge announces itself: what came before goes out before it
            _emit(uow, events)
            events = []
        for survivor, merged in plan.merges:
            other = await self.contacts.find_one({"_id": merged}, session=session)
            if other is not None and not other.get("merged_into"):
                await self._fold(survivor, other, "identity-resolution", uow)
        ops: list[Any] = []
        now = utcnow()
        touched = set(plan.updates) | set(plan.activity)
        for cid in touched:
            fields = dict(plan.updates.get(cid, {}))
            update: dict[str, Any] = {"$set": {**fields, "updated_at": now}}
            if cid in plan.became_known:
                update["$push"] = {
                    "stage_history": {
                        "from": None,
                        "to": "subscriber",
                        "by": "ingestion",
                        "reason": "identified",
                        "at": now,
                    }
                }
                if "email" in fields:
                    update["$addToSet"] = {"emails": fields["email"]}
            if words := terms_of(fields):
                # Traits only add words: a batch does not know the record's other fields.
                update.setdefault("$addToSet", {})["terms"] = {"$each": words}
            if plan.activity.get(cid):
                update["$inc"] = {f"activity.{t}": n for t, n in plan.activity[cid].items()}
                update["$max"] = {"last_activity_at": plan.last_activity[cid]}
            ops.append(UpdateOne({"_id": cid}, update))
            if fields:
                public = {k: v for k, v in fields.items() if k != "anonymous"}
                events.append(
                    (CONTACTS, _event(ContactUpdated(changes=public, changed_by="ingestion"), cid))
                )
        if ops:
            await self.contacts.bulk_write(ops, ordered=False, session=session)
        timeline: list[InsertOne[Any]] = []
        interactions: list[tuple[str, InteractionRecorded, UUID, datetime]] = []
        for cid, event in plan.interactions:
            itype = interaction_type(event)
            props = normalized_properties(event)
            name = interaction_name(event)
            envelope_id = event.envelope_id()
            timeline.append(
                InsertOne(
                    {
                        "_id": str(envelope_id),
                        "contact_id": cid,
                        "at": event.occurred_at,
                        "kind": "interaction",
                        "type": itype,
                        "name": name,
                        "channel": CHANNELS[itype],
                        "properties": props,
                    }
                )
            )
            recorded = InteractionRecorded(
                interaction_type=itype,
                name=name,
                channel=CHANNELS[itype],
                properties=props,
                source_event_id=event.event_id,
            )
            interactions.append((cid, recorded, envelope_id, event.occurred_at))
        if timeline:
            await self.timeline.bulk_write(timeline, ordered=False, session=session)
        touched = {*plan.new_contacts, *touched, *(survivor for survivor, _ in plan.merges)}
        _emit(uow, events)  # segment changes follow the changes that caused them
        events = []
        await self._refresh(touched, uow)
        # After the segment refresh, so each interaction carries the contact as it now stands.
        contexts = await self._contexts({cid for cid, *_ in interactions}, session)
        events = [
            (
                INTERACTIONS,
                _event(
                    recorded.model_copy(update={"context": contexts.get(cid)}),
                    cid,
                    event_id=envelope_id,
                    occurred_at=occurred_at,
                ),
            )
            for cid, recorded, envelope_id, occurred_at in interactions
        ]
        # In the order things happened: each contact's creation, updates and segment changes,
        # then the interactions (on their own topic).
        _emit(uow, events)
