"""Secrets kept in a service's database, encrypted (webhook signing secrets, say): whoever
reads the database, a backup or a dump does not read them.

Fernet (AES-128-CBC with HMAC-SHA256, from `cryptography`, the maintained reference for
Python) under a key derived with HKDF-SHA256 from the operator's `LODESTONE_SECRETS_KEY`
(any string of 32+ characters, like the other secrets). Rotation: the old key moves to
`LODESTONE_SECRETS_PREVIOUS_KEYS`; values sealed with it still open, and a save seals anew.
A value without the `sealed:` prefix was stored before sealing and is returned as it is.
"""

from __future__ import annotations

import base64
from collections.abc import Sequence

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

PREFIX = "sealed:"


class Unsealable(ValueError):
    """Sealed under a key this service no longer has."""


def _fernet(secret: str) -> Fernet:
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"lodestone sealing")
    return Fernet(base64.urlsafe_b64encode(key.derive(secret.encode())))


class Sealer:
    def __init__(self, key: str, previous: Sequence[str] = ()) -> None:
        self._keys = MultiFernet([_fernet(k) for k in (key, *previous)])

    @staticmethod
    def is_sealed(value: str) -> bool:
        return value.startswith(PREFIX)

    def seal(self, secret: str) -> str:
        if self.is_sealed(secret):
            return secret
        return PREFIX + self._keys.encrypt(secret.encode()).decode()

    def open(self, value: str) -> str:
        if not self.is_sealed(value):
            return value
        try:
            return self._keys.decrypt(value[len(PREFIX) :].encode()).decode()
        except InvalidToken as exc:
            why = "sealed under an unknown key (was LODESTONE_SECRETS_KEY changed?)"
            raise Unsealable(why) from exc
