"""A workflow's task as automation stores it, against the real database: the action record,
the task and both events in one transaction, and a replay of the step changes nothing."""

from __future__ import annotations

from uuid import uuid4

import orjson

from lodestone_automation.service import Automation
from lodestone_automation.stores import Stores
from lodestone_common.envelope import utcnow
from lodestone_common.events import WorkflowActionPerformed
from lodestone_common.outbox import Outbox, waiting
from lodestone_common.processing import Transactions


async def test_a_task_action_is_done_once_with_its_events(mongo) -> None:  # type: ignore[no-untyped-def]
    name = f"test_actions_{uuid4().hex[:8]}"
    db = mongo[name]
    outbox = Outbox(db, None, holder="test", service="automation")  # type: ignore[arg-type]
    repo = Automation(Stores(db), Transactions(mongo, outbox))
    key = "wf:enr:call"
    detail = {"contact_id": "c1", "workflow_id": "wf", "enrollment_id": "enr", "step_id": "call"}
    now = utcnow()
    task = {
        "contact_id": "c1",
        "owner_id": "rep-1",
        "kind": "call",
        "title": "Call them",
        "status": "open",
        "due_at": now,
        "workflow_id": "wf",
        "enrollment_id": "enr",
        "created_at": now,
    }
    announce = WorkflowActionPerformed(
        workflow_id="wf",
        enrollment_id="enr",
        step_id="call",
        action="create_task",
        outcome="succeeded",
        detail={"task_id": key},
    ).envelope(contact_id="c1", producer="automation")
    try:
        assert await repo.task_action(key, detail, task, announce) == "created"
        assert await repo.task_action(key, detail, task, announce) == "already created"

        assert [t["_id"] async for t in db["tasks"].find({})] == [key]
        action = await db["actions"].find_one({"_id": key})
        assert action is not None and action["status"] == "created"
        kinds = [orjson.loads(r["value"])["event_type"] for r in await waiting(db["outbox"])]
        assert sorted(kinds) == ["task.changed", "workflow.action_performed"]
    finally:
        await mongo.drop_database(name)
