"""Process entrypoint: the reporting API, the dashboard and the projecting consumers.

Replicas split the topics' partitions through the consumer groups; an API-only replica
sets LODESTONE_CONSUMERS_ENABLED=false.
"""

from __future__ import annotations

from fastapi import FastAPI

from lodestone_common.cli import serve
from lodestone_common.http import Runtime, build_app

from . import consumers
from .api import dashboard, goals, reports
from .repository import ReportingRepository
from .settings import ReportingSettings


def create_app(settings: ReportingSettings | None = None) -> FastAPI:
    settings = settings or ReportingSettings()
    runtime = Runtime.create(settings)
    repo = ReportingRepository(runtime.mongo, runtime.db)
    runtime.startup.append(repo.ensure_indexes)
    if settings.consumers_enabled:
        consumers.register(runtime, repo)
    app = build_app(
        runtime,
        title="Lodestone reporting",
        description=(
            "Read models of every topic (pre-aggregated counters, kept exactly once) and the "
            "reports built on them: funnel, interactions, sources, scores, leaderboard, "
            "workflows, purchases. JSON, or CSV with `?format=csv`. The dashboard is at `/`."
        ),
        routers=[reports.router, goals.router, dashboard.router],
    )
    app.state.repo = repo
    return app


def run() -> None:
    serve("lodestone_reporting.main:create_app", ReportingSettings())
