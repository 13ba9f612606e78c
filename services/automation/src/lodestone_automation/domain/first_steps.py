"""A new enrollment's first steps that need nothing but automation's own database: branches
on what automation knows of the contact, waits (a timer is a `due_at`), tasks, the end.

They are taken in the transaction that enrolls the contact, so "form submitted → call task"
is one commit instead of an enrollment, a claim, a task transaction and a progress save.
Walking stops at the first step that reaches outside the database (an email, a webhook, a
change to the contact, an owner to assign): the runner performs it. Plain decisions over the
engine's `decide`, as the runner takes them; nothing here does I/O. What a wait, the end
and a task's record write is defined here once, for the runner too.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from lodestone_common.envelope import Envelope
from lodestone_common.events import TaskChanged, WorkflowActionPerformed, WorkflowEnrollmentChanged

from .engine import decide
from .reminders import escalate_at, remind_at
from .templates import render
from .workflows import TaskStep, WaitForStep, WorkflowDefinition

MAX_STEPS = 200  # as the runner: a loop of branches is cut short and resumed by the runner


@dataclass
class Walked:
    """What the first steps did: the enrollment's fields after them (its history included),
    the tasks made with their action records, and the events announcing both."""

    fields: dict[str, Any] = field(default_factory=dict)
    notes: list[dict[str, Any]] = field(default_factory=list)
    tasks: list[dict[str, Any]] = field(default_factory=list)
    actions: list[dict[str, Any]] = field(default_factory=list)
    events: list[Envelope] = field(default_factory=list)
    for_runner: bool = False  # due now at a step only the runner performs


def task_for(
    step: TaskStep,
    enrollment: dict[str, Any],
    contact: dict[str, Any],
    escalate_hours: float | None,
    now: datetime,
) -> dict[str, Any]:
    """The task a `create_task` step makes for this enrollment's contact."""
    due = now + timedelta(hours=step.due_in_hours)
    return {
        "contact_id": enrollment["contact_id"],
        "owner_id": contact.get("owner_id"),
        "kind": step.kind,
        "title": render(step.title, contact, {}),
        "status": "open",
        "due_at": due,
        "remind_before_minutes": step.remind_before_minutes,
        "remind_at": remind_at(due, step.remind_before_minutes),
        "escalate_at": escalate_at(due, escalate_hours),
        "workflow_id": enrollment["workflow_id"],
        "enrollment_id": enrollment["_id"],
        "created_at": now,
    }


def action_key(enrollment: dict[str, Any], step_id: str) -> str:
    """An action's identity: performed once per enrollment and step."""
    return f"{enrollment['workflow_id']}:{enrollment['_id']}:{step_id}"


def action_detail(enrollment: dict[str, Any], step_id: str, step_type: str) -> dict[str, Any]:
    return {
        "contact_id": enrollment["contact_id"],
        "workflow_id": enrollment["workflow_id"],
        "enrollment_id": enrollment["_id"],
        "step_id": step_id,
        "type": step_type,
    }


def action_announced(
    enrollment: dict[str, Any], step_id: str, action: str, outcome: str, detail: dict[str, Any]
) -> Envelope:
    return WorkflowActionPerformed(
        workflow_id=enrollment["workflow_id"],
        enrollment_id=enrollment["_id"],
        step_id=step_id,
        action=action,
        outcome=outcome,  # type: ignore[arg-type]
        detail={k: v for k, v in detail.items() if isinstance(v, str | int | float | list)},
    ).envelope(contact_id=enrollment["contact_id"], producer="automation")


def task_record(key: str, status: str, detail: dict[str, Any], now: datetime) -> dict[str, Any]:
    """The action record of a `create_task` step: done as it starts (nothing leaves the
    database), so it has no "started" state."""
    return {
        "_id": key,
        "status": status,
        "started_at": now,
        "finished_at": now,
        "task_id": key,
        **detail,
    }


def waiting(
    index: int, until: datetime | None, step: object, since: datetime | None
) -> dict[str, Any]:
    """An enrollment's fields while it waits at step `index` (since `since`) until `until`."""
    return {
        "status": "waiting",
        "step": index,
        "waited_until": until,
        "due_at": until,
        # Interactions may end a wait_for early: the consumers look for these.
        "waiting_for": isinstance(step, WaitForStep),
        "waiting_since": since,
    }


def finished(
    enrollment: dict[str, Any], definition: WorkflowDefinition, outcome: str, reason: str
) -> Envelope:
    """The event announcing an enrollment ended (completed, exited, goal reached)."""
    return WorkflowEnrollmentChanged(
        workflow_id=enrollment["workflow_id"],
        workflow_name=definition.name,
        enrollment_id=enrollment["_id"],
        status=outcome,  # type: ignore[arg-type]
        reason=reason,
    ).envelope(contact_id=enrollment["contact_id"], producer="automation")


def first_steps(
    definition: WorkflowDefinition,
    enrollment: dict[str, Any],
    contact: dict[str, Any],
    now: datetime,
    escalate_hours: float | None = None,
) -> Walked:
    """Walk a just-made enrollment (step 0, due now) as far as the database alone can take it."""
    walked = Walked()
    index = 0
    for _ in range(MAX_STEPS):
        decision = decide(definition, index, contact, now, None, False, now)
        step = definition.steps[index] if index < len(definition.steps) else None
        note: dict[str, Any] = {
            "at": now,
            "step": step.id if step else None,
            "what": decision.kind,
            "why": decision.reason,
        }
        if decision.kind == "goto":
            assert decision.step_index is not None
            index = decision.step_index
        elif decision.kind == "act" and isinstance(step, TaskStep):
            key = action_key(enrollment, step.id)
            task = {"_id": key, **task_for(step, enrollment, contact, escalate_hours, now)}
            walked.tasks.append(task)
            walked.events.append(task_event(task))
            detail = action_detail(enrollment, step.id, step.type)
            walked.actions.append(task_record(key, "created", detail, now))
            walked.events.append(
                action_announced(enrollment, step.id, step.type, "succeeded", {"task_id": key})
            )
            note["outcome"] = "created"
            index += 1
        elif decision.kind == "wait":
            walked.notes.append({**note, "since": now})
            walked.fields = waiting(index, decision.until, step, now)
            return walked
        elif decision.kind == "finish":
            walked.notes.append(note)
            outcome = decision.outcome
            assert outcome is not None
            walked.fields = {"status": outcome, "finished_at": now, "due_at": None}
            walked.events.append(finished(enrollment, definition, outcome, decision.reason))
            return walked
        else:  # an action that leaves the database, or the contact's record not here yet
            break
        walked.notes.append(note)
    walked.fields = {"status": "active", "step": index}
    walked.for_runner = True
    return walked


def task_event(task: dict[str, Any]) -> Envelope:
    return TaskChanged(
        task_id=task["_id"],
        owner_id=task.get("owner_id"),
        kind=task["kind"],
        status=task["status"],
        due_at=task["due_at"],
        created_at=task["created_at"],
        done_at=task.get("done_at"),
        workflow_id=task.get("workflow_id"),
        outcome=task.get("outcome"),
    ).envelope(contact_id=task["contact_id"], producer="automation")
