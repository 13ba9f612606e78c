"""`/v1/workflows`: define, validate, version, activate, pause, archive; enrollments."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from fastapi import APIRouter, HTTPException, status
from pydantic import BaseModel, ConfigDict, Field

from lodestone_common.auth import ApiKey, Scope
from lodestone_common.envelope import utcnow
from lodestone_common.processing import UnitOfWork
from lodestone_common.sealing import Sealer

from ..catalog import Catalog
from ..domain.destinations import DestinationPolicy
from ..domain.templates_library import LIBRARY
from ..domain.workflows import SendEmailStep, WebhookStep, WorkflowDefinition, sender_domain
from ..runner import Runner
from ..service import Automation
from ..stores import Conflict
from .deps import AutomationDep, CatalogDep, RunnerDep, TransactionsDep

router = APIRouter(prefix="/v1", tags=["workflows"])


class Workflow(BaseModel):
    id: str
    status: str = Field(description="draft, active, paused or archived")
    version: int
    definition: dict[str, Any]
    created_at: datetime
    updated_at: datetime


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
    history: list[dict[str, Any]] = Field(description="what happened at each step and why")


class ManualEnrollment(BaseModel):
    model_config = ConfigDict(extra="forbid")

    contact_id: str = Field(min_length=1, max_length=100)


# Secrets are write-only: what any read shows instead of a webhook's signing secret. Sent back
# unchanged in a PUT, it keeps the secret the step (same id) has.
MASK = "********"
MAX_SECRET = 200


def masked(definition: dict[str, Any]) -> dict[str, Any]:
    return {
        **definition,
        "steps": [
            {**step, "secret": MASK} if step.get("type") == "webhook" else step
            for step in definition.get("steps", [])
        ],
    }


def check_definition(body: WorkflowDefinition, runner: Runner) -> None:
    """What this installation refuses to save (and so to validate): webhooks to the inside,
    senders on other domains; 422 naming the step."""
    check_destinations(body, runner.policy)
    check_senders(body, runner.settings.sender_domains())


def check_senders(body: WorkflowDefinition, allowed: set[str]) -> None:
    """An email step's sender on a domain this installation sends from, or 422."""
    for index, step in enumerate(body.steps):
        if isinstance(step, SendEmailStep) and step.from_:
            domain = sender_domain(step.from_)
            if domain not in allowed:
                raise HTTPException(
                    status.HTTP_422_UNPROCESSABLE_ENTITY,
                    f"steps.{index}.from: {domain} is not a sending domain here (allowed: "
                    f"{', '.join(sorted(allowed))}; LODESTONE_MAIL_SENDER_DOMAINS adds more)",
                )


def check_destinations(body: WorkflowDefinition, policy: DestinationPolicy) -> None:
    """Webhook URLs given as an address the policy refuses: 422 when saving, not at run time."""
    for index, step in enumerate(body.steps):
        if isinstance(step, WebhookStep):
            why = policy.literal_refusal(urlsplit(step.url).hostname or "")
            if why:
                raise HTTPException(
                    status.HTTP_422_UNPROCESSABLE_ENTITY,
                    f"steps.{index}.url: refused by policy: {why} (webhooks may not call "
                    "this machine or a private network unless "
                    "LODESTONE_WEBHOOK_ALLOWED_NETWORKS allows it)",
                )


def seal_secrets(body: WorkflowDefinition, current: dict[str, Any] | None, sealer: Sealer) -> None:
    """Webhook secrets as they are stored: a masked one is the stored step's (of the same id,
    else 422), a new one is sealed (encrypted, so the database never holds it readable)."""
    keep_secrets(body, current)
    stored = _stored(current)
    for index, step in enumerate(body.steps):
        if isinstance(step, WebhookStep) and step.secret != stored.get(step.id):
            if sealer.is_sealed(step.secret) or len(step.secret) > MAX_SECRET:
                raise HTTPException(
                    status.HTTP_422_UNPROCESSABLE_ENTITY,
                    f"steps.{index}.secret: 8 to {MAX_SECRET} characters of your own",
                )
            step.secret = sealer.seal(step.secret)


def _stored(current: dict[str, Any] | None) -> dict[str, str]:
    return {
        step.get("id"): step.get("secret")
        for step in (current or {}).get("definition", {}).get("steps", [])
        if step.get("type") == "webhook"
    }


def keep_secrets(body: WorkflowDefinition, current: dict[str, Any] | None) -> None:
    """Fill each masked secret from the stored step of the same id; 422 when there is none."""
    stored = _stored(current)
    for index, step in enumerate(body.steps):
        if isinstance(step, WebhookStep) and step.secret == MASK:
            if not stored.get(step.id):
                raise HTTPException(
                    status.HTTP_422_UNPROCESSABLE_ENTITY,
                    f"steps.{index}.secret: {MASK} keeps an existing step's secret; step "
                    f"{step.id!r} has none: give its secret",
                )
            step.secret = stored[step.id]


def _workflow(doc: dict[str, Any]) -> Workflow:
    return Workflow(
        id=doc["_id"],
        status=doc["status"],
        version=doc["version"],
        definition=masked(doc["definition"]),
        created_at=doc["created_at"],
        updated_at=doc["updated_at"],
    )


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


def _missing(workflow_id: str) -> HTTPException:
    return HTTPException(status.HTTP_404_NOT_FOUND, f"no workflow {workflow_id!r}")


@router.post("/workflows/validate", summary="Check a definition; errors name the bad step")
async def validate(
    body: WorkflowDefinition, runner: RunnerDep, key: ApiKey = Scope("workflows:read")
) -> dict[str, Any]:
    # What saving would refuse, refused here too (a webhook to 169.254.169.254 is not valid).
    check_definition(body, runner)
    return {"valid": True, "steps": [s.id for s in body.steps], "trigger": body.trigger.type}


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
    check_definition(body, runner)
    seal_secrets(body, None, runner.sealer)
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
        raise _missing(workflow_id)
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
    check_definition(body, runner)
    seal_secrets(body, await automation.stores.workflows.get(workflow_id), runner.sealer)
    try:
        doc = await automation.stores.workflows.replace(workflow_id, body, key.name)
    except Conflict as exc:
        raise HTTPException(status.HTTP_409_CONFLICT, str(exc)) from exc
    if doc is None:
        raise _missing(workflow_id)
    await catalog.reload()
    return _workflow(doc)


async def _status(automation: Automation, catalog: Catalog, workflow_id: str, new: str) -> Workflow:
    try:
        doc = await automation.stores.workflows.set_status(workflow_id, new)
    except Conflict as exc:
        raise HTTPException(status.HTTP_409_CONFLICT, str(exc)) from exc
    if doc is None:
        raise _missing(workflow_id)
    await catalog.reload()
    return _workflow(doc)


@router.post(
    "/workflows/{workflow_id}/activate",
    response_model=Workflow,
    summary="Start enrolling contacts whose events meet the trigger",
)
async def activate(
    workflow_id: str,
    automation: AutomationDep,
    catalog: CatalogDep,
    key: ApiKey = Scope("workflows:write"),
) -> Workflow:
    return await _status(automation, catalog, workflow_id, "active")


@router.post(
    "/workflows/{workflow_id}/pause",
    response_model=Workflow,
    summary="Stop enrolling and hold running enrollments where they are",
)
async def pause(
    workflow_id: str,
    automation: AutomationDep,
    catalog: CatalogDep,
    key: ApiKey = Scope("workflows:write"),
) -> Workflow:
    return await _status(automation, catalog, workflow_id, "paused")


@router.post(
    "/workflows/{workflow_id}/archive",
    response_model=Workflow,
    summary="Retire a workflow for good",
)
async def archive(
    workflow_id: str,
    automation: AutomationDep,
    catalog: CatalogDep,
    key: ApiKey = Scope("workflows:write"),
) -> Workflow:
    return await _status(automation, catalog, workflow_id, "archived")


@router.get("/workflows/{workflow_id}/versions", summary="Every version, newest first")
async def versions(
    workflow_id: str, automation: AutomationDep, key: ApiKey = Scope("workflows:read")
) -> list[dict[str, Any]]:
    found = await automation.stores.workflows.history(workflow_id)
    if not found:
        raise _missing(workflow_id)
    return [
        {
            "version": v["version"],
            "at": v["at"],
            "by": v["by"],
            "definition": masked(v["definition"]),
        }
        for v in found
    ]


@router.get(
    "/workflows/{workflow_id}/enrollments",
    response_model=list[Enrollment],
    summary="Who is in this workflow, where, and why",
)
async def workflow_enrollments(
    workflow_id: str, automation: AutomationDep, key: ApiKey = Scope("workflows:read")
) -> list[Enrollment]:
    if await automation.stores.workflows.get(workflow_id) is None:
        raise _missing(workflow_id)
    return [
        _enrollment(d) for d in await automation.stores.enrollments.of({"workflow_id": workflow_id})
    ]


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
    transactions: TransactionsDep,
    key: ApiKey = Scope("workflows:write"),
) -> Enrollment:
    doc = await automation.stores.workflows.get(workflow_id)
    if doc is None:
        raise _missing(workflow_id)
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

    made, why = await transactions.run(work)
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


@router.get("/workflow-templates", summary="Ready-made workflows to start from")
async def templates(key: ApiKey = Scope("workflows:read")) -> list[dict[str, Any]]:
    return [{"name": name, "definition": body} for name, body in LIBRARY.items()]


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
