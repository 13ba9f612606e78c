"""The steps a workflow runs, in order (see workflows.py for the whole definition): waits,
branches, emails, tasks, contact updates, owner assignment, webhooks, exit."""

from __future__ import annotations

import re
from email.utils import parseaddr
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from lodestone_common.conditions import Condition
from lodestone_common.events import InteractionType, LifecycleStage

_ID = re.compile(r"^[a-z0-9][a-z0-9_-]{0,62}$")


class Strict(BaseModel):
    """A part of a workflow's JSON: unknown fields are mistakes, refused by name."""

    model_config = ConfigDict(extra="forbid")


_Base = Strict


# -- steps ------------------------------------------------------------------------------------


class _Step(_Base):
    id: str

    @field_validator("id")
    @classmethod
    def _id(cls, value: str) -> str:
        if not _ID.match(value):
            raise ValueError("step ids are lower-case letters, digits, '_' or '-'")
        return value


class WaitStep(_Step):
    type: Literal["wait"]
    seconds: float = Field(ge=0, le=366 * 86400, description="how long to wait")


class WaitForStep(_Step):
    """Wait until the contact does something (a matching interaction), at most
    `timeout_seconds`; on timeout go to `on_timeout` (a later step or 'exit')."""

    type: Literal["wait_for"]
    interaction_type: InteractionType | None = None
    event_name: str | None = None
    conditions: list[Condition] = Field(default_factory=list, max_length=20)
    timeout_seconds: float = Field(gt=0, le=366 * 86400)
    on_timeout: str | None = Field(default=None, description="step id or 'exit'; default next")

    @model_validator(mode="after")
    def _target(self) -> WaitForStep:
        if self.interaction_type is None and self.event_name is None:
            raise ValueError(f"wait_for {self.id!r} needs interaction_type or event_name")
        return self


class IfStep(_Step):
    """Go to `then` when every condition holds on the contact, else to `else`."""

    type: Literal["if"]
    conditions: list[Condition] = Field(min_length=1, max_length=20)
    then: str | None = Field(default=None, description="step id; default: the next step")
    else_: str = Field(alias="else", description="step id, or 'exit'")


class SendEmailStep(_Step):
    """An email: written inline (a subject and a text body), or an email template's."""

    type: Literal["send_email"]
    # One header line: a line break would let a subject add headers of its own.
    subject: str | None = Field(None, min_length=1, max_length=300, pattern=r"^[^\r\n]*$")
    body: str | None = Field(None, min_length=1, max_length=50_000)
    template_id: str | None = Field(
        None,
        min_length=1,
        max_length=64,
        description="an email template (/v1/email-templates): its latest version when sent, "
        "unless template_version pins one",
    )
    template_version: int | None = Field(None, ge=1)
    # One sender on a domain this installation may send from (checked when saving).
    from_: str | None = Field(default=None, alias="from", max_length=300)

    @model_validator(mode="after")
    def _one_content(self) -> SendEmailStep:
        inline = self.subject is not None or self.body is not None
        if self.template_id is not None and inline:
            raise ValueError("a template_id, or a subject and body: not both")
        if self.template_id is None and not (self.subject and self.body):
            raise ValueError("needs a subject and a body, or a template_id")
        if self.template_version is not None and self.template_id is None:
            raise ValueError("template_version goes with template_id")
        return self

    @field_validator("from_")
    @classmethod
    def _one_sender(cls, value: str | None) -> str | None:
        return one_sender(value)


def one_sender(value: str | None) -> str | None:
    """A `from` of one sender, or ValueError (for a model's validator)."""
    if value is not None and sender_domain(value) is None:
        raise ValueError("one sender, e.g. 'Ada <ada@example.com>'")
    return value


def sender_domain(value: str) -> str | None:
    """The domain of a single `Name <address>` or bare address, None for anything else."""
    if any(c in value for c in "\r\n,;"):
        return None
    _, address = parseaddr(value)
    local, at, domain = address.rpartition("@")
    if not (local and at and domain and "." in domain) or " " in address:
        return None
    return domain.lower()


class TaskStep(_Step):
    type: Literal["create_task"]
    kind: Literal["call", "meeting", "follow_up", "email"] = "call"
    title: str = Field(min_length=1, max_length=300)
    due_in_hours: float = Field(default=24, ge=0, le=24 * 365)
    # A reminder to the owner this long before it is due; none: no reminder.
    remind_before_minutes: int | None = Field(default=15, ge=0, le=7 * 24 * 60)


class UpdateContactStep(_Step):
    """Asks contacts (the only writer of contacts) to change fields, tags or the stage."""

    type: Literal["update_contact"]
    set: dict[str, Any] = Field(default_factory=dict)
    add_tags: list[str] = Field(default_factory=list)
    stage: LifecycleStage | None = None


class Territory(_Base):
    conditions: list[Condition] = Field(min_length=1, max_length=20)
    rep_id: str = Field(min_length=1, max_length=100)


class AssignOwnerStep(_Step):
    """Territory rules first (first match wins), else weighted round-robin over available reps
    (all reps, or those listed)."""

    type: Literal["assign_owner"]
    reps: list[str] = Field(default_factory=list, max_length=200)
    territories: list[Territory] = Field(default_factory=list, max_length=200)
    keep_existing: bool = Field(default=False, description="leave contacts that have an owner")


class WebhookStep(_Step):
    """POSTs the contact to `url`, signed with `secret` (header X-Lodestone-Signature:
    t=<unix time>,v1=<hex HMAC-SHA256 of "<t>.<body>">) and an Idempotency-Key; non-2xx
    answers are retried with exponential backoff, durably, up to `max_attempts`."""

    type: Literal["webhook"]
    url: str = Field(pattern=r"^https?://", max_length=2000)
    # As given: 8 to 200 characters (the API checks); as stored: sealed, so longer.
    secret: str = Field(min_length=8, max_length=1000)

    @field_validator("url")
    @classmethod
    def _reachable_shape(cls, value: str) -> str:
        try:
            parts = urlsplit(value)
            parts.port  # noqa: B018  (raises on a port out of range)
        except ValueError as exc:
            raise ValueError(f"not a URL: {exc}") from None
        if not parts.hostname:
            raise ValueError("a URL names a host")
        return value

    fields: list[str] = Field(
        default_factory=lambda: [
            "email",
            "first_name",
            "last_name",
            "company",
            "lifecycle_stage",
            "owner_id",
            "score",
            "grade",
        ]
    )
    max_attempts: int = Field(default=6, ge=1, le=20)


class ExitStep(_Step):
    type: Literal["exit"]


Step = Annotated[
    WaitStep
    | WaitForStep
    | IfStep
    | SendEmailStep
    | TaskStep
    | UpdateContactStep
    | AssignOwnerStep
    | WebhookStep
    | ExitStep,
    Field(discriminator="type"),
]
