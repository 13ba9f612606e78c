"""Keys made in the console: honoured by any service holding the console's public key, with
their scopes, until they expire or are revoked; refused before the revocation list is known."""

from __future__ import annotations

import asyncio
import time

import pytest

from lodestone_common import managed_keys
from lodestone_common.auth import KeyRing
from lodestone_common.people import DEV_PUBLIC_KEY, DEV_SIGNING_KEY, PersonTokens, new_signing_key


def _ring() -> tuple[KeyRing, PersonTokens]:
    """A service's key ring (the public key only) and the console's signer."""
    return KeyRing([], PersonTokens(DEV_PUBLIC_KEY)), PersonTokens.signing(DEV_SIGNING_KEY)


def test_a_key_is_honoured_with_its_scopes_once_revocations_are_known() -> None:
    ring, console = _ring()
    key = managed_keys.make(
        console, "k1", "crm sync", ["contacts:read", "events:write"], time.time()
    )
    assert key.startswith("lsk_")
    assert ring.identify(key) is None  # the revocation list not read yet: fail closed
    ring.revoked.update([])
    found = ring.identify(key)
    assert found is not None and found.name == "key crm sync"
    assert found.allows("contacts:read") and found.allows("events:write")
    assert not found.allows("contacts:write") and not found.allows("admin")
    ring.revoked.update(["k1"])
    assert ring.identify(key) is None


def test_expired_forged_tampered_or_admin_keys_are_nobody() -> None:
    ring, console = _ring()
    ring.revoked.update([])
    now = time.time()
    expired = managed_keys.make(console, "k2", "old", ["contacts:read"], now - 100, now - 10)
    assert ring.identify(expired) is None
    other = PersonTokens.signing(new_signing_key())  # not the console's key
    assert ring.identify(managed_keys.make(other, "k3", "forged", ["contacts:read"], now)) is None
    good = managed_keys.make(console, "k4", "good", ["contacts:read"], now)
    head, body, sig = good[4:].split(".")
    assert ring.identify(f"lsk_{head}.{body}x.{sig}") is None
    assert ring.identify(managed_keys.make(console, "k5", "root", ["admin"], now)) is None
    # A person token is not a key, nor the other way round.
    assert ring.identify("lsk_" + console.encode({"sub": "x"})) is None


async def test_the_list_is_followed_and_a_failed_read_keeps_the_last_one() -> None:
    revoked = managed_keys.Revocations()
    answers: list[object] = [["a"], RuntimeError("console restarting"), ["a", "b"]]

    async def read() -> list[str]:
        answer = answers.pop(0) if answers else ["a", "b"]
        if isinstance(answer, Exception):
            raise answer
        return answer  # type: ignore[return-value]

    task = asyncio.create_task(managed_keys.follow(read, revoked, every=0.01))
    try:
        for _ in range(500):
            if revoked.ids == {"a", "b"}:
                break
            await asyncio.sleep(0.01)
        assert revoked.known and revoked.ids == {"a", "b"}
    finally:
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
