"""A workflow walked for one contact without doing anything: the path it would take.

The same `decide` the runner uses, on what automation knows of the contact now, with every
wait taken as elapsed and every `wait_for` as timed out (the event it waits for may never
come), so the path shows what happens on each branch this contact would meet. Actions are
described, not performed; an email says whether it would be sent or why not.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from .engine import decide, email_blocked
from .workflows import SendEmailStep, TaskStep, WaitForStep, WaitStep, WorkflowDefinition

MAX_STEPS = 400  # jumps go forward only: a walk is never longer than twice the steps


def what(step: Any, contact: dict[str, Any], consent: str) -> str:
    if isinstance(step, SendEmailStep):
        blocked = email_blocked(contact, consent)  # type: ignore[arg-type]
        subject = step.subject or f"template {step.template_id}"
        return f"would not send “{subject}”: {blocked}" if blocked else f"sends “{subject}”"
    if isinstance(step, TaskStep):
        return f"creates the task “{step.title}”"
    return f"{step.type.replace('_', ' ')}"


def dry_run(
    workflow: WorkflowDefinition, contact: dict[str, Any], now: datetime, consent: str = "opt-out"
) -> dict[str, Any]:
    """{"path": [{step_id, type, what}], "outcome", "reason"} for `contact` enrolled now."""
    path: list[dict[str, Any]] = []
    index, clock, waited = 0, now, None
    for _ in range(MAX_STEPS):
        decision = decide(workflow, index, {**contact, "known": True}, clock, waited)
        step = workflow.steps[index] if index < len(workflow.steps) else None
        if decision.kind == "finish":
            return {"path": path, "outcome": decision.outcome, "reason": decision.reason}
        if decision.kind == "wait" and step is not None:
            assert decision.until is not None
            seconds = (decision.until - clock).total_seconds()
            kind = "waits for an event, up to" if isinstance(step, WaitForStep) else "waits"
            path.append({"step_id": step.id, "type": step.type, "what": f"{kind} {_span(seconds)}"})
            clock, waited = decision.until, decision.until  # taken as elapsed
            continue
        if decision.kind == "goto":
            assert decision.step_index is not None
            if step is not None and not isinstance(step, WaitStep):  # a branch, a timeout
                path.append({"step_id": step.id, "type": step.type, "what": decision.reason})
            index, waited = decision.step_index, None
            continue
        assert step is not None and decision.kind == "act"
        path.append({"step_id": step.id, "type": step.type, "what": what(step, contact, consent)})
        index, waited = index + 1, None
    return {"path": path, "outcome": "cut", "reason": f"more than {MAX_STEPS} steps: a loop?"}


def _span(seconds: float) -> str:
    span = timedelta(seconds=seconds)
    if span.days >= 1 and seconds % 86400 == 0:
        return f"{span.days} day{'s' * (span.days != 1)}"
    if seconds >= 3600 and seconds % 3600 == 0:
        return f"{seconds / 3600:g} hours"
    if seconds >= 60 and seconds % 60 == 0:
        return f"{seconds / 60:g} minutes"
    return f"{seconds:g} seconds"
