"""`/v1/workflows`: define, validate, version, activate, pause, archive; templates."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, HTTPException, status
from pydantic import BaseModel, Field

from lodestone_common.auth import ApiKey, Scope
from lodestone_common.envelope import utcnow

from ..catalog import Catalog
from ..domain.dry_run import dry_run
from ..domain.templates_library import LIBRARY
from ..domain.workflows import WorkflowDefinition
from ..service import Automation
from ..stores import Conflict
from .checks import check_definition, masked, seal_secrets
from .deps import AutomationDep, CatalogDep, RunnerDep

router = APIRouter(prefix="/v1", tags=["workflows"])


class Workflow(BaseModel):
    id: str
    status: str = Field(description="draft, active, paused or archived")
    version: int
    definition: dict[str, Any]
    created_at: datetime
    updated_at: datetime


def _workflow(doc: dict[str, Any]) -> Workflow:
    return Workflow(
        id=doc["_id"],
        status=doc["status"],
        version=doc["version"],
        definition=masked(doc["definition"]),
        created_at=doc["created_at"],
        updated_at=doc["updated_at"],
    )


def missing(workflow_id: str) -> HTTPException:
    return HTTPException(status.HTTP_404_NOT_FOUND, f"no workflow {workflow_id!r}")


@router.post("/workflows/validate", summary="Check a definition; errors name the bad step")
async def validate(
    body: WorkflowDefinition, runner: RunnerDep, key: ApiKey = Scope("workflows:read")
) -> dict[str, Any]:
    # What saving would refuse, refused here too (a webhook to 169.254.169.254 is not valid).
    await check_definition(body, runner)
    return {"valid": True, "steps": [s.id for s in body.steps], "trigger": body.trigger.type}


class DryRun(BaseModel):
    definition: WorkflowDefinition
    contact_id: str = Field(min_length=1, max_length=100)


class Passed(BaseModel):
    step_id: str
    type: str
    what: str = Field(description="what the step would do, in words")


class Walk(BaseModel):
    contact_id: str
    path: list[Passed] = Field(description="the steps the contact would pass, in order")
    outcome: str = Field(description="how the enrollment would end: completed, goal, exited, cut")
    reason: str


@router.post(
    "/workflows/dry-run",
    response_model=Walk,
    summary="The path one contact would take through a definition, nothing done",
    description="Decided by the runner's own rules on what automation knows of the contact "
    "now, every wait taken as elapsed and every `wait_for` as timed out; emails say whether "
    "they would go, or why not. Errors in the definition name the step.",
)
async def dry_run_on_contact(
    body: DryRun,
    automation: AutomationDep,
    runner: RunnerDep,
    key: ApiKey = Scope("workflows:read"),
) -> dict[str, Any]:
    await check_definition(body.definition, runner)
    contact = await automation.stores.audience.contact(body.contact_id)
    if not contact.get("known"):
        raise HTTPException(
            status.HTTP_404_NOT_FOUND, f"automation knows no contact {body.contact_id!r} (yet)"
        )
    consent = runner.performer.settings.email_consent
    return {"contact_id": body.contact_id, **dry_run(body.definition, contact, utcnow(), consent)}


@router.post(
    "/workflows",
    status_code=status.HTTP_201_CREATED,
    response_model=Workflow,
    summary="Create a workflow (as a draft; activate it to start enrolling)",
)
async def create(
    body: WorkflowDefinition,
    automation: AutomationDep,
    runner: RunnerDep,
    key: ApiKey = Scope("workflows:write"),
) -> Workflow:
    await check_definition(body, runner)
    seal_secrets(body, None, runner.performer.sealer)
    return _workflow(await automation.stores.workflows.create(body, key.name))


@router.get("/workflows", response_model=list[Workflow], summary="Every workflow")
async def list_all(
    automation: AutomationDep, key: ApiKey = Scope("workflows:read")
) -> list[Workflow]:
    return [_workflow(d) for d in await automation.stores.workflows.all()]


@router.get("/workflows/{workflow_id}", response_model=Workflow, summary="One workflow")
async def get_one(
    workflow_id: str, automation: AutomationDep, key: ApiKey = Scope("workflows:read")
) -> Workflow:
    doc = await automation.stores.workflows.get(workflow_id)
    if doc is None:
        raise missing(workflow_id)
    return _workflow(doc)


@router.put(
    "/workflows/{workflow_id}",
    response_model=Workflow,
    summary="Change a workflow (a new version; running enrollments keep theirs)",
)
async def replace(
    workflow_id: str,
    body: WorkflowDefinition,
    automation: AutomationDep,
    runner: RunnerDep,
    catalog: CatalogDep,
    key: ApiKey = Scope("workflows:write"),
) -> Workflow:
    await check_definition(body, runner)
    seal_secrets(body, await automation.stores.workflows.get(workflow_id), runner.performer.sealer)
    try:
        doc = await automation.stores.workflows.replace(workflow_id, body, key.name)
    except Conflict as exc:
        raise HTTPException(status.HTTP_409_CONFLICT, str(exc)) from exc
    if doc is None:
        raise missing(workflow_id)
    await catalog.reload()
    return _workflow(doc)


async def _status(automation: Automation, catalog: Catalog, workflow_id: str, new: str) -> Workflow:
    try:
        doc = await automation.stores.workflows.set_status(workflow_id, new)
    except Conflict as exc:
        raise HTTPException(status.HTTP_409_CONFLICT, str(exc)) from exc
    if doc is None:
        raise missing(workflow_id)
    await catalog.reload()
    return _workflow(doc)


def _status_route(new: str):  # type: ignore[no-untyped-def]
    async def change(
        workflow_id: str,
        automation: AutomationDep,
        catalog: CatalogDep,
        key: ApiKey = Scope("workflows:write"),
    ) -> Workflow:
        return await _status(automation, catalog, workflow_id, new)

    return change


for _verb, _status_name, _summary in (
    ("activate", "active", "Start enrolling contacts whose events meet the trigger"),
    ("pause", "paused", "Stop enrolling and hold running enrollments where they are"),
    ("archive", "archived", "Retire a workflow for good"),
):
    _route = _status_route(_status_name)
    _route.__name__ = _verb
    router.add_api_route(
        f"/workflows/{{workflow_id}}/{_verb}",
        _route,
        methods=["POST"],
        response_model=Workflow,
        summary=_summary,
    )


@router.get("/workflows/{workflow_id}/versions", summary="Every version, newest first")
async def versions(
    workflow_id: str, automation: AutomationDep, key: ApiKey = Scope("workflows:read")
) -> list[dict[str, Any]]:
    found = await automation.stores.workflows.history(workflow_id)
    if not found:
        raise missing(workflow_id)
    return [
        {
            "version": v["version"],
            "at": v["at"],
            "by": v["by"],
            "definition": masked(v["definition"]),
        }
        for v in found
    ]


class WorkflowTemplate(BaseModel):
    name: str
    definition: WorkflowDefinition


@router.get(
    "/workflow-templates",
    response_model=list[WorkflowTemplate],
    summary="Ready-made workflows to start from",
)
async def templates(key: ApiKey = Scope("workflows:read")) -> list[WorkflowTemplate]:
    return [
        WorkflowTemplate(name=name, definition=WorkflowDefinition.model_validate(body))
        for name, body in LIBRARY.items()
    ]


@router.post(
    "/workflow-templates/{name}",
    status_code=status.HTTP_201_CREATED,
    response_model=Workflow,
    summary="Create a draft workflow from a template",
)
async def from_template(
    name: str, automation: AutomationDep, key: ApiKey = Scope("workflows:write")
) -> Workflow:
    if name not in LIBRARY:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no template {name!r}")
    definition = WorkflowDefinition.model_validate(LIBRARY[name])
    return _workflow(await automation.stores.workflows.create(definition, key.name))
