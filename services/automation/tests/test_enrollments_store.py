"""Enrollments as a consumer batch makes them, against the real database: one read and one
write for the whole batch, with each workflow's policy seeing what the batch enrolled."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import uuid4

from lodestone_automation.domain.workflows import WorkflowDefinition
from lodestone_automation.service import Automation, Candidate
from lodestone_automation.stores import Stores
from lodestone_common.outbox import Outbox, waiting
from lodestone_common.processing import Transactions

T = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)


def workflow(policy: str) -> tuple[dict[str, object], WorkflowDefinition]:
    definition = WorkflowDefinition.model_validate(
        {
            "name": f"{policy} workflow",
            "trigger": {"type": "interaction", "interaction_type": "form_submitted"},
            "enrollment": {"policy": policy},
            "steps": [{"id": "task", "type": "create_task", "title": "Follow up"}],
        }
    )
    return {"_id": f"wf-{policy}", "version": 1}, definition


async def test_a_batch_enrolls_once_per_policy_in_one_read_and_write(mongo) -> None:  # type: ignore[no-untyped-def]
    name = f"test_enrollments_{uuid4().hex[:8]}"
    db = mongo[name]
    outbox = Outbox(db, None, holder="test", service="automation")  # type: ignore[arg-type]
    repo = Automation(Stores(db), Transactions(mongo, outbox))
    once, once_def = workflow("once")
    every, every_def = workflow("every_time")
    try:
        # "b" was enrolled in the "once" workflow before this batch and has finished.
        await db["enrollments"].insert_one(
            {
                "_id": "old",
                "workflow_id": once["_id"],
                "contact_id": "b",
                "status": "completed",
                "enrolled_at": T - timedelta(days=3),
            }
        )
        batch = [
            Candidate(once, once_def, "a", T, "form"),
            Candidate(once, once_def, "a", T + timedelta(minutes=1), "form again"),
            Candidate(once, once_def, "b", T, "form"),
            Candidate(every, every_def, "a", T, "form"),
            Candidate(every, every_def, "a", T + timedelta(minutes=1), "form again"),
        ]

        made = await repo.transactions.run(lambda uow: repo.enroll_many(batch, uow))

        assert [(doc is not None, why) for doc, why in made] == [
            (True, "enrolled"),
            (False, "already enrolled"),
            (False, "policy once: enrolled before"),
            (True, "enrolled"),
            (False, "already enrolled"),  # every time, but not while the first is running
        ]
        stored = {(d["workflow_id"], d["contact_id"]) async for d in db["enrollments"].find({})}
        assert stored == {("wf-once", "a"), ("wf-once", "b"), ("wf-every_time", "a")}
        assert len(await waiting(db["outbox"])) == 2
        assert await repo.transactions.run(lambda uow: repo.enroll_many([], uow)) == []
    finally:
        await mongo.drop_database(name)
