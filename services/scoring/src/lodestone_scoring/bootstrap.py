"""Composition root: scoring's stores, registry, use cases, consumer group, relay, sweep, API."""

from __future__ import annotations

from fastapi import FastAPI

from lodestone_common.cli import serve
from lodestone_common.events import LeadQualified, ScoreChanged
from lodestone_common.http import Runtime, build_app
from lodestone_common.outbox import Outbox
from lodestone_common.processing import Processor, Transactions, subscribe
from lodestone_common.topics import CONTACTS, INTERACTIONS, SCORES

from .api import models, scores
from .decay import DecayAnnouncer
from .handlers import handlers
from .jobs import RecomputeJobs
from .registry import ModelRegistry
from .service import Scoring
from .settings import ScoringSettings
from .stores import Stores

SERVICE = "scoring"
# The consumer groups, one per topic, scoring read with before it had one group.
RETIRED = {INTERACTIONS: "scoring-interactions", CONTACTS: "scoring-contacts"}


def create_app(settings: ScoringSettings | None = None) -> FastAPI:
    settings = settings or ScoringSettings()
    runtime = Runtime.create(settings)
    outbox = Outbox(
        runtime.db, runtime.broker, holder=settings.instance_id, service=settings.service_name
    )
    stores = Stores(runtime.db)
    registry = ModelRegistry(runtime.db)
    transactions = Transactions(runtime.mongo, outbox)
    scoring = Scoring(stores, registry, transactions)
    jobs = RecomputeJobs(scoring, registry, settings.instance_id)
    runtime.startup += [stores.ensure_indexes, registry.ensure_default]
    runtime.loops += [outbox.run, registry.watch, jobs.jobs.watch]
    runtime.drains += [jobs.jobs.drain, outbox.drain]

    decay = DecayAnnouncer(scoring)

    async def announce_decay() -> None:
        await decay.run(settings.decay_sweep_seconds)

    runtime.loops.append(announce_decay)
    if settings.consumers_enabled:
        # Recomputes and decay sweeps run the same transactions: never in a batch's way.
        processor = Processor(
            SERVICE, handlers(scoring), transactions, runtime.db, erase_filter=True
        )
        subscribe(
            runtime,
            processor,
            description="Scores every interaction under every active model into the ledger; "
            "keeps contact fields for fit grades, merges ledgers, forgets erased people",
            retired=RETIRED,
        )
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
        routers=[scores.router, models.router],
    )
    app.state.scoring = scoring
    app.state.registry = registry
    app.state.jobs = jobs
    return app


def run() -> None:
    serve("lodestone_scoring.bootstrap:create_app", ScoringSettings())
