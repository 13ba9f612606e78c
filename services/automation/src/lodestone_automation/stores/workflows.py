"""Workflow definitions, every version of each, and the catalog's revision counter."""

from __future__ import annotations

from typing import Any
from uuid import uuid4

from pymongo import ReturnDocument
from pymongo.asynchronous.database import AsyncDatabase

from lodestone_common.envelope import utcnow

from ..domain.workflows import WorkflowDefinition


class Conflict(Exception):
    pass


class Workflows:
    def __init__(self, db: AsyncDatabase[dict[str, Any]]) -> None:
        self.workflows = db["workflows"]
        self.versions = db["workflow_versions"]
        self.meta = db["meta"]

    async def create(self, definition: WorkflowDefinition, by: str) -> dict[str, Any]:
        now = utcnow()
        body = definition.model_dump(mode="json", by_alias=True)
        doc = {
            "_id": f"wf_{uuid4().hex[:16]}",
            "version": 1,
            "status": "draft",
            "definition": body,
            "created_at": now,
            "updated_at": now,
            "updated_by": by,
        }
        await self._keep_version(doc["_id"], 1, body, by)
        await self.workflows.insert_one(doc)
        await self.bump()
        return doc

    async def replace(
        self, workflow_id: str, definition: WorkflowDefinition, by: str
    ) -> dict[str, Any] | None:
        current = await self.workflows.find_one({"_id": workflow_id})
        if current is None:
            return None
        if current["status"] == "archived":
            raise Conflict("an archived workflow cannot change")
        now, version = utcnow(), current["version"] + 1
        body = definition.model_dump(mode="json", by_alias=True)
        await self._keep_version(workflow_id, version, body, by)
        doc = await self.workflows.find_one_and_update(
            {"_id": workflow_id, "version": current["version"]},
            {"$set": {"definition": body, "version": version, "updated_at": now, "updated_by": by}},
            return_document=ReturnDocument.AFTER,
        )
        await self.bump()
        return doc

    async def _keep_version(
        self, workflow_id: str, version: int, body: dict[str, Any], by: str
    ) -> None:
        await self.versions.insert_one(
            {
                "_id": f"{workflow_id}:{version}",
                "workflow_id": workflow_id,
                "version": version,
                "definition": body,
                "at": utcnow(),
                "by": by,
            }
        )

    async def set_status(self, workflow_id: str, status: str) -> dict[str, Any] | None:
        current = await self.workflows.find_one({"_id": workflow_id})
        if current is None:
            return None
        if current["status"] == "archived" and status != "archived":
            raise Conflict("an archived workflow stays archived")
        doc = await self.workflows.find_one_and_update(
            {"_id": workflow_id},
            {"$set": {"status": status, "updated_at": utcnow()}},
            return_document=ReturnDocument.AFTER,
        )
        await self.bump()
        return doc

    async def bump(self) -> None:
        """Count a workflow change, after it is written: every replica's consumers compare
        this revision before each batch, so a change applies to the next batch anywhere."""
        await self.meta.update_one({"_id": "catalog"}, {"$inc": {"revision": 1}}, upsert=True)

    async def revision(self) -> int:
        doc = await self.meta.find_one({"_id": "catalog"})
        return int(doc["revision"]) if doc else 0

    async def get(self, workflow_id: str) -> dict[str, Any] | None:
        return await self.workflows.find_one({"_id": workflow_id})

    async def all(self) -> list[dict[str, Any]]:
        return await self.workflows.find({}).sort("created_at", 1).to_list(1000)

    async def version(self, workflow_id: str, version: int) -> dict[str, Any] | None:
        return await self.versions.find_one({"_id": f"{workflow_id}:{version}"})

    async def history(self, workflow_id: str) -> list[dict[str, Any]]:
        return (
            await self.versions.find({"workflow_id": workflow_id}).sort("version", -1).to_list(1000)
        )
