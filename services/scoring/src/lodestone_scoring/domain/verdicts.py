"""What scoring announces after a change: score.changed, and MQL crossings once each way."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from lodestone_common.events import EventPayload, LeadDisqualified, LeadQualified, ScoreChanged

from .ledger import ScoreState, band_for, qualifies, score_at
from .models import ModelDefinition


def settle(
    model_id: str,
    model: ModelDefinition,
    state: ScoreState,
    now: datetime,
    cause: UUID | None = None,
) -> list[EventPayload]:
    score = round(score_at(state, model.decay, now), 2)
    out: list[EventPayload] = []
    # Announced when the score or the grade moved (a fit change regrades at the same score);
    # nothing that changes neither is announced.
    moved = state.reported is None or abs(score - state.reported) >= 0.01
    if moved or state.grade != state.reported_grade:
        out.append(
            ScoreChanged(
                model_id=model_id,
                score=score,
                previous_score=state.reported or 0.0,
                grade=state.grade,
                band=band_for(model, score),
                cause_event_id=cause,
            )
        )
        state.reported, state.reported_grade = score, state.grade
    now_qualified = qualifies(model, score, state.grade)
    if model.threshold and now_qualified != state.qualified:
        kind = LeadQualified if now_qualified else LeadDisqualified
        out.append(
            kind(model_id=model_id, score=score, grade=state.grade, threshold=model.threshold.score)
        )
        state.qualified = now_qualified
    return out
