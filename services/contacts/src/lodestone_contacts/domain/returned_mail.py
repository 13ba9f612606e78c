"""Mail that bounces back over SMTP: delivery status notifications (RFC 3464) and spam
reports (ARF, RFC 5965) sent to the sender's address, read into the same `Email Bounced`
events as the providers' webhooks (email_events.py). Plain functions, no I/O."""

from __future__ import annotations

import email
import email.policy
import email.utils
import hashlib
from email.message import Message

from lodestone_common.ingest import IngestEvent

from .email_events import ACTION_HEADER, Unreadable, bounce


def dsn(raw: bytes) -> list[IngestEvent]:
    """A delivery status notification (RFC 3464: `multipart/report`, `report-type=
    delivery-status`) or a spam report (ARF, `report-type=feedback-report`), as received."""
    message = email.message_from_bytes(raw, policy=email.policy.compat32)
    if message.get_content_type() != "multipart/report":
        raise Unreadable("not a multipart/report (a DSN or a feedback report)")
    kind = str(message.get_param("report-type") or "").lower()
    parts = message.get_payload()
    assert isinstance(parts, list)
    original = next(
        (p for p in parts if p.get_content_type() in ("message/rfc822", "text/rfc822-headers")),
        None,
    )
    action = _original_header(original, ACTION_HEADER)
    event_id = str(message.get("Message-ID") or hashlib.sha256(raw).hexdigest())
    at = message.get("Date")
    when = email.utils.parsedate_to_datetime(at) if at else None
    if kind == "feedback-report":
        report = next((p for p in parts if p.get_content_type() == "message/feedback-report"), None)
        fields = _fields(report)[0] if report is not None else {}
        address = fields.get("original-rcpt-to") or _original_header(original, "to")
        if not address:
            raise Unreadable("the feedback report names no recipient")
        return [
            bounce("dsn", event_id, _address(address), "complaint", when, "spam report", action)
        ]
    if kind != "delivery-status":
        raise Unreadable(f"report-type {kind!r}: not a delivery status or feedback report")
    status = next((p for p in parts if p.get_content_type() == "message/delivery-status"), None)
    if status is None:
        raise Unreadable("no message/delivery-status part")
    found = []
    for fields in _fields(status)[1:]:  # the first group is about the message, then recipients
        if fields.get("action", "").lower() not in ("failed", "delayed"):
            continue  # delivered, relayed, expanded: nothing went wrong
        address = fields.get("final-recipient") or fields.get("original-recipient")
        if not address:
            continue
        code = fields.get("status", "")
        kind = "soft" if code.startswith("4") or fields["action"].lower() == "delayed" else "hard"
        reason = fields.get("diagnostic-code") or code
        found.append(bounce("dsn", event_id, _address(address), kind, when, reason, action))
    return found


def _fields(part: Message) -> list[dict[str, str]]:
    """The header groups of a message/delivery-status or feedback-report part, lower-cased."""
    payload = part.get_payload()
    groups = payload if isinstance(payload, list) else [part]
    return [{k.lower(): " ".join(str(v).split()) for k, v in g.items()} for g in groups]


def _original_header(part: Message | None, name: str) -> str | None:
    if part is None:
        return None
    payload = part.get_payload()
    inner = payload[0] if isinstance(payload, list) and payload else None
    if inner is None and isinstance(payload, str):  # text/rfc822-headers
        inner = email.message_from_string(payload, policy=email.policy.compat32)
    value = inner.get(name) if isinstance(inner, Message) else None
    return " ".join(str(value).split()) if value else None


def _address(field: str) -> str:
    """`rfc822; ada@example.com` (a DSN's address type first) or a bare address."""
    return email.utils.parseaddr(field.rpartition(";")[2].strip())[1] or field.strip()
