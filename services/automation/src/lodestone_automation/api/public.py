"""Links recipients follow from emails (no API key: each carries a signed token).

Unsubscribes, opens and clicks flow back to contacts as interaction events, so consent,
scores and workflows all see them."""

from __future__ import annotations

import base64
import hashlib
import html

from fastapi import APIRouter, HTTPException, status
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from lodestone_common.envelope import utcnow

from ..effects import ContactsClient
from ..links import LinkSigner
from ..runner import Runner
from .deps import ContactsDep, RunnerDep

router = APIRouter(tags=["email links"])
_PIXEL = base64.b64decode("R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7")


def _parts(links: LinkSigner, token: str) -> list[str]:
    parts = links.verify(token)
    if parts is None or len(parts) != 3:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "unknown or expired link")
    return parts


async def _track(
    runner: Runner, contacts: ContactsClient, token: str, name: str, extra: dict[str, str]
) -> None:
    parts = _parts(runner.performer.links, token)
    contact_id, workflow_id, action = parts
    # One id per (action, kind): reopening the same email records one open.
    event_id = hashlib.sha256(f"{action}|{name}|{extra.get('url', '')}".encode()).hexdigest()
    await contacts.track(
        {
            "event_id": event_id,
            "type": "track",
            "name": name,
            "occurred_at": utcnow().isoformat(),
            "contact": {"contact_id": contact_id},
            "properties": {_sent_by(workflow_id): workflow_id, "email_id": action, **extra},
        }
    )


def _sent_by(sender_id: str) -> str:
    """A campaign's email says so (reports count workflows' emails apart from campaigns')."""
    return "campaign_id" if sender_id.startswith("cmp_") else "workflow_id"


_PAGE = """<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>{title}</title>
<style>body{{font:16px/1.5 system-ui,sans-serif;max-width:32rem;margin:4rem auto;padding:0 1rem}}
button{{font:inherit;padding:.5rem 1.25rem;border-radius:.4rem;border:0;background:#2563eb;
color:#fff;cursor:pointer}}</style></head><body>{body}</body></html>"""


@router.get(
    "/unsubscribe/{token}",
    response_class=HTMLResponse,
    summary="Recipient's unsubscribe link: asks to confirm (link scanners only look)",
)
async def unsubscribe_page(token: str, runner: RunnerDep) -> HTMLResponse:
    _parts(runner.performer.links, token)
    body = (
        "<h1>Unsubscribe?</h1><p>You will not get these emails any more.</p>"
        f'<form method="post" action="/unsubscribe/{html.escape(token)}">'
        "<button type=submit>Unsubscribe</button></form>"
    )
    return HTMLResponse(_PAGE.format(title="Unsubscribe", body=body))


@router.post(
    "/unsubscribe/{token}",
    response_class=HTMLResponse,
    summary="Unsubscribe: the confirmation's button, or a mail client's RFC 8058 one-click POST",
)
async def unsubscribe(token: str, runner: RunnerDep, contacts: ContactsDep) -> HTMLResponse:
    await _track(runner, contacts, token, "Email Unsubscribed", {})
    body = "<h1>You are unsubscribed</h1><p>You will not get these emails again.</p>"
    return HTMLResponse(_PAGE.format(title="Unsubscribed", body=body))


@router.get("/t/open/{token}", summary="Open-tracking pixel")
async def opened(token: str, runner: RunnerDep, contacts: ContactsDep) -> Response:
    await _track(runner, contacts, token, "Email Opened", {})
    return Response(_PIXEL, media_type="image/gif", headers={"Cache-Control": "no-store"})


@router.get("/t/click/{token}", summary="Click-tracking redirect (to the URL signed in the link)")
async def clicked(
    token: str, url: str, sig: str, runner: RunnerDep, contacts: ContactsDep
) -> RedirectResponse:
    if not url.startswith(("http://", "https://")):
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_ENTITY, "url: must be http(s)")
    # Only where the email pointed: not an open redirect, and no new "clicks" for new URLs.
    if not runner.performer.links.url_signed(token, url, sig):
        raise HTTPException(status.HTTP_404_NOT_FOUND, "unknown link")
    await _track(runner, contacts, token, "Email Clicked", {"url": url})
    return RedirectResponse(url, status_code=302)
