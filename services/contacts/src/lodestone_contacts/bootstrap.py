"""Composition root: contacts' stores, use cases, segments, imports, its one consumer group (raw
ingest and scoring's verdicts), the outbox relay and the API.

`lodestone-contacts` serves it; replicas share the work through Kafka's consumer group and
a lease on the outbox relay.
"""

from __future__ import annotations

from functools import partial

from fastapi import FastAPI

from lodestone_common.cli import serve
from lodestone_common.events import ContactCreated, InteractionRecorded
from lodestone_common.http import PathCORS, Runtime, build_app, install_rate_headers
from lodestone_common.outbox import Outbox
from lodestone_common.ownership import Ownership
from lodestone_common.processing import Processor, Transactions, subscribe
from lodestone_common.ratelimit import RateLimits
from lodestone_common.topics import CONTACTS, INGEST_RAW, INTERACTIONS, SCORES

from .api import routers
from .api.imports import MAX_IMPORT_BYTES
from .api.segment import BROWSER_PATHS
from .attachments import ContactAttachments
from .handlers import edges, handlers
from .imports import ImportJobs
from .ingestion import Ingestion
from .purchase_history import backfill_purchase_history
from .segment_reviews import SegmentReviews
from .segments import SegmentRegistry
from .service import Contacts
from .settings import ContactsSettings
from .sns import SnsVerifier
from .stores import Stores

SERVICE = "contacts"
# The consumer groups, one per topic, contacts read with before it had one group.
RETIRED = {INGEST_RAW: "contacts-ingest", SCORES: "contacts-scores"}


def create_app(settings: ContactsSettings | None = None) -> FastAPI:
    settings = settings or ContactsSettings()
    runtime = Runtime.create(settings)
    outbox = Outbox(
        runtime.db, runtime.broker, holder=settings.instance_id, service=settings.service_name
    )
    transactions = Transactions(runtime.mongo, outbox)
    stores = Stores(runtime.db)
    segments = SegmentRegistry(runtime.db, transactions, settings.instance_id)
    contacts = Contacts(stores, segments, transactions)
    ownership = Ownership() if settings.consumers_enabled else None
    if ownership is not None:
        # Membership that time changes, advanced for the contacts whose partitions this
        # process's consumer holds (replicas that consume nothing, the API ones, leave it).
        reviews = SegmentReviews(
            segments, transactions, owned=lambda: ownership.owned, progress=runtime.progress
        )
        runtime.loops.append(reviews.run)
    imports = ImportJobs(runtime.db, contacts, settings.instance_id)
    attachments = ContactAttachments(stores, transactions, settings.attachment_max_bytes)
    runtime.startup.append(stores.ensure_indexes)
    runtime.loops += [imports.jobs.watch, segments.builds.watch]
    runtime.drains += [imports.jobs.drain, segments.builds.drain]
    runtime.startup.append(segments.reload)
    runtime.loops.append(outbox.run)
    runtime.loops.append(stores.records.backfill_terms)
    runtime.loops.append(partial(backfill_purchase_history, stores, transactions))
    runtime.drains.append(outbox.drain)
    runtime.loops.append(segments.watch)
    if settings.consumers_enabled:
        processor = Processor(
            SERVICE,
            handlers(contacts),
            transactions,  # API writes, imports, segment reviews: never in a batch's way
            runtime.db,
            edges=edges(Ingestion(contacts)),
        )
        subscribe(
            runtime,
            processor,
            description="Resolves integrators' events to contacts and republishes them as "
            "interaction.recorded keyed by contact_id; keeps each contact's score, grade and "
            "band in step for search and segments",
            retired=RETIRED,
            ownership=ownership,
        )
    # Documented in the AsyncAPI document; the outbox relay does the actual sending.
    runtime.broker.publisher(
        CONTACTS,
        title="contacts-events",
        description="Contact lifecycle events, keyed by contact_id",
        schema=ContactCreated,
    )
    runtime.broker.publisher(
        INTERACTIONS,
        title="interactions",
        description="Resolved interactions in per-contact order, keyed by contact_id",
        schema=InteractionRecorded,
    )
    app = build_app(
        runtime,
        title="Lodestone contacts",
        description="Prospect records, identity resolution and event ingestion.",
        routers=routers,
        body_limits={
            "/v1/contacts/imports": MAX_IMPORT_BYTES,
            "/v1/contacts/*/attachments": settings.attachment_max_bytes + 64 * 1024,
        },
    )
    install_rate_headers(app)
    app.add_middleware(PathCORS, paths=BROWSER_PATHS)
    app.state.settings = settings
    app.state.broker = runtime.broker
    app.state.rate_limits = RateLimits(settings.ingest_rate_limit)
    app.state.contacts = contacts
    app.state.stores = stores
    app.state.imports = imports
    app.state.attachments = attachments
    app.state.sns = SnsVerifier()
    app.state.segments = segments
    return app


def run() -> None:
    serve("lodestone_contacts.bootstrap:create_app", ContactsSettings())
