"""Active workflows and their definitions, cached for the consumers. The cache follows the
catalog revision that every workflow change bumps: consumers call `current()` before each batch
(one small read), so an activation on any replica applies to the next batch on all of them."""

from __future__ import annotations

import asyncio
from typing import Any

from .domain.workflows import WorkflowDefinition
from .stores.workflows import Workflows


class Catalog:
    def __init__(self, workflows: Workflows) -> None:
        self.workflows = workflows
        self.active: list[tuple[dict[str, Any], WorkflowDefinition]] = []
        # Versions never change once written, so they are cached for good.
        self._versions: dict[tuple[str, int], WorkflowDefinition] = {}
        self.revision = -1

    async def reload(self) -> None:
        # Read the revision first: a change landing during the reload bumps it again and
        # the next current() reloads once more, never the other way round.
        revision = await self.workflows.revision()
        found = []
        for doc in await self.workflows.all():
            if doc["status"] == "active":
                found.append((doc, WorkflowDefinition.model_validate(doc["definition"])))
        self.active = found
        self.revision = revision

    async def current(self) -> None:
        """Reload if any replica changed a workflow since the last load."""
        if await self.workflows.revision() != self.revision:
            await self.reload()

    async def watch(self, every: float = 2.0) -> None:
        # The runner and idle consumers rely on this for changes made elsewhere.
        while True:
            await asyncio.sleep(every)
            await self.current()

    async def definition(self, workflow_id: str, version: int) -> WorkflowDefinition | None:
        """The definition an enrollment runs under (its workflow's version at enrollment)."""
        key = (workflow_id, version)
        if key not in self._versions:
            doc = await self.workflows.version(workflow_id, version)
            if doc is None:
                return None
            self._versions[key] = WorkflowDefinition.model_validate(doc["definition"])
        return self._versions[key]

    def with_trigger(self, *types: str) -> list[tuple[dict[str, Any], WorkflowDefinition]]:
        return [(doc, d) for doc, d in self.active if d.trigger.type in types]
