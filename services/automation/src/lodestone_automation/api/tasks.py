"""`/v1/tasks`: what workflows asked sales reps to do."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal
from uuid import uuid4

from fastapi import APIRouter, HTTPException, Query, status
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator

from lodestone_common.auth import ApiKey, Scope
from lodestone_common.envelope import utcnow
from lodestone_common.people import check_change

from ..domain.reminders import DEFAULT_MINUTES, escalate_at, remind_at, timing
from .deps import AutomationDep, SettingsDep

router = APIRouter(prefix="/v1/tasks", tags=["tasks"])


TaskKind = Literal["call", "email", "meeting", "follow_up", "visit", "todo"]


class Task(BaseModel):
    id: str
    contact_id: str
    owner_id: str | None
    kind: str
    title: str
    status: str
    due_at: datetime
    workflow_id: str | None = None
    created_at: datetime
    created_by: str | None = None
    done_at: datetime | None = None
    done_by: str | None = None
    outcome: str | None = None
    note: str | None = None
    remind_before_minutes: int | None = Field(None, description="none: no reminder")
    remind_at: datetime | None = Field(None, description="when the reminder goes (not yet sent)")
    reminded_at: datetime | None = Field(None, description="when the rep was reminded")
    escalate_at: datetime | None = Field(None, description="when, undone, it goes to the manager")
    escalated_at: datetime | None = Field(None, description="when the manager was told")

    @classmethod
    def of(cls, doc: dict[str, Any]) -> Task:
        return cls(id=doc["_id"], **{k: v for k, v in doc.items() if k in cls.model_fields})


class TaskDraft(BaseModel):
    """A task a person sets for a contact: a call to make, a visit, a meeting to prepare."""

    model_config = ConfigDict(extra="forbid")

    contact_id: str = Field(min_length=1, max_length=64)
    kind: TaskKind = "call"
    title: str = Field(min_length=1, max_length=200)
    due_at: AwareDatetime
    # Whose task it is: a rep id; by default the rep creating it, else the contact's owner.
    owner_id: str | None = Field(None, min_length=1, max_length=64)
    note: str | None = Field(None, max_length=5000)
    remind_before_minutes: int | None = Field(
        DEFAULT_MINUTES,
        ge=0,
        le=7 * 24 * 60,
        description="a reminder to the rep this long before it is due (email and the "
        "console's feed); none: no reminder",
    )


class TaskChange(BaseModel):
    """Done (with how it went), open again, snoozed to a new time or handed to another rep."""

    model_config = ConfigDict(extra="forbid")

    status: Literal["open", "done"] | None = None
    outcome: str | None = Field(None, min_length=1, max_length=64)
    note: str | None = Field(None, max_length=5000)
    due_at: AwareDatetime | None = None
    owner_id: str | None = Field(None, min_length=1, max_length=64)
    remind_before_minutes: int | None = Field(None, ge=0, le=7 * 24 * 60)

    @model_validator(mode="after")
    def _something(self) -> TaskChange:
        if not self.model_fields_set:
            raise ValueError(
                "send at least one of status, outcome, note, due_at, owner_id, "
                "remind_before_minutes"
            )
        if self.outcome is not None and self.status != "done":
            raise ValueError("an outcome goes with status 'done'")
        return self


@router.get("", response_model=list[Task], summary="Tasks, soonest due first")
async def list_tasks(
    automation: AutomationDep,
    owner_id: str | None = None,
    contact_id: str | None = None,
    status_: Literal["open", "done"] | None = Query(None, alias="status"),
    overdue: bool = False,
    due_before: AwareDatetime | None = Query(None, description="only tasks due before this"),
    limit: int = Query(100, ge=1, le=1000),
    key: ApiKey = Scope("tasks:read"),
) -> list[Task]:
    query: dict[str, Any] = {}
    if owner_id:
        query["owner_id"] = owner_id
    if contact_id:
        query["contact_id"] = contact_id
    if status_:
        query["status"] = status_
    if due_before:
        query["due_at"] = {"$lt": due_before}
    if overdue:
        query.update(status="open", due_at={"$lt": utcnow()})
    return [Task.of(d) for d in await automation.stores.tasks.list(query, limit)]


@router.post(
    "",
    response_model=Task,
    status_code=status.HTTP_201_CREATED,
    summary="Set a task for a contact (a call, visit, meeting)",
)
async def create(
    body: TaskDraft,
    automation: AutomationDep,
    settings: SettingsDep,
    key: ApiKey = Scope("tasks:write"),
) -> Task:
    contact = await automation.stores.audience.contact(body.contact_id)
    if set(contact) == {"_id"}:  # not (yet) in automation's audience
        raise HTTPException(
            status.HTTP_404_NOT_FOUND,
            f"no contact {body.contact_id!r} (a new contact takes a moment to reach automation)",
        )
    owner = body.owner_id or getattr(key, "rep_id", None) or contact.get("owner_id")
    now = utcnow()
    task = {
        "_id": f"task_{uuid4().hex}",
        "contact_id": body.contact_id,
        "owner_id": owner,
        "kind": body.kind,
        "title": body.title,
        "status": "open",
        "due_at": body.due_at,
        "note": body.note,
        "remind_before_minutes": body.remind_before_minutes,
        "remind_at": remind_at(body.due_at, body.remind_before_minutes),
        "escalate_at": escalate_at(body.due_at, settings.escalate_after_hours),
        "created_at": now,
        "created_by": key.name,
    }
    return Task.of(await automation.add_task(task))


@router.patch("/{task_id}", response_model=Task, summary="Complete, reopen, snooze or reassign")
async def change(
    task_id: str,
    body: TaskChange,
    automation: AutomationDep,
    settings: SettingsDep,
    key: ApiKey = Scope("tasks:write"),
) -> Task:
    current = await automation.stores.tasks.get(task_id)
    if current is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no task {task_id!r}")
    check_change(key, "tasks", current.get("owner_id"), f"task {task_id!r}")
    fields: dict[str, Any] = body.model_dump(exclude_unset=True, exclude={"status"})
    if body.status is not None:
        done = body.status == "done"
        fields.update(
            status=body.status,
            done_at=utcnow() if done else None,
            done_by=key.name if done else None,
        )
        if not done:
            fields["outcome"] = None
    fields.update(timing(fields, current, settings.escalate_after_hours))
    fields["updated_at"] = utcnow()
    doc = await automation.update_task(task_id, fields)
    if doc is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no task {task_id!r}")
    return Task.of(doc)
