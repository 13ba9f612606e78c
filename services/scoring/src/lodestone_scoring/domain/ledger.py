"""The score ledger's arithmetic: points per rule with caps, decay from entry ages.

A contact's score under a model is the sum of its ledger entries, each weighted by the
model's decay at the moment of reading. `ScoreState` keeps that sum in O(1) per entry
(an accumulator referenced at the newest entry), so decay never rewrites stored scores.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from lodestone_common.conditions import holds
from lodestone_common.events import GRADES

from .models import Decay, ModelDefinition
from .rules import rule_matches

DAY = 86_400.0


def _days(later: datetime, earlier: datetime) -> float:
    return (later - earlier).total_seconds() / DAY


@dataclass
class ScoreState:
    raw: float = 0.0  # plain sum of awarded points
    acc: float = 0.0  # half-life accumulator, valued at `ref`
    ref: datetime | None = None
    last_activity: datetime | None = None
    fit: float = 0.0
    grade: str = "F"
    qualified: bool = False
    reported: float | None = None  # the score last announced in score.changed
    reported_grade: str | None = None  # and the grade announced with it
    # When decay will have moved the announced score enough to announce again (None: never).
    recheck_at: datetime | None = None
    # Points used of each capped rule per window ({rule:window: points}), recent windows only;
    # None: a state written before caps lived in it (they are in the legacy `caps` store).
    caps: dict[str, float] | None = None

    def to_doc(self) -> dict[str, Any]:
        return dict(self.__dict__)

    @classmethod
    def of(cls, doc: dict[str, Any] | None) -> ScoreState:
        if not doc:
            return cls(caps={})
        return cls(**{k: doc[k] for k in cls.__dataclass_fields__ if k in doc})


def weight(
    decay: Decay, entry_at: datetime, last_activity: datetime | None, now: datetime
) -> float:
    """How much an entry of `entry_at` counts at `now`."""
    if decay.type == "half_life":
        assert decay.days
        return 0.5 ** (max(_days(now, entry_at), 0.0) / decay.days)
    if decay.type == "inactivity" and last_activity is not None:
        assert decay.days and decay.factor
        periods = math.floor(max(_days(now, last_activity), 0.0) / decay.days)
        return decay.factor**periods
    return 1.0


def score_at(state: ScoreState, decay: Decay, now: datetime) -> float:
    if decay.type == "half_life":
        if state.ref is None:
            return 0.0
        assert decay.days
        return state.acc * 0.5 ** (max(_days(now, state.ref), 0.0) / decay.days)
    return state.raw * weight(decay, state.last_activity or now, state.last_activity, now)


def add_points(state: ScoreState, decay: Decay, points: float, at: datetime) -> None:
    state.raw += points
    if decay.type == "half_life":
        assert decay.days
        if state.ref is None:
            state.acc, state.ref = points, at
        elif at >= state.ref:
            state.acc = state.acc * 0.5 ** (_days(at, state.ref) / decay.days) + points
            state.ref = at
        else:  # a late event: its points were already older than the reference
            state.acc += points * 0.5 ** (_days(state.ref, at) / decay.days)


def touch(state: ScoreState, at: datetime) -> None:
    if state.last_activity is None or at > state.last_activity:
        state.last_activity = at


def cap_window(per: str, at: datetime) -> str:
    if per == "day":
        return at.date().isoformat()
    year, week, _ = at.isocalendar()
    return f"{year}-W{week:02d}"


# Cap windows a state keeps: an interaction arriving more than this after its window ended
# is scored as its window's first (events that late are rare; the state stays small).
CAPS_KEPT = timedelta(days=15)


def recent_caps(caps: dict[str, float], now: datetime) -> dict[str, float]:
    """The caps of windows that ended within CAPS_KEPT of `now` (or end later)."""
    oldest = (now - CAPS_KEPT).date()
    kept = {}
    for key, used in caps.items():
        window = key.rsplit(":", 1)[1]
        if "-W" in window:
            year, week = window.split("-W")
            end = date.fromisocalendar(int(year), int(week), 7)
        else:
            end = date.fromisoformat(window)
        if end >= oldest:
            kept[key] = used
    return kept


@dataclass
class Interaction:
    event_id: str
    at: datetime
    interaction_type: str
    name: str
    properties: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "interaction_type": self.interaction_type,
            "name": self.name,
            "properties": self.properties,
        }


@dataclass
class Entry:
    """One ledger line: which rule of which model gave how many points for which event."""

    model_id: str
    model_version: int
    rule_id: str
    rule_name: str
    event_id: str
    at: datetime
    points: float
    requested: float
    capped: bool

    def key(self) -> str:
        return f"{self.model_id}:{self.event_id}:{self.rule_id}"


def apply_interaction(
    model_id: str,
    version: int,
    model: ModelDefinition,
    state: ScoreState,
    caps_used: dict[str, float],
    interaction: Interaction,
) -> list[Entry]:
    """Entries one interaction earns under a model, updating `state` and `caps_used`.

    `caps_used` maps "rule:window" to points already awarded in that window.
    """
    touch(state, interaction.at)
    entries: list[Entry] = []
    data = interaction.as_dict()
    for rule in model.rules:
        if not rule_matches(rule, data):
            continue
        points, capped = rule.points, False
        if rule.cap:
            window = f"{rule.id}:{cap_window(rule.cap.per, interaction.at)}"
            room = max(rule.cap.max_points - caps_used.get(window, 0.0), 0.0)
            if points > room:
                points, capped = room, True
            caps_used[window] = caps_used.get(window, 0.0) + points
        if points == 0 and capped:
            entries.append(
                Entry(
                    model_id,
                    version,
                    rule.id,
                    rule.name,
                    interaction.event_id,
                    interaction.at,
                    0.0,
                    rule.points,
                    True,
                )
            )
            continue
        add_points(state, model.decay, points, interaction.at)
        entries.append(
            Entry(
                model_id,
                version,
                rule.id,
                rule.name,
                interaction.event_id,
                interaction.at,
                points,
                rule.points,
                capped,
            )
        )
    return entries


def fit_points(model: ModelDefinition, profile: dict[str, Any]) -> tuple[float, list[str]]:
    total, matched = 0.0, []
    for rule in model.fit_rules:
        if all(holds(c, profile) for c in rule.conditions):
            total += rule.points
            matched.append(rule.id)
    return total, matched


def grade_for(model: ModelDefinition, fit: float) -> str:
    for grade in GRADES[:-1]:
        bound = model.grade_bands.get(grade)  # type: ignore[call-overload]
        if bound is not None and fit >= bound:
            return grade
    return "F"


def band_for(model: ModelDefinition, score: float) -> str:
    for name, minimum in sorted(model.bands.items(), key=lambda kv: -kv[1]):
        if score >= minimum:
            return name
    return min(model.bands.items(), key=lambda kv: kv[1])[0]


def qualifies(model: ModelDefinition, score: float, grade: str) -> bool:
    t = model.threshold
    return bool(t) and score >= t.score and GRADES.index(grade) <= GRADES.index(t.min_grade)  # type: ignore[union-attr]
