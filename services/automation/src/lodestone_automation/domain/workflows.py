"""Workflows as JSON a marketer can read: one trigger, an enrollment policy, a list of steps.

    {"name": "Pricing interest",
     "trigger": {"type": "interaction_count", "interaction_type": "page_visit",
                 "count": 3, "within_days": 7},
     "enrollment": {"policy": "once"},
     "steps": [{"id": "mail", "type": "send_email",
                "subject": "Hi {{first_name}}", "body": "Saw you looking at pricing..."}]}

Steps run in order; `if` and `wait_for` may jump to another step by id; `exit` ends.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import ConfigDict, Field, model_validator

from lodestone_common.conditions import Condition
from lodestone_common.events import InteractionType, LifecycleStage

from .steps import (
    AssignOwnerStep,
    ExitStep,
    IfStep,
    SendEmailStep,
    Step,
    Strict,
    TaskStep,
    Territory,
    UpdateContactStep,
    WaitForStep,
    WaitStep,
    WebhookStep,
    sender_domain,
)

__all__ = [
    "AssignOwnerStep",
    "DateOffsetTrigger",
    "Enrollment",
    "ExitStep",
    "FieldTrigger",
    "IfStep",
    "InteractionCountTrigger",
    "InteractionTrigger",
    "ManualTrigger",
    "QualifiedTrigger",
    "SegmentTrigger",
    "SendEmailStep",
    "StageTrigger",
    "Step",
    "TaskStep",
    "Territory",
    "Trigger",
    "UpdateContactStep",
    "WaitForStep",
    "WaitStep",
    "WebhookStep",
    "WorkflowDefinition",
    "sender_domain",
]

_Base = Strict


# -- triggers ---------------------------------------------------------------------------------


class InteractionTrigger(_Base):
    type: Literal["interaction"]
    interaction_type: InteractionType | None = None
    event_name: str | None = None
    conditions: list[Condition] = Field(default_factory=list, max_length=20)


class InteractionCountTrigger(_Base):
    """`count` matching interactions within the last `within_days` (a sliding window)."""

    type: Literal["interaction_count"]
    interaction_type: InteractionType | None = None
    event_name: str | None = None
    conditions: list[Condition] = Field(default_factory=list, max_length=20)
    count: int = Field(ge=1, le=1000)
    within_days: float = Field(gt=0, le=365)


class QualifiedTrigger(_Base):
    type: Literal["lead_qualified"]
    model_id: str = "default"


class StageTrigger(_Base):
    type: Literal["stage_changed"]
    to: LifecycleStage
    from_stage: LifecycleStage | None = Field(default=None, alias="from")


class FieldTrigger(_Base):
    type: Literal["field_changed"]
    field: str = Field(min_length=1, max_length=100)


class SegmentTrigger(_Base):
    type: Literal["segment_joined"]
    segment_id: str = Field(min_length=1)


class DateOffsetTrigger(_Base):
    """Enroll `offset_days` from a date field (e.g. -60: sixty days before contract end)."""

    type: Literal["date_offset"]
    field: str = Field(default="contract_end_date", min_length=1, max_length=100)
    offset_days: int = Field(ge=-3650, le=3650)


class ManualTrigger(_Base):
    type: Literal["manual"]


Trigger = Annotated[
    InteractionTrigger
    | InteractionCountTrigger
    | QualifiedTrigger
    | StageTrigger
    | FieldTrigger
    | SegmentTrigger
    | DateOffsetTrigger
    | ManualTrigger,
    Field(discriminator="type"),
]

# -- steps (steps.py) ------------------------------------------------------------------------


class Enrollment(_Base):
    policy: Literal["once", "every_time", "once_per_days"] = "once"
    days: float | None = Field(default=None, gt=0, le=3650)

    @model_validator(mode="after")
    def _days(self) -> Enrollment:
        if self.policy == "once_per_days" and self.days is None:
            raise ValueError("policy 'once_per_days' needs 'days'")
        return self


class WorkflowDefinition(_Base):
    model_config = ConfigDict(extra="forbid", populate_by_name=True, str_strip_whitespace=True)

    name: str = Field(min_length=1, max_length=200)
    description: str | None = Field(default=None, max_length=2000)
    trigger: Trigger
    enrollment: Enrollment = Field(default_factory=Enrollment)
    steps: list[Step] = Field(min_length=1, max_length=100)
    # Unenroll as soon as the contact meets these (e.g. became a customer).
    goal: list[Condition] = Field(default_factory=list, max_length=20)

    @model_validator(mode="after")
    def _steps_connect(self) -> WorkflowDefinition:
        ids = [s.id for s in self.steps]
        dupes = sorted({i for i in ids if ids.count(i) > 1})
        if dupes:
            raise ValueError(f"step id {dupes[0]!r} is used twice")
        for position, step in enumerate(self.steps):
            jumps: tuple[str | None, ...] = ()
            if isinstance(step, IfStep):
                jumps = (step.then, step.else_)
            elif isinstance(step, WaitForStep):
                jumps = (step.on_timeout,)
            if jumps:
                for target in jumps:
                    if target is None or target == "exit":
                        continue
                    if target not in ids:
                        raise ValueError(f"step {step.id!r} jumps to unknown step {target!r}")
                    # Forward only: no loops, so every action runs at most once per enrollment.
                    if ids.index(target) <= position:
                        raise ValueError(
                            f"step {step.id!r} may only jump forward, not to {target!r}"
                        )
        return self

    def index(self, step_id: str) -> int:
        return next(i for i, s in enumerate(self.steps) if s.id == step_id)
