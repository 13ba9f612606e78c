"""Who changed what, when: every request that asks for a change (not GET) through the console
— its own users and keys, sign-ins, and every service call a person makes — is written to the
audit trail with who asked, the path and the answer's status. Bodies are not kept (they hold
passwords and personal data); the path names what was changed."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from fastapi import FastAPI, Request, Response

from lodestone_common.envelope import utcnow

from .stores.audit import AuditTrail

log = logging.getLogger(__name__)
SAFE = frozenset({"GET", "HEAD", "OPTIONS"})
AUDITED = ("/api/", "/v1/", "/auth/")


def install(app: FastAPI, trail: AuditTrail) -> None:
    @app.middleware("http")
    async def audit(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        response = await call_next(request)
        path = request.url.path
        if request.method in SAFE or not path.startswith(AUDITED):
            return response
        record = {
            "at": utcnow(),
            # Set by whoever identified the caller (deps.session, deps.allowed, sign-in).
            "actor": getattr(request.state, "actor", None) or "anonymous",
            "method": request.method,
            "path": path,
            "status": response.status_code,
            "address": request.client.host if request.client else None,
        }
        try:
            await trail.add(record)
        except Exception as exc:  # the change happened: say loudly that its record did not
            log.error("could not write the audit record", extra={**record, "error": repr(exc)})
        return response
