"""Active workflows and their definitions, cached for the consumers (reloaded every 2 s and
at once after a local change)."""

from __future__ import annotations

import asyncio
from typing import Any

from .domain.workflows import WorkflowDefinition
from .repository import AutomationRepository


class Catalog:
    def __init__(self, repo: AutomationRepository) -> None:
        self.repo = repo
        self.active: list[tuple[dict[str, Any], WorkflowDefinition]] = []
        # Versions never change once written, so they are cached for good.
        self._versions: dict[tuple[str, int], WorkflowDefinition] = {}

    async def reload(self) -> None:
        found = []
        for doc in await self.repo.all_workflows():
            if doc["status"] == "active":
                found.append((doc, WorkflowDefinition.model_validate(doc["definition"])))
        self.active = found

    async def watch(self, every: float = 2.0) -> None:
        while True:
            await asyncio.sleep(every)
            await self.reload()

    async def definition(self, workflow_id: str, version: int) -> WorkflowDefinition | None:
        """The definition an enrollment runs under (its workflow's version at enrollment)."""
        key = (workflow_id, version)
        if key not in self._versions:
            doc = await self.repo.version(workflow_id, version)
            if doc is None:
                return None
            self._versions[key] = WorkflowDefinition.model_validate(doc["definition"])
        return self._versions[key]

    def with_trigger(self, *types: str) -> list[tuple[dict[str, Any], WorkflowDefinition]]:
        return [(doc, d) for doc, d in self.active if d.trigger.type in types]
