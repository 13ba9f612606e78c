"""The outside world automation acts on: SMTP, and the contacts API (its only writer)."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import ipaddress
import json
import socket
import time
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import formatdate, parseaddr
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import aiosmtplib
import dkim
import httpx

from .domain.destinations import DestinationPolicy
from .settings import AutomationSettings

# Total deadlines (connect + send + read), not per-read timeouts: a receiver that drips a byte
# every few seconds would otherwise hold an action, and its runner slot, for ever.
WEBHOOK_DEADLINE_SECONDS = 10.0
MAIL_DEADLINE_SECONDS = 30.0
CONTACTS_DEADLINE_SECONDS = 30.0


class Mailer:
    def __init__(self, settings: AutomationSettings) -> None:
        self.settings = settings
        key = settings.dkim_key()
        self.dkim = (
            Dkim(settings.dkim_selector or "", settings.dkim_domain or "", key) if key else None
        )

    def message(
        self,
        to: str,
        subject: str,
        body: str,
        message_id: str,
        sender: str | None = None,
        headers: dict[str, str] | None = None,
        html: str | None = None,
    ) -> tuple[EmailMessage | bytes, str]:
        """(the message, DKIM-signed when a key is configured; the envelope sender): a text
        part, and an HTML alternative when given."""
        message = EmailMessage()
        message["From"] = sender or self.settings.mail_from
        message["To"] = to
        message["Subject"] = subject
        message["Date"] = formatdate(usegmt=True)
        message["Message-ID"] = message_id_of(message_id, str(message["From"]))
        message["X-Lodestone-Action"] = message_id
        # The same, where Postmark and SendGrid hand it back with a bounce (as metadata and a
        # unique argument): contacts' /v1/email-events reads it, so a campaign counts it.
        message["X-PM-Metadata-lodestone-action"] = message_id
        message["X-SMTPAPI"] = json.dumps({"unique_args": {"lodestone_action": message_id}})
        for name, value in (headers or {}).items():
            message[name] = value
        message.set_content(body)
        if html is not None:
            message.add_alternative(html, subtype="html")
        raw: EmailMessage | bytes = message if self.dkim is None else self.dkim.sign(message)
        return raw, parseaddr(str(message["From"]))[1]

    def client(self) -> aiosmtplib.SMTP:
        s = self.settings
        return aiosmtplib.SMTP(
            hostname=s.smtp_host,
            port=s.smtp_port,
            username=s.smtp_username,
            password=s.smtp_password,
            start_tls=s.smtp_starttls,
            timeout=MAIL_DEADLINE_SECONDS,
        )

    async def send(
        self,
        to: str,
        subject: str,
        body: str,
        message_id: str,
        sender: str | None = None,
        headers: dict[str, str] | None = None,
        html: str | None = None,
    ) -> None:
        """Send one email over a connection of its own."""
        raw, envelope_from = self.message(to, subject, body, message_id, sender, headers, html)
        async with asyncio.timeout(MAIL_DEADLINE_SECONDS), self.client() as smtp:
            await smtp.sendmail(envelope_from, [to], _bytes(raw))


def _bytes(raw: EmailMessage | bytes) -> bytes:
    return raw if isinstance(raw, bytes) else raw.as_bytes(policy=SMTP)


class MailSession:
    """One SMTP connection kept open for many emails (a campaign's), opened again when the
    relay drops it: a TCP and TLS handshake per email would be most of the work."""

    def __init__(self, mailer: Mailer) -> None:
        self.mailer = mailer
        self.smtp: aiosmtplib.SMTP | None = None

    async def send(self, to: str, raw: EmailMessage | bytes, envelope_from: str) -> None:
        async with asyncio.timeout(MAIL_DEADLINE_SECONDS):
            if self.smtp is None or not self.smtp.is_connected:
                self.smtp = self.mailer.client()
                await self.smtp.connect()
            try:
                await self.smtp.sendmail(envelope_from, [to], _bytes(raw))
            except (aiosmtplib.SMTPServerDisconnected, aiosmtplib.SMTPConnectError):
                self.smtp = None
                raise

    async def close(self) -> None:
        if self.smtp is not None and self.smtp.is_connected:
            with contextlib.suppress(aiosmtplib.SMTPException, OSError):
                await self.smtp.quit()
        self.smtp = None


# Headers a DKIM signature covers: those a forger would change (and RFC 8058 asks for the
# List-Unsubscribe pair to be signed).
SIGNED = [
    *(b"from", b"to", b"subject", b"date", b"message-id", b"mime-version", b"content-type"),
    *(b"list-unsubscribe", b"list-unsubscribe-post"),
]


class Dkim:
    """DKIM (RFC 6376) signing by dkimpy: relaxed/relaxed, rsa-sha256."""

    def __init__(self, selector: str, domain: str, private_key: bytes) -> None:
        self.selector = selector.encode()
        self.domain = domain.encode()
        self.key = private_key

    def sign(self, message: EmailMessage) -> bytes:
        raw = message.as_bytes(policy=SMTP)
        present = {k.lower().encode() for k in message}
        signature = dkim.sign(
            raw,
            self.selector,
            self.domain,
            self.key,
            canonicalize=(b"relaxed", b"relaxed"),
            include_headers=[h for h in SIGNED if h in present],
        )
        return signature + raw


def message_id_of(action_key: str, sender: str) -> str:
    """An RFC 5322 msg-id (`<left@domain>`, dot-atoms only: an action key's colons would cut
    it short) unique per action and the same on every retry of it, so a receiver that
    deduplicates by Message-ID drops only a true copy."""
    domain = parseaddr(sender)[1].rpartition("@")[2] or "lodestone.invalid"
    return f"<{hashlib.sha256(action_key.encode()).hexdigest()[:32]}@{domain}>"


def signature(secret: str, timestamp: int, body: bytes) -> str:
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"t={timestamp},v1={mac.hexdigest()}"


class Refused(Exception):
    """The destination is one the policy refuses (domain/destinations.py)."""


async def pinned(url: str, policy: DestinationPolicy) -> tuple[str, str, str]:
    """(URL to connect to, Host header, TLS server name): the host resolved now and checked
    against the policy, then connected to by that address, so a DNS answer that changes
    between the check and the connection (rebinding) cannot reach what the check refused."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except OSError as exc:
        raise Refused("the host does not resolve") from exc
    addresses = [ipaddress.ip_address(info[4][0]) for info in infos]
    why = policy.refusal(addresses)
    if why:
        raise Refused(why)
    address = str(addresses[0])
    netloc = f"[{address}]" if ":" in address else address
    if parts.port:
        netloc += f":{parts.port}"
    return urlunsplit(parts._replace(netloc=netloc)), parts.netloc.rsplit("@", 1)[-1], host


async def post_webhook(
    url: str,
    secret: str,
    key: str,
    payload: dict[str, Any],
    deadline: float = WEBHOOK_DEADLINE_SECONDS,
    policy: DestinationPolicy | None = None,
) -> int:
    """One delivery attempt; the HTTP status (0 when the receiver could not be reached or did
    not answer in full within `deadline` seconds). Refused when the policy refuses the host's
    address."""
    body = json.dumps(payload, default=str, separators=(",", ":")).encode()
    headers = {
        "Content-Type": "application/json",
        "Idempotency-Key": key,
        "X-Lodestone-Signature": signature(secret, int(time.time()), body),
    }
    target, host, server_name = await pinned(url, policy or DestinationPolicy())
    headers["Host"] = host
    try:
        async with asyncio.timeout(deadline), httpx.AsyncClient(timeout=deadline) as http:
            response = await http.post(
                target, content=body, headers=headers, extensions={"sni_hostname": server_name}
            )
    except (httpx.HTTPError, TimeoutError):
        return 0
    return response.status_code


class ContactsClient:
    def __init__(self, settings: AutomationSettings) -> None:
        key = settings.contacts_api_key or settings.api_key or ""
        self.http = httpx.AsyncClient(
            base_url=settings.contacts_url, timeout=15, headers={"Authorization": f"Bearer {key}"}
        )

    async def _call(self, method: str, path: str, json: dict[str, Any]) -> httpx.Response:
        async with asyncio.timeout(CONTACTS_DEADLINE_SECONDS):
            return await self._retried(method, path, json)

    async def _retried(self, method: str, path: str, json: dict[str, Any]) -> httpx.Response:
        delay = 0.2
        for attempt in range(6):
            try:
                response = await self.http.request(method, path, json=json)
            except httpx.TransportError:
                if attempt == 5:
                    raise
            else:
                if response.status_code < 500:
                    return response
            await asyncio.sleep(delay)
            delay *= 2
        return response

    async def get(self, path: str, params: dict[str, Any]) -> httpx.Response:
        async with asyncio.timeout(CONTACTS_DEADLINE_SECONDS):
            return await self.http.get(path, params=params)

    async def patch(self, contact_id: str, body: dict[str, Any]) -> httpx.Response:
        return await self._call("PATCH", f"/v1/contacts/{contact_id}", body)

    async def track(self, event: dict[str, Any]) -> httpx.Response:
        return await self._call("POST", "/v1/events", {"events": [event]})

    async def close(self) -> None:
        await self.http.aclose()
