"""Person tokens: what the console signs is what every service accepts, and nothing else."""

from __future__ import annotations

import base64
import time

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from lodestone_common.auth import KeyRing
from lodestone_common.people import PersonTokens, new_signing_key, person, public_key_of

SIGNING = new_signing_key()
PUBLIC = public_key_of(SIGNING)
PRIVATE = Ed25519PrivateKey.from_private_bytes(
    base64.urlsafe_b64decode(SIGNING + "=" * (-len(SIGNING) % 4))
)


def test_a_signed_person_comes_back_with_the_scopes_of_their_role() -> None:
    tokens = PersonTokens.signing(SIGNING)
    ana = person("u_1", "ana@example.com", "rep", "Ana", "ana")
    back = tokens.verify(tokens.sign(ana))
    assert back is not None
    assert (back.name, back.user_id, back.role, back.rep_id, back.display_name) == (
        "ana@example.com",
        "u_1",
        "rep",
        "ana",
        "Ana",
    )
    assert back.allows("tasks:write") and back.allows("contacts:read")
    assert not back.allows("scoring-models:write")
    assert not back.allows("workflows:write") and not back.allows("reps:write")


@pytest.mark.parametrize(
    ("role", "may", "may_not"),
    [
        ("viewer", "reports:read", "contacts:write"),
        ("marketer", "workflows:write", "reps:write"),
        ("manager", "reps:write", "scoring-models:write"),
        ("admin", "users:write", None),
    ],
)
def test_roles_grant_what_their_jobs_need(role, may, may_not) -> None:  # type: ignore[no-untyped-def]
    who = person("u", "x@example.com", role)
    assert who.allows(may)
    if may_not:
        assert not who.allows(may_not)


def test_forged_expired_and_odd_tokens_are_nobody() -> None:
    tokens = PersonTokens.signing(SIGNING)
    ana = person("u_1", "ana@example.com", "rep")
    assert PersonTokens.signing(new_signing_key()).verify(tokens.sign(ana)) is None
    assert tokens.verify(tokens.sign(ana, now=time.time() - 3600)) is None
    claims = {"iss": "lodestone-console", "aud": "lodestone", "sub": "u", "email": "e@x.io"}
    now = int(time.time())
    made_up_role = {**claims, "role": "owner", "iat": now, "exp": now + 60}
    assert tokens.verify(jwt.encode(made_up_role, PRIVATE, algorithm="EdDSA")) is None
    wrong_audience = {**claims, "aud": "else", "role": "admin", "iat": now, "exp": now + 60}
    assert tokens.verify(jwt.encode(wrong_audience, PRIVATE, algorithm="EdDSA")) is None
    unsigned = jwt.encode({**claims, "role": "admin", "iat": now, "exp": now + 60}, None, "none")
    assert tokens.verify(unsigned) is None
    assert tokens.verify("eyJ.not.a-token") is None
    # Signed with the right secret but for ten years, or issued in the future: nobody.
    decade = {**claims, "role": "admin", "iat": now, "exp": now + 10 * 365 * 86400}
    assert tokens.verify(jwt.encode(decade, PRIVATE, algorithm="EdDSA")) is None
    ahead = {**claims, "role": "admin", "iat": now + 3600, "exp": now + 3630}
    assert tokens.verify(jwt.encode(ahead, PRIVATE, algorithm="EdDSA")) is None
    just_so = {**claims, "role": "admin", "iat": now, "exp": now + tokens.seconds}
    assert tokens.verify(jwt.encode(just_so, PRIVATE, algorithm="EdDSA")) is not None
    with pytest.raises(ValueError):
        PersonTokens("short")
    # The public key as an HS256 secret (the algorithm-confusion forgery): nobody.
    confused = {**claims, "role": "admin", "iat": now, "exp": now + 60}
    assert tokens.verify(jwt.encode(confused, PUBLIC, algorithm="HS256")) is None


def test_a_service_holds_only_the_public_key_and_cannot_sign() -> None:
    """Round two, low: one secret signed for all five processes, so a leak from any service
    minted admin tokens. Now the services verify with the console's public key only."""
    service = PersonTokens(PUBLIC)
    with pytest.raises(RuntimeError, match="only the console signs"):
        service.sign(person("u", "x@example.com", "admin"))
    assert service.verify(PersonTokens.signing(SIGNING).sign(person("u", "x@x.io", "rep")))
    with pytest.raises(ValueError, match="does not belong"):
        PersonTokens(PUBLIC, new_signing_key())


def test_a_key_ring_without_the_key_takes_no_person_tokens() -> None:
    token = PersonTokens.signing(SIGNING).sign(person("u_1", "ana@example.com", "admin"))
    assert KeyRing.from_settings("k", None, PUBLIC).identify(token) is not None
    assert KeyRing.from_settings("k", None, None).identify(token) is None


def test_reps_change_their_own_and_unassigned_records_managers_everyones() -> None:
    from lodestone_common.auth import ApiKey
    from lodestone_common.people import changes_everyones, may_change

    ana = person("u1", "ana@x.io", "rep", rep_id="ana")
    loner = person("u2", "lone@x.io", "rep")  # a rep user not linked to a rep record
    marketer = person("u3", "m@x.io", "marketer")
    manager = person("u4", "boss@x.io", "manager")
    system = ApiKey("crm-sync", b"", frozenset({"contacts:write"}))
    assert may_change(ana, "contacts", "ana") and may_change(ana, "contacts", None)
    assert not may_change(ana, "contacts", "ben") and not may_change(ana, "tasks", "ben")
    assert not may_change(loner, "tasks", "ana") and may_change(loner, "tasks", None)
    assert may_change(marketer, "contacts", "ben") and not may_change(marketer, "tasks", "ben")
    assert may_change(manager, "tasks", "ben") and may_change(system, "contacts", "ben")
    assert changes_everyones(manager, "contacts") and not changes_everyones(ana, "contacts")
