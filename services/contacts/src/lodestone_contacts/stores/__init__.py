"""Contacts' stores: one small module per aggregate, each loading and saving only."""

from __future__ import annotations

from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

from .attachments import Attachments
from .identities import EmailTaken, Identities
from .ingested import Ingested
from .records import Records
from .timeline import Timeline

__all__ = ["Attachments", "EmailTaken", "Identities", "Ingested", "Records", "Stores", "Timeline"]


class Stores:
    def __init__(self, db: AsyncDatabase[dict[str, Any]]) -> None:
        self.records = Records(db["contacts"])
        self.identities = Identities(db["identities"])
        self.timeline = Timeline(db["timeline"])
        self.ingested = Ingested(db["ingested"])
        self.attachments = Attachments(db)

    async def ensure_indexes(self) -> None:
        await self.identities.ensure_indexes()
        await self.timeline.ensure_indexes()
        await self.records.ensure_indexes()
        await self.attachments.ensure_indexes()
        await self.ingested.ensure_indexes()
