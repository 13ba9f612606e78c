"""Predictive score: naive Bayes over who a contact is and what they did, learned from
outcomes (became a customer vs lost/disqualified), like Odoo's predictive lead scoring.

Counts are kept per (class, feature=value) and updated as outcomes arrive, so training is
incremental; a contact whose outcome changes moves from one class to the other.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

POSITIVE, NEGATIVE = "won", "lost"
OUTCOMES = {"customer": POSITIVE, "lost": NEGATIVE, "disqualified": NEGATIVE}
CATEGORICAL = (
    "industry",
    "country",
    "source",
    "gender",
    "income_band",
    "preferred_payment_method",
    "purchase_purpose",
)
ACTIVITY = (
    "page_visit",
    "email_opened",
    "email_clicked",
    "form_submitted",
    "call_logged",
    "meeting_held",
    "purchase",
)
MIN_PER_CLASS = 5


def _bucket(n: float, edges: tuple[int, ...]) -> str:
    for edge in edges:
        if n < edge:
            return f"<{edge}"
    return f"{edges[-1]}+"


def _seniority(title: str) -> str:
    t = title.lower()
    for word, level in (
        ("chief", "c-level"),
        ("ceo", "c-level"),
        ("cto", "c-level"),
        ("vp", "vp"),
        ("vice president", "vp"),
        ("director", "director"),
        ("head", "director"),
        ("manager", "manager"),
    ):
        if word in t:
            return level
    return "other"


def features(profile: Mapping[str, Any], activity: Mapping[str, int]) -> dict[str, str]:
    """The categorical features of a contact (missing values are a value of their own) and
    its interactions of each kind."""
    out = {name: str(profile.get(name) or "unknown").lower() for name in CATEGORICAL}
    out["seniority"] = _seniority(str(profile.get("title") or ""))
    size = profile.get("company_size")
    out["company_size"] = (
        _bucket(size, (10, 50, 200, 1000)) if isinstance(size, int | float) else "unknown"
    )
    for kind in ACTIVITY:
        out[kind] = _bucket(activity.get(kind, 0), (1, 3, 6, 11))
    return out


@dataclass
class Factor:
    feature: str
    value: str
    weight: float  # log-likelihood ratio: > 0 pushes towards conversion


@dataclass
class Prediction:
    probability: float
    factors: list[Factor]
    trained_on: dict[str, int]


@dataclass
class NaiveBayes:
    # "won:industry=software" -> count; "won:__total" -> contacts of that class.
    counts: dict[str, float] = field(default_factory=dict)

    def total(self, cls: str) -> float:
        return self.counts.get(f"{cls}:__total", 0.0)

    def ready(self) -> bool:
        return min(self.total(POSITIVE), self.total(NEGATIVE)) >= MIN_PER_CLASS

    def predict(self, x: dict[str, str], top: int = 5) -> Prediction | None:
        if not self.ready():
            return None
        won, lost = self.total(POSITIVE), self.total(NEGATIVE)
        log_odds = math.log((won + 1) / (lost + 1))
        factors = []
        for name, value in x.items():
            # Laplace smoothing over the values seen for this feature (+1 for the unseen).
            values = {
                k.split("=", 1)[1] for k in self.counts if k.split(":", 1)[1].startswith(f"{name}=")
            } | {value}
            p_won = (self.counts.get(f"{POSITIVE}:{name}={value}", 0) + 1) / (won + len(values))
            p_lost = (self.counts.get(f"{NEGATIVE}:{name}={value}", 0) + 1) / (lost + len(values))
            ratio = math.log(p_won / p_lost)
            log_odds += ratio
            factors.append(Factor(name, value, round(ratio, 3)))
        factors.sort(key=lambda f: -abs(f.weight))
        probability = 1 / (1 + math.exp(-max(min(log_odds, 50), -50)))
        return Prediction(
            round(probability, 4), factors[:top], {"converted": int(won), "lost": int(lost)}
        )


def training_deltas(
    previous: tuple[str, dict[str, str]] | None, outcome: str, x: dict[str, str]
) -> dict[str, float]:
    """Count changes when a contact gets `outcome`: undo its previous label, add the new."""
    deltas: dict[str, float] = {}
    if previous:
        old_cls, old_x = previous
        deltas[f"{old_cls}:__total"] = deltas.get(f"{old_cls}:__total", 0) - 1
        for name, value in old_x.items():
            key = f"{old_cls}:{name}={value}"
            deltas[key] = deltas.get(key, 0) - 1
    deltas[f"{outcome}:__total"] = deltas.get(f"{outcome}:__total", 0) + 1
    for name, value in x.items():
        key = f"{outcome}:{name}={value}"
        deltas[key] = deltas.get(key, 0) + 1
    return {k: v for k, v in deltas.items() if v}
