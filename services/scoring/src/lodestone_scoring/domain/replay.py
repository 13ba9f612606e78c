"""Score a contact's whole history under a model: used when a model changes or contacts merge."""

from __future__ import annotations

from typing import Any

from .ledger import Entry, Interaction, ScoreState, apply_interaction, fit_points, grade_for
from .models import ModelDefinition


def replay(
    model_id: str,
    version: int,
    model: ModelDefinition,
    history: list[Interaction],
    profile: dict[str, Any] | None,
) -> tuple[ScoreState, list[Entry], dict[str, float]]:
    state = ScoreState()
    caps: dict[str, float] = {}
    entries: list[Entry] = []
    for interaction in sorted(history, key=lambda i: (i.at, i.event_id)):
        entries += apply_interaction(model_id, version, model, state, caps, interaction)
    state.fit, _ = fit_points(model, profile or {})
    state.grade = grade_for(model, state.fit)
    return state, entries, caps
