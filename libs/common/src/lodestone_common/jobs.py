"""Background jobs (imports, recomputes, backfills): progress in the database, drained on
shutdown, resumed after a restart — by any replica.

A job is a document: its own fields (what to do, counters the API shows), `status`
(running, interrupted, done, failed, superseded), a `checkpoint` (where its work resumes)
and a lease (`holder`, `heartbeat_at`). The process running it renews the lease; a job
whose lease lapsed (its process died) or that was interrupted (its process stopped) is
taken over by the next replica that looks, and its work starts again at the checkpoint.
Work is `async def work(job: Job) -> str | None`: it calls `job.advance(...)` after each
durable step and returns how it ended ("done" unless it says otherwise).

A job may also wait for its time (`schedule`: status "scheduled" until `not_before`, then the
next replica that looks starts it), and be asked to stop (`request`: its work reads
`job.requested()` between steps and returns, e.g., "paused" or "cancelled"; `resume` makes a
stopped job live again, to continue at its checkpoint).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from uuid import uuid4

from pymongo import ReturnDocument
from pymongo.asynchronous.collection import AsyncCollection

from .envelope import utcnow

log = logging.getLogger(__name__)
LEASE_SECONDS = 30.0
LIVE = ("running", "interrupted")


@dataclass
class Job:
    """A running job as its work sees it."""

    id: str
    doc: dict[str, Any]  # as it was when this run began
    collection: AsyncCollection[dict[str, Any]]

    @property
    def checkpoint(self) -> Any:
        """Where a resumed run starts (None: from the beginning)."""
        return self.doc.get("checkpoint")

    async def advance(
        self,
        checkpoint: Any,
        inc: dict[str, int] | None = None,
        push: dict[str, tuple[list[Any], int]] | None = None,
        fields: dict[str, Any] | None = None,
    ) -> None:
        """Record progress after a durable step: the new checkpoint, counters to add to,
        lists to append to ({field: (items, keep at most)}), fields to set (how far into a
        file, say), and a renewed lease."""
        update: dict[str, Any] = {
            "$set": {**(fields or {}), "checkpoint": checkpoint, "heartbeat_at": utcnow()}
        }
        if inc:
            update["$inc"] = inc
        appended = {
            f: {"$each": items, "$slice": most}
            for f, (items, most) in (push or {}).items()
            if items
        }
        if appended:
            update["$push"] = appended
        await self.collection.update_one({"_id": self.id}, update)

    async def requested(self) -> str | None:
        """What the job was asked to do meanwhile ("pause", "cancel"), if anything."""
        doc = await self.collection.find_one({"_id": self.id}, {"requested": 1})
        return (doc or {}).get("requested")


Work = Callable[[Job], Awaitable[str | None]]


class Jobs:
    def __init__(
        self,
        collection: AsyncCollection[dict[str, Any]],
        work: Work,
        holder: str,
        prefix: str = "job",
        lease: float = LEASE_SECONDS,
        poll: float | None = None,
    ) -> None:
        self.collection = collection
        self.poll = poll or lease  # how often `watch` looks (scheduled jobs start that late)
        self.work = work
        self.holder = holder
        self.prefix = prefix
        self.lease = lease
        self._tasks: dict[str, asyncio.Task[None]] = {}
        self._draining = False

    async def start(self, fields: dict[str, Any]) -> dict[str, Any]:
        now = utcnow()
        doc = {
            "_id": f"{self.prefix}_{uuid4().hex[:16]}",
            **fields,
            "status": "running",
            "checkpoint": None,
            "holder": self.holder,
            "heartbeat_at": now,
            "started_at": now,
            "finished_at": None,
        }
        await self.collection.insert_one(doc)
        self._spawn(doc)
        return doc

    async def schedule(self, job_id: str, at: datetime, from_status: list[str]) -> bool:
        """An existing job document waits for `at` (started by whichever replica looks then);
        False if it was not in one of `from_status`."""
        done = await self.collection.update_one(
            {"_id": job_id, "status": {"$in": from_status}},
            {
                "$set": {"status": "scheduled", "not_before": at, "holder": None},
                "$unset": {"requested": ""},
            },
        )
        return done.modified_count == 1

    async def launch(self, job_id: str, from_status: list[str]) -> bool:
        """Start an existing job document here now; False if it was not in `from_status`."""
        doc = await self.collection.find_one_and_update(
            {"_id": job_id, "status": {"$in": from_status}},
            {
                "$set": {"status": "running", "holder": self.holder, "heartbeat_at": utcnow()},
                "$unset": {"requested": ""},
            },
            return_document=ReturnDocument.AFTER,
        )
        if doc is None:
            return False
        doc.setdefault("started_at", utcnow())
        self._spawn(doc)
        return True

    async def request(self, job_id: str, what: str, statuses: list[str]) -> dict[str, Any] | None:
        """Ask a job in one of `statuses` to stop ("pause", "cancel"); its work sees it between
        steps. None if it was in no such status."""
        return await self.collection.find_one_and_update(
            {"_id": job_id, "status": {"$in": statuses}},
            {"$set": {"requested": what}},
            return_document=ReturnDocument.AFTER,
        )

    async def get(self, job_id: str) -> dict[str, Any] | None:
        return await self.collection.find_one({"_id": job_id})

    def _spawn(self, doc: dict[str, Any]) -> None:
        task = asyncio.create_task(self._run(Job(doc["_id"], doc, self.collection)))
        self._tasks[doc["_id"]] = task
        task.add_done_callback(lambda _: self._tasks.pop(doc["_id"], None))

    async def _run(self, job: Job) -> None:
        beat = asyncio.create_task(self._heartbeat(job.id))
        try:
            outcome = await self.work(job) or "done"
            await self._finish(job.id, outcome)
        except asyncio.CancelledError:
            if self._draining:  # stopped with the process: the next start resumes it
                await self._release(job.id)
            raise
        except Exception as exc:
            log.exception("background job failed", extra={"job": job.id})
            await self._finish(job.id, "failed", str(exc))
        finally:
            beat.cancel()

    async def _heartbeat(self, job_id: str) -> None:
        while True:
            await asyncio.sleep(self.lease / 3)
            with contextlib.suppress(Exception):  # the next beat tries again
                await self.collection.update_one(
                    {"_id": job_id, "holder": self.holder}, {"$set": {"heartbeat_at": utcnow()}}
                )

    async def _finish(self, job_id: str, status: str, reason: str | None = None) -> None:
        fields: dict[str, Any] = {"status": status, "finished_at": utcnow(), "holder": None}
        if reason is not None:
            fields["reason"] = reason
        await self.collection.update_one(
            {"_id": job_id}, {"$set": fields, "$unset": {"requested": ""}}
        )

    async def _release(self, job_id: str) -> None:
        await self.collection.update_one(
            {"_id": job_id, "holder": self.holder},
            {"$set": {"status": "interrupted", "holder": None, "heartbeat_at": None}},
        )

    async def take_over(self) -> int:
        """Start every job that was interrupted or whose holder stopped renewing its lease;
        how many. Each is taken atomically, so two replicas never run one job."""
        taken = 0
        while not self._draining:
            lapsed = utcnow() - timedelta(seconds=self.lease)
            doc = await self.collection.find_one_and_update(
                {
                    "$or": [
                        {
                            "status": {"$in": list(LIVE)},
                            "$or": [{"heartbeat_at": None}, {"heartbeat_at": {"$lt": lapsed}}],
                        },
                        {"status": "scheduled", "not_before": {"$lte": utcnow()}},
                    ]
                },
                {"$set": {"status": "running", "holder": self.holder, "heartbeat_at": utcnow()}},
                return_document=ReturnDocument.AFTER,
            )
            if doc is None:
                return taken
            log.info("resuming a background job", extra={"job": doc["_id"]})
            self._spawn(doc)
            taken += 1
        return taken

    async def watch(self) -> None:
        """Take over lapsed jobs, and start scheduled ones, now and then (a runtime loop)."""
        while True:
            await self.take_over()
            await asyncio.sleep(self.poll)

    async def drain(self) -> None:
        """On shutdown: stop the jobs running here at once, marked interrupted, so the next
        process (this one restarted, or another replica) resumes them at their checkpoint."""
        self._draining = True
        tasks = list(self._tasks.values())
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
