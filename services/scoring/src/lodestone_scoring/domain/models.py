"""Scoring models as a marketer writes them: behaviour rules, caps, decay, fit and thresholds."""

from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from lodestone_common.conditions import Condition
from lodestone_common.events import GRADES, Grade, InteractionType

_ID = re.compile(r"^[a-z0-9][a-z0-9_-]{0,62}$")


class Cap(BaseModel):
    model_config = ConfigDict(extra="forbid")

    max_points: float = Field(gt=0)
    per: Literal["day", "week"]


class BehaviourRule(BaseModel):
    """Points for interactions: `interaction_type` and/or `event_name`, plus conditions."""

    model_config = ConfigDict(extra="forbid")

    id: str
    name: str = Field(min_length=1, max_length=200)
    interaction_type: InteractionType | None = None
    event_name: str | None = Field(default=None, max_length=200)
    conditions: list[Condition] = Field(default_factory=list, max_length=20)
    points: float = Field(ge=-1000, le=1000)
    cap: Cap | None = None

    @field_validator("id")
    @classmethod
    def _id(cls, value: str) -> str:
        if not _ID.match(value):
            raise ValueError("rule ids are lower-case letters, digits, '_' or '-'")
        return value

    @model_validator(mode="after")
    def _targets_something(self) -> BehaviourRule:
        if self.interaction_type is None and self.event_name is None:
            raise ValueError(f"rule {self.id!r} needs interaction_type or event_name")
        if self.points == 0:
            raise ValueError(f"rule {self.id!r} awards 0 points")
        if self.cap and self.points < 0:
            raise ValueError(f"rule {self.id!r}: caps apply to positive points only")
        return self


class FitRule(BaseModel):
    """Fit points for who the contact is (title, company size, country, demographics)."""

    model_config = ConfigDict(extra="forbid")

    id: str
    name: str = Field(min_length=1, max_length=200)
    conditions: list[Condition] = Field(min_length=1, max_length=20)
    points: float = Field(ge=-1000, le=1000)


class Decay(BaseModel):
    """`half_life`: each entry halves every `days`. `inactivity`: after `days` without any
    activity the score is multiplied by `factor`, again for every further `days`."""

    model_config = ConfigDict(extra="forbid")

    type: Literal["none", "half_life", "inactivity"] = "none"
    days: float | None = Field(default=None, gt=0, le=3650)
    factor: float | None = Field(default=None, gt=0, lt=1)

    @model_validator(mode="after")
    def _complete(self) -> Decay:
        if self.type != "none" and self.days is None:
            raise ValueError(f"{self.type} decay needs 'days'")
        if self.type == "inactivity" and self.factor is None:
            raise ValueError("inactivity decay needs 'factor' (e.g. 0.5)")
        return self


class Threshold(BaseModel):
    """A lead qualifies (MQL) at `score` or more with a grade of `min_grade` or better."""

    model_config = ConfigDict(extra="forbid")

    score: float
    min_grade: Grade = "F"


class ModelDefinition(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    name: str = Field(min_length=1, max_length=200)
    description: str | None = Field(default=None, max_length=2000)
    active: bool = True
    rules: list[BehaviourRule] = Field(default_factory=list, max_length=200)
    fit_rules: list[FitRule] = Field(default_factory=list, max_length=200)
    # Fit points needed for each grade, best first; below the last one is F.
    grade_bands: dict[Literal["A", "B", "C", "D", "E"], float] = Field(
        default_factory=lambda: {"A": 60, "B": 40, "C": 20, "D": 10, "E": 0}
    )
    decay: Decay = Field(default_factory=Decay)
    threshold: Threshold | None = None
    # Score bands for search and reports, as (name, minimum score), highest first.
    bands: dict[str, float] = Field(default_factory=lambda: {"hot": 100, "warm": 50, "cold": -1e9})

    @model_validator(mode="after")
    def _consistent(self) -> ModelDefinition:
        for kind, rules in (("rule", self.rules), ("fit rule", self.fit_rules)):
            ids = [r.id for r in rules]
            dupes = sorted({i for i in ids if ids.count(i) > 1})
            if dupes:
                raise ValueError(f"{kind} id {dupes[0]!r} is used twice")
        ordered = [self.grade_bands[g] for g in GRADES[:-1] if g in self.grade_bands]
        if ordered != sorted(ordered, reverse=True):
            raise ValueError("grade_bands must not increase from A to E")
        if not self.bands:
            raise ValueError("bands needs at least one band")
        return self


def model_id_ok(value: str) -> bool:
    return bool(_ID.match(value))
