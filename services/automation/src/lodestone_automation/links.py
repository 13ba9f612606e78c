"""Signed links in emails: unsubscribe, open pixel, click redirect."""

from __future__ import annotations

import base64
import hashlib
import hmac


def sign(secret: str, *parts: str) -> str:
    raw = "|".join(parts)
    mac = hmac.new(secret.encode(), raw.encode(), hashlib.sha256).hexdigest()[:32]
    return base64.urlsafe_b64encode(f"{raw}|{mac}".encode()).decode().rstrip("=")


def verify(secret: str, token: str) -> list[str] | None:
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
    except Exception:
        return None
    *parts, mac = raw.split("|")
    expected = hmac.new(secret.encode(), "|".join(parts).encode(), hashlib.sha256).hexdigest()
    # As bytes: compare_digest refuses str that is not ASCII, and a forged token may be.
    return parts if hmac.compare_digest(mac.encode(), expected[:32].encode()) else None
