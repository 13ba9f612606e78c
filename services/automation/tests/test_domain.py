"""Workflow rules without I/O: validation, windows, policies, step decisions, templates."""

from datetime import UTC, datetime, timedelta

import pytest
from pydantic import ValidationError

from lodestone_automation.domain.engine import (
    CONTACT_GRACE,
    EMAIL_PATIENCE,
    EMAIL_RETRY,
    decide,
    email_blocked,
)
from lodestone_automation.domain.templates import render, with_unsubscribe
from lodestone_automation.domain.triggers import may_enroll, window_reached
from lodestone_automation.domain.workflows import (
    Enrollment,
    InteractionCountTrigger,
    WorkflowDefinition,
)

T0 = datetime(2026, 11, 1, tzinfo=UTC)


def workflow(**overrides) -> WorkflowDefinition:  # type: ignore[no-untyped-def]
    body = {
        "name": "nurture",
        "trigger": {"type": "manual"},
        "steps": [
            {
                "id": "hello",
                "type": "send_email",
                "subject": "Hi {{first_name|there}}",
                "body": "Hello",
            },
            {"id": "pause", "type": "wait", "seconds": 3600},
            {
                "id": "hot",
                "type": "if",
                "conditions": [{"field": "score", "op": "gte", "value": 50}],
                "else": "exit",
            },
            {"id": "call", "type": "create_task", "title": "Call {{first_name}}"},
        ],
    }
    body.update(overrides)
    return WorkflowDefinition.model_validate(body)


@pytest.mark.parametrize(
    ("steps", "message"),
    [
        ([{"id": "a", "type": "wait", "seconds": 1}, {"id": "a", "type": "exit"}], "used twice"),
        (
            [
                {
                    "id": "a",
                    "type": "if",
                    "conditions": [{"field": "x", "op": "exists"}],
                    "else": "nowhere",
                }
            ],
            "unknown step 'nowhere'",
        ),
        (
            [
                {"id": "a", "type": "exit"},
                {
                    "id": "b",
                    "type": "if",
                    "conditions": [{"field": "x", "op": "exists"}],
                    "else": "a",
                },
            ],
            "only jump forward",
        ),
        ([{"id": "a", "type": "teleport"}], "teleport"),
        ([{"id": "Bad", "type": "exit"}], "step ids"),
        ([{"id": "a", "type": "send_email", "subject": "", "body": "x"}], "subject"),
    ],
)
def test_validation_names_the_bad_step(steps: list, message: str) -> None:  # type: ignore[type-arg]
    with pytest.raises(ValidationError, match=message):
        workflow(steps=steps)


def test_sliding_window_counts_the_last_n_days() -> None:
    trigger = InteractionCountTrigger(
        type="interaction_count", interaction_type="page_visit", count=3, within_days=7
    )
    hits: list[datetime] = []
    reached, hits = window_reached(hits, T0, trigger)
    assert not reached
    reached, hits = window_reached(hits, T0 + timedelta(days=8), trigger)  # first fell out
    assert not reached and len(hits) == 1
    reached, hits = window_reached(hits, T0 + timedelta(days=9), trigger)
    assert not reached
    reached, hits = window_reached(hits, T0 + timedelta(days=10), trigger)
    assert reached


def test_enrollment_policies() -> None:
    assert may_enroll(Enrollment(policy="once"), [], T0, False) == (True, "enrolled")
    assert not may_enroll(Enrollment(policy="once"), [T0], T0, False)[0]
    assert not may_enroll(Enrollment(policy="every_time"), [T0], T0, True)[0]  # still running
    assert may_enroll(Enrollment(policy="every_time"), [T0], T0, False)[0]
    weekly = Enrollment(policy="once_per_days", days=7)
    assert not may_enroll(weekly, [T0], T0 + timedelta(days=6), False)[0]
    assert may_enroll(weekly, [T0], T0 + timedelta(days=7), False)[0]


def test_decisions_walk_the_steps() -> None:
    wf = workflow()
    assert decide(wf, 0, {}, T0, None).kind == "act"
    wait = decide(wf, 1, {}, T0, None)
    assert wait.kind == "wait" and wait.until == T0 + timedelta(hours=1)
    assert decide(wf, 1, {}, T0 + timedelta(minutes=5), wait.until).kind == "wait"
    assert decide(wf, 1, {}, T0 + timedelta(hours=1), wait.until).step_index == 2
    assert decide(wf, 2, {"score": 10}, T0, None).outcome == "exited"
    assert decide(wf, 2, {"score": 80}, T0, None).step_index == 3
    assert decide(wf, 4, {}, T0, None).outcome == "completed"


def test_steps_wait_for_the_contacts_record_for_a_grace_period() -> None:
    wf = workflow()
    early = decide(wf, 2, {"score": 80}, T0 + timedelta(seconds=3), None, created_at=T0)
    assert early.kind == "defer" and early.until == T0 + timedelta(seconds=3.5)
    known = {"score": 80, "known": True}
    assert decide(wf, 2, known, T0 + timedelta(seconds=3), None, created_at=T0).step_index == 3
    late = T0 + CONTACT_GRACE
    assert decide(wf, 2, {"score": 80}, late, None, created_at=T0).step_index == 3


def test_an_email_waits_for_its_contacts_record_until_the_patience_runs_out() -> None:
    wf = workflow()
    late = T0 + CONTACT_GRACE + timedelta(minutes=30)
    waiting = decide(wf, 0, {}, late, None, created_at=T0)
    assert waiting.kind == "defer" and waiting.until == late + EMAIL_RETRY
    assert "waits for the contact's record" in waiting.reason
    # The record came: the email goes.
    assert decide(wf, 0, {"known": True, "email": "a@b.co"}, late, None, created_at=T0).kind == (
        "act"
    )
    # Never came: the step runs on what is known (and is skipped with its reason).
    assert decide(wf, 0, {}, T0 + EMAIL_PATIENCE, None, created_at=T0).kind == "act"
    assert email_blocked({}) == "no email address"


def test_goals_unenroll_at_any_step() -> None:
    wf = workflow(goal=[{"field": "lifecycle_stage", "op": "equals", "value": "customer"}])
    assert decide(wf, 1, {"lifecycle_stage": "customer"}, T0, None).outcome == "goal_reached"


def test_consent_and_suppression_block_email() -> None:
    assert email_blocked({"email": "a@b.co"}) is None
    assert email_blocked({}) == "no email address"
    assert email_blocked({"email": "a@b.co", "unsubscribed": True}) == "unsubscribed"
    assert email_blocked({"email": "a@b.co", "consent": {"email": "denied"}})
    assert email_blocked({"email": "a@b.co", "email_bounced": True})


def test_templates_personalize_and_always_carry_an_unsubscribe_link() -> None:
    contact = {"first_name": "Ada", "custom": {"plan": "pro"}}
    assert (
        render("Hi {{first_name}} ({{custom.plan}}), {{company|your team}}", contact, {})
        == "Hi Ada (pro), your team"
    )
    body = with_unsubscribe("Hello", "https://x/u/1")
    assert body.endswith("Unsubscribe: https://x/u/1\n")
    assert with_unsubscribe("Bye {{u}} https://x/u/1", "https://x/u/1").count("https://x/u/1") == 1


def test_weighted_round_robin_skips_unavailable_reps_and_spreads_turns() -> None:
    from lodestone_automation.domain.assignment import choose_owner, rotation
    from lodestone_automation.domain.workflows import AssignOwnerStep

    reps = [
        {"_id": "ann", "weight": 2},
        {"_id": "bob", "weight": 1},
        {"_id": "cat", "weight": 3, "available": False},
    ]
    assert rotation(reps, []) == ["ann", "bob", "ann"]
    assert rotation(reps, ["bob", "cat"]) == ["bob"]
    step = AssignOwnerStep(
        id="assign",
        type="assign_owner",
        territories=[
            {"conditions": [{"field": "country", "op": "equals", "value": "FR"}], "rep_id": "bob"},
            {"conditions": [{"field": "country", "op": "equals", "value": "DE"}], "rep_id": "cat"},
        ],
    )
    picks = [choose_owner(step, {"country": "US"}, reps, turn)[0] for turn in range(6)]
    assert picks.count("ann") == 4 and picks.count("bob") == 2
    assert choose_owner(step, {"country": "fr"}, reps, 0) == ("bob", "territory rule")
    # An unavailable territory owner falls back to the rotation.
    assert choose_owner(step, {"country": "DE"}, reps, 1)[0] == "bob"
    keep = step.model_copy(update={"keep_existing": True})
    assert choose_owner(keep, {"owner_id": "zed"}, reps, 0)[0] is None
    assert choose_owner(step, {}, [], 0) == (None, "no available rep")


def test_wait_for_continues_on_the_event_or_branches_on_timeout() -> None:
    wf = workflow(
        steps=[
            {
                "id": "reply",
                "type": "wait_for",
                "event_name": "Meeting Booked",
                "timeout_seconds": 60,
                "on_timeout": "nudge",
            },
            {"id": "thanks", "type": "send_email", "subject": "Thanks", "body": "x"},
            {"id": "nudge", "type": "create_task", "title": "Nudge"},
        ]
    )
    first = decide(wf, 0, {}, T0, None)
    assert first.kind == "wait" and first.until == T0 + timedelta(seconds=60)
    assert decide(wf, 0, {}, T0, first.until, arrived=True).step_index == 1
    assert decide(wf, 0, {}, T0 + timedelta(seconds=61), first.until).step_index == 2
    with pytest.raises(ValidationError, match="needs interaction_type or event_name"):
        workflow(steps=[{"id": "w", "type": "wait_for", "timeout_seconds": 5}])


def test_date_offsets_fire_on_their_day_and_never_in_the_past() -> None:
    from datetime import date

    from lodestone_automation.domain.triggers import date_offset_fire_at
    from lodestone_automation.domain.workflows import DateOffsetTrigger

    trigger = DateOffsetTrigger(type="date_offset", field="contract_end_date", offset_days=-60)
    now = datetime(2026, 11, 23, 15, tzinfo=UTC)
    fire, _ = date_offset_fire_at(trigger, "2027-03-01", now)
    assert fire == datetime(2026, 12, 31, tzinfo=UTC)
    assert date_offset_fire_at(trigger, date(2027, 1, 22), now)[0] == now  # today: now
    assert date_offset_fire_at(trigger, "2027-01-01", now)[0] is None  # offset day passed
    assert date_offset_fire_at(trigger, None, now)[0] is None
    assert date_offset_fire_at(trigger, "soon", now)[0] is None


def test_the_sales_cadence_template_calls_eight_times_in_the_first_week() -> None:
    """The seed: "6-10 calls in the week after a lead"; and a shorter one for small deals."""
    from lodestone_automation.domain.templates_library import NEW_LEAD_CADENCE, SHORT_CADENCE

    for template, calls_wanted, days in ((NEW_LEAD_CADENCE, 8, 7), (SHORT_CADENCE, 3, 3)):
        cadence = WorkflowDefinition.model_validate(template)
        calls = [s for s in cadence.steps if s.type == "create_task" and s.kind == "call"]
        emails = [s for s in cadence.steps if s.type == "send_email"]
        waited = sum(s.seconds for s in cadence.steps if s.type == "wait")  # type: ignore[union-attr]
        assert len(calls) == calls_wanted and emails and cadence.goal
        assert waited <= days * 86_400


def test_every_ready_made_workflow_is_a_valid_definition() -> None:
    from lodestone_automation.domain.templates_library import LIBRARY

    assert len(LIBRARY) >= 6
    for name, template in LIBRARY.items():
        definition = WorkflowDefinition.model_validate(template)
        assert definition.description, name


def test_opt_in_mails_only_those_who_said_yes() -> None:
    from lodestone_automation.domain.engine import email_blocked

    granted = {"email": "a@b.co", "consent": {"email": "granted"}}
    assert email_blocked(granted, "opt-in") is None
    assert "unknown" in str(email_blocked({"email": "a@b.co"}, "opt-in"))
    assert email_blocked({"email": "a@b.co"}, "opt-out") is None


def test_fractional_weights_share_turns_in_their_proportions() -> None:
    """0.5/0.5 gave every lead to one rep; 0.4/0.4 said "no available rep"."""
    from lodestone_automation.domain.assignment import rotation

    halves = [{"_id": "ann", "weight": 0.5}, {"_id": "bob", "weight": 0.5}]
    assert rotation(halves, []) == ["ann", "bob"]
    small = [{"_id": "ann", "weight": 0.4}, {"_id": "bob", "weight": 0.4}]
    assert rotation(small, []) == ["ann", "bob"]
    uneven = [{"_id": "ann", "weight": 0.25}, {"_id": "bob", "weight": 0.75}]
    assert sorted(rotation(uneven, [])) == ["ann", "bob", "bob", "bob"]
    assert (
        rotation([{"_id": "ann", "weight": 3}, {"_id": "bob", "weight": 1}], []).count("ann") == 3
    )
