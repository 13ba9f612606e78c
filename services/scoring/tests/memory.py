"""Scoring's stores over dictionaries, for tests of the use cases and handlers without I/O.

Each keeps the documents the real store would write, so a test can read them back the way
the API does."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import Any

from lodestone_common.mongo import MergedSets
from lodestone_scoring.domain.ledger import Entry, Interaction, ScoreState
from lodestone_scoring.stores import Stores, state_id

Session = Any


class MemoryStates:
    def __init__(self) -> None:
        self.docs: dict[str, dict[str, Any]] = {}

    async def load(self, contacts: Any, models: Any, session: Session) -> dict[str, ScoreState]:
        ids = [state_id(c, m) for c in contacts for m in models]
        return {i: ScoreState.of(self.docs[i]) for i in ids if i in self.docs}

    async def save(self, states: dict[str, ScoreState], at: datetime, session: Session) -> None:
        for sid, state in states.items():
            contact, model_id = sid.rsplit(":", 1)
            self.docs[sid] = {**state.to_doc(), "contact_id": contact, "model_id": model_id}

    async def of_contact(self, contact_id: str, session: Session) -> dict[str, dict[str, Any]]:
        return {d["model_id"]: d for d in self.docs.values() if d["contact_id"] == contact_id}

    async def due(self, now: datetime, models: list[str], limit: int) -> list[str]:
        found = {
            d["contact_id"]
            for d in self.docs.values()
            if d.get("recheck_at") and d["recheck_at"] <= now and d["model_id"] in models
        }
        return sorted(found)[:limit]

    async def delete(self, contacts: list[str], session: Session) -> None:
        self.docs = {k: d for k, d in self.docs.items() if d["contact_id"] not in contacts}


class MemoryLedger:
    def __init__(self) -> None:
        self.docs: dict[str, dict[str, Any]] = {}

    async def add(self, entries: list[tuple[str, Entry]], session: Session) -> None:
        for contact, entry in entries:
            self.docs.setdefault(entry.key(), {"contact_id": contact, **entry.__dict__})

    async def of_contact(self, contact_id: str, session: Session) -> dict[str, list[Any]]:
        by_model: dict[str, list[Any]] = defaultdict(list)
        for d in sorted(self.docs.values(), key=lambda d: d["at"], reverse=True):
            if d["contact_id"] == contact_id:
                by_model[d["model_id"]].append(d)
        return by_model

    async def delete(
        self, contacts: list[str], session: Session, models: list[str] | None = None
    ) -> None:
        self.docs = {
            k: d
            for k, d in self.docs.items()
            if d["contact_id"] not in contacts
            or (models is not None and d["model_id"] not in models)
        }


class MemoryCaps:
    def __init__(self) -> None:
        self.used: dict[str, float] = {}

    async def load(
        self, contacts: list[str], windows: list[str], session: Session
    ) -> dict[str, float]:
        return {
            k: v
            for k, v in self.used.items()
            if k.split(":", 1)[0] in contacts and k.split(":", 3)[3] in windows
        }

    async def delete(
        self, contacts: list[str], session: Session, models: list[str] | None = None
    ) -> None:
        def kept(key: str) -> bool:
            contact, model_id = key.split(":")[:2]
            return contact not in contacts or (models is not None and model_id not in models)

        self.used = {k: v for k, v in self.used.items() if kept(k)}


class MemoryHistory:
    def __init__(self) -> None:
        self.docs: dict[str, tuple[str, Interaction]] = {}

    async def add(self, contacted: list[tuple[str, Interaction]], session: Session) -> None:
        for contact, interaction in contacted:
            self.docs.setdefault(interaction.event_id, (contact, interaction))

    async def of_contacts(
        self, contacts: list[str], session: Session
    ) -> dict[str, list[Interaction]]:
        by_contact: dict[str, list[Interaction]] = defaultdict(list)
        for contact, interaction in self.docs.values():
            if contact in contacts:
                by_contact[contact].append(interaction)
        return by_contact

    async def activity(self, contacts: list[str], session: Session) -> dict[str, dict[str, int]]:
        counts: dict[str, dict[str, int]] = {}
        for contact, interaction in self.docs.values():
            if contact in contacts:
                kinds = counts.setdefault(contact, {})
                kinds[interaction.interaction_type] = kinds.get(interaction.interaction_type, 0) + 1
        return counts

    async def move(self, merged: list[str], survivor: str, session: Session) -> None:
        self.docs = {k: (survivor if c in merged else c, i) for k, (c, i) in self.docs.items()}

    async def delete(self, contacts: list[str], session: Session) -> None:
        self.docs = {k: (c, i) for k, (c, i) in self.docs.items() if c not in contacts}


class MemoryProfiles:
    def __init__(self) -> None:
        self.docs: dict[str, dict[str, Any]] = {}

    async def load(self, contacts: list[str], session: Session) -> dict[str, dict[str, Any]]:
        return {c: dict(self.docs[c]) for c in contacts if c in self.docs}

    async def get(self, contact_id: str, session: Session) -> dict[str, Any] | None:
        return dict(self.docs[contact_id]) if contact_id in self.docs else None

    async def add(self, contacts: list[str], session: Session) -> None:
        for contact in contacts:
            assert contact not in self.docs, f"{contact} has a profile already"
            self.docs[contact] = {"_id": contact}

    async def save(self, changes: MergedSets, session: Session) -> None:
        for op in changes.flush():
            doc = self.docs.setdefault(op._filter["_id"], {"_id": op._filter["_id"]})
            for path, value in op._doc["$set"].items():
                *parents, last = path.split(".")
                at = doc
                for part in parents:
                    at = at.setdefault(part, {})
                at[last] = value

    async def fill(self, contact_id: str, fields: dict[str, Any], session: Session) -> None:
        self.docs.setdefault(contact_id, {"_id": contact_id}).update(fields)

    async def page(self, after: str, limit: int) -> list[str]:
        return sorted(c for c in self.docs if c > after)[:limit]

    async def count(self) -> int:
        return len(self.docs)

    async def delete(self, contacts: list[str], session: Session) -> None:
        for contact in contacts:
            self.docs.pop(contact, None)


class MemoryOutcomes:
    def __init__(self) -> None:
        self.outcomes: dict[str, dict[str, Any]] = {}
        self.counts: dict[str, float] = defaultdict(float)

    async def load(self, contacts: list[str], session: Session) -> dict[str, dict[str, Any]]:
        return {c: self.outcomes[c] for c in contacts if c in self.outcomes}

    async def save(self, learned: dict[str, tuple[str, dict[str, str]]], session: Session) -> None:
        for contact, (outcome, x) in learned.items():
            self.outcomes[contact] = {"_id": contact, "outcome": outcome, "features": x}

    async def add_counts(self, totals: dict[str, float], session: Session) -> None:
        for key, n in totals.items():
            self.counts[key] += n

    async def all_counts(self) -> dict[str, float]:
        return {k: n for k, n in self.counts.items() if n > 0}

    async def delete(self, contacts: list[str], session: Session) -> None:
        for contact in contacts:
            self.outcomes.pop(contact, None)


class MemoryErased:
    def __init__(self) -> None:
        self.ids: set[str] = set()

    async def add(self, contacts: list[str], session: Session) -> None:
        self.ids.update(contacts)


class MemoryAliases:
    def __init__(self) -> None:
        self.into: dict[str, str] = {}

    async def merged(self, survivor: str, merged: list[str], session: Session) -> None:
        self.into = {k: survivor if v in merged else v for k, v in self.into.items()}
        self.into.update(dict.fromkeys(merged, survivor))

    async def resolve(self, contact_id: str, session: Session) -> str:
        return self.into.get(contact_id, contact_id)

    async def delete(self, contacts: list[str], session: Session) -> None:
        self.into = {k: v for k, v in self.into.items() if k not in contacts and v not in contacts}


class MemoryStores:
    """`Stores` with every store in memory."""

    def __init__(self) -> None:
        self.states = MemoryStates()
        self.ledger = MemoryLedger()
        self.caps = MemoryCaps()
        self.history = MemoryHistory()
        self.profiles = MemoryProfiles()
        self.outcomes = MemoryOutcomes()
        self.erased = MemoryErased()
        self.aliases = MemoryAliases()

    delete = Stores.delete
