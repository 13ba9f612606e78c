"""Process entrypoint: the automation API, its consumers, the runner and the outbox relay."""

from __future__ import annotations

from fastapi import FastAPI

from lodestone_common.cli import serve
from lodestone_common.events import WorkflowActionPerformed
from lodestone_common.http import Runtime, build_app
from lodestone_common.outbox import Outbox
from lodestone_common.topics import AUTOMATION

from . import consumers
from .api import routers
from .catalog import Catalog
from .effects import ContactsClient, Mailer
from .repository import AutomationRepository
from .runner import Runner
from .settings import AutomationSettings


def create_app(settings: AutomationSettings | None = None) -> FastAPI:
    settings = settings or AutomationSettings()
    runtime = Runtime.create(settings)
    outbox = Outbox(
        runtime.db, runtime.broker, holder=settings.instance_id, service=settings.service_name
    )
    repo = AutomationRepository(runtime, outbox)
    catalog = Catalog(repo)
    contacts = ContactsClient(settings)
    runner = Runner(repo, catalog, settings, Mailer(settings), contacts, runtime.progress)
    runtime.startup += [repo.ensure_indexes, catalog.reload]
    runtime.loops += [outbox.run, catalog.watch, runner.run]
    runtime.drains += [runner.drain, outbox.drain]  # the runner's last events go out too
    if settings.consumers_enabled:

        def committed() -> None:  # enrollments (and their events) are durable
            runner.wake()
            outbox.wake()

        consumers.register(runtime, consumers.Triggers(runtime, repo, catalog, committed))
    runtime.broker.publisher(
        AUTOMATION,
        title="automation-actions",
        schema=WorkflowActionPerformed,
        description="Every workflow action performed, keyed by contact_id",
    )
    app = build_app(
        runtime,
        title="Lodestone automation",
        description="Workflows: triggers, waits, branches and exactly-once actions.",
        routers=routers,
    )
    app.state.repo = repo
    app.state.catalog = catalog
    app.state.runner = runner
    app.state.contacts = contacts
    app.state.settings = settings
    return app


def run() -> None:
    serve("lodestone_automation.main:create_app", AutomationSettings())
