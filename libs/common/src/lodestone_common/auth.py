"""API keys with scopes. Keys are kept only as SHA-256 digests and compared in constant time."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import orjson
from fastapi import Depends, HTTPException, Request, status

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
    def __init__(self, keys: Iterable[ApiKey]) -> None:
        self._keys = tuple(keys)

    @classmethod
    def from_settings(cls, admin_key: str | None, keys_json: str | None) -> KeyRing:
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
        return cls(keys)

    def identify(self, presented: str) -> ApiKey | None:
        candidate = digest(presented)
        found: ApiKey | None = None
        # Compare against every key so timing does not reveal which (or whether one) matched.
        for key in self._keys:
            if hmac.compare_digest(candidate, key.digest):
                found = key
        return found


def _bearer(request: Request) -> str:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            "missing API key: send 'Authorization: Bearer <key>'",
            headers={"WWW-Authenticate": "Bearer"},
        )
    return token.strip()


def require_scope(scope: str) -> Callable[..., ApiKey]:
    """FastAPI dependency: the request's key, which must hold `scope` (401 / 403 otherwise)."""

    def dependency(request: Request) -> ApiKey:
        ring: KeyRing = request.app.state.keyring
        key = ring.identify(_bearer(request))
        if key is None:
            raise HTTPException(
                status.HTTP_401_UNAUTHORIZED,
                "invalid API key",
                headers={"WWW-Authenticate": "Bearer"},
            )
        if not key.allows(scope):
            raise HTTPException(
                status.HTTP_403_FORBIDDEN, f"API key {key.name!r} lacks scope {scope!r}"
            )
        return key

    dependency.__name__ = f"require_{scope.replace(':', '_').replace('*', 'any')}"
    return dependency


def Scope(scope: str) -> ApiKey:
    return Depends(require_scope(scope))
