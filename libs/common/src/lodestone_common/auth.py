"""API keys with scopes. Keys are kept only as SHA-256 digests and compared in constant time."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import orjson
from fastapi import Depends, FastAPI, HTTPException, Request, status
from fastapi import routing as fastapi_routing
from fastapi.routing import APIRoute

if TYPE_CHECKING:
    from .people import PersonTokens

ADMIN_SCOPE = "admin"


@dataclass(frozen=True)
class ApiKey:
    name: str
    digest: bytes
    scopes: frozenset[str]

    def allows(self, scope: str) -> bool:
        if ADMIN_SCOPE in self.scopes or scope in self.scopes:
            return True
        # "contacts:*" grants "contacts:read" and "contacts:write".
        area = scope.split(":", 1)[0]
        return f"{area}:*" in self.scopes


def digest(key: str) -> bytes:
    return hashlib.sha256(key.encode()).digest()


class KeyRing:
    """The API keys a service accepts and, when it has the secret, signed-in people's
    tokens from the console (see people.py)."""

    def __init__(self, keys: Iterable[ApiKey], people: PersonTokens | None = None) -> None:
        from .managed_keys import Revocations  # (managed_keys builds on this module)

        self._keys = tuple(keys)
        self.people = people
        # Managed keys (managed_keys.py) are honoured once this has been read.
        self.revoked = Revocations()

    @classmethod
    def from_settings(
        cls, admin_key: str | None, keys_json: str | None, person_key: str | None = None
    ) -> KeyRing:
        keys: list[ApiKey] = []
        if admin_key:
            keys.append(ApiKey("admin", digest(admin_key), frozenset({ADMIN_SCOPE})))
        for entry in orjson.loads(keys_json) if keys_json else []:
            if "sha256" in entry:
                raw = bytes.fromhex(entry["sha256"])
            elif "key" in entry:
                raw = digest(entry["key"])
            else:
                raise ValueError(f"api key {entry.get('name')!r} needs 'sha256' or 'key'")
            keys.append(ApiKey(entry["name"], raw, frozenset(entry.get("scopes", []))))
        people = None
        if person_key:
            from .people import PersonTokens

            people = PersonTokens(person_key)
        return cls(keys, people)

    def identify(self, presented: str) -> ApiKey | None:
        if self.people is not None and presented.startswith("eyJ") and presented.count(".") == 2:
            return self.people.verify(presented)
        if self.people is not None and presented.startswith("lsk_"):
            from .managed_keys import verify

            return verify(self.people, presented, self.revoked)
        candidate = digest(presented)
        found: ApiKey | None = None
        # Compare against every key so timing does not reveal which (or whether one) matched.
        for key in self._keys:
            if hmac.compare_digest(candidate, key.digest):
                found = key
        return found


def _bearer(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


def authorize(
    request: Request, presented: str | None, scope: str, challenge: str = "Bearer"
) -> ApiKey:
    """The key presented (however the client sent it), which must hold `scope`: 401 when it
    is missing or unknown, 403 when it lacks the scope."""
    if not presented:
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            "missing API key: send 'Authorization: Bearer <key>'",
            headers={"WWW-Authenticate": challenge},
        )
    guard = getattr(request.app.state, "failed_auth", None)  # a FailedAuthLimit
    if guard is not None:
        guard.check(request)
    ring: KeyRing = request.app.state.keyring
    key = ring.identify(presented)
    if key is None:
        if guard is not None:
            guard.failed(request)
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            "invalid API key or person token",
            headers={"WWW-Authenticate": challenge},
        )
    if not key.allows(scope):
        raise HTTPException(status.HTTP_403_FORBIDDEN, f"{_who(key)} lacks scope {scope!r}")
    return key


def _who(key: ApiKey) -> str:
    role = getattr(key, "role", None)
    return f"{key.name} (role {role})" if role else f"API key {key.name!r}"


def require_scope(scope: str) -> Callable[..., ApiKey]:
    """FastAPI dependency: the request's key, which must hold `scope` (401 / 403 otherwise)."""

    def dependency(request: Request) -> ApiKey:
        return authorize(request, _bearer(request), scope)

    dependency.__name__ = f"require_{scope.replace(':', '_').replace('*', 'any')}"
    dependency.lodestone_scope = scope  # type: ignore[attr-defined]  # read by document_security
    return dependency


def scopes_of(dependant: Any) -> list[str]:
    """The scopes a route's dependency tree requires."""
    found = [getattr(dependant.call, "lodestone_scope", None)]
    found += [s for d in dependant.dependencies for s in scopes_of(d)]
    return [s for s in found if s]


def _api_routes(app: FastAPI) -> list[Any]:
    """Every API route with its full path (FastAPI 0.16x keeps included routers lazily)."""
    contexts = getattr(fastapi_routing, "iter_route_contexts", None)
    if contexts is None:
        return [r for r in app.routes if isinstance(r, APIRoute)]
    return [c for c in contexts(app.routes) if isinstance(c.original_route, APIRoute)]


def document_security(app: FastAPI) -> None:
    """Declare the bearer key and each operation's scope in the OpenAPI document, so docs,
    generated clients and fuzzers know what every endpoint needs."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        spec = build()
        spec.setdefault("components", {})["securitySchemes"] = {
            "apiKey": {
                "type": "http",
                "scheme": "bearer",
                "description": "An API key: `Authorization: Bearer <key>`. Keys carry scopes "
                "(`contacts:read`, `events:write`, `area:*`, `admin`).",
            }
        }
        for route in _api_routes(app):
            scopes = scopes_of(route.dependant)
            for method in route.methods:
                operation = spec["paths"].get(route.path_format, {}).get(method.lower())
                if operation is not None and scopes:
                    operation["security"] = [{"apiKey": scopes}]
                    operation.setdefault("responses", {}).update(
                        {
                            "401": {"description": "No API key, or an unknown one"},
                            "403": {"description": f"The key lacks scope {', '.join(scopes)}"},
                        }
                    )
        app.openapi_schema = spec
        return spec

    app.openapi = openapi  # type: ignore[method-assign]


def Scope(scope: str) -> ApiKey:
    return Depends(require_scope(scope))
