"""Links recipients follow from emails (no API key: each carries a signed token).

Unsubscribes, opens and clicks flow back to contacts as interaction events, so consent,
scores and workflows all see them."""

from __future__ import annotations

import base64
import hashlib

from fastapi import APIRouter, HTTPException, Request, status
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from lodestone_common.envelope import utcnow

from ..links import verify

router = APIRouter(tags=["email links"])
_PIXEL = base64.b64decode("R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7")


async def _track(request: Request, token: str, name: str, extra: dict[str, str]) -> None:
    parts = verify(request.app.state.settings.link_secret, token)
    if parts is None or len(parts) != 3:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "unknown link")
    contact_id, workflow_id, action = parts
    # One id per (action, kind): reopening the same email records one open.
    event_id = hashlib.sha256(f"{action}|{name}|{extra.get('url', '')}".encode()).hexdigest()
    await request.app.state.contacts.track(
        {
            "event_id": event_id,
            "type": "track",
            "name": name,
            "occurred_at": utcnow().isoformat(),
            "contact": {"contact_id": contact_id},
            "properties": {"workflow_id": workflow_id, "email_id": action, **extra},
        }
    )


@router.get(
    "/unsubscribe/{token}",
    response_class=HTMLResponse,
    include_in_schema=True,
    summary="Recipient's unsubscribe link",
)
async def unsubscribe(token: str, request: Request) -> HTMLResponse:
    await _track(request, token, "Email Unsubscribed", {})
    return HTMLResponse(
        "<html><body><p>You are unsubscribed. "
        "You will not get these emails again.</p></body></html>"
    )


@router.get("/t/open/{token}", summary="Open-tracking pixel")
async def opened(token: str, request: Request) -> Response:
    await _track(request, token, "Email Opened", {})
    return Response(_PIXEL, media_type="image/gif", headers={"Cache-Control": "no-store"})


@router.get("/t/click/{token}", summary="Click-tracking redirect")
async def clicked(token: str, url: str, request: Request) -> RedirectResponse:
    if not url.startswith(("http://", "https://")):
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_ENTITY, "url: must be http(s)")
    await _track(request, token, "Email Clicked", {"url": url})
    return RedirectResponse(url, status_code=302)
