"""What contacts keeps of scoring's verdicts: enough to filter and segment by.

Every model's latest verdict is kept under `scores.<model_id>`; the `default` model's also at
the top level (`score`, `grade`, `score_band`), which search and segments filter on.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from lodestone_common.consumer import EnvelopeEvent
from lodestone_common.events import ScoreChanged

PRIMARY_MODEL = "default"


def score_update(event: EnvelopeEvent) -> tuple[str, datetime, dict[str, Any]] | None:
    """(model id, as-of time, fields to set) for a score.changed event, else None."""
    payload = event.payload
    if not isinstance(payload, ScoreChanged):
        return None
    at = event.envelope.occurred_at
    verdict = {"score": payload.score, "grade": payload.grade, "band": payload.band, "at": at}
    fields: dict[str, Any] = {f"scores.{payload.model_id}": verdict}
    if payload.model_id == PRIMARY_MODEL:
        fields.update(score=payload.score, grade=payload.grade, score_band=payload.band)
    return payload.model_id, at, fields
