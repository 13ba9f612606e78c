"""`/v1/tasks`: what workflows asked sales reps to do."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from fastapi import APIRouter, HTTPException, Query, Request, status
from pydantic import BaseModel, ConfigDict

from lodestone_common.auth import ApiKey, Scope
from lodestone_common.envelope import utcnow

router = APIRouter(prefix="/v1/tasks", tags=["tasks"])


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
    done_at: datetime | None = None

    @classmethod
    def of(cls, doc: dict[str, Any]) -> Task:
        return cls(id=doc["_id"], **{k: v for k, v in doc.items() if k in cls.model_fields})


class TaskChange(BaseModel):
    model_config = ConfigDict(extra="forbid")

    status: Literal["open", "done"]


@router.get("", response_model=list[Task], summary="Tasks, soonest due first")
async def list_tasks(
    request: Request,
    owner_id: str | None = None,
    contact_id: str | None = None,
    status_: Literal["open", "done"] | None = Query(None, alias="status"),
    overdue: bool = False,
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
    if overdue:
        query.update(status="open", due_at={"$lt": utcnow()})
    return [Task.of(d) for d in await request.app.state.repo.list_tasks(query, limit)]


@router.patch("/{task_id}", response_model=Task, summary="Mark a task done (or open again)")
async def change(
    task_id: str, body: TaskChange, request: Request, key: ApiKey = Scope("tasks:write")
) -> Task:
    fields: dict[str, Any] = {
        "status": body.status,
        "done_at": utcnow() if body.status == "done" else None,
    }
    doc = await request.app.state.repo.update_task(task_id, fields)
    if doc is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no task {task_id!r}")
    return Task.of(doc)
