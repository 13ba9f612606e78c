"""A workflow's dry run: the path one contact would take, decided by the runner's own rules."""

from __future__ import annotations

from datetime import UTC, datetime

from lodestone_automation.domain.dry_run import dry_run
from lodestone_automation.domain.workflows import WorkflowDefinition

NOW = datetime(2026, 12, 5, 9, tzinfo=UTC)
FLOW = WorkflowDefinition.model_validate(
    {
        "name": "pricing follow-up",
        "trigger": {"type": "manual"},
        "steps": [
            {"id": "hello", "type": "send_email", "subject": "Hi {{first_name}}", "body": "Hello"},
            {"id": "pause", "type": "wait", "seconds": 2 * 86400},
            {
                "id": "hot",
                "type": "if",
                "conditions": [{"field": "score", "op": "gte", "value": 50}],
                "else": "exit",
            },
            {"id": "call", "type": "create_task", "title": "Call {{first_name}}"},
        ],
    }
)


def test_a_hot_contact_goes_all_the_way_and_a_cold_one_exits_at_the_branch() -> None:
    hot = dry_run(FLOW, {"email": "a@example.com", "score": 80}, NOW)
    assert [(s["step_id"], s["what"]) for s in hot["path"]] == [
        ("hello", "sends “Hi {{first_name}}”"),
        ("pause", "waits 2 days"),
        ("hot", "hot: conditions held"),
        ("call", "creates the task “Call {{first_name}}”"),
    ]
    assert hot["outcome"] == "completed"
    cold = dry_run(FLOW, {"email": "b@example.com", "score": 10}, NOW)
    assert [s["step_id"] for s in cold["path"]] == ["hello", "pause"]
    assert (cold["outcome"], cold["reason"]) == ("exited", "hot: conditions did not hold, exit")


def test_an_email_that_would_not_go_says_why() -> None:
    gone = dry_run(FLOW, {"email": "c@example.com", "score": 80, "unsubscribed": True}, NOW)
    assert gone["path"][0]["what"].startswith("would not send “Hi {{first_name}}”: ")
    nobody = dry_run(FLOW, {"score": 80}, NOW)
    assert nobody["path"][0]["what"].startswith("would not send")


def test_a_goal_already_met_ends_the_walk_before_any_step() -> None:
    goal = WorkflowDefinition.model_validate(
        {
            **FLOW.model_dump(by_alias=True, exclude_none=True),
            "goal": [{"field": "lifecycle_stage", "op": "equals", "value": "customer"}],
        }
    )
    done = dry_run(goal, {"email": "d@example.com", "lifecycle_stage": "customer"}, NOW)
    assert (done["path"], done["outcome"]) == ([], "goal_reached")
