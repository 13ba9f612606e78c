"""Signed links in emails: unsubscribe, open pixel, click redirect.

A token names the contact, the workflow and the email (its action key), carries the id of the
key that signed it and when it expires, and is signed with HMAC-SHA256. Keys rotate: the
current secret signs, it and the previous ones (LODESTONE_LINK_PREVIOUS_SECRETS) verify, so
rotating does not break the links of emails already sent. A click link also signs the URL it
redirects to: nobody can make a Lodestone link point elsewhere.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import time
from dataclasses import dataclass
from urllib.parse import quote

VERSION = "v2"
# What `sign` makes and nothing else: the decoder would skip any other character, so a token
# with markup appended would verify (and be echoed into a page).
_TOKEN = re.compile(r"[A-Za-z0-9_-]{16,2000}")


def key_id(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()[:8]


def _mac(secret: str, text: str, length: int = 32) -> str:
    return hmac.new(secret.encode(), text.encode(), hashlib.sha256).hexdigest()[:length]


@dataclass(frozen=True)
class LinkSigner:
    secret: str
    previous: tuple[str, ...] = ()
    lifetime_seconds: float = 365 * 86_400

    def _keys(self) -> dict[str, str]:
        return {key_id(s): s for s in (self.secret, *self.previous)}

    def sign(self, *parts: str, now: float | None = None) -> str:
        expires = int((now if now is not None else time.time()) + self.lifetime_seconds)
        raw = "|".join((VERSION, key_id(self.secret), str(expires), *parts))
        token = f"{raw}|{_mac(self.secret, raw)}"
        return base64.urlsafe_b64encode(token.encode()).decode().rstrip("=")

    def verify(self, token: str, now: float | None = None) -> list[str] | None:
        """The parts signed into the token, or None when it is forged, unknown or expired."""
        if not _TOKEN.fullmatch(token):
            return None
        try:
            raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
        except Exception:
            return None
        fields = raw.split("|")
        if len(fields) < 5 or fields[0] != VERSION:
            return None
        version, kid, expires, *parts, mac = fields
        secret = self._keys().get(kid)
        if secret is None or not expires.isdigit():
            return None
        signed = "|".join((version, kid, expires, *parts))
        # As bytes: compare_digest refuses str that is not ASCII, and a forged token may be.
        if not hmac.compare_digest(mac.encode(), _mac(secret, signed).encode()):
            return None
        if int(expires) < (now if now is not None else time.time()):
            return None
        return parts

    def url_signature(self, token: str, url: str) -> str:
        return _mac(self.secret, f"click|{token}|{url}", 24)

    def url_signed(self, token: str, url: str, signature: str) -> bool:
        return any(
            hmac.compare_digest(signature.encode(), _mac(s, f"click|{token}|{url}", 24).encode())
            for s in (self.secret, *self.previous)
        )

    def click_url(self, base: str, token: str, url: str) -> str:
        return (
            f"{base}/t/click/{token}?url={quote(url, safe='')}&sig={self.url_signature(token, url)}"
        )
