"""Enrollments: who is in a workflow, where and why; enrolling a contact by hand."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, HTTPException, status
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SerializerFunctionWrapHandler,
    model_serializer,
)

from lodestone_common.auth import ApiKey, Scope
from lodestone_common.envelope import utcnow
from lodestone_common.processing import UnitOfWork

from ..domain.progress import progress
from ..domain.workflows import WorkflowDefinition
from .deps import AutomationDep, RunnerDep
from .workflows import missing

router = APIRouter(prefix="/v1", tags=["workflows"])


class Passage(BaseModel):
    at: datetime
    step: str | None = Field(None, description="the step's id (none: the enrollment itself)")
    what: str = Field(description="enrolled, act, wait, goto, finish…")
    why: str | None = None
    outcome: str | None = Field(None, description="what the step's action did")

    @model_serializer(mode="wrap")
    def _as_stored(self, handler: SerializerFunctionWrapHandler):  # type: ignore[no-untyped-def]
        # What a passage does not have is left out, as stored (`"outcome" in line`). No return
        # type: pydantic would document it instead of the fields.
        return {k: v for k, v in handler(self).items() if v is not None}


class Enrollment(BaseModel):
    id: str
    workflow_id: str
    version: int
    contact_id: str
    status: str = Field(description="active, waiting, completed, exited or goal_reached")
    step: int
    waiting_until: datetime | None
    enrolled_at: datetime
    cause: str
    history: list[Passage] = Field(description="what happened at each step and why")


class StepProgress(BaseModel):
    step_id: str
    here: int = Field(description="enrollments at this step now")
    waiting: int = Field(description="of those, how many wait (a delay or an event)")


class Progress(BaseModel):
    enrolled: int = Field(description="everyone ever enrolled")
    in_progress: int
    on_removed_steps: int = Field(description="in progress on a step a later version removed")
    completed: int
    goal_reached: int
    exited: int
    steps: list[StepProgress] = Field(description="the current version's steps, in order")


class ManualEnrollment(BaseModel):
    model_config = ConfigDict(extra="forbid")

    contact_id: str = Field(min_length=1, max_length=100)


def _enrollment(doc: dict[str, Any]) -> Enrollment:
    return Enrollment(
        id=doc["_id"],
        workflow_id=doc["workflow_id"],
        version=doc["version"],
        contact_id=doc["contact_id"],
        status=doc["status"],
        step=doc["step"],
        waiting_until=doc.get("waited_until"),
        enrolled_at=doc["enrolled_at"],
        cause=doc["cause"],
        history=doc.get("history", []),
    )


@router.get(
    "/workflows/{workflow_id}/enrollments",
    response_model=list[Enrollment],
    summary="Who is in this workflow, where, and why",
)
async def workflow_enrollments(
    workflow_id: str, automation: AutomationDep, key: ApiKey = Scope("workflows:read")
) -> list[Enrollment]:
    if await automation.stores.workflows.get(workflow_id) is None:
        raise missing(workflow_id)
    return [
        _enrollment(d) for d in await automation.stores.enrollments.of({"workflow_id": workflow_id})
    ]


@router.get(
    "/workflows/{workflow_id}/progress",
    response_model=Progress,
    summary="How many people are at each step, and how many finished how",
)
async def workflow_progress(
    workflow_id: str, automation: AutomationDep, key: ApiKey = Scope("workflows:read")
) -> dict[str, Any]:
    doc = await automation.stores.workflows.get(workflow_id)
    if doc is None:
        raise missing(workflow_id)
    step_ids = {
        v["version"]: [s["id"] for s in v["definition"]["steps"]]
        for v in await automation.stores.workflows.history(workflow_id)
    }
    current = [s["id"] for s in doc["definition"]["steps"]]
    return progress(await automation.stores.enrollments.tally(workflow_id), step_ids, current)


@router.post(
    "/workflows/{workflow_id}/enrollments",
    status_code=status.HTTP_201_CREATED,
    response_model=Enrollment,
    summary="Enroll a contact by hand",
    responses={409: {"description": "the enrollment policy refused"}},
)
async def enroll(
    workflow_id: str,
    body: ManualEnrollment,
    automation: AutomationDep,
    runner: RunnerDep,
    key: ApiKey = Scope("workflows:write"),
) -> Enrollment:
    doc = await automation.stores.workflows.get(workflow_id)
    if doc is None:
        raise missing(workflow_id)
    if doc["status"] != "active":
        raise HTTPException(status.HTTP_409_CONFLICT, f"the workflow is {doc['status']}")
    definition = WorkflowDefinition.model_validate(doc["definition"])

    async def work(uow: UnitOfWork) -> tuple[dict[str, Any] | None, str]:
        # The enrollment and its event in one transaction; the runner and the relay are
        # woken once both are durable.
        uow.on_commit(runner.wake)
        return await automation.enroll(
            doc, definition, body.contact_id, utcnow(), f"enrolled by {key.name}", uow
        )

    made, why = await automation.transactions.run(work)
    if made is None:
        raise HTTPException(status.HTTP_409_CONFLICT, why)
    return _enrollment(made)


@router.get(
    "/contacts/{contact_id}/enrollments",
    response_model=list[Enrollment],
    summary="Every workflow a contact is or was in, and why",
)
async def contact_enrollments(
    contact_id: str, automation: AutomationDep, key: ApiKey = Scope("workflows:read")
) -> list[Enrollment]:
    return [
        _enrollment(d) for d in await automation.stores.enrollments.of({"contact_id": contact_id})
    ]
