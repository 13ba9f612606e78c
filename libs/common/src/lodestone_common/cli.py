"""Serve a service's FastAPI app with uvicorn (the entrypoint every service shares)."""

from __future__ import annotations

import uvicorn

from .settings import ServiceSettings


def serve(app_path: str, settings: ServiceSettings) -> None:
    uvicorn.run(
        app_path,
        factory=True,
        host=settings.http_host,
        port=settings.http_port,
        log_config=None,
        access_log=False,
        lifespan="on",
        timeout_graceful_shutdown=15,
    )
