"""Process entrypoint: the scoring API, its consumers, the outbox relay and the decay sweep."""

from __future__ import annotations

import asyncio

from fastapi import FastAPI

from lodestone_common.cli import serve
from lodestone_common.events import LeadQualified, ScoreChanged
from lodestone_common.http import Runtime, build_app
from lodestone_common.outbox import Outbox
from lodestone_common.topics import SCORES

from . import consumers
from .api import models_router, router
from .jobs import RecomputeJobs
from .registry import ModelRegistry
from .repository import ScoringRepository
from .settings import ScoringSettings


def create_app(settings: ScoringSettings | None = None) -> FastAPI:
    settings = settings or ScoringSettings()
    runtime = Runtime.create(settings)
    outbox = Outbox(
        runtime.db, runtime.broker, holder=settings.instance_id, service=settings.service_name
    )
    registry = ModelRegistry(runtime.db)
    scoring = ScoringRepository(runtime, outbox, registry)
    jobs = RecomputeJobs(scoring, registry)
    runtime.startup += [scoring.ensure_indexes, registry.ensure_default]
    runtime.loops += [outbox.run, registry.watch]
    runtime.drains.append(outbox.drain)

    async def sweep() -> None:
        while True:
            await asyncio.sleep(settings.decay_sweep_seconds)
            await scoring.sweep_qualified()

    runtime.loops.append(sweep)
    if settings.consumers_enabled:
        consumers.register(runtime, scoring)
    runtime.broker.publisher(
        SCORES,
        title="scores",
        schema=ScoreChanged,
        description="score.changed, lead.qualified and lead.disqualified",
    )
    runtime.broker.publisher(
        SCORES,
        title="lead-qualification",
        schema=LeadQualified,
        description="An MQL crossing, once per crossing each way",
    )
    app = build_app(
        runtime,
        title="Lodestone scoring",
        description="Explainable lead scores, grades and qualification thresholds.",
        routers=[router, models_router],
    )
    app.state.scoring = scoring
    app.state.registry = registry
    app.state.jobs = jobs
    return app


def run() -> None:
    serve("lodestone_scoring.main:create_app", ScoringSettings())
