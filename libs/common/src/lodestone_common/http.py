"""The HTTP shell every service shares: runtime wiring, health, readiness, metrics, errors."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import httpx
from bson.errors import InvalidDocument
from fastapi import APIRouter, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from fastapi_offline import FastAPIOffline
from faststream.kafka import KafkaBroker
from faststream.specification import AsyncAPI
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from pymongo import AsyncMongoClient
from pymongo.asynchronous.database import AsyncDatabase
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.cors import CORSMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from . import managed_keys, tracing
from .auth import KeyRing, document_security
from .kafka import make_broker
from .liveness import Progress, watch
from .logging import configure_logging
from .metrics import HTTP_REQUESTS, HTTP_SECONDS
from .mongo import make_client, ping
from .ratelimit import FailedAuthLimit
from .settings import DEV_API_KEY, ServiceSettings

log = logging.getLogger(__name__)

Hook = Callable[[], Awaitable[None]]


DRAIN_SECONDS = 20.0


@dataclass
class Runtime:
    """Everything a service process holds: settings, broker, database, keys, background work."""

    settings: ServiceSettings
    broker: KafkaBroker
    mongo: AsyncMongoClient[dict[str, Any]]
    keyring: KeyRing
    # Run once before consumers start (indexes, seed data); retried until they succeed.
    startup: list[Hook] = field(default_factory=list)
    # Long-running loops (outbox relay, timers) started once the broker is connected.
    loops: list[Hook] = field(default_factory=list)
    # On shutdown (SIGTERM, scale-down), before the loops are cancelled, one after the other:
    # let work in flight finish so it is not left half done (e.g. an email mid-send), then
    # hand shared duties over (the outbox lease). Bounded by DRAIN_SECONDS in all.
    drains: list[Hook] = field(default_factory=list)
    booted: asyncio.Event = field(default_factory=asyncio.Event)
    # The process's consumer groups and loops, watched for stalls (liveness.py).
    progress: Progress = field(default_factory=Progress)

    @property
    def db(self) -> AsyncDatabase[dict[str, Any]]:
        assert self.settings.mongo_db
        return self.mongo[self.settings.mongo_db]

    @classmethod
    def create(cls, settings: ServiceSettings) -> Runtime:
        tracing.configure(settings)  # before the database client: its statements are traced
        return cls(
            settings=settings,
            broker=make_broker(settings),
            mongo=make_client(
                settings.mongo_url,
                f"lodestone-{settings.service_name}",
                settings.mongo_timeout_seconds,
            ),
            keyring=KeyRing.from_settings(
                settings.api_key, settings.api_keys, settings.person_token_key
            ),
        )


def _path_pattern(prefix: str) -> re.Pattern[str]:
    parts = re.split(r"(\*)", prefix)
    return re.compile("".join("[^/]+" if p == "*" else re.escape(p) for p in parts))


class BodyLimit:
    """Refuses request bodies over `max_bytes` with a clear 413 before reading them whole.

    `overrides` maps path prefixes to their own limits; `*` in one stands for one path segment
    (`/v1/contacts/*/attachments`).
    """

    def __init__(
        self, app: ASGIApp, max_bytes: int, overrides: dict[str, int] | None = None
    ) -> None:
        self.app = app
        self.default = max_bytes
        self.overrides = {_path_pattern(k): v for k, v in (overrides or {}).items()}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.default
        for prefix, allowed in self.overrides.items():
            if prefix.match(scope["path"]):
                limit = allowed
        await self._limited(scope, receive, send, limit)

    async def _limited(self, scope: Scope, receive: Receive, send: Send, limit: int) -> None:
        declared = dict(scope.get("headers", [])).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            await self._refuse(send, limit)
            return
        received = 0

        async def limited() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise _TooLarge
            return message

        try:
            await self.app(scope, limited, send)
        except _TooLarge:
            await self._refuse(send, limit)

    async def _refuse(self, send: Send, limit: int) -> None:
        response = JSONResponse(
            {
                "error": "payload_too_large",
                "message": f"request body exceeds {limit} bytes",
            },
            status_code=413,
        )
        await response({"type": "http"}, _empty_receive, send)


_SECURITY_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
    (b"cross-origin-opener-policy", b"same-origin"),
]
# Pages and answers load only what their own service serves (the dashboard vendors its chart
# library, the API docs come with fastapi-offline). The docs pages start Swagger UI and ReDoc
# with an inline script (and ReDoc runs a worker from a blob): allowed there, nowhere else.
_CSP = (
    b"content-security-policy",
    b"default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
    b"object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
)
_DOCS_CSP = (
    b"content-security-policy",
    b"default-src 'self'; script-src 'self' 'unsafe-inline'; worker-src 'self' blob:; "
    b"img-src 'self' data:; style-src 'self' 'unsafe-inline'; object-src 'none'; "
    b"base-uri 'none'; frame-ancestors 'none'",
)
_DOCS = ("/docs", "/redoc")


class SecurityHeaders:
    """The usual hardening headers on every answer (pure ASGI: nothing on the hot path but
    a list of headers)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        extra = list(_SECURITY_HEADERS)
        extra.append(_DOCS_CSP if scope["path"].startswith(_DOCS) else _CSP)

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                present = {name.lower() for name, _ in message.get("headers", [])}
                message["headers"] = [
                    *message.get("headers", []),
                    *((n, v) for n, v in extra if n not in present),
                ]
            await send(message)

        await self.app(scope, receive, with_headers)


class PathCORS:
    """CORS for some paths only (browser SDKs posting events), none for the rest of the API."""

    def __init__(self, app: ASGIApp, paths: Sequence[str]) -> None:
        self.app = app
        self.paths = frozenset(paths)
        # No credentials: these paths take a key in the body or a header, never a cookie.
        self.cors = CORSMiddleware(
            app, allow_origins=["*"], allow_methods=["POST"], allow_headers=["*"], max_age=86400
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"] in self.paths:
            await self.cors(scope, receive, send)
        else:
            await self.app(scope, receive, send)


def install_rate_headers(app: FastAPI) -> None:
    """Copy the X-RateLimit-* headers a rate-limited route left on `request.state` onto its
    answer, whatever the route returns."""

    @app.middleware("http")
    async def rate_headers(request: Request, call_next: Callable[[Request], Awaitable[Response]]):
        response = await call_next(request)
        for name, value in getattr(request.state, "rate_headers", {}).items():
            response.headers.setdefault(name, value)
        return response


class _TooLarge(Exception):
    pass


async def _empty_receive() -> Message:
    return {"type": "http.request", "body": b"", "more_body": False}


def _error(status: int, code: str, message: str, **extra: Any) -> JSONResponse:
    return JSONResponse({"error": code, "message": message, **extra}, status_code=status)


_STATUS_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "validation_error",
    429: "too_many_requests",
    503: "unavailable",
}


def invalid(where: str, field: str, message: str) -> RequestValidationError:
    """A 422 naming one field (`where`: body, query, path), answered like the request's own
    validation errors: a check a model cannot express reads the same to the client."""
    return RequestValidationError([{"type": "value_error", "loc": (where, field), "msg": message}])


def _install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        response = _error(
            exc.status_code, _STATUS_CODES.get(exc.status_code, "error"), str(exc.detail)
        )
        for key, value in (exc.headers or {}).items():
            response.headers[key] = value
        return response

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
        details = [
            {
                "field": ".".join(str(p) for p in e.get("loc", ())),
                "message": e.get("msg", "invalid"),
            }
            for e in exc.errors()
        ]
        first = details[0] if details else {"field": "", "message": "invalid request"}
        return _error(
            422,
            "validation_error",
            f"{first['field']}: {first['message']}" if first["field"] else first["message"],
            details=details,
        )

    @app.exception_handler(InvalidDocument)
    @app.exception_handler(OverflowError)
    async def unstorable(request: Request, exc: Exception) -> JSONResponse:
        # Raised while encoding a document, before anything reaches the database: valid
        # JSON the database cannot hold (an integer over 64 bits, a NUL in a field name).
        return _error(422, "unstorable_value", f"a value cannot be stored: {exc}")

    @app.exception_handler(UnicodeEncodeError)
    async def unencodable(request: Request, exc: Exception) -> JSONResponse:
        # Valid JSON ("\ud800") that is no text: raised while encoding, before any write.
        return _error(422, "unstorable_value", "a string holds an unpaired surrogate (\\ud800…)")

    @app.exception_handler(RecursionError)
    async def too_deep(request: Request, exc: Exception) -> JSONResponse:
        return _error(422, "validation_error", "the body nests objects or lists too deeply")

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error", extra={"path": request.url.path})
        return _error(500, "internal", "internal error; the service logged the details")


def _install_metrics_middleware(app: FastAPI) -> None:
    @app.middleware("http")
    async def measure(request: Request, call_next: Callable[[Request], Awaitable[Response]]):
        started = time.perf_counter()
        response = await call_next(request)
        route = request.scope.get("route")
        template = getattr(route, "path", "unmatched")
        HTTP_REQUESTS.labels(request.method, template, response.status_code).inc()
        HTTP_SECONDS.labels(request.method, template).observe(time.perf_counter() - started)
        return response


async def _retry(what: str, hook: Hook) -> None:
    delay = 0.2
    while True:
        try:
            await hook()
            return
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            log.warning(f"{what} failed, retrying", extra={"error": repr(exc)})
            await asyncio.sleep(delay)
            delay = min(delay * 2, 5.0)


def _follow_revocations(runtime: Runtime, console_url: str) -> Hook:
    # A read every few seconds is not news: httpx logs each request at INFO.
    logging.getLogger("httpx").addFilter(
        lambda record: managed_keys.REVOKED_PATH not in record.getMessage()
    )

    async def loop() -> None:
        async with httpx.AsyncClient() as client:
            read = managed_keys.from_console(console_url, client)
            await managed_keys.follow(read, runtime.keyring.revoked)

    return loop


def build_app(
    runtime: Runtime,
    *,
    title: str,
    description: str,
    routers: Sequence[APIRouter],
    version: str = "0.1.0",
    max_body_bytes: int = 5 * 1024 * 1024,
    body_limits: dict[str, int] | None = None,
) -> FastAPI:
    settings = runtime.settings
    configure_logging(settings.service_name, settings.log_level)
    asyncapi = AsyncAPI(runtime.broker, title=title, version=version, description=description)

    runtime.progress.stall_after = settings.stall_seconds

    async def watch_progress() -> None:
        await watch(
            runtime.progress,
            settings.kafka_bootstrap,
            lambda: ping(runtime.mongo),
            security=settings.kafka_security(),
        )

    runtime.loops.append(watch_progress)
    if settings.console_url:
        runtime.loops.append(_follow_revocations(runtime, settings.console_url))

    async def boot() -> None:
        for hook in runtime.startup:
            await _retry("startup hook", hook)
        await _retry("kafka connect", runtime.broker.start)
        runtime.booted.set()
        log.info("service ready", extra={"consumers": settings.consumers_enabled})
        await asyncio.gather(*(_supervise(loop) for loop in runtime.loops))

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if settings.api_key == DEV_API_KEY:
            log.warning(
                f"using the development API key {DEV_API_KEY!r}; set LODESTONE_API_KEY",
                extra={"api_key": DEV_API_KEY},
            )
        task = asyncio.create_task(boot(), name=f"{settings.service_name}-boot")
        try:
            yield
        finally:
            if runtime.drains:
                with contextlib.suppress(Exception):
                    await asyncio.wait_for(_in_order(runtime.drains), DRAIN_SECONDS)
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
            with contextlib.suppress(Exception):
                await runtime.broker.stop()
            await runtime.mongo.close()

    app = FastAPIOffline(
        title=title,
        description=description,
        version=version,
        lifespan=lifespan,
        static_url="/docs-assets",
    )
    tracing.instrument(app)
    app.state.runtime = runtime
    app.state.keyring = runtime.keyring
    app.state.failed_auth = FailedAuthLimit(settings.failed_auth_limit)
    _install_error_handlers(app)
    _install_metrics_middleware(app)

    @app.get(
        "/healthz",
        tags=["ops"],
        summary="Liveness: the process answers and none of its consumer groups or loops is "
        "stalled (work waiting, no progress for LODESTONE_STALL_SECONDS)",
    )
    async def healthz() -> JSONResponse:
        stalled = runtime.progress.stalled
        return JSONResponse(
            {
                "status": "stalled" if stalled else "ok",
                "service": settings.service_name,
                "stalled": stalled,
                "progress": runtime.progress.report(),
            },
            status_code=503 if stalled else 200,
        )

    @app.get("/readyz", tags=["ops"], summary="Readiness: Kafka and MongoDB answer")
    async def readyz() -> JSONResponse:
        checks: dict[str, str] = {}
        try:
            await asyncio.wait_for(ping(runtime.mongo), 2.0)
            checks["mongodb"] = "ok"
        except Exception as exc:
            checks["mongodb"] = f"down: {type(exc).__name__}"
        if runtime.booted.is_set() and await runtime.broker.ping(timeout=2.0):
            checks["kafka"] = "ok"
        else:
            checks["kafka"] = "down" if runtime.booted.is_set() else "connecting"
        # A stalled process must never look ready either.
        checks["progress"] = (
            f"stalled: {', '.join(runtime.progress.stalled)}" if runtime.progress.stalled else "ok"
        )
        ok = all(v == "ok" for v in checks.values())
        return JSONResponse(
            {"status": "ready" if ok else "not_ready", "checks": checks},
            status_code=200 if ok else 503,
        )

    @app.get("/metrics", tags=["ops"], summary="Prometheus metrics")
    async def metrics() -> Response:
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

    @app.get("/asyncapi.json", tags=["ops"], summary="AsyncAPI document of this service")
    async def asyncapi_json() -> JSONResponse:
        return JSONResponse(asyncapi.to_specification().to_jsonable())

    for router in routers:
        app.include_router(router)
    app.add_middleware(BodyLimit, max_bytes=max_body_bytes, overrides=body_limits)
    app.add_middleware(SecurityHeaders)
    document_security(app)
    return app


async def _in_order(hooks: list[Hook]) -> None:
    for hook in hooks:
        await hook()


async def _supervise(loop: Hook) -> None:
    """Keep a background loop alive: log and restart it if it ever dies."""
    while True:
        try:
            await loop()
            return
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("background loop crashed; restarting", extra={"loop": repr(loop)})
            await asyncio.sleep(1.0)
