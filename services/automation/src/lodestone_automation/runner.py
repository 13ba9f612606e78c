"""Runs enrollments: claims the due ones (new, or whose wait elapsed), walks their steps and
performs each action once. Enrollments are the durable timers: a wait is a `due_at` in the
database, so it survives restarts and needs no cron job."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import timedelta
from typing import Any
from uuid import uuid4

from lodestone_common.envelope import Envelope, utcnow
from lodestone_common.liveness import Progress

from .catalog import Catalog
from .domain.engine import decide
from .domain.first_steps import finished, waiting
from .domain.workflows import (
    WebhookStep,
    WorkflowDefinition,
)
from .effects import ContactsClient, Mailer
from .handoff import Handed
from .perform import Performer
from .service import Automation
from .settings import AutomationSettings

log = logging.getLogger(__name__)
MAX_STEPS_PER_RUN = 200
POLL_SECONDS = 0.1
PARALLEL = 32  # enrollments advanced at once
# Claim again once this many slots are free: a claim per finished enrollment would cost a
# round trip each, a claim only when all are free would let one slow action hold the rest.
CLAIM_WHEN_FREE = PARALLEL // 4
# A claim is a lease the runner renews while it advances the enrollment, so a runner that
# dies (kill -9, node lost) holds its enrollments for at most this long, not for as long as
# the slowest action may take. Renewed every RENEW_SECONDS: three renewals may be missed (a
# database failover, a loaded machine) before another replica could take one over.
CLAIM_LEASE_SECONDS = 20.0
RENEW_SECONDS = CLAIM_LEASE_SECONDS / 4
RUNNER = "automation-runner"  # its name in liveness reports


class Runner:
    def __init__(
        self,
        automation: Automation,
        catalog: Catalog,
        settings: AutomationSettings,
        mailer: Mailer,
        contacts: ContactsClient,
        progress: Progress | None = None,
        owned: Callable[[], frozenset[int] | None] = lambda: None,
    ) -> None:
        self.automation = automation
        self.enrollments = automation.stores.enrollments
        # The partitions whose contacts this process advances (None: every partition, for
        # a process that consumes nothing).
        self.owned = owned
        # Steps taken are reported here; work overdue with none taken is a stall (liveness).
        self.progress = progress or Progress()
        self.progress.watch_loop(RUNNER, self.overdue)
        self.catalog = catalog
        self.settings = settings
        self.token = f"{settings.instance_id}-{uuid4().hex[:8]}"
        # New enrollments the consumer beside it leased to it (handoff.py).
        self.handed = Handed(self.token, owned, self.wake, CLAIM_LEASE_SECONDS, PARALLEL * 8)
        self._wake = asyncio.Event()
        self._draining = asyncio.Event()
        self._in_flight: set[asyncio.Task[None]] = set()
        self._leased: dict[asyncio.Task[None], str] = {}  # in flight -> its enrollment id
        self._renewing: asyncio.Task[None] | None = None
        # Performs steps' actions; the API shares its signed links, webhook policy and sealer.
        self.performer = Performer(automation, settings, mailer, contacts)

    def wake(self) -> None:
        self._wake.set()

    async def run(self) -> None:
        # Enrollments are independent (leased, each action keyed by its step), so they
        # advance side by side as tasks: one slow SMTP server or webhook holds only its own
        # slot, and a shutdown lets the actions in flight finish (drain). The renewals
        # outlive a crash of the claim loop, so enrollments in flight keep their leases.
        if self._renewing is None or self._renewing.done():
            self._renewing = asyncio.create_task(self._renew_leases())
        await self._claim_and_advance()

    async def _renew_leases(self) -> None:
        """One statement every RENEW_SECONDS for all the enrollments in flight."""
        while True:
            await asyncio.sleep(RENEW_SECONDS)
            try:
                held = sorted(self._leased.values())
                renew = self.enrollments.renew_claims(self.token, held, CLAIM_LEASE_SECONDS)
                await self.automation.guarded(renew)
            except Exception as exc:  # the next renewal tries again; the lease has slack
                log.warning("could not renew enrollment leases", extra={"error": repr(exc)})

    async def _claim_and_advance(self) -> None:
        while not self._draining.is_set():
            # Cleared before looking, not after: a wake during the claim or the work below
            # then means "look again at once" instead of being lost for a poll interval.
            self._wake.clear()
            free = PARALLEL - len(self._in_flight)
            if free < CLAIM_WHEN_FREE:
                await asyncio.wait(self._in_flight, return_when=asyncio.FIRST_COMPLETED)
                continue
            # Handed-over enrollments start before the claim's round trip.
            started = self._start(self.handed.take(free, RENEW_SECONDS))
            if started < free:
                owned = self.owned()
                claim = self.enrollments.claim_due(
                    self.token, free - started, CLAIM_LEASE_SECONDS, owned
                )
                started += self._start(await self.automation.guarded(claim))
            self.progress.beat(RUNNER)
            if started == free:
                continue  # more may be due
            # Poll the due index (a bounded range scan), or wake at once on a local enrollment.
            try:
                await asyncio.wait_for(self._wake.wait(), POLL_SECONDS)
            except TimeoutError:
                pass

    def _start(self, enrollments: list[dict[str, Any]]) -> int:
        for enrollment in enrollments:
            task = asyncio.create_task(self._advance_logged(enrollment))
            self._in_flight.add(task)
            self._leased[task] = enrollment["_id"]
            task.add_done_callback(self._finished)
        return len(enrollments)

    async def drain(self) -> None:
        """Claim nothing more; wait for the enrollments being advanced (their leases keep
        other replicas away meanwhile)."""
        self._draining.set()
        self._wake.set()
        held = self.handed.close()
        if held:  # not started: free their leases for whoever takes the partitions
            try:
                await self.automation.guarded(self.enrollments.release_claims(self.token, held))
            except Exception as exc:  # their leases lapse on their own
                log.warning("could not release enrollment leases", extra={"error": repr(exc)})
        if self._in_flight:
            await asyncio.wait(set(self._in_flight))
        if self._renewing is not None:
            self._renewing.cancel()

    def _finished(self, task: asyncio.Task[None]) -> None:
        self._in_flight.discard(task)
        self._leased.pop(task, None)
        self.progress.beat(RUNNER)

    async def overdue(self) -> int:
        """Enrollments due for longer than a stall and held by no runner (a sample)."""
        before = utcnow() - timedelta(seconds=self.progress.stall_after)
        return await self.automation.stores.enrollments.overdue(before, partitions=self.owned())

    async def _advance_logged(self, enrollment: dict[str, Any]) -> None:
        try:
            await self.advance(enrollment)
        except Exception:
            log.exception(
                "enrollment step failed; retried after its lease",
                extra={"enrollment": enrollment["_id"]},
            )

    async def advance(self, enrollment: dict[str, Any]) -> None:
        eid = enrollment["_id"]
        workflow = await self.automation.stores.workflows.get(enrollment["workflow_id"])
        if workflow is None or workflow["status"] in ("paused", "archived"):
            # A paused workflow holds its enrollments; they continue when it is resumed.
            later = {"due_at": utcnow() + timedelta(seconds=5), "claimed_until": None}
            await self.automation.guarded(self.automation.save_progress(eid, self.token, later, []))
            return
        definition = await self.catalog.definition(enrollment["workflow_id"], enrollment["version"])
        if definition is None:
            return
        index, waited = enrollment["step"], enrollment.get("waited_until")
        arrived = bool(enrollment.get("event_arrived"))
        # Read once: a change this run asks contacts for comes back over Kafka later anyway,
        # and an owner it assigns is kept in this dict.
        contact = await self.automation.stores.audience.contact(enrollment["contact_id"])
        # Steps taken in this run are saved once, with where the run stops (a wait, the end,
        # a deferral): one write per run instead of one per step. A crash before that save
        # replays them, and each action, keyed by its step, then answers "already …".
        progress: dict[str, Any] = {}
        notes: list[dict[str, Any]] = []

        async def stop(fields: dict[str, Any], announce: Envelope | None = None) -> None:
            saved = {**progress, **fields}
            await self.automation.guarded(
                self.automation.save_progress(eid, self.token, saved, notes, announce)
            )

        for _ in range(MAX_STEPS_PER_RUN):
            now = utcnow()
            decision = decide(
                definition, index, contact, now, waited, arrived, enrollment.get("created_at")
            )
            note = {
                "at": now,
                "step": _step_id(definition, index),
                "what": decision.kind,
                "why": decision.reason,
            }
            step = definition.steps[index] if index < len(definition.steps) else None
            if decision.kind == "act" and isinstance(step, WebhookStep):
                outcome, wait = await self.performer.webhook_step(enrollment, step, contact, now)
                if outcome is not None:  # None: its host was busy, the step has not run
                    notes.append({**note, "outcome": outcome})
                if wait is not None:
                    await stop(wait)
                    return
                index, waited = index + 1, None
                progress.update({"step": index, "waited_until": None, "status": "active"})
            elif decision.kind in ("act", "goto"):
                if decision.kind == "act":
                    note["outcome"] = await self.performer.perform(
                        enrollment, definition, index, contact
                    )
                    index += 1
                else:
                    assert decision.step_index is not None
                    index = decision.step_index
                notes.append(note)
                waited, arrived = None, False
                progress.update(
                    {
                        "status": "active",
                        "step": index,
                        "waited_until": None,
                        "waiting_for": False,
                        "event_arrived": False,
                    }
                )
            elif decision.kind == "defer":
                # Not a step of the workflow: no note, the step stays, only the timer moves.
                # Flagged, so the person's record arriving brings the timer forward to now.
                await stop(
                    {"due_at": decision.until, "claimed_until": None, "awaiting_contact": True}
                )
                return
            elif decision.kind == "wait":
                if waited is None:
                    note["since"] = now
                notes.append(note)
                since = enrollment.get("waiting_since") if waited else now
                await stop({**waiting(index, decision.until, step, since), "claimed_until": None})
                return
            else:
                notes.append(note)
                assert decision.outcome is not None
                ended = finished(enrollment, definition, decision.outcome, decision.reason)
                await stop(
                    {
                        "status": decision.outcome,
                        "finished_at": now,
                        "claimed_until": None,
                        "due_at": None,
                    },
                    ended,
                )
                return
        if notes:  # a run this long is cut short: keep what it did; it goes on when re-claimed
            await stop({})


def _step_id(definition: WorkflowDefinition, index: int) -> str | None:
    return definition.steps[index].id if index < len(definition.steps) else None
