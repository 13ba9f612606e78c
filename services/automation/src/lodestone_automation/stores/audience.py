"""Automation's own view of each contact (fields and scores its conditions read, activity
counts) and the sliding-window hits of counted triggers."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import Any

from pymongo import ASCENDING, DeleteMany, UpdateOne
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.database import AsyncDatabase

from lodestone_common.consumer import EnvelopeEvent
from lodestone_common.mongo import MergedSets

from ..domain.audience import audience_change

Session = AsyncClientSession | None


class Audience:
    def __init__(self, db: AsyncDatabase[dict[str, Any]]) -> None:
        self.audience = db["audience"]
        self.hits = db["trigger_hits"]

    async def ensure_indexes(self) -> None:
        await self.hits.create_index([("contact_id", ASCENDING)], name="contact")

    async def emails_of(self, contact_ids: list[str], session: Session) -> dict[str, str]:
        """{contact id: email} of those who have one."""
        cursor = self.audience.find(
            {"_id": {"$in": contact_ids}, "email": {"$type": "string"}},
            {"email": 1},
            session=session,
        )
        return {d["_id"]: d["email"] async for d in cursor}

    async def contact(self, contact_id: str) -> dict[str, Any]:
        doc = await self.audience.find_one({"_id": contact_id})
        return doc or {"_id": contact_id}

    async def records(self, contact_ids: list[str], session: Session) -> dict[str, dict[str, Any]]:
        """{contact id: all automation knows of them}, an unknown one as `{"_id": id}`."""
        found = {cid: {"_id": cid} for cid in contact_ids}
        async for doc in self.audience.find({"_id": {"$in": contact_ids}}, session=session):
            found[doc["_id"]] = doc
        return found

    async def many(self, contact_ids: list[str]) -> dict[str, dict[str, Any]]:
        """{contact id: what automation knows of them} for those it knows (one read)."""
        fields = {"email": 1, "consent": 1, "unsubscribed": 1, "email_bounced": 1}
        cursor = self.audience.find({"_id": {"$in": contact_ids}}, fields)
        return {d.pop("_id"): {k: v for k, v in d.items() if v is not None} async for d in cursor}

    async def apply(self, events: list[EnvelopeEvent], session: Session) -> None:
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

    async def note_owner(self, contact_id: str, owner_id: str) -> None:
        # Our own projection learns the owner now; contacts' event confirms it later.
        await self.audience.update_one(
            {"_id": contact_id}, {"$set": {"owner_id": owner_id}}, upsert=True
        )

    async def count_activity(self, counts: dict[str, dict[str, int]], session: Session) -> None:
        ops = [
            UpdateOne(
                {"_id": c}, {"$inc": {f"activity.{k}": n for k, n in kinds.items()}}, upsert=True
            )
            for c, kinds in counts.items()
        ]
        if ops:
            await self.audience.bulk_write(ops, ordered=False, session=session)

    async def window_hits(
        self, pairs: set[tuple[str, str]], session: Session
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
        self, windows: dict[tuple[str, str], list[datetime]], session: Session
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

    async def rekey_hits(self, survivor: str, merged: list[str], session: Session) -> None:
        """The merged people's windows join the survivor's."""
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
