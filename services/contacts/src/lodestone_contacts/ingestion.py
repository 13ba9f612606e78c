"""Integrators' raw events resolved to contacts: who each is (creating, linking and merging
records as identities demand), what they did (timeline, activity), and the resolved
`interaction.recorded` republished keyed by contact id — one unit of work per batch."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from lodestone_common.envelope import Envelope, utcnow
from lodestone_common.events import ContactCreated, ContactUpdated, InteractionRecorded
from lodestone_common.ingest import IngestEvent
from lodestone_common.processing import UnitOfWork
from lodestone_common.topics import CONTACTS, INTERACTIONS

from .domain.identity import identity_keys, resolve
from .domain.interactions import CHANNELS, interaction_name, interaction_type, normalized_properties
from .domain.purchases import purchase_update
from .domain.terms import terms_of
from .domain.traits import snapshot
from .service import Contacts, emit, event


class Ingestion:
    def __init__(self, contacts: Contacts) -> None:
        self.contacts = contacts
        self.stores = contacts.stores

    async def apply(self, events: list[IngestEvent], uow: UnitOfWork) -> dict[str, str]:
        """Resolve, record and announce a batch of ingested events (each new: the processor
        dropped the ones applied before); {envelope id: why} of those rejected."""
        keys: set[str] = set()
        refs: set[str] = set()
        for ingested in events:
            try:
                found = identity_keys(ingested)
            except ValueError:
                continue
            refs.update(v for k, v in found.items() if k == "id")
            keys.update(v for k, v in found.items() if k != "id")
        identities = await self.stores.identities.owners(list(keys), uow.session)
        known = await self.stores.records.known(set(identities.values()) | refs, uow.session)
        plan = resolve(events, identities, known)
        await self._write(plan, uow)
        return {
            str(e.envelope_id()): plan.rejected[e.event_id]
            for e in events
            if e.event_id in plan.rejected
        }

    async def _write(self, plan: Any, uow: UnitOfWork) -> None:
        session = uow.session
        events: list[tuple[str, Envelope]] = []
        if plan.new_contacts:
            await self.stores.records.insert(list(plan.new_contacts.values()), session)
            for cid, doc in plan.new_contacts.items():
                # The traits of the batch that created it (source, name…) belong to its birth:
                # first-touch attribution reads them from contact.created.
                born = {**doc, **plan.updates.get(cid, {})}
                created = ContactCreated(contact=snapshot(born), anonymous=born["anonymous"])
                events.append((CONTACTS, event(created, cid, occurred_at=doc["created_at"])))
        await self.stores.identities.link(plan.links, session)
        if plan.merges:  # a merge announces itself: what came before goes out before it
            emit(uow, events)
            events = []
        for survivor, merged in plan.merges:
            other = await self.stores.records.one(merged, session)
            if other is not None and not other.get("merged_into"):
                await self.contacts.fold(survivor, other, "identity-resolution", uow)
        touched = set(plan.updates) | set(plan.activity)
        timeline, interactions = _interactions(plan)
        orders = _orders(timeline)
        held = await self.stores.records.purchase_history(set(orders), session)
        updates, updated = _record_updates(plan, touched, orders, held)
        events += updated
        await self.stores.records.update_each(updates, session)
        await self.stores.timeline.add_once(timeline, session)
        emit(uow, events)  # segment changes follow the changes that caused them
        await self.contacts.refresh(
            {*plan.new_contacts, *touched, *(survivor for survivor, _ in plan.merges)}, uow
        )
        # After the segment refresh, so each interaction carries the contact as it now stands;
        # on their own topic, after each contact's creation, updates and segment changes.
        contexts = await self.stores.records.contexts({cid for cid, *_ in interactions}, session)
        for cid, recorded, envelope_id, occurred_at in interactions:
            context = recorded.model_copy(update={"context": contexts.get(cid)})
            uow.emit(
                INTERACTIONS, event(context, cid, event_id=envelope_id, occurred_at=occurred_at)
            )


def _orders(
    timeline: list[dict[str, Any]],
) -> dict[str, list[tuple[dict[str, Any], datetime]]]:
    """Each contact's purchases in the batch, from its timeline entries (their properties
    normalised once): (properties, when)."""
    orders: dict[str, list[tuple[dict[str, Any], datetime]]] = {}
    for entry in timeline:
        if entry["type"] == "purchase":
            orders.setdefault(entry["contact_id"], []).append((entry["properties"], entry["at"]))
    return orders


def _record_updates(
    plan: Any,
    touched: set[str],
    orders: dict[str, list[tuple[dict[str, Any], datetime]]],
    held: dict[str, dict[str, Any]],
) -> tuple[list[tuple[str, dict[str, Any]]], list[tuple[str, Envelope]]]:
    """Per touched contact one update (traits, activity counts, last activity, purchase
    history) and, when traits changed, its contact.updated."""
    updates: list[tuple[str, dict[str, Any]]] = []
    events: list[tuple[str, Envelope]] = []
    now = utcnow()
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
        for op, fields in purchase_update(orders.get(cid, []), held.get(cid)).items():
            update.setdefault(op, {}).update(fields)
        updates.append((cid, update))
        if fields:
            public = {k: v for k, v in fields.items() if k != "anonymous"}
            changed = ContactUpdated(changes=public, changed_by="ingestion")
            events.append((CONTACTS, event(changed, cid)))
    return updates, events


# Interactions about one address (suppression lists are kept by address).
ADDRESSED = frozenset({"email_bounced", "email_unsubscribed"})


def _interactions(
    plan: Any,
) -> tuple[list[dict[str, Any]], list[tuple[str, InteractionRecorded, UUID, datetime]]]:
    """The timeline entries and the interaction.recorded payloads of the batch's events."""
    timeline: list[dict[str, Any]] = []
    interactions: list[tuple[str, InteractionRecorded, UUID, datetime]] = []
    for cid, ingested in plan.interactions:
        itype = interaction_type(ingested)
        props = normalized_properties(ingested)
        if itype in ADDRESSED and ingested.contact.email and "email" not in props:
            # The address it happened to: a bounce suppresses that address, whatever the
            # contact's main one is by the time a reader gets it.
            props["email"] = ingested.contact.email.strip().lower()
        name = interaction_name(ingested)
        envelope_id = ingested.envelope_id()
        timeline.append(
            {
                "_id": str(envelope_id),
                "contact_id": cid,
                "at": ingested.occurred_at,
                "kind": "interaction",
                "type": itype,
                "name": name,
                "channel": CHANNELS[itype],
                "properties": props,
                "by": ingested.recorded_by,
            }
        )
        recorded = InteractionRecorded(
            interaction_type=itype,
            name=name,
            channel=CHANNELS[itype],
            properties=props,
            source_event_id=ingested.event_id,
        )
        interactions.append((cid, recorded, envelope_id, ingested.occurred_at))
    return timeline, interactions
