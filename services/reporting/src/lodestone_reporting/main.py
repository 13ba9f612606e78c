"""Process entrypoint: the reporting API and its Kafka consumers in one process.

Replicas split the topics' partitions through the consumer group; an API-only replica
sets LODESTONE_CONSUMERS_ENABLED=false.
"""

from __future__ import annotations

from fastapi import FastAPI

from lodestone_common.cli import serve
from lodestone_common.http import Runtime, build_app

from . import consumers
from .api import router
from .repository import CountersRepository
from .settings import ReportingSettings


def create_app(settings: ReportingSettings | None = None) -> FastAPI:
    settings = settings or ReportingSettings()
    runtime = Runtime.create(settings)
    counters = CountersRepository(runtime)
    if settings.consumers_enabled:
        consumers.register(runtime, counters)
    app = build_app(
        runtime,
        title="Lodestone reporting",
        description="Read models of every topic and the reports built on them.",
        routers=[router],
    )
    app.state.counters = counters
    return app


def run() -> None:
    serve("lodestone_reporting.main:create_app", ReportingSettings())
