"""Automation's stores over dictionaries, for tests of the handlers and use cases without
I/O. Each keeps the documents the real store would write."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import Any

from lodestone_automation.domain.audience import audience_change
from lodestone_common.consumer import EnvelopeEvent
from lodestone_common.envelope import utcnow
from lodestone_common.ownership import partition_of

Session = Any


class MemoryWorkflows:
    def __init__(self) -> None:
        self.docs: dict[str, dict[str, Any]] = {}
        self.rev = 0

    def put(self, workflow_id: str, definition: dict[str, Any], status: str = "active") -> None:
        self.docs[workflow_id] = {
            "_id": workflow_id,
            "version": 1,
            "status": status,
            "definition": definition,
            "created_at": utcnow(),
        }
        self.rev += 1

    async def revision(self) -> int:
        return self.rev

    async def all(self) -> list[dict[str, Any]]:
        return list(self.docs.values())

    async def version(self, workflow_id: str, version: int) -> dict[str, Any] | None:
        return self.docs.get(workflow_id)


class MemoryEnrollments:
    def __init__(self) -> None:
        self.docs: dict[str, dict[str, Any]] = {}

    async def earlier(
        self, workflow_ids: list[str], contact_ids: list[str], session: Session
    ) -> dict[tuple[str, str], list[dict[str, Any]]]:
        found: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
        for d in self.docs.values():
            if d["workflow_id"] in workflow_ids and d["contact_id"] in contact_ids:
                found[(d["workflow_id"], d["contact_id"])].append(d)
        return found

    async def insert(self, docs: list[dict[str, Any]], session: Session) -> None:
        for doc in docs:
            assert doc["_id"] not in self.docs
            self.docs[doc["_id"]] = dict(doc)

    async def reschedule(
        self, workflow_id: str, contact_id: str, due_at: datetime, session: Session
    ) -> bool:
        found = False
        for d in self.docs.values():
            if (d["workflow_id"], d["contact_id"], d["status"]) == (
                workflow_id,
                contact_id,
                "scheduled",
            ):
                d["due_at"], found = due_at, True
        return found

    async def waiting_for_events(
        self, contact_ids: list[str], session: Session
    ) -> list[dict[str, Any]]:
        return [
            dict(d)
            for d in self.docs.values()
            if d["contact_id"] in contact_ids and d["status"] == "waiting" and d.get("waiting_for")
        ]

    async def event_arrived(self, enrollment_id: str, session: Session) -> None:
        doc = self.docs[enrollment_id]
        if doc["status"] == "waiting":
            doc.update(event_arrived=True, due_at=utcnow())

    async def contacts_arrived(self, contact_ids: list[str], session: Session) -> int:
        moved = 0
        for d in self.docs.values():
            if d["contact_id"] in contact_ids and d.pop("awaiting_contact", False):
                d["due_at"] = utcnow()
                moved += 1
        return moved

    async def rekey(self, survivor: str, merged: list[str], session: Session) -> None:
        for d in self.docs.values():
            if d["contact_id"] in merged:
                d.update(contact_id=survivor, partition=partition_of(survivor))

    def of(self, contact_id: str) -> list[dict[str, Any]]:
        return [d for d in self.docs.values() if d["contact_id"] == contact_id]


class MemoryAudience:
    def __init__(self) -> None:
        self.docs: dict[str, dict[str, Any]] = {}
        self.hits: dict[tuple[str, str], list[datetime]] = {}

    async def apply(self, events: list[EnvelopeEvent], session: Session) -> None:
        for event in events:
            contact_id, fields, forget = audience_change(event)
            if fields:
                self.docs.setdefault(contact_id, {"_id": contact_id}).update(fields)
            for gone in forget:
                self.docs.pop(gone, None)

    async def contact(self, contact_id: str) -> dict[str, Any]:
        return dict(self.docs.get(contact_id, {"_id": contact_id}))

    async def records(self, contact_ids: list[str], session: Session) -> dict[str, dict[str, Any]]:
        return {c: await self.contact(c) for c in contact_ids}

    async def emails_of(self, contact_ids: list[str], session: Session) -> dict[str, str]:
        return {
            c: d["email"]
            for c in contact_ids
            if isinstance((d := self.docs.get(c, {})).get("email"), str)
        }

    async def count_activity(self, counts: dict[str, dict[str, int]], session: Session) -> None:
        for contact, kinds in counts.items():
            activity = self.docs.setdefault(contact, {"_id": contact}).setdefault("activity", {})
            for kind, n in kinds.items():
                activity[kind] = activity.get(kind, 0) + n

    async def window_hits(
        self, pairs: set[tuple[str, str]], session: Session
    ) -> dict[tuple[str, str], list[datetime]]:
        return {p: list(self.hits[p]) for p in pairs if p in self.hits}

    async def save_hits(
        self, windows: dict[tuple[str, str], list[datetime]], session: Session
    ) -> None:
        self.hits.update({k: list(v) for k, v in windows.items()})

    async def rekey_hits(self, survivor: str, merged: list[str], session: Session) -> None:
        for (workflow, contact), hits in list(self.hits.items()):
            if contact in merged:
                del self.hits[(workflow, contact)]
                kept = self.hits.get((workflow, survivor), [])
                self.hits[(workflow, survivor)] = sorted([*kept, *hits])


class MemorySuppressions:
    def __init__(self) -> None:
        self.docs: dict[str, dict[str, Any]] = {}

    async def add_many(self, entries: list[dict[str, Any]], session: Session = None) -> None:
        for e in entries:
            self.docs[e["email"].strip().lower()] = dict(e)

    async def get(self, email: str) -> dict[str, Any] | None:
        return self.docs.get(email.strip().lower())


class MemoryCampaigns:
    """Reactions to campaign emails: the first time of each per recipient."""

    def __init__(self) -> None:
        self.reactions: dict[tuple[str, str], tuple[str, datetime]] = {}

    async def react(self, seen: list[tuple[str, str, str, datetime]], session: Session) -> None:
        for campaign_id, recipient_id, reaction, at in seen:
            key = (recipient_id, reaction)
            if key not in self.reactions or at < self.reactions[key][1]:
                self.reactions[key] = (campaign_id, at)


class MemoryRecords:
    """Tasks or action records, by id."""

    def __init__(self) -> None:
        self.docs: dict[str, dict[str, Any]] = {}

    async def insert_many(self, docs: list[dict[str, Any]], session: Session) -> None:
        for doc in docs:
            assert doc["_id"] not in self.docs
            self.docs[doc["_id"]] = dict(doc)


class MemoryStores:
    def __init__(self) -> None:
        self.workflows = MemoryWorkflows()
        self.enrollments = MemoryEnrollments()
        self.tasks = MemoryRecords()
        self.actions = MemoryRecords()
        self.audience = MemoryAudience()
        self.suppressions = MemorySuppressions()
        self.campaigns = MemoryCampaigns()
        self.erased: set[str] = set()

    async def forget(self, contact_ids: list[str], session: Session) -> None:
        self.erased.update(contact_ids)
        self.enrollments.docs = {
            k: d for k, d in self.enrollments.docs.items() if d["contact_id"] not in contact_ids
        }
        self.audience.hits = {
            k: v for k, v in self.audience.hits.items() if k[1] not in contact_ids
        }

    async def rekey(self, survivor: str, merged: list[str], session: Session) -> None:
        await self.enrollments.rekey(survivor, merged, session)
        await self.audience.rekey_hits(survivor, merged, session)
