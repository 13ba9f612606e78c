"""What scoring announces after a change: score.changed, and MQL crossings once each way."""

from __future__ import annotations

import math
from datetime import datetime, timedelta
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
    state.recheck_at = recheck_at(model, state)
    return out


# Decay is announced in steps: when the score has fallen by a point or 5% (whichever is
# more) since the last announcement, or across a band or the MQL threshold, whichever comes
# first; under half a point it is announced as it is, once, and not followed further.
STEP_POINTS, STEP_SHARE, FLOOR = 1.0, 0.05, 0.5


def recheck_at(model: ModelDefinition, state: ScoreState) -> datetime | None:
    """When the decayed score reaches the next value worth announcing (None: no decay, or
    nothing left to decay)."""
    reported = state.reported
    decay = model.decay
    if decay.type == "none" or reported is None or reported < FLOOR:
        return None
    lines = [*model.bands.values(), *([model.threshold.score] if model.threshold else [])]
    target = max(reported - max(STEP_POINTS, STEP_SHARE * reported), FLOOR / 2)
    target = max([target, *(b for b in lines if b < reported)])
    if decay.type == "half_life":
        assert decay.days
        if state.ref is None or state.acc <= 0 or target <= 0:
            return None
        days = decay.days * math.log2(state.acc / target)  # acc · 2^(-t/H) = target
        return state.ref + timedelta(days=max(days, 0.0))
    # Inactivity: the score drops at each period's end after the last activity.
    assert decay.days and decay.factor is not None
    if state.last_activity is None or decay.factor >= 1:
        return None
    periods = math.ceil(math.log(target / max(state.raw, 1e-9), decay.factor)) if target > 0 else 1
    return state.last_activity + timedelta(days=decay.days * max(periods, 1))
