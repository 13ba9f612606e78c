"""Background re-scoring after a model change: replays history, batch by batch, with progress,
while the live consumers keep scoring (each contact's replay is one transaction)."""

from __future__ import annotations

import asyncio
import logging
from typing import Any
from uuid import uuid4

from lodestone_common.envelope import utcnow

from .registry import ModelRegistry
from .service import Scoring

log = logging.getLogger(__name__)
BATCH = 200


class RecomputeJobs:
    def __init__(self, scoring: Scoring, registry: ModelRegistry) -> None:
        self.scoring = scoring
        self.registry = registry
        self.jobs = scoring.stores.jobs
        self._tasks: set[asyncio.Task[None]] = set()

    async def start(self, model_id: str, version: int) -> dict[str, Any]:
        job = {
            "_id": f"job_{uuid4().hex[:16]}",
            "model_id": model_id,
            "version": version,
            "status": "running",
            "contacts": await self.scoring.stores.profiles.count(),
            "done": 0,
            "started_at": utcnow(),
            "finished_at": None,
        }
        await self.jobs.add(job)
        task = asyncio.create_task(self._run(job["_id"], model_id, version))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return job

    async def get(self, job_id: str) -> dict[str, Any] | None:
        return await self.jobs.get(job_id)

    async def _run(self, job_id: str, model_id: str, version: int) -> None:
        try:
            after = ""
            while True:
                current = self.registry.active().get(model_id)
                if current is None or current[0] != version:
                    await self._finish(job_id, "superseded")
                    return
                contacts = await self.scoring.stores.profiles.page(after, BATCH)
                if not contacts:
                    break
                await self.scoring.recompute(contacts, {model_id: current})
                after = contacts[-1]
                await self.jobs.advance(job_id, len(contacts))
            await self._finish(job_id, "done")
        except Exception as exc:
            log.exception("recompute failed", extra={"job": job_id})
            await self._finish(job_id, "failed", str(exc))

    async def _finish(self, job_id: str, status: str, reason: str | None = None) -> None:
        await self.jobs.finish(job_id, status, reason)
