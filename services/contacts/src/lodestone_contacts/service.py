"""Contacts' use cases on records: create, edit, merge, erase, import, keep scores.

Each runs as one unit of work: the records, identities and timeline it changes, the saved
segments it re-evaluates and the events announcing it commit together (the outbox relay
publishes them after), so no event is lost or announced for a change that did not happen.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from typing import Any
from uuid import uuid4

from lodestone_common.envelope import Envelope, utcnow
from lodestone_common.events import (
    ContactCreated,
    ContactErased,
    ContactMerged,
    ContactOwnerAssigned,
    ContactStageChanged,
    ContactUpdated,
    EventPayload,
)
from lodestone_common.processing import Transactions, UnitOfWork
from lodestone_common.topics import CONTACTS

from .domain.purchases import merge_purchases
from .domain.records import merge_fields
from .domain.terms import TERM_FIELDS, terms_of
from .domain.traits import snapshot
from .segments import SegmentRegistry
from .stores import Stores
from .stores.timeline import change

PRODUCER = "contacts"


class NotFound(Exception):
    pass


def field_changes(changes: dict[str, Any], previous: dict[str, Any]) -> list[dict[str, Any]]:
    """Each changed field's old and new value, as the timeline shows them (long values cut)."""

    def shown(value: Any) -> Any:
        return value[:200] if isinstance(value, str) else value

    return [
        {"field": k, "from": shown(previous.get(k)), "to": shown(v)}
        for k, v in sorted(changes.items())
    ]


def event(payload: EventPayload, contact_id: str, **kw: Any) -> Envelope:
    return payload.envelope(contact_id=contact_id, producer=PRODUCER, **kw)


def emit(uow: UnitOfWork, events: list[tuple[str, Envelope]]) -> None:
    for topic, envelope in events:
        uow.emit(topic, envelope)


class Contacts:
    def __init__(
        self, stores: Stores, segments: SegmentRegistry | None, transactions: Transactions
    ) -> None:
        self.stores = stores
        # Re-evaluates saved segments inside every write's unit of work.
        self.segments = segments
        self.transactions = transactions

    async def refresh(self, contact_ids: Any, uow: UnitOfWork) -> None:
        if self.segments is not None:
            await self.segments.refresh(contact_ids, uow)

    async def add_note(self, contact_id: str, text: str, author: str) -> dict[str, Any]:
        entry = {
            "_id": f"note_{uuid4().hex}",
            "contact_id": contact_id,
            "at": utcnow(),
            "kind": "note",
            "type": "note",
            "detail": {"text": text, "author": author},
        }
        await self.stores.timeline.add([entry])
        return entry

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
        if not latest:
            return
        await self.stores.records.keep_scores(list(latest.values()), uow.session)
        await self.refresh([u[0] for u in updates], uow)

    async def create(self, contact: dict[str, Any]) -> None:
        """Store a new contact, claim its identities, announce it — atomically."""
        keys = [f"email:{e}" for e in contact.get("emails", [])]
        if contact.get("external_id"):
            keys.append(f"ext:{contact['external_id']}")

        async def work(uow: UnitOfWork) -> None:
            await self.stores.identities.claim(keys, contact["_id"], uow.session)
            await self.stores.records.insert([contact], uow.session)
            entry = change(contact["_id"], contact["created_at"], "contact.created", {})
            await self.stores.timeline.add([entry], uow.session)
            uow.emit(CONTACTS, event(ContactCreated(contact=snapshot(contact)), contact["_id"]))
            await self.refresh([contact["_id"]], uow)

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
            current = await self.stores.records.get(contact_id, session)
            if current is None:
                raise NotFound(contact_id)
            cid = current["_id"]
            new_emails = set(changes.get("emails") or []) - set(current.get("emails", []))
            await self.stores.identities.claim(
                [f"email:{e}" for e in sorted(new_emails)], cid, session
            )
            update: dict[str, Any] = {"$set": {**changes, "updated_at": now}}
            if TERM_FIELDS & changes.keys():  # an edit replaces the words it changed
                update["$set"]["terms"] = terms_of({**current, **changes})
            events: list[tuple[str, Envelope]] = []
            timeline: list[dict[str, Any]] = []
            if changes:
                updated = ContactUpdated(changes=changes, previous=previous, changed_by=by)
                events.append((CONTACTS, event(updated, cid)))
                detail = {"fields": sorted(changes), "changes": field_changes(changes, previous)}
                timeline.append(change(cid, now, "contact.updated", detail, by))
            if "owner_id" in changes:
                update["$set"]["owner_assigned_at"] = now
                assigned = ContactOwnerAssigned(
                    owner_id=changes["owner_id"],
                    previous_owner_id=previous.get("owner_id"),
                    assigned_by=by,
                )
                events.append((CONTACTS, event(assigned, cid)))
            if stage and stage["to"] != current.get("lifecycle_stage"):
                update["$set"]["lifecycle_stage"] = stage["to"]
                update["$push"] = {"stage_history": stage}
                moved = ContactStageChanged(
                    from_stage=current.get("lifecycle_stage"),
                    to_stage=stage["to"],
                    changed_by=by,
                    reason=stage.get("reason"),
                )
                events.append((CONTACTS, event(moved, cid)))
                detail = {
                    "from": current.get("lifecycle_stage"),
                    "to": stage["to"],
                    "reason": stage.get("reason"),
                }
                timeline.append(change(cid, now, "contact.stage_changed", detail, by))
            if not events:
                return current
            await self.stores.records.update(cid, update, session)
            await self.stores.timeline.add(timeline, session)
            emit(uow, events)
            await self.refresh([cid], uow)
            return await self.stores.records.one(cid, session)  # type: ignore[return-value]

        return await self.transactions.run(work)

    async def merge(self, survivor_id: str, merged_ids: list[str], by: str) -> dict[str, Any]:
        """Explicit merge: every other contact folds into the survivor, with an audit trail."""

        async def work(uow: UnitOfWork) -> dict[str, Any]:
            survivor = await self.stores.records.get(survivor_id, uow.session)
            if survivor is None:
                raise NotFound(survivor_id)
            others = []
            for other_id in merged_ids:
                other = await self.stores.records.get(other_id, uow.session)
                if other is None:
                    raise NotFound(other_id)
                if other["_id"] != survivor["_id"] and other not in others:
                    others.append(other)
            for other in others:
                await self.fold(survivor["_id"], other, by, uow)
            await self.refresh([survivor["_id"]], uow)
            return await self.stores.records.one(survivor["_id"], uow.session)  # type: ignore[return-value]

        return await self.transactions.run(work)

    async def fold(self, survivor_id: str, other: dict[str, Any], by: str, uow: UnitOfWork) -> None:
        """Fold `other` into the survivor: missing fields, activity, identities, timeline, files."""
        session = uow.session
        survivor = await self.stores.records.one(survivor_id, session)
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
        if other.get("purchases"):
            bought = merge_purchases(survivor.get("purchases"), other["purchases"])
            update["$set"]["purchases"] = bought
        update["$push"] = {"merged_from": {"id": other["_id"], "by": by, "at": now}}
        await self.stores.records.update(survivor_id, update, session)
        await self.stores.identities.move(other["_id"], survivor_id, session)
        await self.stores.timeline.move(other["_id"], survivor_id, session)
        await self.stores.attachments.move(other["_id"], survivor_id, session)
        await self.stores.records.tombstone(other, survivor_id, now, session)
        entry = change(survivor_id, now, "contact.merged", {"merged_id": other["_id"], "by": by})
        await self.stores.timeline.add([entry], session)
        merged = ContactMerged(merged_ids=[other["_id"]], merged_by=by)
        uow.emit(CONTACTS, event(merged, survivor_id))

    async def erase(self, contact_id: str, by: str) -> str:
        """GDPR erase: the person, identities, timeline and files go; every service is told."""

        async def work(uow: UnitOfWork) -> str:
            session = uow.session
            current = await self.stores.records.get(contact_id, session)
            if current is None:
                raise NotFound(contact_id)
            cid = current["_id"]
            merged = await self.stores.records.merged_into(cid, session)
            await self.stores.identities.forget([cid, *merged], session)
            await self.stores.timeline.forget([cid, *merged], session)
            await self.stores.attachments.forget([cid, *merged], session)
            await self.stores.records.erase(cid, merged, utcnow(), session)
            uow.emit(CONTACTS, event(ContactErased(requested_by=by), cid))
            return cid

        return await self.transactions.run(work)
