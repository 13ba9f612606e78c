"""A new enrollment's first steps that need only automation's database are taken in the batch
that enrolls the contact (branches, tasks, waits, the end); the first step that reaches
outside is left to the runner, handed over in memory with its lease once the batch commits."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from lodestone_automation.domain.first_steps import first_steps
from lodestone_automation.domain.workflows import WorkflowDefinition
from lodestone_automation.handoff import Handed
from lodestone_common.events import ContactCreated, ContactSnapshot, InteractionRecorded
from lodestone_common.ownership import partition_of

from .test_handlers import apply, event, setup

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
FORM = {"type": "interaction", "interaction_type": "form_submitted"}
CALL = {"id": "call", "type": "create_task", "title": "Call {{ first_name }}"}
EMAIL = {"id": "hello", "type": "send_email", "subject": "Hi", "body": "Hello"}
BRANCH = {
    "id": "is-lead",
    "type": "if",
    "conditions": [{"field": "lifecycle_stage", "op": "equals", "value": "lead"}],
    "else": "exit",
}
WAIT = {"id": "day", "type": "wait", "seconds": 86400}


def definition(*steps: dict[str, Any], **more: Any) -> WorkflowDefinition:
    return WorkflowDefinition.model_validate(
        {"name": "Demo request", "trigger": FORM, "steps": list(steps), **more}
    )


def enrollment() -> dict[str, Any]:
    return {"_id": "enr1", "workflow_id": "wf0", "contact_id": "c1"}


KNOWN = {"_id": "c1", "known": True, "lifecycle_stage": "lead", "first_name": "Ana"}


def test_branches_tasks_and_a_wait_are_taken_and_the_walk_stops_at_the_wait() -> None:
    walked = first_steps(definition(BRANCH, CALL, WAIT, EMAIL), enrollment(), KNOWN, NOW, 24)
    assert [n["what"] for n in walked.notes] == ["goto", "act", "wait"]
    assert walked.fields["status"] == "waiting" and walked.fields["step"] == 2
    assert walked.fields["due_at"] == NOW + timedelta(days=1)
    assert not walked.for_runner
    (task,) = walked.tasks
    assert task["_id"] == "wf0:enr1:call" and task["title"] == "Call Ana"
    assert task["escalate_at"] is not None
    assert walked.actions[0]["status"] == "created" and walked.actions[0]["task_id"] == task["_id"]
    assert [e.event_type for e in walked.events] == ["task.changed", "workflow.action_performed"]


def test_an_email_is_the_runners_and_a_branch_to_exit_ends_it_at_once() -> None:
    walked = first_steps(definition(CALL, EMAIL), enrollment(), KNOWN, NOW)
    assert walked.for_runner and walked.fields == {"status": "active", "step": 1}
    assert len(walked.tasks) == 1
    customer = {**KNOWN, "lifecycle_stage": "customer"}
    ended = first_steps(definition(BRANCH, EMAIL), enrollment(), customer, NOW)
    assert ended.fields["status"] == "exited" and not ended.tasks
    assert [e.event_type for e in ended.events] == ["workflow.enrollment_changed"]
    assert ended.events[0].payload["status"] == "exited"


def test_a_contact_whose_record_has_not_arrived_is_left_to_the_runner_untouched() -> None:
    walked = first_steps(definition(CALL), enrollment(), {"_id": "c1"}, NOW)
    assert walked.for_runner and walked.fields == {"status": "active", "step": 0}
    assert walked.tasks == [] and walked.notes == []


def test_a_goal_met_already_finishes_the_enrollment() -> None:
    goal = [{"field": "lifecycle_stage", "op": "equals", "value": "lead"}]
    walked = first_steps(definition(CALL, goal=goal), enrollment(), KNOWN, NOW)
    assert walked.fields["status"] == "goal_reached" and walked.tasks == []


def submitted(contact: str) -> Any:
    return event(contact, InteractionRecorded(interaction_type="form_submitted", name="Form"))


def created(contact: str) -> Any:
    snapshot = ContactSnapshot(email=f"{contact}@example.com", lifecycle_stage="lead")
    return event(contact, ContactCreated(contact=snapshot))


async def test_the_enrolling_batch_makes_the_task_and_hands_the_email_to_the_runner() -> None:
    stores, table, woken = await setup(
        {"name": "Demo request", "trigger": FORM, "steps": [CALL, EMAIL]}
    )
    handed = Handed("runner-1", lambda: None, woken, 20.0, at_most=10)
    automation = table[InteractionRecorded].__self__.automation
    automation.handoff = handed
    # The person's record comes first in the batch, so the steps know them.
    uow = await apply(table, [created("c1"), submitted("c1")])
    (doc,) = stores.enrollments.of("c1")
    assert (doc["status"], doc["step"], doc["claimed_by"]) == ("active", 1, "runner-1")
    (task,) = stores.tasks.docs.values()
    assert task["contact_id"] == "c1" and stores.actions.docs[task["_id"]]["status"] == "created"
    kinds = [e.event_type for _, e in uow.emitted]
    assert kinds == ["workflow.enrollment_changed", "task.changed", "workflow.action_performed"]
    # Handed over once committed: the runner takes it without a claim.
    assert [e["_id"] for e in handed.take(5, margin=1)] == [doc["_id"]]
    # A contact whose record is not here yet is left to the runner, step 0, nothing done.
    await apply(table, [submitted("c2")])
    (later,) = stores.enrollments.of("c2")
    assert later["step"] == 0 and len(stores.tasks.docs) == 1 and len(handed) == 1


def test_only_contacts_of_owned_partitions_get_a_lease_and_never_beyond_the_room() -> None:
    woke: list[int] = []
    owned = frozenset({partition_of("c1")})
    handed = Handed("r", lambda: owned, lambda: woke.append(1), 20.0, at_most=1)
    other = next(c for c in (f"x{i}" for i in range(100)) if partition_of(c) not in owned)
    assert handed.lease(other) is None
    token, until = handed.lease("c1") or ("", NOW)
    assert token == "r"
    handed.hand([{"_id": "e1", "claimed_until": until}])
    assert woke == [1] and handed.lease("c1") is None  # full: later ones are claimed
    # One whose lease ran low while it waited is left to a claim.
    handed.hand([{"_id": "e2", "claimed_until": datetime.now(UTC)}])
    assert [e["_id"] for e in handed.take(5, margin=5)] == ["e1"]
    handed.hand([{"_id": "e3", "claimed_until": until}])
    assert handed.close() == ["e3"] and handed.lease("c1") is None
