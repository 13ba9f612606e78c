"""Who is asking: a signed-in person (session cookie, CSRF header on changes) or, for
scripts such as `make demo`, an API key. Both end as an ApiKey with scopes."""

from __future__ import annotations

import hmac
from collections.abc import Callable
from typing import Annotated

import httpx
from fastapi import Depends, HTTPException, Request, status

from lodestone_common.auth import ApiKey, _bearer, authorize
from lodestone_common.people import PersonTokens
from lodestone_common.provided import provided
from lodestone_common.ratelimit import FailedAuthLimit

from ..service import People, SignedIn
from ..settings import ConsoleSettings

COOKIE = "lodestone_session"
CSRF_HEADER = "x-csrf-token"
SAFE = frozenset({"GET", "HEAD", "OPTIONS"})


PeopleDep = Annotated[People, provided("people")]
SettingsDep = Annotated[ConsoleSettings, provided("settings")]
TokensDep = Annotated[PersonTokens, provided("tokens")]
HttpDep = Annotated[httpx.AsyncClient, provided("http")]
# Failed sign-ins counted per address (every service's guard) and per account.
FailedByAddressDep = Annotated[FailedAuthLimit, provided("failed_auth")]
FailedByAccountDep = Annotated[FailedAuthLimit, provided("failed_sign_ins")]


async def session(request: Request, found: PeopleDep) -> SignedIn | None:
    """The live session of this request's cookie (changes must also carry its CSRF token:
    another site can make the browser send the cookie, never read the token)."""
    token = request.cookies.get(COOKIE)
    if not token:
        return None
    signed = await found.signed_in(token)
    if signed is None:
        return None
    request.state.actor = signed.person.name  # for the audit trail (audit.py)
    if request.method not in SAFE:
        sent = request.headers.get(CSRF_HEADER, "")
        if not hmac.compare_digest(sent.encode(), signed.csrf.encode()):
            raise HTTPException(
                status.HTTP_403_FORBIDDEN,
                "missing or wrong X-CSRF-Token header (from GET /auth/me)",
            )
    return signed


SessionDep = Annotated[SignedIn | None, Depends(session)]


async def signed_in(signed: SessionDep) -> SignedIn:
    if signed is None:
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "sign in first")
    return signed


SignedInDep = Annotated[SignedIn, Depends(signed_in)]


def allowed(scope: str) -> Callable[..., object]:
    """A signed-in person or an API key, which must hold `scope` (401 / 403 otherwise)."""

    async def dependency(request: Request, signed: SessionDep) -> ApiKey:
        if signed is None:
            key = authorize(request, _bearer(request), scope)
            request.state.actor = key.name
            return key
        if not signed.person.allows(scope):
            raise HTTPException(
                status.HTTP_403_FORBIDDEN,
                f"{signed.person.name} (role {signed.person.role}) lacks scope {scope!r}",
            )
        return signed.person

    dependency.lodestone_scope = scope  # type: ignore[attr-defined]  # read by document_security
    return dependency


def Allowed(scope: str) -> ApiKey:
    return Depends(allowed(scope))
