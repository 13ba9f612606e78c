"""Score records in plain Python: what a new contact starts with and how merges combine."""

from __future__ import annotations

from datetime import datetime
from typing import Any

STARTING_SCORE = 0.0


def initial_score(contact_id: str, at: datetime) -> dict[str, Any]:
    """Every known contact has a score record from the moment contacts announced it."""
    return {"_id": contact_id, "score": STARTING_SCORE, "grade": None, "created_at": at}


def band(score: float) -> str:
    if score >= 100:
        return "hot"
    if score >= 50:
        return "warm"
    return "cold"
