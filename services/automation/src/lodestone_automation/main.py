"""Process entrypoint: the automation API and its Kafka consumers in one process."""

from __future__ import annotations

from fastapi import FastAPI

from lodestone_common.cli import serve
from lodestone_common.http import Runtime, build_app

from . import consumers
from .api import router
from .repository import AudienceRepository
from .settings import AutomationSettings


def create_app(settings: AutomationSettings | None = None) -> FastAPI:
    settings = settings or AutomationSettings()
    runtime = Runtime.create(settings)
    audience = AudienceRepository(runtime)
    if settings.consumers_enabled:
        consumers.register(runtime, audience)
    app = build_app(
        runtime,
        title="Lodestone automation",
        description="Workflows: triggers, waits, branches and exactly-once actions.",
        routers=[router],
    )
    app.state.audience = audience
    return app


def run() -> None:
    serve("lodestone_automation.main:create_app", AutomationSettings())
