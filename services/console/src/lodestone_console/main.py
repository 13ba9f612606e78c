"""Composition root: the console's stores, its use cases, the person tokens and the app."""

from __future__ import annotations

import logging

import httpx
from fastapi import FastAPI

from lodestone_common import managed_keys
from lodestone_common.cli import serve
from lodestone_common.http import Runtime, build_app
from lodestone_common.limits import MAX_ATTACHMENT_BODY
from lodestone_common.people import PersonTokens
from lodestone_common.ratelimit import FailedAuthLimit

from . import audit
from .api import api_keys, audit_trail, auth, dead_letters, proxy, users, web
from .keys import Keys
from .service import People
from .settings import ConsoleSettings
from .stores.api_keys import ApiKeys
from .stores.audit import AuditTrail
from .stores.sessions import Sessions
from .stores.users import Users

log = logging.getLogger(__name__)
# A CSV import goes through the console to contacts: the same ceiling as contacts sets.
MAX_IMPORT_BYTES = 1024 * 1024 * 1024


def create_app(settings: ConsoleSettings | None = None) -> FastAPI:
    settings = settings or ConsoleSettings()
    runtime = Runtime.create(settings)
    people = People(Users(runtime.db), Sessions(runtime.db), settings.session_hours)
    assert settings.person_signing_key  # the settings refuse production without one
    tokens = PersonTokens.signing(settings.person_signing_key)
    http = httpx.AsyncClient(timeout=httpx.Timeout(30.0, connect=5.0))
    keys = Keys(ApiKeys(runtime.db), tokens)
    trail = AuditTrail(runtime.db)
    # The console honours the keys it makes too, knowing their revocations from its own store.
    runtime.keyring.people = runtime.keyring.people or tokens

    async def follow_revocations() -> None:
        await managed_keys.follow(keys.revoked, runtime.keyring.revoked)

    runtime.loops.append(follow_revocations)

    async def prepare() -> None:
        await people.users.ensure_indexes()
        await people.sessions.ensure_indexes()
        await keys.store.ensure_indexes()
        await trail.ensure_indexes()
        password = settings.bootstrap_admin_password
        if password and await people.bootstrap_admin(settings.bootstrap_admin_email, password):
            log.warning(
                "created the first admin; change its password",
                extra={"email": settings.bootstrap_admin_email},
            )

    runtime.startup.append(prepare)
    runtime.drains.append(http.aclose)
    app = build_app(
        runtime,
        title="Lodestone console",
        description=(
            "People and their sessions, and the web app marketers, reps and managers work "
            "in. `/api/{service}/v1/...` calls a service as the signed-in person: the service "
            "verifies a short-lived token naming them and their role."
        ),
        routers=[
            auth.router,
            users.router,
            api_keys.router,
            dead_letters.router,
            audit_trail.router,
            proxy.router,
            web.router,
        ],
        body_limits={
            "/api/contacts/v1/contacts/imports": MAX_IMPORT_BYTES,
            "/api/contacts/v1/contacts/*/attachments": MAX_ATTACHMENT_BODY,
        },
    )
    app.state.settings = settings
    app.state.people = people
    app.state.tokens = tokens
    app.state.keys = keys
    app.state.audit = trail
    audit.install(app, trail)
    app.state.http = http
    app.state.failed_sign_ins = FailedAuthLimit(
        settings.sign_in_account_limit, "wrong passwords for this account"
    )
    return app


def run() -> None:
    serve("lodestone_console.main:create_app", ConsoleSettings())
