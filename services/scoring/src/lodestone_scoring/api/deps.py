"""Typed dependencies of scoring's routes: what the composition root built."""

from __future__ import annotations

from typing import Annotated

from lodestone_common.provided import provided

from ..jobs import RecomputeJobs
from ..registry import ModelRegistry
from ..service import Scoring

ScoringDep = Annotated[Scoring, provided("scoring")]
RegistryDep = Annotated[ModelRegistry, provided("registry")]
JobsDep = Annotated[RecomputeJobs, provided("jobs")]
