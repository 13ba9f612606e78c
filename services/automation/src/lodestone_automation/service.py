"""Automation's use cases that change state and announce it: enrolling, moving an
enrollment on, recording an action's outcome, creating and editing tasks.

Each runs in a unit of work (the consumer's batch, an API call's, or its own): what it
writes and the events announcing it commit together.
"""

from __future__ import annotations

from collections.abc import Awaitable
from datetime import datetime
from typing import Any, TypeVar

from lodestone_common.envelope import Envelope, utcnow
from lodestone_common.events import RepChanged, rep_key
from lodestone_common.processing import Transactions, UnitOfWork
from lodestone_common.topics import AUTOMATION

from .domain.first_steps import task_event, task_record
from .domain.workflows import WorkflowDefinition
from .enrolling import Candidate, Handoff, enroll_many
from .stores import Stores

PRODUCER = "automation"
T = TypeVar("T")
# What the other services read of a task (reporting counts it per owner).
_TASK_EVENT_FIELDS = ("status", "owner_id", "due_at", "outcome")


class Automation:
    def __init__(
        self,
        stores: Stores,
        transactions: Transactions,
        escalate_hours: float | None = None,
    ) -> None:
        self.stores = stores
        self.transactions = transactions
        self.escalate_hours = escalate_hours  # a workflow task's escalation to the manager
        # The runner of this process, given new enrollments it performs next (bootstrap).
        self.handoff: Handoff | None = None
        # The consumer's batch transaction and the runner's statements touch the same
        # contacts' enrollments (the process owns their partitions): the batch holds the
        # guard alone, the statements share it, as the service's transactions do
        # (lodestone_common.guard).
        self.guard = transactions.guard

    async def guarded(self, write: Awaitable[T]) -> T:
        """`write`, with no consumer transaction of this process open meanwhile."""
        async with self.guard.shared():
            return await write

    # -- enrolling -------------------------------------------------------------------------

    async def enroll(
        self,
        workflow: dict[str, Any],
        definition: WorkflowDefinition,
        contact_id: str,
        at: datetime,
        cause: str,
        uow: UnitOfWork,
        due_at: datetime | None = None,
    ) -> tuple[dict[str, Any] | None, str]:
        """Enroll unless the workflow's policy forbids it: (enrollment or None, why)."""
        candidate = Candidate(workflow, definition, contact_id, at, cause, due_at)
        return (await self.enroll_many([candidate], uow))[0]

    async def enroll_many(
        self, candidates: list[Candidate], uow: UnitOfWork
    ) -> list[tuple[dict[str, Any] | None, str]]:
        """Enroll each candidate the workflow's policy allows and take the first steps that
        need only this database (enrolling.py). (enrollment or None, why) per candidate."""
        return await enroll_many(self.stores, candidates, uow, self.handoff, self.escalate_hours)

    # -- the runner's progress -------------------------------------------------------------

    async def save_progress(
        self,
        enrollment_id: str,
        token: str,
        fields: dict[str, Any],
        notes: list[dict[str, Any]],
        announce: Envelope | None = None,
    ) -> None:
        """Move an enrollment on (only while this runner holds it), adding `notes` to its
        history; `announce` is published with the change in one transaction."""
        enrollments = self.stores.enrollments
        if announce is None:
            await enrollments.save_progress(enrollment_id, token, fields, notes)
            return

        async def work(uow: UnitOfWork) -> None:
            if await enrollments.save_progress(enrollment_id, token, fields, notes, uow.session):
                uow.emit(AUTOMATION, announce)

        await self.transactions.run(work)

    async def finish_action(
        self, key: str, status: str, detail: dict[str, Any], announce: Envelope | None = None
    ) -> None:
        """Record an action's outcome and, in the same transaction, the event announcing it,
        so reporting never misses a sent email nor counts one that was not recorded."""

        async def work(uow: UnitOfWork) -> None:
            await self.stores.actions.finish(key, status, detail, uow.session)
            if announce is not None:
                uow.emit(AUTOMATION, announce)

        await self.transactions.run(work)

    async def task_action(
        self, key: str, detail: dict[str, Any], task: dict[str, Any], announce: Envelope
    ) -> str:
        """Create a workflow's task as one action: the action record, the task and both
        events in one transaction (nothing leaves the database, so there is no "started"
        state to guard). The outcome, or "already <outcome>" when the action was done."""

        async def work(uow: UnitOfWork) -> str:
            earlier = await self.stores.actions.status(key, uow.session)
            if earlier is not None:
                return f"already {earlier}"
            status = "exists"
            if await self.stores.tasks.get(key, uow.session) is None:
                await self.stores.tasks.insert({"_id": key, **task}, uow.session)
                uow.emit(AUTOMATION, task_event({"_id": key, **task}))
                status = "created"
            record = task_record(key, status, detail, utcnow())
            await self.stores.actions.insert(record, uow.session)
            uow.emit(AUTOMATION, announce)
            return status

        return await self.transactions.run(work)

    # -- tasks -----------------------------------------------------------------------------

    async def add_task(self, task: dict[str, Any]) -> dict[str, Any]:
        """A task a person created by hand, and its event, in one transaction."""

        async def work(uow: UnitOfWork) -> dict[str, Any]:
            await self.stores.tasks.insert(task, uow.session)
            uow.emit(AUTOMATION, task_event(task))
            return task

        return await self.transactions.run(work)

    async def put_rep(self, rep_id: str, fields: dict[str, Any]) -> dict[str, Any]:
        """Add or change a rep, and tell the other services (reporting's leaderboard, goals)."""

        async def work(uow: UnitOfWork) -> dict[str, Any]:
            rep = await self.stores.reps.put(rep_id, fields, uow.session)
            uow.emit(AUTOMATION, rep_event(rep))
            return rep

        return await self.transactions.run(work)

    async def remove_rep(self, rep_id: str) -> bool:
        async def work(uow: UnitOfWork) -> bool:
            if not await self.stores.reps.delete(rep_id, uow.session):
                return False
            uow.emit(AUTOMATION, rep_event({"_id": rep_id}, removed=True))
            return True

        return await self.transactions.run(work)

    async def announce_reps(self) -> int:
        """Every rep announced again (at start): reps made before reps had events, or a
        rebuilt reader, learn them; announcing twice changes nothing."""

        async def work(uow: UnitOfWork) -> int:
            reps = await self.stores.reps.all()
            for rep in reps:
                uow.emit(AUTOMATION, rep_event(rep))
            return len(reps)

        return await self.transactions.run(work)

    async def update_task(self, task_id: str, fields: dict[str, Any]) -> dict[str, Any] | None:
        async def work(uow: UnitOfWork) -> dict[str, Any] | None:
            before = await self.stores.tasks.update(task_id, fields, uow.session)
            if before is None:
                return None
            after = {**before, **fields}
            if any(before.get(k) != after.get(k) for k in _TASK_EVENT_FIELDS):
                uow.emit(AUTOMATION, task_event(after))
            return after

        return await self.transactions.run(work)


def rep_event(rep: dict[str, Any], removed: bool = False) -> Envelope:
    payload = RepChanged(
        rep_id=rep["_id"],
        name=rep.get("name"),
        team=rep.get("team"),
        available=rep.get("available", True),
        removed=removed,
    )
    return payload.envelope(contact_id=rep_key(rep["_id"]), producer=PRODUCER)
