"""Receivers for Segment's and RudderStack's Webhook destinations (`/v1/sources/segment`,
`/v1/sources/rudderstack`): they sign the body (`X-Signature`, the hex HMAC-SHA1 of the body
with the shared secret set in LODESTONE_SEGMENT_WEBHOOK_SECRET /
LODESTONE_RUDDERSTACK_WEBHOOK_SECRET) instead of sending a key."""

from __future__ import annotations

import hashlib
import hmac

from fastapi import APIRouter, HTTPException, Request, status
from fastapi.responses import JSONResponse

from .deps import IngestDep, SettingsDep
from .segment import ANSWERS, BODY, MAX_MESSAGES, ingest_messages, read_body

router = APIRouter(prefix="/v1", tags=["segment"])


def _webhook(source: str):  # type: ignore[no-untyped-def]
    async def receive(request: Request, ingest: IngestDep, settings: SettingsDep) -> JSONResponse:
        secret = getattr(settings, f"{source}_webhook_secret", None)
        if not secret:
            raise HTTPException(
                status.HTTP_404_NOT_FOUND,
                f"the {source} webhook receiver is off: set LODESTONE_{source.upper()}"
                "_WEBHOOK_SECRET",
            )
        raw = await request.body()
        given = request.headers.get("x-signature", "")
        expected = hmac.new(secret.encode(), raw, hashlib.sha1).hexdigest()
        if not given or not hmac.compare_digest(given.lower().encode(), expected.encode()):
            raise HTTPException(status.HTTP_401_UNAUTHORIZED, "missing or wrong X-Signature")
        body = await read_body(request)
        if isinstance(body, dict) and isinstance(body.get("batch"), list):
            messages, context = body["batch"], body.get("context")
        elif isinstance(body, list):
            messages, context = body, None
        elif isinstance(body, dict):
            messages, context = [body], None
        else:
            raise HTTPException(status.HTTP_400_BAD_REQUEST, "expected a Segment message")
        if len(messages) > MAX_MESSAGES:
            raise HTTPException(status.HTTP_400_BAD_REQUEST, f"at most {MAX_MESSAGES} messages")
        return JSONResponse(await ingest_messages(request, ingest, messages, context))

    receive.__name__ = f"{source}_webhook"
    return receive


for _source, _title in (("segment", "Segment"), ("rudderstack", "RudderStack")):
    router.add_api_route(
        f"/sources/{_source}",
        _webhook(_source),
        methods=["POST"],
        summary=f"{_title} Webhook destination (signed with X-Signature, no key)",
        response_class=JSONResponse,
        responses={401: {"description": "missing or wrong signature"}, **ANSWERS},
        openapi_extra=BODY,
    )
