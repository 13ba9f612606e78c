"""Bounces and complaints as email providers report them, read into `Email Bounced` events.

Amazon SES (through SNS), Postmark, Mailgun and SendGrid each post their own shape, and mail
servers send delivery status notifications (RFC 3464) and spam reports (ARF, RFC 5965) back
to the sender's address; every one
becomes the same interaction: an `Email Bounced` track event about the address, with
`bounce_type` hard, soft or complaint (the contract automation's suppression list reads),
the provider's reason, and — when the provider hands back what Lodestone put in the email —
the email it was (`email_id`, and `campaign_id` or `workflow_id`), so a campaign counts it.

What Lodestone puts in: the `X-Lodestone-Action` header (SES and Mailgun return headers),
Postmark's metadata header `X-PM-Metadata-lodestone-action` and SendGrid's `X-SMTPAPI` unique
argument `lodestone_action` (both returned as fields of their events). Plain functions, no I/O.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from typing import Any

from lodestone_common.ingest import IngestEvent

Provider = str
ACTION_HEADER = "x-lodestone-action"


class Unreadable(ValueError):
    """Not an event of the provider's that this reads (400, with what was wrong)."""


def bounce(
    provider: Provider,
    provider_event: str,
    email: str,
    kind: str,
    at: datetime | str | None,
    reason: str | None,
    action: str | None,
) -> IngestEvent:
    """One `Email Bounced` event; its id is the provider's event's, so a resend is a duplicate."""
    properties: dict[str, Any] = {"email": email, "bounce_type": kind, "provider": provider}
    if reason:
        properties["reason"] = reason[:500]
    action = (action or "").strip()  # a long header is folded: its value may start with a space
    if action:
        properties["email_id"] = action
        prefix = action.partition(":")[0]
        properties["campaign_id" if prefix.startswith("cmp_") else "workflow_id"] = prefix
    digest = hashlib.sha256(f"{provider}|{provider_event}|{email}".encode()).hexdigest()
    return IngestEvent.model_validate(
        {
            "event_id": f"{provider}-{digest[:40]}",
            "type": "track",
            "name": "Email Bounced",
            "occurred_at": at,
            "contact": {"email": email},
            "properties": properties,
        }
    )


def _header(headers: Any, name: str) -> str | None:
    """A header's value from a list of {name, value} or a {name: value} map, any case."""
    if isinstance(headers, dict):
        items = list(headers.items())
    elif isinstance(headers, list):
        items = [
            (h.get("name"), h.get("value")) if isinstance(h, dict) else tuple(h[:2])
            for h in headers
            if isinstance(h, dict | list)
        ]
    else:
        return None
    for key, value in items:
        if isinstance(key, str) and key.lower() == name and isinstance(value, str):
            return value
    return None


def _required(data: Any, *path: str) -> Any:
    for step in path:
        if not isinstance(data, dict) or step not in data:
            raise Unreadable(f"{'.'.join(path)} is missing")
        data = data[step]
    return data


# -- Amazon SES (the SNS notification's Message) ---------------------------------------------


def ses(message: dict[str, Any]) -> list[IngestEvent]:
    """An SES feedback notification (`notificationType`) or event (`eventType`)."""
    what = message.get("notificationType") or message.get("eventType")
    mail = message.get("mail") if isinstance(message.get("mail"), dict) else {}
    action = _header(mail.get("headers"), ACTION_HEADER)
    event_id = str(mail.get("messageId") or "")
    if what == "Bounce":
        detail = _required(message, "bounce")
        kind = {"Permanent": "hard", "Transient": "soft"}.get(detail.get("bounceType"), "hard")
        return [
            bounce(
                "ses",
                f"{event_id}:{detail.get('feedbackId', '')}",
                r["emailAddress"],
                kind,
                detail.get("timestamp"),
                r.get("diagnosticCode") or detail.get("bounceSubType"),
                action,
            )
            for r in _required(detail, "bouncedRecipients")
            if isinstance(r, dict) and r.get("emailAddress")
        ]
    if what == "Complaint":
        detail = _required(message, "complaint")
        return [
            bounce(
                "ses",
                f"{event_id}:{detail.get('feedbackId', '')}",
                r["emailAddress"],
                "complaint",
                detail.get("timestamp"),
                detail.get("complaintFeedbackType"),
                action,
            )
            for r in _required(detail, "complainedRecipients")
            if isinstance(r, dict) and r.get("emailAddress")
        ]
    if what is None:
        raise Unreadable("notificationType (or eventType) is missing")
    return []  # deliveries, sends, opens: SES's word on what went well changes nothing here


# -- Postmark ---------------------------------------------------------------------------------

# Postmark's bounce types that mean "try later" (its docs list them with `CanActivate`).
POSTMARK_SOFT = {"SoftBounce", "Transient", "DnsError", "AutoResponder", "Unknown", "Blocked"}


def postmark(body: dict[str, Any]) -> list[IngestEvent]:
    record = _required(body, "RecordType")
    metadata = body.get("Metadata") if isinstance(body.get("Metadata"), dict) else {}
    action = metadata.get("lodestone-action") or metadata.get("lodestone_action")
    if record == "Bounce":
        kind = "soft" if body.get("Type") in POSTMARK_SOFT else "hard"
        if body.get("Type") == "SpamComplaint":
            kind = "complaint"
        return [
            bounce(
                "postmark",
                str(body.get("ID") or body.get("MessageID")),
                _required(body, "Email"),
                kind,
                body.get("BouncedAt"),
                body.get("Description") or body.get("Details"),
                action,
            )
        ]
    if record == "SpamComplaint":
        return [
            bounce(
                "postmark",
                str(body.get("ID") or body.get("MessageID")),
                _required(body, "Email"),
                "complaint",
                body.get("BouncedAt"),
                "spam complaint",
                action,
            )
        ]
    return []


# -- Mailgun ----------------------------------------------------------------------------------


def mailgun(body: dict[str, Any]) -> list[IngestEvent]:
    data = _required(body, "event-data")
    event = data.get("event")
    message = data.get("message") if isinstance(data.get("message"), dict) else {}
    action = _header(message.get("headers"), ACTION_HEADER)
    at = data.get("timestamp")
    when = datetime.fromtimestamp(float(at), UTC) if isinstance(at, int | float) else None
    reason = (data.get("delivery-status") or {}).get("description") or data.get("reason")
    if event == "failed":
        kind = "hard" if data.get("severity") == "permanent" else "soft"
        return [
            bounce(
                "mailgun",
                str(data.get("id")),
                _required(data, "recipient"),
                kind,
                when,
                reason,
                action,
            )
        ]
    if event == "complained":
        return [
            bounce(
                "mailgun",
                str(data.get("id")),
                _required(data, "recipient"),
                "complaint",
                when,
                "complaint",
                action,
            )
        ]
    return []


# -- SendGrid ---------------------------------------------------------------------------------


def sendgrid(events: list[Any]) -> list[IngestEvent]:
    found = []
    for e in events:
        if not isinstance(e, dict):
            raise Unreadable("each event is an object")
        what = e.get("event")
        at = e.get("timestamp")
        when = datetime.fromtimestamp(float(at), UTC) if isinstance(at, int | float) else None
        action = e.get("lodestone_action")
        event_id = str(e.get("sg_event_id") or e.get("sg_message_id"))
        if what == "bounce":
            kind = "soft" if e.get("type") == "blocked" else "hard"
            found.append(
                bounce(
                    "sendgrid", event_id, _required(e, "email"), kind, when, e.get("reason"), action
                )
            )
        elif what == "dropped" and "bounce" in str(e.get("reason", "")).lower():
            found.append(
                bounce(
                    "sendgrid",
                    event_id,
                    _required(e, "email"),
                    "hard",
                    when,
                    e.get("reason"),
                    action,
                )
            )
        elif what == "spamreport":
            found.append(
                bounce(
                    "sendgrid",
                    event_id,
                    _required(e, "email"),
                    "complaint",
                    when,
                    "spam report",
                    action,
                )
            )
    return found
