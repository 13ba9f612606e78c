"""Password hashing with argon2id (argon2-cffi: the reference implementation's bindings,
with OWASP's recommended memory-hard parameters as its defaults)."""

from __future__ import annotations

import asyncio

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_hasher = PasswordHasher()
# Verified when the email is unknown, so a wrong email costs as long as a wrong password.
_DUMMY = _hasher.hash("not a password anybody has")


async def hash_password(password: str) -> str:
    # ~50 ms of CPU and 64 MiB: off the event loop, so sign-ins do not stall other requests.
    return await asyncio.to_thread(_hasher.hash, password)


async def verify_password(stored: str | None, password: str) -> bool:
    def check() -> bool:
        try:
            return _hasher.verify(stored or _DUMMY, password) and stored is not None
        except (VerificationError, InvalidHashError):
            return False

    return await asyncio.to_thread(check)


def needs_rehash(stored: str) -> bool:
    return _hasher.check_needs_rehash(stored)
