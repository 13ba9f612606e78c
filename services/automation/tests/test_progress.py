"""Where a workflow's people are: per step of the current version, and finished per outcome —
the domain's counting, and the store's tally against the real database."""

from __future__ import annotations

from uuid import uuid4

from lodestone_automation.domain.progress import progress
from lodestone_automation.stores import Stores


def test_counts_name_the_step_of_the_version_each_enrollment_started_on() -> None:
    versions = {1: ["mail", "wait", "call"], 2: ["mail", "call", "nudge"]}
    rows = [
        {"version": 1, "step": 0, "status": "active", "count": 2},  # mail
        {"version": 1, "step": 1, "status": "waiting", "count": 5},  # "wait": gone in v2
        {"version": 1, "step": 2, "status": "waiting", "count": 1},  # call, index 1 in v2
        {"version": 2, "step": 1, "status": "active", "count": 3},  # call
        {"version": 2, "step": 2, "status": "scheduled", "count": 4},  # nudge
        {"version": 1, "step": 2, "status": "completed", "count": 7},
        {"version": 2, "step": 0, "status": "goal_reached", "count": 2},
        {"version": 2, "step": 1, "status": "exited", "count": 1},
        {"version": 9, "step": 0, "status": "active", "count": 1},  # a version it cannot find
    ]
    got = progress(rows, versions, versions[2])
    assert got["steps"] == [
        {"step_id": "mail", "here": 2, "waiting": 0},
        {"step_id": "call", "here": 4, "waiting": 1},
        {"step_id": "nudge", "here": 4, "waiting": 4},
    ]
    assert (got["completed"], got["goal_reached"], got["exited"]) == (7, 2, 1)
    assert got["on_removed_steps"] == 6
    assert got["in_progress"] == 2 + 4 + 4 + 6
    assert got["enrolled"] == 26


async def test_the_store_tallies_one_workflow_by_version_step_and_status(mongo) -> None:  # type: ignore[no-untyped-def]
    name = f"test_progress_{uuid4().hex[:8]}"
    db = mongo[name]
    try:
        docs = [
            {"_id": f"e{i}", "workflow_id": "wf", "version": 1, "step": i % 2, "status": "waiting"}
            for i in range(5)
        ] + [
            {"_id": "done", "workflow_id": "wf", "version": 1, "step": 1, "status": "completed"},
            {"_id": "other", "workflow_id": "wf2", "version": 1, "step": 0, "status": "active"},
        ]
        await db["enrollments"].insert_many(docs)
        rows = await Stores(db).enrollments.tally("wf")
        got = sorted((r["version"], r["step"], r["status"], r["count"]) for r in rows)
        assert got == [(1, 0, "waiting", 3), (1, 1, "completed", 1), (1, 1, "waiting", 2)]
    finally:
        await mongo.drop_database(name)
