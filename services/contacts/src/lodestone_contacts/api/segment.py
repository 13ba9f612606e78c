"""Segment's HTTP Tracking API, verbatim: Segment's and RudderStack's SDKs send here unchanged.

`POST /v1/batch`, `/v1/track`, `/v1/identify`, `/v1/page`, `/v1/screen`, `/v1/group`,
`/v1/alias` and analytics.js's short paths (`/v1/t`, `/v1/i`, `/v1/p`, `/v1/s`, `/v1/g`,
`/v1/a`, `/v1/b`), as the SDKs call them:

- the write key as HTTP Basic user name (empty password), as `writeKey` in the body, or as a
  bearer key; it must hold `events:write` (a write key is just such an API key);
- JSON sent as `application/json` or `text/plain` (what the browser SDK sends to stay a simple
  CORS request), gzip bodies, CORS for browsers;
- 200 on success; at most 32 KB a message and 500 KB a request (400 beyond);
- one bad message never refuses the batch (the SDKs drop a whole batch on a 4xx): the valid
  ones are accepted, the invalid ones counted in the answer and dead-lettered with the reason.

Segment's and RudderStack's Webhook destinations are received in `webhooks.py`.
"""

from __future__ import annotations

import base64
import binascii
import gzip
import zlib
from typing import Any

import orjson
from fastapi import APIRouter, Depends, HTTPException, Request, status
from fastapi.responses import JSONResponse

from lodestone_common.auth import ApiKey, authorize
from lodestone_common.envelope import utcnow
from lodestone_common.ingest import IngestEvent
from lodestone_common.kafka import Outgoing, publish_all
from lodestone_common.limits import json_bytes
from lodestone_common.topics import DEAD_LETTER

from ..domain.segment import (
    MAX_MESSAGES,
    MAX_REQUEST_BYTES,
    SHORT_PATHS,
    TYPES,
    Rejected,
    Skipped,
    message_id,
    to_event,
)
from .deps import Ingest, IngestDep, RateLimitsDep
from .events import PUBLISH_TIMEOUT, accept, event_problems

router = APIRouter(prefix="/v1", tags=["segment"])
SCOPE = "events:write"

_MESSAGE = {
    "type": "object",
    "description": "A Segment message (https://segment.com/docs/connections/spec/); unknown "
    "fields are tolerated",
    "properties": {
        "type": {"type": "string", "enum": list(TYPES)},
        "messageId": {"type": "string"},
        "userId": {"type": "string"},
        "anonymousId": {"type": "string"},
        "event": {"type": "string"},
        "name": {"type": "string"},
        "previousId": {"type": "string"},
        "groupId": {"type": "string"},
        "timestamp": {"type": "string", "format": "date-time"},
        "properties": {"type": "object"},
        "traits": {"type": "object"},
        "context": {"type": "object"},
        "integrations": {"type": "object"},
        "writeKey": {"type": "string"},
    },
}
BODY = {
    "requestBody": {
        "required": True,
        "description": 'A Segment message, or for /batch `{"batch": [message, ...]}`. '
        "Sent as application/json or as text/plain (what analytics.js sends), optionally "
        "gzip-encoded (Content-Encoding: gzip).",
        "content": {
            "application/json": {
                "schema": {
                    **_MESSAGE,
                    "properties": {
                        **_MESSAGE["properties"],
                        "batch": {"type": "array", "items": _MESSAGE, "maxItems": MAX_MESSAGES},
                    },
                }
            }
        },
    }
}
ANSWERS: dict[int | str, dict[str, Any]] = {
    400: {"description": "not JSON, over 500 KB, or not a Segment message"},
    429: {"description": "over the key's rate limit; see Retry-After"},
}


async def read_body(request: Request) -> Any:
    """The request's JSON, gunzipped when sent so; 400 when it is neither."""
    raw = await request.body()
    if len(raw) > MAX_REQUEST_BYTES and request.headers.get("content-encoding") != "gzip":
        raise HTTPException(status.HTTP_400_BAD_REQUEST, f"request over {MAX_REQUEST_BYTES} bytes")
    if request.headers.get("content-encoding", "").lower() == "gzip":
        try:
            # Bounded: a small gzip bomb must not become gigabytes here.
            inflater = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
            raw = inflater.decompress(raw, MAX_REQUEST_BYTES + 1)
        except (zlib.error, gzip.BadGzipFile) as exc:
            raise HTTPException(status.HTTP_400_BAD_REQUEST, "body is not valid gzip") from exc
        if len(raw) > MAX_REQUEST_BYTES:
            raise HTTPException(
                status.HTTP_400_BAD_REQUEST, f"request over {MAX_REQUEST_BYTES} bytes"
            )
    try:
        return orjson.loads(raw) if raw else None
    except orjson.JSONDecodeError as exc:
        raise HTTPException(status.HTTP_400_BAD_REQUEST, f"body is not JSON: {exc}") from exc


def _presented_key(request: Request, body: Any) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "basic" and value.strip():
        try:
            # "KEY:" with an empty password; split at the last colon, as keys may hold some.
            user, _, _ = base64.b64decode(value.strip(), validate=True).decode().rpartition(":")
        except (binascii.Error, UnicodeDecodeError):
            return None
        return user or None
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    if isinstance(body, dict) and isinstance(body.get("writeKey"), str):
        return body["writeKey"]
    return None


async def segment_request(request: Request, limits: RateLimitsDep) -> tuple[ApiKey, Any]:
    """FastAPI dependency: the body and the write key it came with (401 / 403 otherwise),
    counted against the key's rate limit (429)."""
    body = await read_body(request)
    key = authorize(request, _presented_key(request, body), SCOPE, 'Basic realm="lodestone"')
    limits.check(request, key)
    return key, body


segment_request.lodestone_scope = SCOPE  # type: ignore[attr-defined]  # read by document_security
Segment = Depends(segment_request)


async def ingest_messages(
    request: Request,
    ingest: Ingest,
    messages: list[Any],
    context: Any = None,
    kind: str | None = None,
    key: ApiKey | None = None,
) -> dict[str, Any]:
    """Accept every valid message, dead-letter the others with why; the answer's counts.
    `key`: the write key they came with (None: a signed webhook, a trusted server)."""
    now = utcnow()
    events: list[IngestEvent] = []
    errors: list[dict[str, Any]] = []
    letters: list[Outgoing] = []
    skipped = 0
    batch_context = context if isinstance(context, dict) else None
    for index, message in enumerate(messages):
        try:
            event = to_event(message, now, batch_context, kind)
            if isinstance(event, Skipped):
                skipped += 1
                continue
            problems = event_problems(event, key)
            if problems:
                raise Rejected("; ".join(f"{field}: {why}" for field, why in problems))
            if key is not None:
                event.recorded_by = key.name
        except Rejected as exc:
            ident = message_id(message) if isinstance(message, dict) else None
            errors.append({"index": index, "messageId": ident, "reason": str(exc)})
            letters.append(_letter(request, message, str(exc)))
            continue
        events.append(event)
    accepted = await accept(ingest, events) if events else None
    if letters:
        try:
            await publish_all(ingest.broker, letters, timeout=PUBLISH_TIMEOUT)
        except Exception as exc:  # what was valid is in; the answer still names the rejects
            raise HTTPException(
                status.HTTP_503_SERVICE_UNAVAILABLE, "could not dead-letter invalid messages"
            ) from exc
    return {
        "success": True,
        "accepted": accepted.accepted if accepted else 0,
        "duplicates": accepted.duplicates if accepted else 0,
        "skipped": skipped,
        "rejected": len(errors),
        "errors": errors[:100],
    }


def _letter(request: Request, message: Any, reason: str) -> Outgoing:
    value = json_bytes(message)
    headers = {
        "x-dlq-reason": reason[:2000],
        "x-dlq-error": "rejected at the Segment-compatible API",
        "x-dlq-group": "contacts-segment-api",
        "x-origin": f"{request.method} {request.url.path}",
        "x-failed-at": utcnow().isoformat(),
    }
    key = message_id(message).encode() if isinstance(message, dict) else None
    return Outgoing(DEAD_LETTER, key, value, headers)


async def _batch(
    request: Request, ingest: IngestDep, sent: tuple[ApiKey, Any] = Segment
) -> JSONResponse:
    body = sent[1]
    if not isinstance(body, dict) or not isinstance(body.get("batch"), list):
        raise HTTPException(status.HTTP_400_BAD_REQUEST, 'expected {"batch": [messages]}')
    if len(body["batch"]) > MAX_MESSAGES:
        raise HTTPException(
            status.HTTP_400_BAD_REQUEST, f"{len(body['batch'])} messages; at most {MAX_MESSAGES}"
        )
    answer = await ingest_messages(request, ingest, body["batch"], body.get("context"), key=sent[0])
    return JSONResponse(answer)


def _single(kind: str):  # type: ignore[no-untyped-def]
    async def one(
        request: Request, ingest: IngestDep, sent: tuple[ApiKey, Any] = Segment
    ) -> JSONResponse:
        body = sent[1]
        if not isinstance(body, dict):
            raise HTTPException(status.HTTP_400_BAD_REQUEST, "expected a Segment message")
        answer = await ingest_messages(request, ingest, [body], None, kind, key=sent[0])
        return JSONResponse(answer)

    one.__name__ = f"segment_{kind}"
    return one


def _route(path: str, endpoint: Any, summary: str, documented: bool = True) -> None:
    router.add_api_route(
        path,
        endpoint,
        methods=["POST"],
        summary=summary,
        response_class=JSONResponse,
        responses=ANSWERS,
        openapi_extra=BODY,
        # analytics.js's short paths are aliases of the documented ones: same key check,
        # same handling (the tests drive them through analytics.js itself).
        include_in_schema=documented,
    )


# What browsers post to (analytics.js): these answer CORS preflights.
BROWSER_PATHS = [
    "/v1/batch",
    "/v1/b",
    *(f"/v1/{kind}" for kind in TYPES),
    *(f"/v1/{short}" for short in SHORT_PATHS),
]

_route("/batch", _batch, "Segment: a batch of messages")
_route("/b", _batch, "Segment (analytics.js short path): a batch", documented=False)
for _kind in TYPES:
    _route(f"/{_kind}", _single(_kind), f"Segment: one {_kind} message")
for _short, _kind in SHORT_PATHS.items():
    _route(
        f"/{_short}",
        _single(_kind),
        f"Segment (analytics.js short path): one {_kind}",
        documented=False,
    )
