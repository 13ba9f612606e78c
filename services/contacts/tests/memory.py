"""Contacts' stores over dictionaries, for tests of the handlers and use cases without I/O.
Updates are the same documents the real stores send (`$set`, `$inc`, `$max`, `$min`, `$push`,
`$addToSet`, `$unset`), applied here the way the database would."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from lodestone_common.events import InteractionContext
from lodestone_contacts.domain.identity import Known
from lodestone_contacts.domain.terms import terms_of
from lodestone_contacts.stores import EmailTaken
from lodestone_contacts.stores.records import CONTEXT_FIELDS, TOMBSTONE_KEEP

Session = Any


def apply_update(doc: dict[str, Any], update: dict[str, Any]) -> None:
    for op, fields in update.items():
        for path, value in fields.items():
            *parents, last = path.split(".")
            target = doc
            for part in parents:
                target = target.setdefault(part, {})
            if op == "$set":
                target[last] = value
            elif op == "$unset":
                target.pop(last, None)
            elif op == "$inc":
                target[last] = target.get(last, 0) + value
            elif op == "$max":
                target[last] = value if target.get(last) is None else max(target[last], value)
            elif op == "$min":
                target[last] = value if target.get(last) is None else min(target[last], value)
            elif op == "$push":
                items = value["$each"] if isinstance(value, dict) and "$each" in value else [value]
                target[last] = [*target.get(last, []), *items]
            elif op == "$addToSet":
                items = value["$each"] if isinstance(value, dict) and "$each" in value else [value]
                kept = target.setdefault(last, [])
                kept += [i for i in items if i not in kept]
            else:
                raise AssertionError(f"the memory store does not know {op}")


class MemoryRecords:
    def __init__(self) -> None:
        self.docs: dict[str, dict[str, Any]] = {}

    async def get(self, contact_id: str, session: Session = None) -> dict[str, Any] | None:
        for _ in range(10):
            doc = self.docs.get(contact_id)
            if doc is None or not doc.get("merged_into"):
                return doc
            contact_id = doc["merged_into"]
        return None

    async def one(self, contact_id: str, session: Session = None) -> dict[str, Any] | None:
        return self.docs.get(contact_id)

    async def merged_into(self, contact_id: str, session: Session) -> list[str]:
        return [i for i, d in self.docs.items() if d.get("merged_into") == contact_id]

    async def contexts(self, ids: set[str], session: Session) -> dict[str, InteractionContext]:
        return {
            i: InteractionContext(**{f: d[f] for f in CONTEXT_FIELDS if d.get(f) is not None})
            for i, d in self.docs.items()
            if i in ids
        }

    async def purchase_history(self, ids: set[str], session: Session) -> dict[str, Any]:
        return {i: d["purchases"] for i, d in self.docs.items() if i in ids and "purchases" in d}

    async def known(self, ids: set[str], session: Session) -> dict[str, Known]:
        known: dict[str, Known] = {}
        pending = set(ids)
        while pending:
            found = [self.docs[i] for i in pending if i in self.docs]
            pending = set()
            for doc in found:
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

    async def insert(self, docs: list[dict[str, Any]], session: Session) -> None:
        for doc in docs:
            assert doc["_id"] not in self.docs, doc["_id"]
            self.docs[doc["_id"]] = {**doc, "terms": terms_of(doc)}

    async def update(self, contact_id: str, update: dict[str, Any], session: Session) -> None:
        if contact_id in self.docs:
            apply_update(self.docs[contact_id], update)

    async def update_each(
        self, updates: list[tuple[str, dict[str, Any]]], session: Session
    ) -> None:
        for cid, update in updates:
            await self.update(cid, update, session)

    async def keep_scores(
        self, verdicts: list[tuple[str, str, datetime, dict[str, Any]]], session: Session
    ) -> None:
        for contact_id, model, at, fields in verdicts:
            doc = self.docs.get(contact_id)
            if doc is None or doc.get("merged_into") or doc.get("erased"):
                continue
            held = (doc.get("scores") or {}).get(model)
            if held is None or held["at"] < at:
                apply_update(doc, {"$set": fields})

    async def tombstone(
        self, other: dict[str, Any], survivor_id: str, at: Any, session: Session
    ) -> None:
        doc = self.docs[other["_id"]]
        for key in [k for k in doc if k not in TOMBSTONE_KEEP]:
            del doc[key]
        doc.update(merged_into=survivor_id, merged_at=at)
        for d in self.docs.values():
            if d.get("merged_into") == other["_id"]:
                d["merged_into"] = survivor_id

    async def erase(self, contact_id: str, merged: list[str], at: Any, session: Session) -> None:
        for gone in merged:
            self.docs.pop(gone, None)
        self.docs[contact_id] = {"_id": contact_id, "erased": True, "erased_at": at}


class MemoryIdentities:
    def __init__(self) -> None:
        self.owner: dict[str, str] = {}

    async def owners(self, keys: list[str], session: Session) -> dict[str, str]:
        return {k: self.owner[k] for k in keys if k in self.owner}

    async def claim(self, keys: list[str], contact_id: str, session: Session) -> None:
        for key in keys:
            if key in self.owner:
                raise EmailTaken(key)
            self.owner[key] = contact_id

    async def add(self, links: dict[str, str], session: Session) -> None:
        for key, contact_id in links.items():
            self.owner.setdefault(key, contact_id)

    async def link(self, links: dict[str, str], session: Session) -> None:
        self.owner.update(links)

    async def move(self, from_id: str, to_id: str, session: Session) -> None:
        self.owner = {k: to_id if c == from_id else c for k, c in self.owner.items()}

    async def forget(self, contact_ids: list[str], session: Session) -> None:
        self.owner = {k: c for k, c in self.owner.items() if c not in contact_ids}


class MemoryTimeline:
    def __init__(self) -> None:
        self.entries: list[dict[str, Any]] = []

    async def add(self, entries: list[dict[str, Any]], session: Session = None) -> None:
        self.entries += [dict(e) for e in entries]

    async def add_once(self, entries: list[dict[str, Any]], session: Session) -> None:
        have = {e.get("_id") for e in self.entries}
        self.entries += [dict(e) for e in entries if e["_id"] not in have]

    async def move(self, from_id: str, to_id: str, session: Session) -> None:
        for entry in self.entries:
            if entry["contact_id"] == from_id:
                entry["contact_id"] = to_id

    async def forget(self, contact_ids: list[str], session: Session) -> None:
        self.entries = [e for e in self.entries if e["contact_id"] not in contact_ids]

    def of(self, contact_id: str) -> list[dict[str, Any]]:
        return [e for e in self.entries if e["contact_id"] == contact_id]


class MemoryAttachments:
    """The files' metadata only: which contact holds each (merge and erase move or drop them)."""

    def __init__(self) -> None:
        self.owner: dict[str, str] = {}  # file id -> contact id

    async def move(self, from_id: str, to_id: str, session: Session = None) -> None:
        self.owner = {f: to_id if c == from_id else c for f, c in self.owner.items()}

    async def forget(self, contact_ids: list[str], session: Session = None) -> None:
        self.owner = {f: c for f, c in self.owner.items() if c not in contact_ids}


class MemoryStores:
    def __init__(self) -> None:
        self.records = MemoryRecords()
        self.identities = MemoryIdentities()
        self.timeline = MemoryTimeline()
        self.attachments = MemoryAttachments()
