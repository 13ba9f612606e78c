"""Composition root: reporting's read models, its processor and consumer group, the API.

Replicas split the topics' partitions through the one consumer group; an API-only replica
sets LODESTONE_CONSUMERS_ENABLED=false.
"""

from __future__ import annotations

from fastapi import FastAPI

from lodestone_common.cli import serve
from lodestone_common.http import Runtime, build_app
from lodestone_common.processing import Processor, Transactions, subscribe
from lodestone_common.topics import AUTOMATION, CONTACTS, INTERACTIONS, SCORES

from .api import catalog, commission_report, commissions, dashboard, goals, reports
from .handlers import handlers
from .settings import ReportingSettings
from .stores import ReadModels

SERVICE = "reporting"
# The consumer groups, one per topic, reporting read with before it had one group.
RETIRED = {
    CONTACTS: "reporting-contacts",
    INTERACTIONS: "reporting-interactions",
    SCORES: "reporting-scores",
    AUTOMATION: "reporting-automation",
}


def processor(runtime: Runtime, models: ReadModels) -> Processor:
    return Processor(SERVICE, handlers(models), Transactions(runtime.mongo), runtime.db)


def create_app(settings: ReportingSettings | None = None) -> FastAPI:
    settings = settings or ReportingSettings()
    runtime = Runtime.create(settings)
    models = ReadModels(runtime.db)
    runtime.startup.append(models.ensure_indexes)
    if settings.consumers_enabled:
        subscribe(
            runtime,
            processor(runtime, models),
            description="Projects contact, interaction, score and automation events into "
            "report counters and views",
            retired=RETIRED,
        )
    app = build_app(
        runtime,
        title="Lodestone reporting",
        description=(
            "Read models of every topic (pre-aggregated counters, kept exactly once) and the "
            "reports built on them: funnel, interactions, sources, scores, leaderboard, "
            "workflows, purchases. JSON, or CSV with `?format=csv`. The dashboard is at `/`."
        ),
        routers=[
            reports.router,
            commission_report.router,
            goals.router,
            commissions.router,
            catalog.router,
            dashboard.router,
        ],
    )
    app.state.read_models = models
    return app


def run() -> None:
    serve("lodestone_reporting.bootstrap:create_app", ReportingSettings())
