"""The contact records: load and save, nothing else (the use cases decide what changes)."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from pymongo import ASCENDING, UpdateOne
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.collection import AsyncCollection

from lodestone_common.events import InteractionContext

from ..domain.identity import Known
from ..domain.terms import TERM_FIELDS, terms_of

log = logging.getLogger(__name__)
Session = AsyncClientSession | None
# What each interaction carries of its contact, so no consumer has to ask.
CONTEXT_FIELDS = ["owner_id", "owner_assigned_at", "source", "lifecycle_stage", "segments"]
# Personal data a merged contact's tombstone must not keep.
TOMBSTONE_KEEP = {"_id", "merged_into", "merged_at", "created_at", "anonymous"}


class Records:
    def __init__(self, collection: AsyncCollection[dict[str, Any]]) -> None:
        self.collection = collection
        # What one-off migrations have finished ({"_id": name, "done_at": …}).
        self.migrations = collection.database["migrations"]

    async def migrated(self, name: str) -> bool:
        return await self.migrations.find_one({"_id": name}) is not None

    async def mark_migrated(self, name: str, at: datetime) -> None:
        await self.migrations.update_one({"_id": name}, {"$set": {"done_at": at}}, upsert=True)

    async def ensure_indexes(self) -> None:
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
            ([("external_id", ASCENDING)], "external_id"),
            ([("score", ASCENDING), ("_id", ASCENDING)], "score"),
            ([("review.at", ASCENDING)], "segment_review"),
            ([("purchases.last_at", ASCENDING)], "last_purchase"),
        ):
            await self.collection.create_index(fields, name=name)

    # -- loads -----------------------------------------------------------------------------

    async def get(self, contact_id: str, session: Session = None) -> dict[str, Any] | None:
        """The contact, following merges: an old id still finds the person."""
        for _ in range(10):
            doc = await self.collection.find_one({"_id": contact_id}, session=session)
            if doc is None or not doc.get("merged_into"):
                return doc
            contact_id = doc["merged_into"]
        return None

    async def one(self, contact_id: str, session: Session = None) -> dict[str, Any] | None:
        """The record stored under this id, merged or not."""
        return await self.collection.find_one({"_id": contact_id}, session=session)

    async def search(
        self,
        query: dict[str, Any],
        after: str | dict[str, Any] | None,
        limit: int,
        sort: tuple[str, int] | None = None,
    ) -> list[dict[str, Any]]:
        """A page in `_id` order, or in `sort` (field, direction) then `_id`; `after` is the
        last `_id` seen, or (sorted) the keyset condition of what follows the last row."""
        if isinstance(after, dict):
            query = {"$and": [query, after]}
        elif after:
            query = {**query, "_id": {"$gt": after}}
        order = [("_id", ASCENDING)] if sort is None else [sort, ("_id", sort[1])]
        return await self.collection.find(query).sort(order).to_list(limit)

    async def sample(self, query: dict[str, Any], n: int) -> list[dict[str, Any]]:
        """A few contacts the query matches, in no order: no sort, so a broad filter stops at
        the first `n` (a page in `_id` order reads and sorts every match first)."""
        return await self.collection.find(query).limit(n).to_list(n)

    async def existing_ids(self, contact_ids: list[str]) -> set[str]:
        cursor = self.collection.find({"_id": {"$in": contact_ids}}, {"_id": 1})
        return {d["_id"] async for d in cursor}

    async def merged_into(self, contact_id: str, session: Session) -> list[str]:
        cursor = self.collection.find({"merged_into": contact_id}, {"_id": 1}, session=session)
        return [d["_id"] async for d in cursor]

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
        return await self.collection.find(query).to_list(500)

    async def contexts(
        self, contact_ids: set[str], session: Session
    ) -> dict[str, InteractionContext]:
        cursor = self.collection.find(
            {"_id": {"$in": list(contact_ids)}}, dict.fromkeys(CONTEXT_FIELDS, 1), session=session
        )
        return {
            doc["_id"]: InteractionContext(
                **{f: doc[f] for f in CONTEXT_FIELDS if doc.get(f) is not None}
            )
            async for doc in cursor
        }

    async def purchase_history(
        self, contact_ids: set[str], session: Session
    ) -> dict[str, dict[str, Any]]:
        """These contacts' purchase summaries (to keep each within its bounds)."""
        if not contact_ids:
            return {}
        cursor = self.collection.find(
            {"_id": {"$in": list(contact_ids)}, "purchases": {"$exists": True}},
            {"purchases": 1},
            session=session,
        )
        return {doc["_id"]: doc["purchases"] async for doc in cursor}

    async def known(self, ids: set[str], session: Session) -> dict[str, Known]:
        """What identity resolution needs of these contacts, merge chains followed."""
        known: dict[str, Known] = {}
        pending = set(ids)
        while pending:
            cursor = self.collection.find(
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

    # -- saves -----------------------------------------------------------------------------

    async def insert(self, docs: list[dict[str, Any]], session: Session) -> None:
        """New records, with the words free-text search finds them by."""
        await self.collection.insert_many(
            [{**doc, "terms": terms_of(doc)} for doc in docs], session=session
        )

    async def update(self, contact_id: str, update: dict[str, Any], session: Session) -> None:
        await self.collection.update_one({"_id": contact_id}, update, session=session)

    async def update_each(
        self, updates: list[tuple[str, dict[str, Any]]], session: Session
    ) -> None:
        """One update document per contact, sent as one bulk write."""
        if updates:
            await self.collection.bulk_write(
                [UpdateOne({"_id": cid}, update) for cid, update in updates],
                ordered=False,
                session=session,
            )

    async def keep_scores(
        self, verdicts: list[tuple[str, str, datetime, dict[str, Any]]], session: Session
    ) -> None:
        """Each (contact, model, as of, fields) unless the contact holds a newer verdict of
        that model (or is merged or erased)."""
        if not verdicts:
            return
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
            for contact_id, model, at, fields in verdicts
        ]
        await self.collection.bulk_write(ops, ordered=True, session=session)

    async def tombstone(
        self, other: dict[str, Any], survivor_id: str, at: Any, session: Session
    ) -> None:
        """A merged record keeps only a pointer: old ids resolve, personal data is gone; what
        pointed at it points at the survivor."""
        unset = {k: "" for k in other if k not in TOMBSTONE_KEEP}
        update: dict[str, Any] = {"$set": {"merged_into": survivor_id, "merged_at": at}}
        if unset:
            update["$unset"] = unset
        await self.collection.update_one({"_id": other["_id"]}, update, session=session)
        await self.collection.update_many(
            {"merged_into": other["_id"]}, {"$set": {"merged_into": survivor_id}}, session=session
        )

    async def erase(self, contact_id: str, merged: list[str], at: Any, session: Session) -> None:
        """The person goes; a bare tombstone stops late events for this id from recreating
        them."""
        await self.collection.delete_many({"_id": {"$in": merged}}, session=session)
        await self.collection.replace_one(
            {"_id": contact_id},
            {"_id": contact_id, "erased": True, "erased_at": at},
            session=session,
        )

    async def without_purchase_history(self, after: str, n: int) -> list[str]:
        """Live records that bought before purchase history was kept, in `_id` order."""
        query = {
            "_id": {"$gt": after},
            "activity.purchase": {"$gt": 0},
            "purchases": {"$exists": False},
            "merged_into": {"$exists": False},
            "erased": {"$ne": True},
        }
        found = self.collection.find(query, {"_id": 1}).sort("_id", ASCENDING).limit(n)
        return [d["_id"] async for d in found]

    async def start_purchase_history(
        self, histories: dict[str, dict[str, Any]], session: Session
    ) -> int:
        """Each record's first purchase history (update operators), unless it has one."""
        ops = [
            UpdateOne({"_id": cid, "purchases": {"$exists": False}}, update)
            for cid, update in histories.items()
        ]
        if ops:
            await self.collection.bulk_write(ops, ordered=False, session=session)
        return len(ops)

    async def backfill_terms(self, batch: int = 500) -> None:
        """Give records written before free-text search their terms, a batch at a time."""
        done = 0
        live = {"terms": {"$exists": False}, "erased": {"$ne": True}, "merged_into": None}
        while docs := await self.collection.find(live, dict.fromkeys(TERM_FIELDS, 1)).to_list(
            batch
        ):
            await self.collection.bulk_write(
                [UpdateOne({"_id": d["_id"]}, {"$set": {"terms": terms_of(d)}}) for d in docs],
                ordered=False,
            )
            done += len(docs)
        if done:
            log.info("gave contacts their search terms", extra={"contacts": done})
