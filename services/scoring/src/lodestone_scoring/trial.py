"""A draft model tried on one contact before it is saved: the score, band, grade and ledger it
would give them from their whole history, nothing written (the builder's "try on this
contact")."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from lodestone_common.envelope import utcnow

from .domain.ledger import band_for, qualifies, score_at
from .domain.models import ModelDefinition
from .domain.profile import fit_fields
from .domain.replay import replay
from .stores import Stores

DRAFT = "draft"


async def try_model(stores: Stores, model: ModelDefinition, contact_id: str) -> dict[str, Any]:
    """What `model` makes of the contact's history now (the history scoring has kept)."""
    history = (await stores.history.of_contacts([contact_id], None)).get(contact_id, [])
    profile = await stores.profiles.get(contact_id, None)
    state, entries, _ = replay(DRAFT, 0, model, history, fit_fields(profile))
    score = round(score_at(state, model.decay, utcnow()), 2)
    return {
        "contact_id": contact_id,
        "interactions": len(history),
        "score": score,
        "band": band_for(model, score),
        "fit": state.fit,
        "grade": state.grade,
        "qualified": qualifies(model, score, state.grade),
        "ledger": [
            {k: v for k, v in asdict(e).items() if k not in ("model_id", "model_version")}
            for e in sorted(entries, key=lambda e: (e.at, e.event_id, e.rule_id))
        ],
    }
