"""Secrets at rest: sealed values do not show the secret, open again under the key or a
previous one after a rotation, and nothing opens under a key that was never configured."""

from __future__ import annotations

import pytest

from lodestone_common.sealing import Sealer, Unsealable

KEY = "a-secrets-key-of-at-least-32-characters"


def test_a_sealed_secret_opens_only_under_its_keys() -> None:
    sealer = Sealer(KEY)
    sealed = sealer.seal("whsec-signing-1234")
    assert sealed.startswith("sealed:") and "whsec" not in sealed
    assert sealer.seal("whsec-signing-1234") != sealed  # a fresh nonce each time
    assert sealer.seal(sealed) == sealed  # never sealed twice
    assert sealer.open(sealed) == "whsec-signing-1234"
    assert sealer.open("stored-before-sealing") == "stored-before-sealing"
    # Rotated: the new key seals, the old one still opens what it sealed.
    rotated = Sealer("a-brand-new-key-of-32-characters-or-more", [KEY])
    assert rotated.open(sealed) == "whsec-signing-1234"
    with pytest.raises(Unsealable):  # the old key alone cannot open what the new one sealed
        Sealer(KEY).open(rotated.seal("next"))
    with pytest.raises(Unsealable):
        Sealer("someone-elses-key-of-32-characters-long").open(sealed)
