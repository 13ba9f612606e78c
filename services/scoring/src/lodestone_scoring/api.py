"""Scoring's HTTP API: scores with the ledger that explains them, and scoring models."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, HTTPException, Request, status
from pydantic import BaseModel, Field

from lodestone_common.auth import ApiKey, Scope
from lodestone_common.envelope import utcnow

from .domain.defaults import DEFAULT_MODEL_ID
from .domain.ledger import (
    ScoreState,
    band_for,
    fit_points,
    grade_for,
    qualifies,
    score_at,
    weight,
)
from .domain.models import ModelDefinition, model_id_ok
from .domain.predictive import features
from .jobs import RecomputeJobs
from .registry import ModelExists, ModelRegistry
from .repository import ScoringRepository

router = APIRouter(prefix="/v1", tags=["scores"])
models_router = APIRouter(prefix="/v1/scoring-models", tags=["scoring models"])


class LedgerEntry(BaseModel):
    rule_id: str
    rule_name: str
    event_id: str
    at: datetime
    points: float = Field(description="points awarded (after any cap)")
    requested: float = Field(description="the rule's points before its cap")
    capped: bool
    counts_now: float = Field(description="points after decay, as they count in `score` now")
    model_version: int


class ModelScore(BaseModel):
    model_id: str
    model_name: str
    score: float
    grade: str
    band: str
    qualified: bool
    fit_points: float
    fit_rules: list[str]
    last_activity: datetime | None
    entries: list[LedgerEntry]


class Predictive(BaseModel):
    probability: float = Field(description="chance of becoming a customer, learned from outcomes")
    factors: list[dict[str, Any]] = Field(description="features that weigh most, + for converting")
    trained_on: dict[str, int]


class Score(BaseModel):
    contact_id: str
    score: float = Field(description="the default model's score")
    grade: str
    band: str
    models: list[ModelScore]
    predictive: Predictive | None = Field(
        description="shown next to the rule score, never replacing it; null until at least "
        "5 converted and 5 lost contacts were seen"
    )


@router.get(
    "/scores/{contact_id}",
    response_model=Score,
    summary="A contact's scores, grades and the ledger entries that explain them",
)
async def get_score(contact_id: str, request: Request, key: ApiKey = Scope("scores:read")) -> Score:
    repo: ScoringRepository = request.app.state.scoring
    registry: ModelRegistry = request.app.state.registry
    view = await repo.contact_view(contact_id)
    if view is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no score for contact {contact_id!r}")
    now = utcnow()
    results = []
    for model_id, (_, model) in sorted(registry.active().items()):
        state = ScoreState.of(view["states"].get(model_id))
        score = round(score_at(state, model.decay, now), 2)
        fit, matched = fit_points(model, {k: v for k, v in view["profile"].items() if k != "_id"})
        grade = state.grade if view["states"].get(model_id) else grade_for(model, fit)
        entries = [
            LedgerEntry(
                **{
                    k: e[k]
                    for k in (
                        "rule_id",
                        "rule_name",
                        "event_id",
                        "at",
                        "points",
                        "requested",
                        "capped",
                        "model_version",
                    )
                },
                counts_now=round(
                    e["points"] * weight(model.decay, e["at"], state.last_activity, now), 4
                ),
            )
            for e in view["ledger"].get(model_id, [])
        ]
        results.append(
            ModelScore(
                model_id=model_id,
                model_name=model.name,
                score=score,
                grade=grade,
                band=band_for(model, score),
                qualified=qualifies(model, score, grade),
                fit_points=fit,
                fit_rules=matched,
                last_activity=state.last_activity,
                entries=entries,
            )
        )
    primary = next(
        (m for m in results if m.model_id == DEFAULT_MODEL_ID), results[0] if results else None
    )
    prediction = (await repo.predictor()).predict(features(view["profile"]))
    return Score(
        contact_id=contact_id,
        predictive=Predictive(
            probability=prediction.probability,
            factors=[f.__dict__ for f in prediction.factors],
            trained_on=prediction.trained_on,
        )
        if prediction
        else None,
        score=primary.score if primary else 0.0,
        grade=primary.grade if primary else "F",
        band=primary.band if primary else "cold",
        models=results,
    )


class ModelIn(ModelDefinition):
    id: str = Field(description="lower-case letters, digits, '_' or '-'")


class ModelOut(BaseModel):
    id: str
    version: int
    definition: dict[str, Any]
    updated_at: datetime
    updated_by: str
    recompute: dict[str, Any] | None = None


def _out(doc: dict[str, Any], job: dict[str, Any] | None = None) -> ModelOut:
    return ModelOut(
        id=doc["_id"],
        version=doc["version"],
        definition=doc["definition"],
        updated_at=doc["updated_at"],
        updated_by=doc["updated_by"],
        recompute=_job(job) if job else None,
    )


def _job(job: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": job["_id"],
        "status": job["status"],
        "contacts": job["contacts"],
        "done": job["done"],
    }


@models_router.get("", response_model=list[ModelOut], summary="Every scoring model")
async def list_models(
    request: Request, key: ApiKey = Scope("scoring-models:read")
) -> list[ModelOut]:
    return [_out(d) for d in await request.app.state.registry.all()]


@models_router.post("/validate", summary="Check a model definition without saving it")
async def validate_model(
    body: ModelDefinition, key: ApiKey = Scope("scoring-models:read")
) -> dict[str, Any]:
    return {"valid": True, "rules": len(body.rules), "fit_rules": len(body.fit_rules)}


@models_router.post(
    "",
    response_model=ModelOut,
    status_code=status.HTTP_201_CREATED,
    summary="Create a model; existing contacts are scored in the background",
)
async def create_model(
    body: ModelIn, request: Request, key: ApiKey = Scope("scoring-models:write")
) -> ModelOut:
    if not model_id_ok(body.id):
        raise HTTPException(
            status.HTTP_422_UNPROCESSABLE_ENTITY,
            "id: lower-case letters, digits, '_' or '-' (max 63)",
        )
    definition = ModelDefinition.model_validate(body.model_dump(exclude={"id"}))
    try:
        doc = await request.app.state.registry.create(body.id, definition, key.name)
    except ModelExists as exc:
        raise HTTPException(status.HTTP_409_CONFLICT, f"model {body.id!r} exists") from exc
    jobs: RecomputeJobs = request.app.state.jobs
    return _out(doc, await jobs.start(body.id, doc["version"]) if definition.active else None)


@models_router.get("/{model_id}", response_model=ModelOut, summary="One model")
async def get_model(
    model_id: str, request: Request, key: ApiKey = Scope("scoring-models:read")
) -> ModelOut:
    doc = await request.app.state.registry.get(model_id)
    if doc is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no model {model_id!r}")
    return _out(doc)


@models_router.put(
    "/{model_id}",
    response_model=ModelOut,
    summary="Change a model (a new version); history is re-scored in the background",
)
async def replace_model(
    model_id: str,
    body: ModelDefinition,
    request: Request,
    key: ApiKey = Scope("scoring-models:write"),
) -> ModelOut:
    doc = await request.app.state.registry.replace(model_id, body, key.name)
    if doc is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no model {model_id!r}")
    jobs: RecomputeJobs = request.app.state.jobs
    return _out(doc, await jobs.start(model_id, doc["version"]) if body.active else None)


@models_router.get("/{model_id}/versions", summary="Every version of a model, newest first")
async def versions(
    model_id: str, request: Request, key: ApiKey = Scope("scoring-models:read")
) -> list[dict[str, Any]]:
    found = await request.app.state.registry.history(model_id)
    if not found:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no model {model_id!r}")
    return [
        {"version": v["version"], "at": v["at"], "by": v["by"], "definition": v["definition"]}
        for v in found
    ]


@models_router.get("/recompute/{job_id}", summary="Progress of a re-scoring job")
async def recompute_job(
    job_id: str, request: Request, key: ApiKey = Scope("scoring-models:read")
) -> dict[str, Any]:
    job = await request.app.state.jobs.get(job_id)
    if job is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no job {job_id!r}")
    return {
        **_job(job),
        "model_id": job["model_id"],
        "version": job["version"],
        "started_at": job["started_at"],
        "finished_at": job["finished_at"],
    }
