"""Where an enrollment goes next: plain decisions the runner carries out."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

from lodestone_common.conditions import all_hold
from lodestone_common.ingest import bounce_kind

from .workflows import (
    AssignOwnerStep,
    ExitStep,
    IfStep,
    SendEmailStep,
    TaskStep,
    UpdateContactStep,
    WaitForStep,
    WaitStep,
    WebhookStep,
    WorkflowDefinition,
)

# How long an enrollment waits for its contact's record to reach automation before its steps
# run on whatever is known. The record's arrival brings a deferred enrollment forward at once
# (the consumers flag it), so the re-checks below are only a safety net.
CONTACT_GRACE = timedelta(minutes=5)
CONTACT_RETRY = timedelta(seconds=0.5)
# An email needs the address the record brings: it waits for the record this long (a backlog
# after an outage of automation can hold the contacts topic back for a while), re-checked
# every EMAIL_RETRY after the grace, and only then is it skipped, with the reason.
EMAIL_PATIENCE = timedelta(days=1)
EMAIL_RETRY = timedelta(seconds=30)


@dataclass
class Decision:
    kind: Literal["act", "wait", "defer", "goto", "finish"]
    step_index: int | None = None  # for goto: where to go
    until: datetime | None = None  # for wait
    outcome: str | None = None  # for finish: completed, exited, goal_reached
    reason: str = ""


def decide(
    workflow: WorkflowDefinition,
    index: int,
    contact: dict[str, Any],
    now: datetime,
    waited_until: datetime | None,
    arrived: bool = False,
    created_at: datetime | None = None,
) -> Decision:
    """What to do at step `index` for this contact, right now.

    `waited_until`: the deadline of the wait this enrollment is in, if any; `arrived`: the
    event a `wait_for` step waits for has happened; `created_at`: when automation created the
    enrollment, for the grace an unknown contact gets.
    """
    if not contact.get("known") and created_at is not None:
        # An interaction can trigger before the contacts topic delivers the person's record
        # (another topic, maybe another replica): conditions and emails must not run blind.
        age = now - created_at
        if age < CONTACT_GRACE:
            return Decision(
                "defer", until=now + CONTACT_RETRY, reason="waiting for the contact's record"
            )
        emailing = index < len(workflow.steps) and isinstance(workflow.steps[index], SendEmailStep)
        if emailing and age < EMAIL_PATIENCE:
            return Decision(
                "defer",
                until=now + EMAIL_RETRY,
                reason="the email waits for the contact's record (and address)",
            )
    if workflow.goal and all_hold(workflow.goal, contact):
        return Decision("finish", outcome="goal_reached", reason="the contact met the goal")
    if index >= len(workflow.steps):
        return Decision("finish", outcome="completed", reason="all steps done")
    step = workflow.steps[index]
    if isinstance(step, WaitStep):
        if waited_until is None:
            return Decision(
                "wait",
                until=now + timedelta(seconds=step.seconds),
                reason=f"waiting {step.seconds:g}s at {step.id}",
            )
        if now < waited_until:
            return Decision("wait", until=waited_until, reason=f"still waiting at {step.id}")
        return Decision("goto", step_index=index + 1, reason=f"wait {step.id} elapsed")
    if isinstance(step, WaitForStep):
        if arrived:
            return Decision("goto", step_index=index + 1, reason=f"{step.id}: the event came")
        if waited_until is None:
            return Decision(
                "wait",
                until=now + timedelta(seconds=step.timeout_seconds),
                reason=f"waiting for an event at {step.id}",
            )
        if now < waited_until:
            return Decision("wait", until=waited_until, reason=f"still waiting at {step.id}")
        if step.on_timeout == "exit":
            return Decision("finish", outcome="exited", reason=f"{step.id}: timed out, exit")
        goto = workflow.index(step.on_timeout) if step.on_timeout else index + 1
        return Decision("goto", step_index=goto, reason=f"{step.id}: timed out")
    if isinstance(step, IfStep):
        if all_hold(step.conditions, contact):
            target, why = step.then, "conditions held"
        else:
            target, why = step.else_, "conditions did not hold"
        if target == "exit":
            return Decision("finish", outcome="exited", reason=f"{step.id}: {why}, exit")
        goto = workflow.index(target) if target else index + 1
        return Decision("goto", step_index=goto, reason=f"{step.id}: {why}")
    if isinstance(step, ExitStep):
        return Decision("finish", outcome="exited", reason=f"exit step {step.id}")
    assert isinstance(
        step, SendEmailStep | TaskStep | UpdateContactStep | AssignOwnerStep | WebhookStep
    )
    return Decision("act", reason=f"{step.type} {step.id}")


ConsentPolicy = Literal["opt-out", "opt-in"]


def email_blocked(contact: dict[str, Any], consent: ConsentPolicy = "opt-out") -> str | None:
    """Why this contact must not be emailed, if they must not. Opt-out mails everyone who has
    not said no; opt-in only those who said yes (GDPR-style consent)."""
    if not contact.get("email"):
        return "no email address"
    if contact.get("unsubscribed"):
        return "unsubscribed"
    given = (contact.get("consent") or {}).get("email")
    if given == "denied":
        return "email consent denied"
    if consent == "opt-in" and given != "granted":
        return f"email consent {given or 'unknown'} (the consent policy is opt-in)"
    if contact.get("email_bounced"):
        return "address bounced (suppressed)"
    return None


def suppressed_because(reason: str) -> str:
    """Why an email was not sent to an address on the suppression list (its reason there)."""
    return f"address suppressed ({reason.replace('_', ' ')})"


# Interactions that put an address on the suppression list, and why.
SUPPRESSING = {"email_bounced": "hard_bounce", "email_unsubscribed": "unsubscribe"}
SUPPRESSION_REASONS = ("hard_bounce", "complaint", "unsubscribe", "manual")


def suppression_reason(interaction_type: str, properties: dict[str, Any]) -> str | None:
    """The suppression an interaction calls for: a bounce unless it says it was soft (a full
    mailbox passes), a complaint, an unsubscribe; None for anything else."""
    if interaction_type == "email_bounced":
        kind = bounce_kind(properties)
        return None if kind == "soft" else {"hard": "hard_bounce"}.get(kind, kind)
    return SUPPRESSING.get(interaction_type)


def backoff_seconds(attempt: int, cap: float = 300.0) -> float:
    """1 s, 2 s, 4 s, ... up to `cap`, after the `attempt`-th failure (1-based)."""
    return min(2.0 ** (attempt - 1), cap)
