"""Providers' bounce webhooks against the real services: each checked as its provider signs,
each hard bounce or complaint suppresses the address at automation, and a bounce of a
campaign's email counts in that campaign."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from typing import Any
from uuid import uuid4

import httpx
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec

from lodestone_contacts.bootstrap import create_app
from lodestone_contacts.settings import ContactsSettings

from .test_email_events_domain import CERT_URL, signing_pair, sns_message

POSTMARK = "test-postmark-webhook-secret"  # the test stack's (conftest.WEBHOOK_SECRETS)
MAILGUN = "test-mailgun-signing-key"


def basic(password: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"postmark:{password}".encode()).decode()}


def mailgun_body(key: str, recipient: str, age: float = 0, **data: Any) -> dict[str, Any]:
    timestamp, token = str(int(time.time() - age)), uuid4().hex
    signature = hmac.new(key.encode(), f"{timestamp}{token}".encode(), hashlib.sha256).hexdigest()
    event = {"id": uuid4().hex, "event": "failed", "severity": "permanent", "recipient": recipient}
    return {
        "signature": {"timestamp": timestamp, "token": token, "signature": signature},
        "event-data": {**event, **data},
    }


def sendgrid_signed(private: ec.EllipticCurvePrivateKey, events: list[Any]) -> dict[str, Any]:
    raw = json.dumps(events).encode()
    timestamp = str(int(time.time()))
    signature = private.sign(timestamp.encode() + raw, ec.ECDSA(hashes.SHA256()))
    return {
        "content": raw,
        "headers": {
            "Content-Type": "application/json",
            "X-Twilio-Email-Event-Webhook-Timestamp": timestamp,
            "X-Twilio-Email-Event-Webhook-Signature": base64.b64encode(signature).decode(),
        },
    }


async def test_signed_bounces_suppress_and_count_in_their_campaign(  # type: ignore[no-untyped-def]
    services, eventually, sendgrid_key
) -> None:
    tag = uuid4().hex[:8]
    gone = {p: f"{p}.{tag}@example.com" for p in ("postmark", "mailgun", "sendgrid", "spam")}
    async with services.client("contacts", key=None) as public:
        # Postmark: the password of the webhook URL's basic auth.
        bounce = {"RecordType": "Bounce", "ID": 1, "Type": "HardBounce", "Email": gone["postmark"]}
        wrong = await public.post("/v1/email-events/postmark", json=bounce, headers=basic("x"))
        assert wrong.status_code == 401
        took = await public.post("/v1/email-events/postmark", json=bounce, headers=basic(POSTMARK))
        assert took.status_code == 200 and took.json()["bounces"] == 1, took.text
        again = await public.post("/v1/email-events/postmark", json=bounce, headers=basic(POSTMARK))
        assert again.json()["duplicates"] == 1  # a provider's retry changes nothing

        # Mailgun: HMAC of timestamp and token, and not older than 15 minutes.
        forged = mailgun_body("not-the-key", gone["mailgun"])
        assert (await public.post("/v1/email-events/mailgun", json=forged)).status_code == 401
        stale = mailgun_body(MAILGUN, gone["mailgun"], age=3600)
        assert (await public.post("/v1/email-events/mailgun", json=stale)).status_code == 401
        took = await public.post(
            "/v1/email-events/mailgun", json=mailgun_body(MAILGUN, gone["mailgun"])
        )
        assert took.status_code == 200 and took.json()["bounces"] == 1, took.text

        # SendGrid: ECDSA over timestamp and body with the key SendGrid shows.
        events = [
            {"event": "bounce", "email": gone["sendgrid"], "sg_event_id": uuid4().hex},
            {"event": "spamreport", "email": gone["spam"], "sg_event_id": uuid4().hex},
            {"event": "delivered", "email": f"fine.{tag}@example.com", "sg_event_id": "d"},
        ]
        request = sendgrid_signed(sendgrid_key, events)
        tampered = {**request, "content": request["content"].replace(b"bounce", b"bounced")}
        assert (await public.post("/v1/email-events/sendgrid", **tampered)).status_code == 401
        took = await public.post("/v1/email-events/sendgrid", **request)
        assert took.status_code == 200 and took.json()["bounces"] == 2, took.text
        junk = await public.post("/v1/email-events/postmark", content=b"{", headers=basic(POSTMARK))
        assert junk.status_code == 400

    async with services.client("automation") as automation:
        for who, reason in (
            ("postmark", "hard_bounce"),
            ("mailgun", "hard_bounce"),
            ("sendgrid", "hard_bounce"),
            ("spam", "complaint"),
        ):

            async def suppressed(address: str = gone[who]) -> dict[str, Any] | None:
                found = await automation.get(f"/v1/suppressions/{address}")
                return found.json() if found.status_code == 200 else None

            entry = await eventually(suppressed, timeout=60)
            assert entry["reason"] == reason, (who, entry)


async def test_ses_through_sns_confirms_its_subscription_and_takes_only_signed_feedback(  # type: ignore[no-untyped-def]
    in_process,
) -> None:
    key, cert = signing_pair()
    topic = "arn:aws:sns:eu-west-1:123:ses-feedback"
    async with in_process(create_app, ContactsSettings) as off, off.client() as http:
        assert (await http.post("/v1/email-events/ses", json={})).status_code == 404
    async with in_process(create_app, ContactsSettings, ses_topic_arns=topic) as served:
        confirmed: list[str] = []

        def sns(request: httpx.Request) -> httpx.Response:
            confirmed.append(str(request.url))
            return httpx.Response(200)

        verifier = served.app.state.sns
        verifier.certificates[CERT_URL] = cert  # fetched once from SNS, as in production
        verifier.http = httpx.AsyncClient(transport=httpx.MockTransport(sns))
        async with served.client() as http:
            subscribe = {
                "Type": "SubscriptionConfirmation",
                "Token": "t",
                "SubscribeURL": "https://sns.eu-west-1.amazonaws.com/?Action=ConfirmSubscription",
            }
            answer = await http.post("/v1/email-events/ses", json=sns_message(key, **subscribe))
            assert answer.status_code == 401  # fields changed after signing
            signed = _resigned(key, {**sns_message(key), **subscribe})
            answer = await http.post("/v1/email-events/ses", json=signed)
            assert answer.status_code == 200 and answer.json()["confirmed"], answer.text
            assert confirmed == [subscribe["SubscribeURL"]]

            other_topic = _resigned(key, {**sns_message(key), "TopicArn": "arn:aws:sns:x:1:y"})
            assert (await http.post("/v1/email-events/ses", json=other_topic)).status_code == 403
            feedback = {
                "notificationType": "Bounce",
                "mail": {"messageId": uuid4().hex, "headers": []},
                "bounce": {
                    "bounceType": "Permanent",
                    "bouncedRecipients": [{"emailAddress": f"{uuid4().hex[:8]}@example.com"}],
                },
            }
            note = _resigned(key, {**sns_message(key), "Message": json.dumps(feedback)})
            answer = await http.post("/v1/email-events/ses", json=note)
            assert answer.status_code == 200 and answer.json()["bounces"] == 1, answer.text


def _resigned(key: Any, message: dict[str, str]) -> dict[str, str]:
    from cryptography.hazmat.primitives.asymmetric import padding

    from lodestone_contacts.sns import string_to_sign

    body = {k: v for k, v in message.items() if k != "Signature"}
    signature = key.sign(string_to_sign(body), padding.PKCS1v15(), hashes.SHA256())
    return {**body, "Signature": base64.b64encode(signature).decode()}


async def test_a_bounce_that_came_back_by_mail_suppresses_the_address(  # type: ignore[no-untyped-def]
    services, eventually
) -> None:
    from .test_email_events_domain import POSTFIX_DSN

    address = f"gone.{uuid4().hex[:8]}@example.net"
    raw = POSTFIX_DSN.replace(b"gone@example.net", address.encode())
    headers = {"Content-Type": "message/rfc822"}
    async with services.client("contacts", key=None) as anyone:
        assert (
            await anyone.post("/v1/email-events/dsn", content=raw, headers=headers)
        ).status_code == 401
    async with services.client("contacts") as contacts:
        took = await contacts.post("/v1/email-events/dsn", content=raw, headers=headers)
        assert took.status_code == 200 and took.json()["bounces"] == 2, took.text
        junk = await contacts.post("/v1/email-events/dsn", content=b"hello", headers=headers)
        assert junk.status_code == 400 and "multipart/report" in junk.text
    async with services.client("automation") as automation:

        async def suppressed() -> dict[str, Any] | None:
            found = await automation.get(f"/v1/suppressions/{address}")
            return found.json() if found.status_code == 200 else None

        assert (await eventually(suppressed, timeout=60))["reason"] == "hard_bounce"
