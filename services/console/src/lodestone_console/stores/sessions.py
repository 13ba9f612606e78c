"""Sign-in sessions, kept by the SHA-256 of the cookie's token (a stolen database dump
holds no usable session)."""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Any

from pymongo import ASCENDING
from pymongo.asynchronous.database import AsyncDatabase


def session_id(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class Sessions:
    def __init__(self, db: AsyncDatabase[dict[str, Any]]) -> None:
        self.sessions = db["sessions"]

    async def ensure_indexes(self) -> None:
        # Expired sessions are refused on read; the TTL index only tidies them away.
        await self.sessions.create_index(
            [("expires_at", ASCENDING)], expireAfterSeconds=0, name="expiry"
        )
        await self.sessions.create_index([("user_id", ASCENDING)], name="user")

    async def add(self, session: dict[str, Any]) -> None:
        await self.sessions.insert_one(session)

    async def get(self, token: str) -> dict[str, Any] | None:
        return await self.sessions.find_one({"_id": session_id(token)})

    async def extend(self, sid: str, expires_at: datetime, seen: datetime) -> None:
        await self.sessions.update_one(
            {"_id": sid}, {"$set": {"expires_at": expires_at, "seen_at": seen}}
        )

    async def remove(self, token: str) -> None:
        await self.sessions.delete_one({"_id": session_id(token)})

    async def remove_for(self, user_id: str, keep: str | None = None) -> None:
        """End every session of this user (but `keep`, a session id)."""
        query: dict[str, Any] = {"user_id": user_id}
        if keep is not None:
            query["_id"] = {"$ne": keep}
        await self.sessions.delete_many(query)
