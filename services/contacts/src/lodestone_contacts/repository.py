"""Contacts' own database: contact records and the outbox their events leave through."""

from __future__ import annotations

from typing import Any

from pymongo import ASCENDING
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.errors import DuplicateKeyError

from lodestone_common.envelope import Envelope
from lodestone_common.http import Runtime
from lodestone_common.mongo import in_transaction
from lodestone_common.outbox import Outbox
from lodestone_common.topics import CONTACTS


class EmailTaken(Exception):
    def __init__(self, email: str) -> None:
        super().__init__(f"a contact with email {email!r} already exists")


class ContactsRepository:
    def __init__(self, runtime: Runtime, outbox: Outbox) -> None:
        self.client = runtime.mongo
        self.contacts = runtime.db["contacts"]
        self.outbox = outbox

    async def ensure_indexes(self) -> None:
        await self.contacts.create_index(
            [("email", ASCENDING)],
            unique=True,
            partialFilterExpression={"email": {"$type": "string"}},
            name="email_unique",
        )
        await self.contacts.create_index([("created_at", ASCENDING)], name="created_at")

    async def create(self, contact: dict[str, Any], event: Envelope) -> None:
        """Store the contact and its created event atomically (the outbox relays the event)."""

        async def work(session: AsyncClientSession) -> None:
            await self.contacts.insert_one(contact, session=session)
            await self.outbox.add([(CONTACTS, event)], session=session)

        try:
            await in_transaction(self.client, work)
        except DuplicateKeyError as exc:
            raise EmailTaken(contact.get("email") or "") from exc
        self.outbox.wake()

    async def get(self, contact_id: str) -> dict[str, Any] | None:
        return await self.contacts.find_one({"_id": contact_id})
