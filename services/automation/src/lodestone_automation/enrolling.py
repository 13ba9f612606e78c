"""Enrolling: who a trigger puts into a workflow, and how far the enrolling transaction takes
them.

A batch's candidates are enrolled with one read (their earlier enrollments, for the
workflow's policy) and one insert. A new enrollment's first steps that need only automation's
database (branches, waits, tasks, the end: domain/first_steps.py) are taken before that
insert, in the same transaction; the first step that reaches outside is the runner's. When
this process's runner takes the contact's partition, the enrollment is inserted already
leased to it and handed over in memory once the batch commits: no claim statement, no poll.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol
from uuid import uuid4

from lodestone_common.envelope import utcnow
from lodestone_common.events import WorkflowEnrollmentChanged
from lodestone_common.ownership import partition_of
from lodestone_common.processing import UnitOfWork
from lodestone_common.topics import AUTOMATION

from .domain.first_steps import first_steps
from .domain.triggers import may_enroll
from .domain.workflows import WorkflowDefinition
from .metrics import ACTIONS
from .stores import LIVE, Stores

PRODUCER = "automation"


@dataclass(frozen=True)
class Candidate:
    """Somebody a trigger fired for: enrolled if the workflow's policy allows."""

    workflow: dict[str, Any]
    definition: WorkflowDefinition
    contact_id: str
    at: datetime  # when the cause happened
    cause: str
    due_at: datetime | None = None  # a date-offset enrollment's day


class Handoff(Protocol):
    """The runner of this process, as enrolling sees it."""

    def lease(self, contact_id: str) -> tuple[str, datetime] | None:
        """(runner token, lease end) to insert a new enrollment already claimed with, if this
        runner advances the contact and has room; None leaves it to a claim."""

    def hand(self, enrollments: list[dict[str, Any]]) -> None:
        """Enrollments inserted with this runner's lease, now committed: advance them."""


async def enroll_many(
    stores: Stores,
    candidates: list[Candidate],
    uow: UnitOfWork,
    handoff: Handoff | None = None,
    escalate_hours: float | None = None,
) -> list[tuple[dict[str, Any] | None, str]]:
    """Enroll each candidate the workflow's policy allows, in order (a contact triggering
    twice in one batch meets its first enrollment). (enrollment or None, why) per candidate."""
    if not candidates:
        return []
    earlier = await stores.enrollments.earlier(
        sorted({c.workflow["_id"] for c in candidates}),
        sorted({c.contact_id for c in candidates}),
        uow.session,
    )
    results: list[tuple[dict[str, Any] | None, str]] = []
    made: list[tuple[Candidate, dict[str, Any]]] = []
    now = utcnow()
    for c in candidates:
        before = earlier[(c.workflow["_id"], c.contact_id)]
        allowed, why = may_enroll(
            c.definition.enrollment,
            [d["enrolled_at"] for d in before],
            c.at,
            any(d["status"] in LIVE for d in before),
        )
        if not allowed:
            results.append((None, why))
            continue
        doc = _enrollment(c, now)
        before.append(doc)
        made.append((c, doc))
        results.append((doc, why))
    for c, doc in made:
        enrolled = WorkflowEnrollmentChanged(
            workflow_id=c.workflow["_id"],
            workflow_name=c.definition.name,
            enrollment_id=doc["_id"],
            status="enrolled",
            reason=c.cause,
        )
        uow.emit(AUTOMATION, enrolled.envelope(contact_id=c.contact_id, producer=PRODUCER))
    due_now = [m for m in made if m[0].due_at is None]  # a date-offset one waits for its day
    handed = await _first_steps(stores, due_now, uow, handoff, escalate_hours)
    await stores.enrollments.insert([doc for _, doc in made], uow.session)
    if handed and handoff is not None:
        uow.on_commit(lambda: handoff.hand([dict(d) for d in handed]))
    return results


async def _first_steps(
    stores: Stores,
    made: list[tuple[Candidate, dict[str, Any]]],
    uow: UnitOfWork,
    handoff: Handoff | None,
    escalate_hours: float | None = None,
) -> list[dict[str, Any]]:
    """Walk the new enrollments as far as the database alone takes them (their tasks and
    events written in `uow`); those left due now for the runner, leased to it if it has room."""
    if not made:
        return []
    contacts = await stores.audience.records(sorted({c.contact_id for c, _ in made}), uow.session)
    tasks: list[dict[str, Any]] = []
    actions: list[dict[str, Any]] = []
    handed: list[dict[str, Any]] = []
    for c, doc in made:
        contact, now = contacts[c.contact_id], doc["created_at"]
        walked = first_steps(c.definition, doc, contact, now, escalate_hours)
        doc.update(walked.fields)
        doc["history"] += walked.notes
        tasks += walked.tasks
        actions += walked.actions
        for envelope in walked.events:
            uow.emit(AUTOMATION, envelope)
        if walked.for_runner and handoff is not None:
            lease = handoff.lease(c.contact_id)
            if lease is not None:
                doc["claimed_by"], doc["claimed_until"] = lease
                handed.append(doc)
    await stores.tasks.insert_many(tasks, uow.session)
    await stores.actions.insert_many(actions, uow.session)
    if tasks:
        uow.on_commit(lambda: ACTIONS.labels("create_task", "succeeded").inc(len(tasks)))
    return handed


def _enrollment(c: Candidate, now: datetime) -> dict[str, Any]:
    return {
        "_id": f"enr_{uuid4().hex[:20]}",
        "workflow_id": c.workflow["_id"],
        "version": c.workflow["version"],
        "contact_id": c.contact_id,
        # Advanced by the process that owns the contact's partition (ownership.py).
        "partition": partition_of(c.contact_id),
        # A date-offset enrollment is "scheduled" until its day comes.
        "status": "scheduled" if c.due_at else "active",
        "step": 0,
        "waited_until": None,
        "due_at": c.due_at or now,
        "claimed_by": None,
        "claimed_until": None,
        "enrolled_at": c.at,  # when the cause happened
        "created_at": now,  # when automation saw it
        "cause": c.cause,
        "history": [{"at": now, "what": "enrolled", "why": c.cause}],
    }
