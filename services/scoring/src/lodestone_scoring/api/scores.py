"""`/v1/scores`: a contact's scores with the ledger that explains them."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, HTTPException, status
from pydantic import BaseModel, Field

from lodestone_common.auth import ApiKey, Scope
from lodestone_common.envelope import utcnow

from ..domain.defaults import DEFAULT_MODEL_ID
from ..domain.ledger import (
    ScoreState,
    band_for,
    fit_points,
    grade_for,
    qualifies,
    score_at,
    weight,
)
from ..domain.predictive import features
from ..domain.profile import fit_fields
from .deps import ScoringDep

router = APIRouter(prefix="/v1", tags=["scores"])


class LedgerLine(BaseModel):
    """Which rule gave how many points for which event (a draft's too: try on a contact)."""

    rule_id: str
    rule_name: str
    event_id: str
    at: datetime
    points: float = Field(description="points awarded (after any cap)")
    requested: float = Field(description="the rule's points before its cap")
    capped: bool


class LedgerEntry(LedgerLine):
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


class Factor(BaseModel):
    feature: str = Field(description="a trait, e.g. industry")
    value: str = Field(description="the contact's value of it, e.g. software")
    weight: float = Field(description="log-likelihood ratio: above 0 pushes towards converting")


class Predictive(BaseModel):
    probability: float = Field(description="chance of becoming a customer, learned from outcomes")
    factors: list[Factor] = Field(description="features that weigh most, + for converting")
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
    description="A merged contact's old id answers with the contact it became (its id in "
    "`contact_id`).",
)
async def get_score(
    contact_id: str, scoring: ScoringDep, key: ApiKey = Scope("scores:read")
) -> Score:
    view = await scoring.contact_view(contact_id)
    if view is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no score for contact {contact_id!r}")
    now = utcnow()
    results = []
    for model_id, (_, model) in sorted(scoring.registry.active().items()):
        state = ScoreState.of(view["states"].get(model_id))
        score = round(score_at(state, model.decay, now), 2)
        fit, matched = fit_points(model, fit_fields(view["profile"]))
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
    prediction = (await scoring.predictor()).predict(features(view["profile"], view["activity"]))
    return Score(
        contact_id=view["contact_id"],  # the survivor's, asked for by a merged id
        predictive=Predictive(
            probability=prediction.probability,
            factors=[Factor(**f.__dict__) for f in prediction.factors],
            trained_on=prediction.trained_on,
        )
        if prediction
        else None,
        score=primary.score if primary else 0.0,
        grade=primary.grade if primary else "F",
        band=primary.band if primary else "cold",
        models=results,
    )
