"""Saved segments (dynamic lists) kept in step with every contact change.

Each write path re-evaluates the contacts it touched against every segment in the same
transaction (`SegmentRegistry.refresh`), so membership never waits for a job. A new or
changed segment is backfilled in the background over its candidates only (contacts that
match its query or are members now), with progress on the segment; a build stopped with its
process resumes where it stopped (lodestone_common.jobs).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from typing import Any
from uuid import uuid4

from pymongo import UpdateOne
from pymongo.asynchronous.database import AsyncDatabase

from lodestone_common.envelope import utcnow
from lodestone_common.events import ContactSegmentsChanged
from lodestone_common.jobs import Job, Jobs
from lodestone_common.ownership import partition_of
from lodestone_common.processing import Transactions, UnitOfWork
from lodestone_common.topics import CONTACTS

from .domain.estimate import (
    PROBE,
    SAMPLE,
    Estimate,
    counting_in_slice,
    estimate,
    fraction_for,
    id_slice,
)
from .domain.search import ContactFilter
from .domain.segments import membership_change, next_review

log = logging.getLogger(__name__)
BACKFILL_BATCH = 1000


def review_time(moment: datetime | None) -> datetime | None:
    """A flip moment as stored: rounded up to the database's millisecond, never early."""
    if moment is None:
        return None
    rounded = moment.replace(microsecond=moment.microsecond // 1000 * 1000)
    return rounded if rounded == moment else rounded + timedelta(milliseconds=1)


class SegmentRegistry:
    def __init__(
        self,
        db: AsyncDatabase[dict[str, Any]],
        transactions: Transactions,
        holder: str,
        clock: Callable[[], datetime] = utcnow,
        sample: int = SAMPLE,
    ) -> None:
        self.segments = db["segments"]
        self.contacts = db["contacts"]
        self.transactions = transactions
        # Builds survive a restart: resumed where they stopped, by any replica.
        self.builds = Jobs(db["segment_builds"], self._build, holder, prefix="build")
        self._filters: dict[str, ContactFilter] = {}
        self.clock = clock  # "now" for dates relative to it
        self.sample = sample  # contacts an estimate reads

    # -- definitions -----------------------------------------------------------------------

    async def reload(self) -> None:
        self._filters = {
            doc["_id"]: ContactFilter.model_validate(doc["filter"])
            async for doc in self.segments.find({}, {"filter": 1})
        }

    async def watch(self, every: float = 2.0) -> None:
        """Pick up segments other replicas defined (a local change reloads at once)."""
        while True:
            await self.reload()
            await asyncio.sleep(every)

    async def create(self, name: str, flt: ContactFilter, by: str) -> dict[str, Any]:
        now = utcnow()
        doc = {
            "_id": f"seg_{uuid4().hex[:16]}",
            "name": name,
            "filter": flt.model_dump(mode="json", exclude_defaults=True),
            "version": 1,
            "created_by": by,
            "created_at": now,
            "updated_at": now,
            "build": {"status": "building", "candidates": None, "scanned": 0},
        }
        await self.segments.insert_one(doc)
        await self.reload()
        await self._backfill(doc["_id"], 1)
        return doc

    async def replace(
        self, segment_id: str, name: str, flt: ContactFilter
    ) -> dict[str, Any] | None:
        doc = await self.segments.find_one_and_update(
            {"_id": segment_id},
            {
                "$set": {
                    "name": name,
                    "filter": flt.model_dump(mode="json", exclude_defaults=True),
                    "updated_at": utcnow(),
                    "build": {"status": "building", "candidates": None, "scanned": 0},
                },
                "$inc": {"version": 1},
            },
            return_document=True,
        )
        if doc is not None:
            await self.reload()
            await self._backfill(segment_id, doc["version"])
        return doc

    async def delete(self, segment_id: str) -> bool:
        deleted = await self.segments.delete_one({"_id": segment_id})
        if not deleted.deleted_count:
            return False
        await self.reload()
        # Members leave in transactions of BACKFILL_BATCH, never in one multi-document update
        # outside a transaction: ingestion's transactions write the same contacts, and the
        # local database can wedge that pair for good (bench/README, "Known limits").
        while batch := [
            d["_id"]
            async for d in self.contacts.find({"segments": segment_id}, {"_id": 1}).limit(
                BACKFILL_BATCH
            )
        ]:

            async def leave(uow: UnitOfWork, ids: list[str] = batch) -> None:
                await self.contacts.update_many(
                    {"_id": {"$in": ids}}, {"$pull": {"segments": segment_id}}, session=uow.session
                )

            await self.transactions.run(leave)
        return True

    async def get(self, segment_id: str) -> dict[str, Any] | None:
        return await self.segments.find_one({"_id": segment_id})

    async def all(self) -> list[dict[str, Any]]:
        return await self.segments.find({}).sort("created_at", 1).to_list(1000)

    async def member_count(self, segment_id: str) -> int:
        return await self.contacts.count_documents({"segments": segment_id})

    async def would_match(
        self, flt: ContactFilter, seconds: float = 5.0, at_most: int | None = None
    ) -> int:
        """How many contacts a filter matches now (a builder's live count; `at_most` stops
        counting there), within a time limit: a filter no index helps at a million contacts
        answers late or not at all."""
        query, ms = flt.to_mongo(self.clock()), int(seconds * 1000)
        if at_most is None:
            return await self.contacts.count_documents(query, maxTimeMS=ms)
        # A cursor stops at `at_most` matches (a capped count may not: measured in bench/README).
        found = self.contacts.find(query, {"_id": 1}, max_time_ms=ms).limit(at_most)
        return len(await found.to_list(at_most))

    async def estimate_members(
        self, flt: ContactFilter, examples: int = 5, seconds: float = 5.0
    ) -> tuple[Estimate | None, list[dict[str, Any]]]:
        """How many contacts a filter matches, estimated from a fixed slice of about
        `sample` contacts (domain/estimate), and a few of the slice's matches; no estimate
        for a collection that small, or when too few of the slice match to tell."""
        probed = await self.contacts.count_documents({"_id": id_slice(PROBE)})
        fraction = fraction_for(round(probed / PROBE), self.sample)
        if fraction >= 1:
            return None, []
        pipeline = counting_in_slice(flt.to_mongo(self.clock()), fraction, examples)
        rows = await self.contacts.aggregate(pipeline, maxTimeMS=int(seconds * 1000))
        row = (await rows.to_list(1))[0]
        found = row["n"][0]["n"] if row["n"] else 0
        return estimate(found, fraction), row["some"]

    # -- membership ------------------------------------------------------------------------

    async def refresh(
        self,
        contact_ids: Iterable[str],
        uow: UnitOfWork,
        only: dict[str, ContactFilter] | None = None,
        reviewing: bool = False,
    ) -> int:
        """Re-evaluate these contacts inside the caller's unit of work, which announces the
        changes (`contact.segments_changed`); how many changed membership.

        Each record also keeps `review.at`, the next moment time alone may change its
        membership (a relative date or purchase window), for `SegmentReviews`. A change only
        ever brings that moment forward (a review that comes early finds nothing and sets
        the next); `reviewing` — the review itself — sets it exactly, or removes it."""
        filters = only if only is not None else self._filters
        ids = list(set(contact_ids))
        if not ids or not (filters or reviewing):
            return 0
        ops, changed, now = [], 0, self.clock()
        cursor = self.contacts.find({"_id": {"$in": ids}}, session=uow.session)
        async for doc in cursor:
            update: dict[str, Any] = {}
            joined, left = membership_change(doc, filters, now)
            if joined or left:
                members = sorted((set(doc.get("segments") or []) - set(left)) | set(joined))
                update["$set"] = {"segments": members}
                change = ContactSegmentsChanged(joined=joined, left=left)
                uow.emit(CONTACTS, change.envelope(contact_id=doc["_id"], producer="contacts"))
                changed += 1
            due = review_time(next_review(doc, filters, now))
            held = (doc.get("review") or {}).get("at")
            if due is not None and (reviewing or held is None or due < held):
                review = {"at": due, "partition": partition_of(doc["_id"])}
                update.setdefault("$set", {})["review"] = review
            elif due is None and reviewing and held is not None:
                update["$unset"] = {"review": ""}
            if update:
                ops.append(UpdateOne({"_id": doc["_id"]}, update))
        if ops:
            await self.contacts.bulk_write(ops, ordered=False, session=uow.session)
        return changed

    # -- backfill --------------------------------------------------------------------------

    async def _backfill(self, segment_id: str, version: int) -> None:
        await self.builds.start({"segment_id": segment_id, "version": version})

    async def _build(self, job: Job) -> str:
        """Evaluate the segment over its candidates a batch at a time, resuming after the
        last contact a stopped run finished."""
        segment_id, version = job.doc["segment_id"], job.doc["version"]
        try:
            doc = await self.segments.find_one({"_id": segment_id, "version": version})
            if doc is None:
                return "superseded"  # replaced or deleted meanwhile: the newer build takes over
            flt = ContactFilter.model_validate(doc["filter"])
            # Who matches now, who may match as time passes, and who must leave.
            candidates = {"$or": [flt.loosened().to_mongo(self.clock()), {"segments": segment_id}]}
            if job.checkpoint is None:
                total = await self.contacts.count_documents(candidates)
                await self._progress(segment_id, version, {"build.candidates": total})
            after, scanned = job.checkpoint or ("", 0)
            changed = doc["build"].get("changed", 0) if job.checkpoint else 0
            while True:
                query = {**candidates, "_id": {"$gt": after}} if after else candidates
                batch = [
                    d["_id"]
                    async for d in self.contacts.find(query, {"_id": 1})
                    .sort("_id", 1)
                    .limit(BACKFILL_BATCH)
                ]
                if not batch:
                    break

                async def work(uow: UnitOfWork, ids: list[str] = batch) -> int:
                    return await self.refresh(ids, uow, only={segment_id: flt})

                changed += await self.transactions.run(work)
                scanned += len(batch)
                after = batch[-1]
                progress = {"build.scanned": scanned, "build.changed": changed}
                await self._progress(segment_id, version, progress)
                await job.advance((after, scanned))
            await self._progress(
                segment_id,
                version,
                {"build.status": "ready", "build.changed": changed, "build.finished_at": utcnow()},
            )
            return "done"
        except Exception as exc:
            log.exception("segment build failed", extra={"segment": segment_id})
            await self._progress(
                segment_id, version, {"build.status": "failed", "build.reason": str(exc)}
            )
            raise

    async def _progress(self, segment_id: str, version: int, fields: dict[str, Any]) -> None:
        await self.segments.update_one({"_id": segment_id, "version": version}, {"$set": fields})
