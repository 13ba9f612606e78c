"""Amazon SNS messages, verified as AWS documents it: the signature over the message's fields
in their fixed order, by the certificate at `SigningCertURL` — fetched only from an SNS host of
amazonaws.com, over HTTPS, and kept — so nobody else can post "bounces" that suppress
addresses. Subscriptions are confirmed the same careful way (`SubscribeURL`)."""

from __future__ import annotations

import base64
import re
from typing import Any
from urllib.parse import urlsplit

import httpx
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

SNS_HOST = re.compile(r"^sns\.[a-z0-9-]+\.amazonaws\.com(\.cn)?$")
SIGNED = {
    "Notification": ("Message", "MessageId", "Subject", "Timestamp", "TopicArn", "Type"),
    "SubscriptionConfirmation": (
        "Message",
        "MessageId",
        "SubscribeURL",
        "Timestamp",
        "Token",
        "TopicArn",
        "Type",
    ),
}
SIGNED["UnsubscribeConfirmation"] = SIGNED["SubscriptionConfirmation"]


class NotFromSns(ValueError):
    """The message is not one SNS signed (401, saying why)."""


def sns_url(url: Any) -> str:
    """The URL if it is an HTTPS one of an SNS host, else NotFromSns."""
    parts = urlsplit(url if isinstance(url, str) else "")
    if parts.scheme != "https" or not SNS_HOST.match(parts.hostname or ""):
        raise NotFromSns("the certificate or subscription URL is not an SNS one")
    return str(url)


def string_to_sign(message: dict[str, Any]) -> bytes:
    fields = SIGNED.get(message.get("Type", ""))
    if fields is None:
        raise NotFromSns(f"unknown SNS message type {message.get('Type')!r}")
    return "".join(
        f"{name}\n{message[name]}\n" for name in fields if message.get(name) is not None
    ).encode()


class SnsVerifier:
    def __init__(self, http: httpx.AsyncClient | None = None) -> None:
        self.http = http or httpx.AsyncClient(timeout=10)
        self.certificates: dict[str, x509.Certificate] = {}  # SNS rotates them rarely

    async def certificate(self, url: str) -> x509.Certificate:
        if url not in self.certificates:
            answer = await self.http.get(sns_url(url))
            answer.raise_for_status()
            self.certificates[url] = x509.load_pem_x509_certificate(answer.content)
        return self.certificates[url]

    async def verify(self, message: dict[str, Any]) -> None:
        version = str(message.get("SignatureVersion", ""))
        digest = {"1": hashes.SHA1(), "2": hashes.SHA256()}.get(version)
        if digest is None:
            raise NotFromSns(f"unknown SignatureVersion {version!r}")
        certificate = await self.certificate(sns_url(message.get("SigningCertURL")))
        key = certificate.public_key()
        if not isinstance(key, rsa.RSAPublicKey):
            raise NotFromSns("the certificate's key is not RSA")
        try:
            signature = base64.b64decode(str(message.get("Signature", "")), validate=True)
            key.verify(signature, string_to_sign(message), padding.PKCS1v15(), digest)
        except (InvalidSignature, ValueError) as exc:
            raise NotFromSns("the signature does not verify") from exc

    async def confirm(self, message: dict[str, Any]) -> None:
        """Subscribe: SNS asks to GET its SubscribeURL once."""
        answer = await self.http.get(sns_url(message.get("SubscribeURL")))
        answer.raise_for_status()
