"""`/v1/scoring-models`: scoring models, their versions, and the re-scoring they start."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, HTTPException, status
from pydantic import BaseModel, Field

from lodestone_common.auth import ApiKey, Scope

from ..domain.models import ModelDefinition, model_id_ok
from ..registry import ModelExists
from ..trial import try_model
from .deps import JobsDep, RegistryDep, ScoringDep
from .scores import LedgerLine

router = APIRouter(prefix="/v1/scoring-models", tags=["scoring models"])


class ModelIn(ModelDefinition):
    id: str = Field(description="lower-case letters, digits, '_' or '-'")


class Job(BaseModel):
    id: str
    status: str = Field(description="running, done, superseded (a newer version's job) or failed")
    contacts: int = Field(description="contacts to re-score")
    done: int = Field(description="contacts re-scored so far")


class JobOut(Job):
    model_id: str
    version: int
    started_at: datetime
    finished_at: datetime | None


class ModelOut(BaseModel):
    id: str
    version: int
    definition: dict[str, Any]
    updated_at: datetime
    updated_by: str
    recompute: Job | None = Field(None, description="the re-scoring this change started")


class Version(BaseModel):
    version: int
    at: datetime
    by: str
    definition: dict[str, Any]


def _out(doc: dict[str, Any], job: dict[str, Any] | None = None) -> ModelOut:
    return ModelOut(
        id=doc["_id"],
        version=doc["version"],
        definition=doc["definition"],
        updated_at=doc["updated_at"],
        updated_by=doc["updated_by"],
        recompute=_job(job) if job else None,
    )


def _job(job: dict[str, Any]) -> Job:
    return Job(id=job["_id"], status=job["status"], contacts=job["contacts"], done=job["done"])


@router.get("", response_model=list[ModelOut], summary="Every scoring model")
async def list_models(
    registry: RegistryDep, key: ApiKey = Scope("scoring-models:read")
) -> list[ModelOut]:
    return [_out(d) for d in await registry.all()]


@router.post("/validate", summary="Check a model definition without saving it")
async def validate_model(
    body: ModelDefinition, key: ApiKey = Scope("scoring-models:read")
) -> dict[str, Any]:
    return {"valid": True, "rules": len(body.rules), "fit_rules": len(body.fit_rules)}


class Trial(BaseModel):
    definition: ModelDefinition
    contact_id: str = Field(min_length=1, max_length=100)


class TrialOut(BaseModel):
    contact_id: str
    interactions: int = Field(description="how many of the contact's interactions were replayed")
    score: float
    band: str
    fit: float
    grade: str
    qualified: bool
    ledger: list[LedgerLine]


@router.post(
    "/try",
    response_model=TrialOut,
    summary="What a draft model would give one contact, nothing saved",
    description="The score, band, fit, grade and whether they would qualify, with the ledger "
    "that explains it, from the contact's whole history under the draft. Errors in the draft "
    "name the rule that causes them (`body.definition.rules.2.points`).",
)
async def try_on_contact(
    body: Trial, scoring: ScoringDep, key: ApiKey = Scope("scoring-models:read")
) -> dict[str, Any]:
    if await scoring.stores.profiles.get(body.contact_id, None) is None:
        raise HTTPException(
            status.HTTP_404_NOT_FOUND, f"scoring knows no contact {body.contact_id!r} (yet)"
        )
    return await try_model(scoring.stores, body.definition, body.contact_id)


@router.post(
    "",
    response_model=ModelOut,
    status_code=status.HTTP_201_CREATED,
    summary="Create a model; existing contacts are scored in the background",
)
async def create_model(
    body: ModelIn,
    registry: RegistryDep,
    jobs: JobsDep,
    key: ApiKey = Scope("scoring-models:write"),
) -> ModelOut:
    if not model_id_ok(body.id):
        raise HTTPException(
            status.HTTP_422_UNPROCESSABLE_ENTITY,
            "id: lower-case letters, digits, '_' or '-' (max 63)",
        )
    definition = ModelDefinition.model_validate(body.model_dump(exclude={"id"}))
    try:
        doc = await registry.create(body.id, definition, key.name)
    except ModelExists as exc:
        raise HTTPException(status.HTTP_409_CONFLICT, f"model {body.id!r} exists") from exc
    return _out(doc, await jobs.start(body.id, doc["version"]) if definition.active else None)


@router.get("/{model_id}", response_model=ModelOut, summary="One model")
async def get_model(
    model_id: str, registry: RegistryDep, key: ApiKey = Scope("scoring-models:read")
) -> ModelOut:
    doc = await registry.get(model_id)
    if doc is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no model {model_id!r}")
    return _out(doc)


@router.put(
    "/{model_id}",
    response_model=ModelOut,
    summary="Change a model (a new version); history is re-scored in the background",
)
async def replace_model(
    model_id: str,
    body: ModelDefinition,
    registry: RegistryDep,
    jobs: JobsDep,
    key: ApiKey = Scope("scoring-models:write"),
) -> ModelOut:
    doc = await registry.replace(model_id, body, key.name)
    if doc is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no model {model_id!r}")
    return _out(doc, await jobs.start(model_id, doc["version"]) if body.active else None)


@router.get(
    "/{model_id}/versions",
    response_model=list[Version],
    summary="Every version of a model, newest first",
)
async def versions(
    model_id: str, registry: RegistryDep, key: ApiKey = Scope("scoring-models:read")
) -> list[Version]:
    found = await registry.history(model_id)
    if not found:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no model {model_id!r}")
    return [
        Version(version=v["version"], at=v["at"], by=v["by"], definition=v["definition"])
        for v in found
    ]


@router.get("/recompute/{job_id}", response_model=JobOut, summary="Progress of a re-scoring job")
async def recompute_job(
    job_id: str, jobs: JobsDep, key: ApiKey = Scope("scoring-models:read")
) -> JobOut:
    job = await jobs.get(job_id)
    if job is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no job {job_id!r}")
    return JobOut(
        **_job(job).model_dump(),
        model_id=job["model_id"],
        version=job["version"],
        started_at=job["started_at"],
        finished_at=job["finished_at"],
    )
