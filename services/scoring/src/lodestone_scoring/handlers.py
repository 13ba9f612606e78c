"""What scoring does with each event it reads (the subscription is derived from this)."""

from __future__ import annotations

from lodestone_common.events import CONTACT_EVENTS, ContactSegmentsChanged, InteractionRecorded
from lodestone_common.processing import HandlerTable

from .service import Scoring

# Segment membership does not move a score.
CONTACT_CHANGES = tuple(t for t in CONTACT_EVENTS if t is not ContactSegmentsChanged)


def handlers(scoring: Scoring) -> HandlerTable:
    return {
        # Every interaction under every active model into the ledger.
        InteractionRecorded: scoring.score_interactions,
        # Contact fields for fit grades; merged ledgers; erased people forgotten.
        **dict.fromkeys(CONTACT_CHANGES, scoring.follow_contacts),
    }
