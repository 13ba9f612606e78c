"""The console's people: load and save, nothing else."""

from __future__ import annotations

from typing import Any

from pymongo import ASCENDING, ReturnDocument
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError


class EmailTaken(Exception):
    pass


class Users:
    def __init__(self, db: AsyncDatabase[dict[str, Any]]) -> None:
        self.users = db["users"]

    async def ensure_indexes(self) -> None:
        await self.users.create_index([("email", ASCENDING)], unique=True, name="email")

    async def add(self, user: dict[str, Any]) -> dict[str, Any]:
        try:
            await self.users.insert_one(user)
        except DuplicateKeyError as exc:
            raise EmailTaken(user["email"]) from exc
        return user

    async def by_email(self, email: str) -> dict[str, Any] | None:
        return await self.users.find_one({"email": email})

    async def get(self, user_id: str) -> dict[str, Any] | None:
        return await self.users.find_one({"_id": user_id})

    async def all(self, limit: int = 10_000) -> list[dict[str, Any]]:
        return await self.users.find({}).sort("email", 1).to_list(limit)

    async def count(self) -> int:
        return await self.users.count_documents({})

    async def change(self, user_id: str, fields: dict[str, Any]) -> dict[str, Any] | None:
        return await self.users.find_one_and_update(
            {"_id": user_id}, {"$set": fields}, return_document=ReturnDocument.AFTER
        )

    async def remove(self, user_id: str) -> bool:
        return bool((await self.users.delete_one({"_id": user_id})).deleted_count)
