"""`/v1/email-events/{provider}`: bounces and complaints from Amazon SES (through SNS),
Postmark, Mailgun and SendGrid, each checked the way its provider signs, become `Email Bounced`
interactions (domain/email_events.py): the contact's timeline shows them, automation's
suppression list takes hard bounces and complaints, a campaign counts them.

Each receiver is off (404) until its secret is set: LODESTONE_SES_TOPIC_ARNS (the SNS topics
to accept), LODESTONE_POSTMARK_WEBHOOK_SECRET (the password of the webhook URL's basic auth),
LODESTONE_MAILGUN_SIGNING_KEY, LODESTONE_SENDGRID_VERIFICATION_KEY (the signed event webhook's
public key, as SendGrid shows it). `/dsn` takes a bounce message as mail servers send it back
(a DSN or a spam report), from whatever receives the return path's mail, with a key."""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from collections.abc import Callable
from typing import Any

import orjson
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import load_der_public_key
from fastapi import APIRouter, HTTPException, Request, status
from pydantic import BaseModel

from lodestone_common.auth import ApiKey, Scope
from lodestone_common.ingest import IngestEvent
from lodestone_common.settings import comma_list

from ..domain import email_events, returned_mail
from ..domain.email_events import Unreadable
from ..sns import NotFromSns
from .deps import IngestDep, SettingsDep, SnsVerifierDep
from .events import accept

router = APIRouter(prefix="/v1/email-events", tags=["email events"])
FRESH_SECONDS = 15 * 60  # a signed webhook older than this is a replay


class Received(BaseModel):
    bounces: int
    duplicates: int = 0
    confirmed: bool = False


def _off(setting: str) -> HTTPException:
    return HTTPException(
        status.HTTP_404_NOT_FOUND, f"this receiver is off: set LODESTONE_{setting.upper()}"
    )


def _unauthorized(why: str) -> HTTPException:
    return HTTPException(status.HTTP_401_UNAUTHORIZED, why)


async def _json(request: Request) -> Any:
    try:
        return orjson.loads(await request.body())
    except orjson.JSONDecodeError as exc:
        raise HTTPException(status.HTTP_400_BAD_REQUEST, f"not JSON: {exc}") from exc


async def _ingest(ingest: IngestDep, read: Callable[[], list[IngestEvent]], who: str) -> Received:
    try:
        events = read()
    except (Unreadable, KeyError, TypeError, ValueError) as exc:
        raise HTTPException(status.HTTP_400_BAD_REQUEST, f"not a {who} event: {exc}") from exc
    if not events:
        return Received(bounces=0)
    events = [e.model_copy(update={"recorded_by": who}) for e in events]
    accepted = await accept(ingest, events)
    return Received(bounces=accepted.accepted, duplicates=accepted.duplicates)


@router.post("/ses", response_model=Received, summary="Amazon SES feedback through SNS")
async def ses(
    request: Request,
    ingest: IngestDep,
    settings: SettingsDep,
    verifier: SnsVerifierDep,
) -> Received:
    topics = set(comma_list(settings.ses_topic_arns))
    if not topics:
        raise _off("ses_topic_arns")
    message = await _json(request)
    if not isinstance(message, dict):
        raise HTTPException(status.HTTP_400_BAD_REQUEST, "not an SNS message")
    try:
        await verifier.verify(message)
    except NotFromSns as exc:
        raise _unauthorized(str(exc)) from exc
    if message.get("TopicArn") not in topics:
        raise HTTPException(status.HTTP_403_FORBIDDEN, "not a topic LODESTONE_SES_TOPIC_ARNS names")
    if message.get("Type") == "SubscriptionConfirmation":
        await verifier.confirm(message)
        return Received(bounces=0, confirmed=True)
    if message.get("Type") != "Notification":
        return Received(bounces=0)
    try:
        inner = orjson.loads(message.get("Message", ""))
    except orjson.JSONDecodeError as exc:
        raise HTTPException(status.HTTP_400_BAD_REQUEST, "the SNS Message is not JSON") from exc
    return await _ingest(ingest, lambda: email_events.ses(inner), "ses")


@router.post("/postmark", response_model=Received, summary="Postmark bounce and spam webhooks")
async def postmark(request: Request, ingest: IngestDep, settings: SettingsDep) -> Received:
    secret = settings.postmark_webhook_secret
    if not secret:
        raise _off("postmark_webhook_secret")
    # Postmark sends the credentials written in the webhook's URL as basic auth.
    given = request.headers.get("authorization", "")
    password = ""
    if given.lower().startswith("basic "):
        try:
            password = base64.b64decode(given[6:]).decode().partition(":")[2]
        except ValueError:
            password = ""
    if not hmac.compare_digest(password.encode(), secret.encode()):
        raise _unauthorized("missing or wrong basic auth (the webhook URL's user:password)")
    body = await _json(request)
    if not isinstance(body, dict):
        raise HTTPException(status.HTTP_400_BAD_REQUEST, "not a Postmark webhook")
    return await _ingest(ingest, lambda: email_events.postmark(body), "postmark")


@router.post("/mailgun", response_model=Received, summary="Mailgun failed and complained webhooks")
async def mailgun(request: Request, ingest: IngestDep, settings: SettingsDep) -> Received:
    key = settings.mailgun_signing_key
    if not key:
        raise _off("mailgun_signing_key")
    body = await _json(request)
    signed = body.get("signature") if isinstance(body, dict) else None
    if not isinstance(signed, dict):
        raise _unauthorized("no signature")
    timestamp, token = str(signed.get("timestamp", "")), str(signed.get("token", ""))
    expected = hmac.new(key.encode(), f"{timestamp}{token}".encode(), hashlib.sha256).hexdigest()
    if not hmac.compare_digest(str(signed.get("signature", "")).encode(), expected.encode()):
        raise _unauthorized("the signature does not verify")
    if not timestamp.isdigit() or abs(time.time() - int(timestamp)) > FRESH_SECONDS:
        raise _unauthorized("the signature's timestamp is stale")
    return await _ingest(ingest, lambda: email_events.mailgun(body), "mailgun")


@router.post("/sendgrid", response_model=Received, summary="SendGrid signed event webhook")
async def sendgrid(request: Request, ingest: IngestDep, settings: SettingsDep) -> Received:
    key = settings.sendgrid_verification_key
    if not key:
        raise _off("sendgrid_verification_key")
    raw = await request.body()
    timestamp = request.headers.get("x-twilio-email-event-webhook-timestamp", "")
    signature = request.headers.get("x-twilio-email-event-webhook-signature", "")
    try:
        public = load_der_public_key(base64.b64decode(key))
        assert isinstance(public, ec.EllipticCurvePublicKey)
        public.verify(
            base64.b64decode(signature), timestamp.encode() + raw, ec.ECDSA(hashes.SHA256())
        )
    except (InvalidSignature, ValueError) as exc:
        raise _unauthorized("missing or wrong X-Twilio-Email-Event-Webhook-Signature") from exc
    if not timestamp.isdigit() or abs(time.time() - int(timestamp)) > FRESH_SECONDS:
        raise _unauthorized("the signature's timestamp is stale")
    body = await _json(request)
    if not isinstance(body, list):
        raise HTTPException(status.HTTP_400_BAD_REQUEST, "SendGrid posts a list of events")
    return await _ingest(ingest, lambda: email_events.sendgrid(body), "sendgrid")


@router.post(
    "/dsn",
    response_model=Received,
    summary="A bounce message as it came back by mail (DSN, RFC 3464; or ARF spam report)",
    description="The whole message (`Content-Type: message/rfc822`), posted by what receives "
    "the bounce address's mail (an MTA's pipe, an inbound-mail route). Each failed recipient "
    "becomes an `Email Bounced` event: status 5.x.x hard, 4.x.x or delayed soft.",
    openapi_extra={"requestBody": {"content": {"message/rfc822": {}}, "required": True}},
)
async def dsn(request: Request, ingest: IngestDep, key: ApiKey = Scope("events:write")) -> Received:
    raw = await request.body()
    return await _ingest(ingest, lambda: returned_mail.dsn(raw), "dsn")
