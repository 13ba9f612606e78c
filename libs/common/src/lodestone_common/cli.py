"""Serve a service's FastAPI app with uvicorn (the entrypoint every service shares)."""

from __future__ import annotations

from typing import Any

import uvicorn

from .settings import ServiceSettings


def serve(app_path: str, settings: ServiceSettings) -> None:
    uvicorn.run(app_path, **options(settings))


def options(settings: ServiceSettings) -> dict[str, Any]:
    trusted = settings.trusted_proxies.strip()
    return {
        "factory": True,
        "host": settings.http_host,
        "port": settings.http_port,
        "log_config": None,
        "access_log": False,
        "lifespan": "on",
        "timeout_graceful_shutdown": 15,
        # uvicorn believes X-Forwarded-For from loopback by default: a client on this
        # machine could then choose its address, and so escape per-address limits.
        "proxy_headers": bool(trusted),
        "forwarded_allow_ips": trusted or None,
    }
