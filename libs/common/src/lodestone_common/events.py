"""Versioned event contracts (payloads of `Envelope`).

Evolution rule: a version only ever gains optional fields; a breaking change is a new
`schema_version` registered next to the old one, and both stay readable.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, ClassVar, Literal, get_args
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from .envelope import Envelope, utcnow
from .topics import AUTOMATION, CONTACTS, INTERACTIONS, SCORES


class EventPayload(BaseModel):
    """Base of every payload: knows its own `event_type` and `schema_version`."""

    model_config = ConfigDict(extra="ignore")

    event_type: ClassVar[str]
    schema_version: ClassVar[int] = 1

    def envelope(
        self,
        *,
        contact_id: str,
        producer: str,
        event_id: UUID | None = None,
        occurred_at: datetime | None = None,
        causation_id: UUID | None = None,
    ) -> Envelope:
        at = occurred_at or utcnow()
        if at.tzinfo is None or not contact_id or len(contact_id) > 100:
            raise ValueError("an envelope needs an aware occurred_at and a contact id")
        fields: dict[str, Any] = {
            "event_type": self.event_type,
            "schema_version": self.schema_version,
            "producer": producer,
            "contact_id": contact_id,
            "payload": self.model_dump(mode="json", exclude_none=True),
            "occurred_at": at,
            "causation_id": causation_id,
        }
        if event_id is not None:
            fields["event_id"] = event_id
        # Built from a payload validated as it was made: not validated a second time (the
        # hot path of every service); consumers validate what they read.
        return Envelope.model_construct(**fields)


LifecycleStage = Literal[
    "subscriber",
    "lead",
    "marketing_qualified",
    "sales_qualified",
    "opportunity",
    "customer",
    "lost",
    "disqualified",
]
# The forward path a prospect walks (reports count it as the funnel); the exits can be
# reached from any stage.
EXITS: tuple[LifecycleStage, ...] = ("lost", "disqualified")
FUNNEL: tuple[LifecycleStage, ...] = tuple(s for s in get_args(LifecycleStage) if s not in EXITS)
# Fit grades, best first; F is what a contact with no fit data gets.
Grade = Literal["A", "B", "C", "D", "E", "F"]
GRADES: tuple[Grade, ...] = get_args(Grade)

InteractionType = Literal[
    "page_visit",
    "email_sent",
    "email_opened",
    "email_clicked",
    "email_bounced",
    "email_unsubscribed",
    "form_submitted",
    "call_logged",
    "meeting_held",
    "purchase",
    "identify",
    "custom",
]


class ContactSnapshot(BaseModel):
    """The contact fields other services may keep a copy of (no free-form notes)."""

    model_config = ConfigDict(extra="allow")

    email: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    company: str | None = None
    title: str | None = None
    phone: str | None = None
    source: str | None = None
    lifecycle_stage: LifecycleStage | None = None
    owner_id: str | None = None
    tags: list[str] = Field(default_factory=list)
    country: str | None = None
    contract_end_date: date | None = None
    # What fit rules and segments read, typed once here for every reader.
    company_size: int | None = None
    industry: str | None = None
    age: int | None = None
    gender: str | None = None
    income_band: str | None = None
    preferred_payment_method: str | None = None
    purchase_purpose: str | None = None
    # Consent and suppression travel with the contact so no service mails against them.
    unsubscribed: bool | None = None
    consent: dict[str, Any] | None = None
    email_bounced: bool | None = None
    custom: dict[str, Any] = Field(default_factory=dict)


class InteractionContext(BaseModel):
    """The contact as it stood when the interaction was resolved (event-carried state), so
    consumers attribute it to an owner, source and segments without racing the contacts
    topic, and a replay attributes it the same way again."""

    model_config = ConfigDict(extra="ignore")

    owner_id: str | None = None
    owner_assigned_at: datetime | None = None
    source: str | None = None
    lifecycle_stage: LifecycleStage | None = None
    segments: list[str] = Field(default_factory=list)


class InteractionRecorded(EventPayload):
    """A resolved interaction of one contact, on the interactions topic."""

    event_type: ClassVar[str] = "interaction.recorded"

    interaction_type: InteractionType
    name: str = Field(min_length=1, max_length=200)
    channel: str | None = None
    properties: dict[str, Any] = Field(default_factory=dict)
    # The integrator's event id when it differs from the envelope's.
    source_event_id: str | None = None
    context: InteractionContext | None = None


class ContactCreated(EventPayload):
    event_type: ClassVar[str] = "contact.created"

    contact: ContactSnapshot
    anonymous: bool = False


class ContactUpdated(EventPayload):
    event_type: ClassVar[str] = "contact.updated"

    changes: dict[str, Any]
    previous: dict[str, Any] = Field(default_factory=dict)
    changed_by: str | None = None


class ContactStageChanged(EventPayload):
    event_type: ClassVar[str] = "contact.stage_changed"

    from_stage: LifecycleStage | None
    to_stage: LifecycleStage
    changed_by: str
    reason: str | None = None


class ContactOwnerAssigned(EventPayload):
    event_type: ClassVar[str] = "contact.owner_assigned"

    owner_id: str | None
    previous_owner_id: str | None = None
    assigned_by: str


class ContactMerged(EventPayload):
    """`contact_id` of the envelope is the survivor; every service re-keys `merged_ids` to it."""

    event_type: ClassVar[str] = "contact.merged"

    merged_ids: list[str] = Field(min_length=1)
    merged_by: str


class ContactErased(EventPayload):
    """GDPR erase: every service deletes what it holds about `contact_id`."""

    event_type: ClassVar[str] = "contact.erased"

    requested_by: str


class ContactSegmentsChanged(EventPayload):
    """The contact joined or left saved segments (dynamic lists kept in step by contacts)."""

    event_type: ClassVar[str] = "contact.segments_changed"

    joined: list[str] = Field(default_factory=list)
    left: list[str] = Field(default_factory=list)


class ScoreChanged(EventPayload):
    event_type: ClassVar[str] = "score.changed"

    model_id: str
    score: float
    previous_score: float
    grade: Grade | None = None
    band: str | None = None
    cause_event_id: UUID | None = None


class LeadQualified(EventPayload):
    event_type: ClassVar[str] = "lead.qualified"

    model_id: str
    score: float
    grade: Grade | None = None
    threshold: float


class LeadDisqualified(EventPayload):
    event_type: ClassVar[str] = "lead.disqualified"

    model_id: str
    score: float
    grade: Grade | None = None
    threshold: float


class WorkflowActionPerformed(EventPayload):
    event_type: ClassVar[str] = "workflow.action_performed"

    workflow_id: str
    enrollment_id: str
    step_id: str
    action: str
    outcome: Literal["succeeded", "failed", "skipped"]
    detail: dict[str, Any] = Field(default_factory=dict)


class WorkflowEnrollmentChanged(EventPayload):
    """A contact entered a workflow or left it (with how it left)."""

    event_type: ClassVar[str] = "workflow.enrollment_changed"
    workflow_id: str
    workflow_name: str | None = None
    enrollment_id: str
    status: Literal["enrolled", "completed", "exited", "goal_reached"]
    reason: str | None = None


class TaskChanged(EventPayload):
    """A sales task was created for a rep, or its status changed."""

    event_type: ClassVar[str] = "task.changed"
    task_id: str
    owner_id: str | None = None
    kind: str
    status: Literal["open", "done"]
    due_at: datetime
    created_at: datetime
    done_at: datetime | None = None
    workflow_id: str | None = None
    # How a done task went (e.g. "connected", "voicemail"), as the rep recorded it.
    outcome: str | None = None


class RepChanged(EventPayload):
    """A sales rep was added, changed or removed. No contact is involved: the envelope's key
    is `rep:<rep_id>` (see rep_key), so one rep's changes stay in order."""

    event_type: ClassVar[str] = "rep.changed"
    rep_id: str = Field(min_length=1, max_length=100)
    name: str | None = None
    team: str | None = Field(None, max_length=100, description="reps are compared within it")
    available: bool = True
    removed: bool = False


def rep_key(rep_id: str) -> str:
    """The partition key (the envelope's contact_id) of a rep's events."""
    return f"rep:{rep_id}"


# The event types of each topic (keyed by contact id; a rep's by rep_key).
CONTACT_EVENTS: tuple[type[EventPayload], ...] = (
    ContactCreated,
    ContactUpdated,
    ContactStageChanged,
    ContactOwnerAssigned,
    ContactMerged,
    ContactErased,
    ContactSegmentsChanged,
)
SCORE_EVENTS: tuple[type[EventPayload], ...] = (ScoreChanged, LeadQualified, LeadDisqualified)
AUTOMATION_EVENTS: tuple[type[EventPayload], ...] = (
    WorkflowActionPerformed,
    WorkflowEnrollmentChanged,
    TaskChanged,
    RepChanged,
)
PAYLOAD_TYPES: tuple[type[EventPayload], ...] = (
    InteractionRecorded,
    *CONTACT_EVENTS,
    *SCORE_EVENTS,
    *AUTOMATION_EVENTS,
)
# The one topic each event type is published on.
TOPIC_OF: dict[str, str] = {
    InteractionRecorded.event_type: INTERACTIONS,
    **{t.event_type: CONTACTS for t in CONTACT_EVENTS},
    **{t.event_type: SCORES for t in SCORE_EVENTS},
    **{t.event_type: AUTOMATION for t in AUTOMATION_EVENTS},
}

REGISTRY: dict[tuple[str, int], type[EventPayload]] = {
    (t.event_type, t.schema_version): t for t in PAYLOAD_TYPES
}


class UnknownEventType(ValueError):
    pass


def parse_payload(envelope: Envelope) -> EventPayload:
    """The typed payload of an envelope; raises on an unknown type/version or a bad payload."""
    model = REGISTRY.get((envelope.event_type, envelope.schema_version))
    if model is None:
        raise UnknownEventType(
            f"unknown event type {envelope.event_type!r} v{envelope.schema_version}"
        )
    return model.model_validate(envelope.payload)


__all__ = [
    "AUTOMATION_EVENTS",
    "CONTACT_EVENTS",
    "PAYLOAD_TYPES",
    "REGISTRY",
    "SCORE_EVENTS",
    "TOPIC_OF",
    "ContactCreated",
    "ContactErased",
    "ContactMerged",
    "ContactOwnerAssigned",
    "ContactSegmentsChanged",
    "ContactSnapshot",
    "ContactStageChanged",
    "ContactUpdated",
    "EventPayload",
    "InteractionContext",
    "InteractionRecorded",
    "LeadDisqualified",
    "LeadQualified",
    "LifecycleStage",
    "RepChanged",
    "ScoreChanged",
    "TaskChanged",
    "UnknownEventType",
    "ValidationError",
    "WorkflowActionPerformed",
    "WorkflowEnrollmentChanged",
    "parse_payload",
    "rep_key",
]
