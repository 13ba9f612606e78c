"""Process entrypoint: the scoring API and its Kafka consumers in one process."""

from __future__ import annotations

from fastapi import FastAPI

from lodestone_common.cli import serve
from lodestone_common.http import Runtime, build_app

from . import consumers
from .api import router
from .repository import ScoresRepository
from .settings import ScoringSettings


def create_app(settings: ScoringSettings | None = None) -> FastAPI:
    settings = settings or ScoringSettings()
    runtime = Runtime.create(settings)
    scores = ScoresRepository(runtime)
    if settings.consumers_enabled:
        consumers.register(runtime, scores)
    app = build_app(
        runtime,
        title="Lodestone scoring",
        description="Explainable lead scores, grades and qualification thresholds.",
        routers=[router],
    )
    app.state.scores = scores
    return app


def run() -> None:
    serve("lodestone_scoring.main:create_app", ScoringSettings())
