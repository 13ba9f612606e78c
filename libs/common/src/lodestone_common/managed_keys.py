"""API keys an admin makes in the console — created with scopes, rotated, revoked — that every
service honours without sharing a database.

A managed key is `lsk_` and a token the console signs with the Ed25519 key that signs person
tokens (people.py): its id, name, scopes and, if it has one, its expiry. Services verify it with
the public half. Revocation is a list of key ids the console publishes, like a certificate
revocation list (ids only, no secrets), at REVOKED_PATH; each service reads it every few
seconds, and honours managed keys only once it has read it (fail closed: a service that cannot
know which keys are revoked accepts none of them). Static keys from the settings
(LODESTONE_API_KEY, LODESTONE_API_KEYS) are unchanged.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Iterable
from typing import TYPE_CHECKING, Any

import httpx

from .auth import ADMIN_SCOPE, ApiKey

if TYPE_CHECKING:
    from .people import PersonTokens

log = logging.getLogger(__name__)

PREFIX = "lsk_"
AUDIENCE = "lodestone-api-key"
REVOKED_PATH = "/.well-known/lodestone/revoked-keys"
POLL_SECONDS = 5.0


class Revocations:
    """What this process knows of revoked managed keys."""

    def __init__(self) -> None:
        self.ids: frozenset[str] = frozenset()
        self.read_at: float | None = None  # monotonic time of the last successful read

    @property
    def known(self) -> bool:
        return self.read_at is not None

    def update(self, ids: Iterable[str]) -> None:
        self.ids = frozenset(ids)
        self.read_at = time.monotonic()


def make(
    tokens: PersonTokens,
    key_id: str,
    name: str,
    scopes: Iterable[str],
    issued: float,
    expires: float | None = None,
) -> str:
    """A new managed key (the console's; it holds the private key)."""
    claims: dict[str, Any] = {
        "iss": "lodestone-console",
        "aud": AUDIENCE,
        "sub": key_id,
        "name": name,
        "scopes": sorted(scopes),
        "iat": int(issued),
    }
    if expires is not None:
        claims["exp"] = int(expires)
    return PREFIX + tokens.encode(claims)


def verify(tokens: PersonTokens, presented: str, revoked: Revocations) -> ApiKey | None:
    """The key a valid, unexpired, unrevoked managed key is; None for anything else."""
    if not presented.startswith(PREFIX) or not revoked.known:
        return None
    claims = tokens.decode(presented[len(PREFIX) :], AUDIENCE, ["iat", "sub", "scopes", "name"])
    if claims is None or claims["sub"] in revoked.ids:
        return None
    scopes = claims["scopes"]
    if not isinstance(scopes, list) or not all(isinstance(s, str) for s in scopes):
        return None
    # The console never grants "admin" to a managed key; one that says so is not honoured.
    if ADMIN_SCOPE in scopes or not isinstance(claims["name"], str):
        return None
    return ApiKey(f"key {claims['name']}", b"", frozenset(scopes))


async def follow(
    read: Callable[[], Awaitable[Iterable[str]]],
    revoked: Revocations,
    every: float = POLL_SECONDS,
) -> None:
    """Keep `revoked` current: read the list every `every` seconds; a failed read keeps the
    last list (and, before the first, managed keys stay refused)."""
    warned = False
    while True:
        try:
            revoked.update(await read())
            warned = False
        except Exception as exc:  # the console may be restarting: try again
            if not warned:
                log.warning("cannot read the revoked API keys", extra={"error": repr(exc)})
                warned = True
        await asyncio.sleep(every)


def from_console(url: str, client: httpx.AsyncClient) -> Callable[[], Awaitable[list[str]]]:
    """A reader of the console's published list."""

    async def read() -> list[str]:
        answer = await client.get(url.rstrip("/") + REVOKED_PATH, timeout=5.0)
        answer.raise_for_status()
        ids = answer.json()["revoked"]
        if not isinstance(ids, list):
            raise ValueError("not a list of key ids")
        return [str(i) for i in ids]

    return read
