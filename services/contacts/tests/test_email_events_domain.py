"""Providers' bounce and complaint payloads read into `Email Bounced` events, and SNS's
signatures checked: plain logic, with a certificate made here."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import NameOID

from lodestone_contacts.domain.email_events import Unreadable, mailgun, postmark, sendgrid, ses
from lodestone_contacts.sns import NotFromSns, SnsVerifier, string_to_sign

ACTION = "cmp_1:ct_9"


def props(events: list[Any]) -> list[tuple[str, str, str | None, str | None]]:
    return [
        (
            e.contact.email,
            e.properties["bounce_type"],
            e.properties.get("email_id"),
            e.properties.get("campaign_id") or e.properties.get("workflow_id"),
        )
        for e in events
    ]


def test_ses_bounces_complaints_and_what_went_well() -> None:
    mail = {
        "messageId": "0100-abc",
        "headers": [{"name": "X-Lodestone-Action", "value": ACTION}],
    }
    hard = {
        "notificationType": "Bounce",
        "mail": mail,
        "bounce": {
            "bounceType": "Permanent",
            "feedbackId": "f1",
            "timestamp": "2026-12-01T10:00:00Z",
            "bouncedRecipients": [
                {"emailAddress": "gone@x.io", "diagnosticCode": "550 5.1.1 no such user"}
            ],
        },
    }
    assert props(ses(hard)) == [("gone@x.io", "hard", ACTION, "cmp_1")]
    assert ses(hard)[0].properties["reason"] == "550 5.1.1 no such user"
    assert ses(hard)[0].event_id == ses(hard)[0].event_id  # a resend is a duplicate
    full = {**hard, "bounce": {**hard["bounce"], "bounceType": "Transient"}}
    assert props(ses(full))[0][1] == "soft"
    complaint = {
        "eventType": "Complaint",  # SES event publishing says eventType
        "mail": {
            "messageId": "m2",
            "headers": [{"name": "x-lodestone-action", "value": "wf_1:e:s"}],
        },
        "complaint": {"complainedRecipients": [{"emailAddress": "angry@x.io"}]},
    }
    assert props(ses(complaint)) == [("angry@x.io", "complaint", "wf_1:e:s", "wf_1")]
    assert ses({"notificationType": "Delivery", "mail": mail}) == []
    with pytest.raises(Unreadable):
        ses({"notificationType": "Bounce", "mail": mail})


def test_postmark_mailgun_and_sendgrid() -> None:
    bounced = {
        "RecordType": "Bounce",
        "ID": 42,
        "Type": "HardBounce",
        "Email": "gone@x.io",
        "BouncedAt": "2026-12-01T10:00:00Z",
        "Description": "The server was unable to deliver your message",
        "Metadata": {"lodestone-action": f" {ACTION}"},  # as a folded header gives it
    }
    assert props(postmark(bounced)) == [("gone@x.io", "hard", ACTION, "cmp_1")]
    assert props(postmark({**bounced, "Type": "SoftBounce"}))[0][1] == "soft"
    assert props(postmark({**bounced, "RecordType": "SpamComplaint"}))[0][1] == "complaint"
    assert postmark({"RecordType": "Delivery", "Email": "x@y.io"}) == []

    failed = {
        "signature": {},
        "event-data": {
            "id": "ev1",
            "event": "failed",
            "severity": "permanent",
            "recipient": "gone@x.io",
            "timestamp": 1764583200.5,
            "delivery-status": {"description": "No such user"},
            "message": {"headers": {"x-lodestone-action": ACTION}},
        },
    }
    assert props(mailgun(failed)) == [("gone@x.io", "hard", ACTION, "cmp_1")]
    assert mailgun(failed)[0].occurred_at == datetime.fromtimestamp(1764583200.5, UTC)
    temporary = {**failed, "event-data": {**failed["event-data"], "severity": "temporary"}}
    assert props(mailgun(temporary))[0][1] == "soft"
    with pytest.raises(Unreadable):
        mailgun({"signature": {}})

    events = [
        {"event": "bounce", "email": "gone@x.io", "sg_event_id": "s1", "lodestone_action": ACTION},
        {"event": "bounce", "type": "blocked", "email": "later@x.io", "sg_event_id": "s2"},
        {"event": "spamreport", "email": "angry@x.io", "sg_event_id": "s3"},
        {"event": "delivered", "email": "fine@x.io", "sg_event_id": "s4"},
    ]
    assert props(sendgrid(events)) == [
        ("gone@x.io", "hard", ACTION, "cmp_1"),
        ("later@x.io", "soft", None, None),
        ("angry@x.io", "complaint", None, None),
    ]


CERT_URL = "https://sns.eu-west-1.amazonaws.com/SimpleNotificationService-abc.pem"


def signing_pair() -> tuple[rsa.RSAPrivateKey, x509.Certificate]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "sns.amazonaws.com")])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    return key, cert


def sns_message(key: rsa.RSAPrivateKey, version: str = "2", **changes: str) -> dict[str, str]:
    message = {
        "Type": "Notification",
        "MessageId": "m-1",
        "TopicArn": "arn:aws:sns:eu-west-1:123:ses-feedback",
        "Message": '{"notificationType": "Delivery"}',
        "Timestamp": "2026-12-01T10:00:00.000Z",
        "SignatureVersion": version,
        "SigningCertURL": CERT_URL,
    }
    digest = hashes.SHA256() if version == "2" else hashes.SHA1()
    signature = key.sign(string_to_sign(message), padding.PKCS1v15(), digest)
    return {**message, "Signature": base64.b64encode(signature).decode(), **changes}


async def test_sns_signatures_verify_only_from_sns_hosts() -> None:
    key, cert = signing_pair()
    verifier = SnsVerifier()
    verifier.certificates[CERT_URL] = cert  # as if fetched from SNS once
    await verifier.verify(sns_message(key))
    await verifier.verify(sns_message(key, version="1"))
    for forged in (
        sns_message(key, Message='{"notificationType": "Bounce"}'),  # changed after signing
        sns_message(key, SignatureVersion="3"),
        sns_message(key, SigningCertURL="https://evil.example/sns.pem"),
        sns_message(key, SigningCertURL="http://sns.eu-west-1.amazonaws.com/x.pem"),
        sns_message(key, SigningCertURL="https://sns.eu-west-1.amazonaws.com.evil.io/x.pem"),
        sns_message(key, Signature="not base64!"),
    ):
        with pytest.raises(NotFromSns):
            await verifier.verify(forged)


POSTFIX_DSN = b"""From: MAILER-DAEMON@mx.example.net (Mail Delivery System)
To: hello@lodestone.local
Subject: Undelivered Mail Returned to Sender
Date: Tue, 01 Dec 2026 10:00:00 +0000
Message-ID: <20261201100000.ABC@mx.example.net>
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status;
\tboundary="B1"

--B1
Content-Type: text/plain

I'm sorry to have to inform you that your message could not be delivered.

--B1
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.example.net
Arrival-Date: Tue, 01 Dec 2026 09:59:58 +0000

Final-Recipient: rfc822; gone@example.net
Original-Recipient: rfc822;gone@example.net
Action: failed
Status: 5.1.1
Diagnostic-Code: smtp; 550 5.1.1 <gone@example.net>: Recipient address
    rejected: User unknown

Final-Recipient: rfc822; full@example.net
Action: delayed
Status: 4.2.2
Diagnostic-Code: smtp; 452 4.2.2 Mailbox full

Final-Recipient: rfc822; fine@example.net
Action: delivered
Status: 2.0.0

--B1
Content-Type: message/rfc822

From: Lodestone <hello@lodestone.local>
To: gone@example.net
Subject: Spring
X-Lodestone-Action:
 cmp_1:ct_9

Hi
--B1--
"""

ARF = b"""From: feedback@mail.example.com
To: abuse@lodestone.local
Subject: Spam report
MIME-Version: 1.0
Content-Type: multipart/report; report-type=feedback-report; boundary="F"

--F
Content-Type: text/plain

This is an email abuse report.
--F
Content-Type: message/feedback-report

Feedback-Type: abuse
User-Agent: SomeGenerator/1.0
Version: 1
Original-Rcpt-To: <angry@example.com>

--F
Content-Type: text/rfc822-headers

From: Lodestone <hello@lodestone.local>
To: angry@example.com
X-Lodestone-Action: wf_2:e:s
--F--
"""


def test_mail_that_bounces_back_dsn_and_arf() -> None:
    from lodestone_contacts.domain.returned_mail import dsn

    events = dsn(POSTFIX_DSN)
    assert props(events) == [
        ("gone@example.net", "hard", ACTION, "cmp_1"),
        ("full@example.net", "soft", ACTION, "cmp_1"),
    ]
    assert "User unknown" in events[0].properties["reason"]
    assert props(dsn(ARF)) == [("angry@example.com", "complaint", "wf_2:e:s", "wf_2")]
    with pytest.raises(Unreadable, match="multipart/report"):
        dsn(b"Subject: hello\n\nnot a report")
