"""Automation's stores: one small module per aggregate, each loading and saving only."""

from __future__ import annotations

from typing import Any

from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.database import AsyncDatabase

from lodestone_common.mongo import Erased

from .actions import Actions
from .audience import Audience
from .campaigns import Campaigns
from .email_templates import EmailTemplates
from .enrollments import LIVE, Enrollments
from .reps import Reps
from .suppressions import Suppressions
from .tasks import Tasks
from .workflows import Conflict, Workflows

__all__ = [
    "LIVE",
    "Actions",
    "Audience",
    "Campaigns",
    "Conflict",
    "EmailTemplates",
    "Enrollments",
    "Reps",
    "Stores",
    "Suppressions",
    "Tasks",
]


class Stores:
    def __init__(self, db: AsyncDatabase[dict[str, Any]]) -> None:
        self.workflows = Workflows(db)
        self.enrollments = Enrollments(db["enrollments"])
        self.actions = Actions(db["actions"])
        self.tasks = Tasks(db["tasks"])
        self.reps = Reps(db)
        self.audience = Audience(db)
        self.email_templates = EmailTemplates(db)
        self.suppressions = Suppressions(db)
        self.campaigns = Campaigns(db)
        self.erased = Erased(db["erased"])

    async def ensure_indexes(self) -> None:
        await self.enrollments.ensure_indexes()
        await self.tasks.ensure_indexes()
        await self.audience.ensure_indexes()
        await self.email_templates.ensure_indexes()
        await self.suppressions.ensure_indexes()
        await self.campaigns.ensure_indexes()

    async def forget(self, contact_ids: list[str], session: AsyncClientSession | None) -> None:
        """GDPR erase: enrollments, windows, tasks, actions and campaign sends about these
        people go, and later events about them are dropped."""
        await self.erased.add(contact_ids, session)
        query = {"contact_id": {"$in": contact_ids}}
        for collection in (
            self.enrollments.collection,
            self.audience.hits,
            self.tasks.collection,
            self.actions.collection,
        ):
            await collection.delete_many(query, session=session)
        await self.campaigns.forget(contact_ids, session)

    async def rekey(
        self, survivor: str, merged: list[str], session: AsyncClientSession | None
    ) -> None:
        """The merged people's enrollments, tasks, actions and windows are the survivor's."""
        await self.enrollments.rekey(survivor, merged, session)
        query = {"contact_id": {"$in": merged}}
        for collection in (self.tasks.collection, self.actions.collection):
            await collection.update_many(query, {"$set": {"contact_id": survivor}}, session=session)
        await self.audience.rekey_hits(survivor, merged, session)
