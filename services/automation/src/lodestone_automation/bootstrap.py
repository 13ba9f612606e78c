"""Composition root: the automation API, its consumer group, the runner and the outbox relay."""

from __future__ import annotations

from fastapi import FastAPI

from lodestone_common.cli import serve
from lodestone_common.events import WorkflowActionPerformed
from lodestone_common.http import Runtime, build_app
from lodestone_common.outbox import Outbox
from lodestone_common.ownership import Ownership
from lodestone_common.processing import Processor, Transactions, subscribe
from lodestone_common.topics import AUTOMATION, CONTACTS, INTERACTIONS, SCORES

from .api import routers
from .campaigns import CampaignSender
from .catalog import Catalog
from .effects import ContactsClient, Mailer
from .handlers import Triggers, handlers
from .reminders import Reminders
from .runner import Runner
from .service import Automation
from .settings import AutomationSettings
from .stores import Stores

SERVICE = "automation"
# The consumer groups, one per topic, automation read with before it had one group.
RETIRED = {
    INTERACTIONS: "automation-interactions",
    CONTACTS: "automation-contacts",
    SCORES: "automation-scores",
}


def create_app(settings: AutomationSettings | None = None) -> FastAPI:
    settings = settings or AutomationSettings()
    runtime = Runtime.create(settings)
    outbox = Outbox(
        runtime.db, runtime.broker, holder=settings.instance_id, service=settings.service_name
    )
    transactions = Transactions(runtime.mongo, outbox)
    stores = Stores(runtime.db)
    automation = Automation(stores, transactions, settings.escalate_after_hours)
    catalog = Catalog(stores.workflows)
    contacts = ContactsClient(settings)
    ownership = Ownership() if settings.consumers_enabled else None
    runner = Runner(
        automation,
        catalog,
        settings,
        Mailer(settings),
        contacts,
        runtime.progress,
        # One writer per contact: the runner advances the contacts whose partition this
        # process's consumer holds; a process that consumes nothing advances them all.
        owned=(lambda: ownership.owned) if ownership else (lambda: None),
    )
    runtime.startup += [
        stores.ensure_indexes,
        stores.enrollments.assign_partitions,
        catalog.reload,
    ]
    performer = runner.performer
    campaigns = CampaignSender(stores, performer.composer, performer.mailer, contacts, settings)
    runtime.loops += [outbox.run, catalog.watch, campaigns.jobs.watch]
    if settings.runner_enabled:
        automation.handoff = runner.handed  # new enrollments reach it in memory, leased
        runtime.loops += [runner.run, Reminders(stores, performer.mailer, settings).run]
        runtime.drains.append(runner.drain)  # the runner's last events go out too
    # A campaign stops after its batch in flight.
    runtime.drains += [campaigns.jobs.drain, outbox.drain]
    if settings.consumers_enabled:
        runtime.startup.append(automation.announce_reps)  # readers learn reps made earlier
        # Enrollments are durable: the runner has work (the processor wakes the relay).
        triggers = Triggers(automation, catalog, runner.wake)
        # The runner's statements share these transactions' guard: never in a batch's way.
        processor = Processor(
            SERVICE, handlers(triggers), transactions, runtime.db, erase_filter=True
        )
        subscribe(
            runtime,
            processor,
            description="Enrolls contacts whose interactions, contact changes or scores meet "
            "a trigger; keeps the audience current; ends `wait_for` steps",
            retired=RETIRED,
            ownership=ownership,
        )
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
    app.state.automation = automation
    app.state.catalog = catalog
    app.state.runner = runner
    app.state.campaigns = campaigns
    app.state.contacts = contacts
    app.state.settings = settings
    return app


def run() -> None:
    serve("lodestone_automation.bootstrap:create_app", AutomationSettings())
