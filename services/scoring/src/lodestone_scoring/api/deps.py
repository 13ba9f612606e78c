"""Typed dependencies of scoring's routes: what the composition root built."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from ..jobs import RecomputeJobs
from ..registry import ModelRegistry
from ..service import Scoring


def scoring(request: Request) -> Scoring:
    return request.app.state.scoring


def registry(request: Request) -> ModelRegistry:
    return request.app.state.scoring.registry


def jobs(request: Request) -> RecomputeJobs:
    return request.app.state.jobs


ScoringDep = Annotated[Scoring, Depends(scoring)]
RegistryDep = Annotated[ModelRegistry, Depends(registry)]
JobsDep = Annotated[RecomputeJobs, Depends(jobs)]
