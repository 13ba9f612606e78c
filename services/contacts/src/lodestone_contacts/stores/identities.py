"""Who is who: each identity key (`email:…`, `ext:…`, `anon:…`) and the contact it names."""

from __future__ import annotations

from typing import Any

from pymongo import ASCENDING, UpdateOne
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import DuplicateKeyError

Session = AsyncClientSession | None


class EmailTaken(Exception):
    def __init__(self, identity: str) -> None:
        kind, _, value = identity.partition(":")
        label = {"email": "email", "ext": "external id"}.get(kind, kind)
        super().__init__(f"a contact with {label} {value!r} already exists")


class Identities:
    def __init__(self, collection: AsyncCollection[dict[str, Any]]) -> None:
        self.collection = collection

    async def ensure_indexes(self) -> None:
        await self.collection.create_index([("contact_id", ASCENDING)], name="contact")

    async def owners(self, keys: list[str], session: Session) -> dict[str, str]:
        """{key: contact id} of those keys somebody holds."""
        cursor = self.collection.find({"_id": {"$in": keys}}, session=session)
        return {d["_id"]: d["contact_id"] async for d in cursor}

    async def claim(self, keys: list[str], contact_id: str, session: Session) -> None:
        """Give these keys to the contact; EmailTaken when one is somebody else's."""
        for key in keys:
            try:
                await self.collection.insert_one(
                    {"_id": key, "contact_id": contact_id}, session=session
                )
            except DuplicateKeyError as exc:
                raise EmailTaken(key) from exc

    async def add(self, links: dict[str, str], session: Session) -> None:
        """Keys nobody holds yet, to their contacts (checked first: inside a transaction a
        duplicate-key error would abort it)."""
        taken = await self.owners(list(links), session)
        fresh = [{"_id": k, "contact_id": c} for k, c in links.items() if k not in taken]
        if fresh:
            await self.collection.insert_many(fresh, session=session)

    async def link(self, links: dict[str, str], session: Session) -> None:
        """Point these keys at these contacts, whoever held them."""
        if links:
            await self.collection.bulk_write(
                [
                    UpdateOne({"_id": k}, {"$set": {"contact_id": c}}, upsert=True)
                    for k, c in links.items()
                ],
                ordered=False,
                session=session,
            )

    async def move(self, from_id: str, to_id: str, session: Session) -> None:
        await self.collection.update_many(
            {"contact_id": from_id}, {"$set": {"contact_id": to_id}}, session=session
        )

    async def forget(self, contact_ids: list[str], session: Session) -> None:
        await self.collection.delete_many({"contact_id": {"$in": contact_ids}}, session=session)
