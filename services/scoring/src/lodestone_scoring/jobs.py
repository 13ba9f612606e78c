"""Background re-scoring after a model change: replays history, batch by batch, with progress,
while the live consumers keep scoring (each contact's replay is one transaction). A job
stopped with its process resumes at the last contact it finished, on any replica."""

from __future__ import annotations

from typing import Any

from lodestone_common.jobs import Job, Jobs

from .registry import ModelRegistry
from .service import Scoring

BATCH = 200


class RecomputeJobs:
    def __init__(self, scoring: Scoring, registry: ModelRegistry, holder: str) -> None:
        self.scoring = scoring
        self.registry = registry
        self.jobs = Jobs(scoring.stores.jobs, self._work, holder, prefix="job")

    async def start(self, model_id: str, version: int) -> dict[str, Any]:
        contacts = await self.scoring.stores.profiles.count()
        fields = {"model_id": model_id, "version": version, "contacts": contacts, "done": 0}
        return await self.jobs.start(fields)

    async def get(self, job_id: str) -> dict[str, Any] | None:
        return await self.jobs.get(job_id)

    async def _work(self, job: Job) -> str:
        model_id, version = job.doc["model_id"], job.doc["version"]
        after = job.checkpoint or ""
        while True:
            current = self.registry.active().get(model_id)
            if current is None or current[0] < version:  # this replica has not seen it yet
                await self.registry.reload()
                current = self.registry.active().get(model_id)
            if current is None or current[0] != version:
                return "superseded"  # deactivated, or a newer version has its own job
            contacts = await self.scoring.stores.profiles.page(after, BATCH)
            if not contacts:
                return "done"
            await self.scoring.recompute(contacts, {model_id: current})
            after = contacts[-1]
            await job.advance(after, inc={"done": len(contacts)})
