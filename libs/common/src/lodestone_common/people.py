"""Signed-in people as the services see them: a role, the scopes it grants, and the
short-lived token the console signs for every request it makes on a person's behalf.

The console holds the sessions; the services never trust it blindly: each request carries a
JWT (a minute long) naming the person and their role, which every service verifies and turns
into scopes here, the same scopes API keys carry. So a rep's browser cannot change a scoring
model even by calling a service directly, and every record of who changed what names the
person, not "the console". The console alone signs (Ed25519, its private key); the services
hold only the public key, so a service's leaked settings cannot mint an admin's token.
"""

from __future__ import annotations

import base64
import hashlib
import sys
import time
from dataclasses import dataclass
from typing import Any, Literal

import jwt
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from fastapi import HTTPException, status

from .auth import ADMIN_SCOPE, ApiKey

Role = Literal["admin", "marketer", "manager", "rep", "viewer"]
ROLES: tuple[Role, ...] = ("admin", "marketer", "manager", "rep", "viewer")

_READ = frozenset(
    {
        "contacts:read",
        "segments:read",
        "scores:read",
        "scoring-models:read",
        "workflows:read",
        "emails:read",
        "reps:read",
        "tasks:read",
        "reports:read",
    }
)
# What each role may do, in the scopes every operation already declares.
ROLE_SCOPES: dict[Role, frozenset[str]] = {
    "admin": frozenset({ADMIN_SCOPE}),
    # Runs campaigns: contacts, segments, scoring models and workflows; not reps or users.
    "marketer": _READ
    | {
        "contacts:write",
        "events:write",
        "segments:write",
        "scoring-models:write",
        "workflows:write",
        "emails:write",
        "tasks:write",
    },
    # Runs the team: reps (weights, availability), goals and tasks; reads the rest.
    "manager": _READ
    | {"contacts:write", "events:write", "tasks:write", "reps:write"}
    | {"reports:write"},
    # Works leads: edits contacts, logs calls and meetings, does tasks.
    "rep": _READ | {"contacts:write", "events:write", "tasks:write"},
    "viewer": _READ,
}

# Whose records a role may change, beyond its scopes: everyone's in the areas named here,
# elsewhere only its own (owned by the person's rep id) and unassigned ones. Managers run the
# team (one team until sales operations brings several); marketers keep contact data for
# campaigns but work nobody's tasks; reps work their own leads and may claim unassigned ones.
# Reading stays open to every role: a rep answering a lead's call needs that lead's record.
Area = Literal["contacts", "tasks"]
CHANGES_EVERYONES: dict[Role, frozenset[Area]] = {
    "admin": frozenset({"contacts", "tasks"}),
    "manager": frozenset({"contacts", "tasks"}),
    "marketer": frozenset({"contacts"}),
    "rep": frozenset(),
    "viewer": frozenset(),
}

ISSUER = "lodestone-console"
AUDIENCE = "lodestone"
TOKEN_SECONDS = 60


@dataclass(frozen=True)
class Person(ApiKey):
    """A signed-in person: an ApiKey whose name is their email and whose scopes come from
    their role, so every route's scope check and actor record works unchanged."""

    user_id: str = ""
    role: Role = "viewer"
    display_name: str = ""
    rep_id: str | None = None


def person(
    user_id: str, email: str, role: Role, name: str = "", rep_id: str | None = None
) -> Person:
    return Person(
        name=email,
        digest=b"",
        scopes=ROLE_SCOPES[role],
        user_id=user_id,
        role=role,
        display_name=name,
        rep_id=rep_id,
    )


def may_change(who: ApiKey, area: Area, owner_id: str | None) -> bool:
    """Whether `who` may change a record of `area` that `owner_id` (a rep id) owns. API keys
    are systems acting for the whole organisation: their scopes alone decide."""
    if not isinstance(who, Person) or area in CHANGES_EVERYONES[who.role]:
        return True
    return owner_id is None or (who.rep_id is not None and owner_id == who.rep_id)


def check_change(who: ApiKey, area: Area, owner_id: str | None, what: str) -> None:
    """403, naming the owner, when `who` may not change `what` (see may_change)."""
    if not may_change(who, area, owner_id):
        roles = " or ".join(r for r in ROLES if area in CHANGES_EVERYONES[r])
        raise HTTPException(
            status.HTTP_403_FORBIDDEN,
            f"{what} belongs to rep {owner_id!r}: only that rep or a person with the role "
            f"{roles} may change it",
        )


def changes_everyones(who: ApiKey, area: Area) -> bool:
    """Whether `who` may change every record of `area` (an import, a bulk edit)."""
    return not isinstance(who, Person) or area in CHANGES_EVERYONES[who.role]


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _raw(text: str, what: str) -> bytes:
    try:
        raw = base64.urlsafe_b64decode(text.strip() + "=" * (-len(text.strip()) % 4))
    except ValueError as exc:
        raise ValueError(f"{what} is not base64url") from exc
    if len(raw) != 32:
        raise ValueError(f"{what} is not an Ed25519 key (32 bytes, base64url)")
    return raw


def new_signing_key() -> str:
    """A fresh private key for the console (base64url of the 32-byte Ed25519 seed)."""
    return _b64(Ed25519PrivateKey.generate().private_bytes_raw())


def public_key_of(signing_key: str) -> str:
    """The public key the services verify with, from the console's private key."""
    private = Ed25519PrivateKey.from_private_bytes(_raw(signing_key, "the signing key"))
    return _b64(private.public_key().public_bytes_raw())


# The development pair: public (it is in this repository), so production refuses both.
DEV_SIGNING_KEY = _b64(hashlib.sha256(b"lodestone development person tokens").digest())
DEV_PUBLIC_KEY = public_key_of(DEV_SIGNING_KEY)


class PersonTokens:
    """Signs (the console, with the private key) and verifies (every service, with the
    public key) person tokens."""

    def __init__(
        self, public_key: str, signing_key: str | None = None, seconds: int = TOKEN_SECONDS
    ) -> None:
        self._public = Ed25519PublicKey.from_public_bytes(_raw(public_key, "the public key"))
        self._private = None
        if signing_key is not None:
            if public_key_of(signing_key) != _b64(self._public.public_bytes_raw()):
                raise ValueError("the signing key does not belong to the public key")
            private = _raw(signing_key, "the signing key")
            self._private = Ed25519PrivateKey.from_private_bytes(private)
        self.seconds = seconds

    @classmethod
    def signing(cls, signing_key: str, seconds: int = TOKEN_SECONDS) -> PersonTokens:
        return cls(public_key_of(signing_key), signing_key, seconds)

    def sign(self, who: Person, now: float | None = None) -> str:
        issued = int(now if now is not None else time.time())
        claims = {
            "iss": ISSUER,
            "aud": AUDIENCE,
            "sub": who.user_id,
            "email": who.name,
            "name": who.display_name,
            "role": who.role,
            "rep_id": who.rep_id,
            "iat": issued,
            "exp": issued + self.seconds,
        }
        return self.encode(claims)

    def encode(self, claims: dict[str, Any]) -> str:
        """Any claims signed with the console's key (person tokens, managed API keys)."""
        if self._private is None:
            raise RuntimeError("only the console signs; this holds the public key")
        return jwt.encode(claims, self._private, algorithm="EdDSA")

    def decode(self, token: str, audience: str, require: list[str]) -> dict[str, Any] | None:
        """The claims of a token the console signed for `audience`; None for anything else."""
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                self._public,
                algorithms=["EdDSA"],  # never HS256 with the public key as its secret
                audience=audience,
                issuer=ISSUER,
                options={"require": require},
                leeway=5,
            )
        except jwt.PyJWTError:
            return None
        return claims

    def verify(self, token: str) -> Person | None:
        """The person a valid, unexpired token names; None for anything else."""
        claims = self.decode(token, AUDIENCE, ["exp", "iat", "sub", "role", "email"])
        if claims is None:
            return None
        # Only tokens as short-lived as the console makes them: one signed (with a leaked or
        # shared secret) for ten years, or issued in the future, is not honoured.
        iat, exp = claims["iat"], claims["exp"]
        if not isinstance(iat, int | float) or exp - iat > self.seconds or iat > time.time() + 5:
            return None
        role = claims.get("role")
        if role not in ROLE_SCOPES or not isinstance(claims.get("email"), str):
            return None
        rep = claims.get("rep_id")
        return person(
            str(claims["sub"]),
            claims["email"],
            role,
            str(claims.get("name") or ""),
            rep if isinstance(rep, str) else None,
        )


def main() -> None:
    """`lodestone-person-keys`: print a new key pair for the console and the services."""
    if len(sys.argv) > 1:
        print(
            "usage: lodestone-person-keys\n\nPrints a new Ed25519 pair: the console signs "
            "person tokens with LODESTONE_PERSON_SIGNING_KEY;\nevery service verifies them "
            "with LODESTONE_PERSON_TOKEN_KEY.",
            file=sys.stderr,
        )
        raise SystemExit(0 if sys.argv[1] in ("-h", "--help") else 2)
    signing = new_signing_key()
    print(f"LODESTONE_PERSON_SIGNING_KEY={signing}")
    print(f"LODESTONE_PERSON_TOKEN_KEY={public_key_of(signing)}")
