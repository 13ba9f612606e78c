"""Identity resolution for a batch of ingested events, as a plan ingestion.py writes.

Rules:
- an identity (normalized email, external id, anonymous id) belongs to at most one contact;
- the first event of an unknown person creates the contact (anonymous when only an
  anonymous id is known) and links every identity it carries;
- an event carrying identities of an anonymous contact and of a known one stitches the
  anonymous history into the known contact (a merge); two *known* people are never merged
  implicitly: the event goes to the strongest identity's contact (contact id > external id >
  email > anonymous id) and the other identity stays where it is;
- a `contact_id` that does not exist rejects the event.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from lodestone_common.ingest import IngestEvent, bounce_kind

from .interactions import interaction_type
from .records import new_contact_id, normalize_email, normalize_phone
from .traits import TRAIT_FIELDS, trait_value

STRENGTH = ("id", "ext", "email", "anon")


@dataclass
class Known:
    """What the resolver needs to know of an existing contact."""

    id: str
    anonymous: bool
    merged_into: str | None = None
    source: str | None = None  # for first-touch attribution


@dataclass
class Plan:
    new_contacts: dict[str, dict[str, Any]] = field(default_factory=dict)
    links: dict[str, str] = field(default_factory=dict)  # identity key -> contact id
    merges: list[tuple[str, str]] = field(default_factory=list)  # (survivor, merged)
    became_known: set[str] = field(default_factory=set)
    updates: dict[str, dict[str, Any]] = field(default_factory=lambda: defaultdict(dict))
    activity: dict[str, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))
    last_activity: dict[str, datetime] = field(default_factory=dict)
    interactions: list[tuple[str, IngestEvent]] = field(default_factory=list)
    rejected: dict[str, str] = field(default_factory=dict)


def identity_keys(event: IngestEvent) -> dict[str, str]:
    """Kind -> identity key of every identity the event names ('email:ada@x.io')."""
    ref = event.contact
    keys: dict[str, str] = {}
    if ref.contact_id:
        keys["id"] = ref.contact_id
    if ref.external_id:
        keys["ext"] = f"ext:{ref.external_id}"
    if ref.email:
        keys["email"] = f"email:{normalize_email(ref.email)}"
    if ref.anonymous_id:
        keys["anon"] = f"anon:{ref.anonymous_id}"
    return keys


def trait_updates(traits: dict[str, Any]) -> dict[str, Any]:
    fields: dict[str, Any] = {}
    for name, value in traits.items():
        if name == "email":
            continue  # identities change through `contact.email`, not traits
        if name == "phone" and isinstance(value, str):
            try:
                value = normalize_phone(value)
            except ValueError:
                fields["custom.phone_raw"] = value
                continue
        if name in TRAIT_FIELDS:
            fields |= trait_value(name, value)
        elif isinstance(name, str) and name.isidentifier():
            fields[f"custom.{name}"] = value
    return fields


class Resolver:
    def __init__(
        self,
        identities: dict[str, str],
        contacts: dict[str, Known],
        new_id: Callable[[], str] = new_contact_id,
    ) -> None:
        self.identities = dict(identities)
        self.contacts = dict(contacts)
        self.new_id = new_id
        self.plan = Plan()

    def _follow(self, contact_id: str) -> str:
        seen = set()
        while (known := self.contacts.get(contact_id)) and known.merged_into:
            if contact_id in seen:
                break
            seen.add(contact_id)
            contact_id = known.merged_into
        return contact_id

    def _link(self, key: str, contact_id: str) -> None:
        if self.identities.get(key) != contact_id:
            self.identities[key] = contact_id
            self.plan.links[key] = contact_id

    def _create(self, event: IngestEvent, keys: dict[str, str]) -> str:
        contact_id = self.new_id()
        anonymous = "email" not in keys and "ext" not in keys
        at = event.occurred_at
        email = keys["email"].split(":", 1)[1] if "email" in keys else None
        doc: dict[str, Any] = {
            "_id": contact_id,
            "email": email,
            "emails": [email] if email else [],
            "phones": [],
            "tags": [],
            "custom": {},
            "anonymous": anonymous,
            "lifecycle_stage": None if anonymous else "subscriber",
            "stage_history": []
            if anonymous
            else [
                {
                    "from": None,
                    "to": "subscriber",
                    "by": "ingestion",
                    "reason": "first seen",
                    "at": at,
                }
            ],
            "activity": {},
            "created_at": at,
            "updated_at": at,
            "created_by": "ingestion",
        }
        if "ext" in keys:
            doc["external_id"] = keys["ext"].split(":", 1)[1]
        self.plan.new_contacts[contact_id] = doc
        self.contacts[contact_id] = Known(contact_id, anonymous)
        return contact_id

    def _merge(self, survivor: str, merged: str) -> None:
        self.plan.merges.append((survivor, merged))
        self.contacts[merged] = Known(merged, True, merged_into=survivor)
        for key, owner in list(self.identities.items()):
            if owner == merged:
                self._link(key, survivor)

    def apply(self, event: IngestEvent) -> None:
        try:
            keys = identity_keys(event)
        except ValueError as exc:
            self.plan.rejected[event.event_id] = str(exc)
            return
        if "id" in keys:
            contact_id = self._follow(keys["id"])
            if contact_id not in self.contacts:
                self.plan.rejected[event.event_id] = f"unknown contact_id {keys['id']!r}"
                return
        else:
            owners = {
                kind: self._follow(self.identities[key])
                for kind, key in keys.items()
                if key in self.identities
            }
            if not owners:
                contact_id = self._create(event, keys)
            else:
                strongest = next(kind for kind in STRENGTH if kind in owners)
                contact_id = owners[strongest]
                for other in set(owners.values()) - {contact_id}:
                    if self.contacts[other].anonymous:
                        self._merge(contact_id, other)
                    elif self.contacts[contact_id].anonymous:
                        # The known contact survives; the anonymous one is stitched into it.
                        self._merge(other, contact_id)
                        contact_id = other
        for kind, key in keys.items():
            if kind == "id":
                continue
            owner = self.identities.get(key)
            if owner is None or self._follow(owner) == contact_id:
                self._link(key, contact_id)
        self._learn(contact_id, keys)
        self._record(contact_id, event)

    def _learn(self, contact_id: str, keys: dict[str, str]) -> None:
        known = self.contacts[contact_id]
        if known.anonymous and ("email" in keys or "ext" in keys):
            known.anonymous = False
            self.plan.became_known.add(contact_id)
            update = self.plan.updates[contact_id]
            update["anonymous"] = False
            update["lifecycle_stage"] = "subscriber"
            if "email" in keys:
                update["email"] = keys["email"].split(":", 1)[1]
            if "ext" in keys:
                update["external_id"] = keys["ext"].split(":", 1)[1]

    def _record(self, contact_id: str, event: IngestEvent) -> None:
        update = self.plan.updates[contact_id]
        if event.traits:
            update.update(trait_updates(event.traits))
        known = self.contacts[contact_id]
        if event.first_touch_source and not known.source and not update.get("source"):
            update["source"] = event.first_touch_source
        if update.get("source"):
            known.source = update["source"]
        itype = interaction_type(event)
        # Consent follows the person's own actions: an unsubscribe is honoured at once.
        if itype == "email_unsubscribed":
            self.plan.updates[contact_id].update({"unsubscribed": True, "consent.email": "denied"})
        elif itype == "email_bounced" and bounce_kind(event.properties) != "soft":
            # A soft bounce (a full mailbox) is tried again later; a hard one stops mail.
            self.plan.updates[contact_id]["email_bounced"] = True
        self.plan.activity[contact_id][itype] += 1
        at = event.occurred_at
        assert at is not None
        last = self.plan.last_activity.get(contact_id)
        if last is None or at > last:
            self.plan.last_activity[contact_id] = at
        self.plan.interactions.append((contact_id, event))


def resolve(
    events: list[IngestEvent], identities: dict[str, str], contacts: dict[str, Known]
) -> Plan:
    resolver = Resolver(identities, contacts)
    for event in events:
        resolver.apply(event)
    # What this batch learned about contacts it then merged belongs to their survivors.
    plan = resolver.plan
    follow = resolver._follow
    plan.interactions = [(follow(cid), e) for cid, e in plan.interactions]
    for cid in [c for c in plan.updates if follow(c) != c]:
        moved = plan.updates.pop(cid)
        moved.pop("anonymous", None)
        target = plan.updates[follow(cid)]
        for name, value in moved.items():
            target.setdefault(name, value)
    for cid in [c for c in plan.activity if follow(c) != c]:
        plan.activity[follow(cid)].update(plan.activity.pop(cid))
        at = plan.last_activity.pop(cid)
        survivor = follow(cid)
        if survivor not in plan.last_activity or at > plan.last_activity[survivor]:
            plan.last_activity[survivor] = at
    plan.became_known = {c for c in plan.became_known if follow(c) == c}
    return plan
