"""`/v1/api-keys`: keys for other systems (a website's tracking, a CRM sync), made with the
scopes they need, rotated and revoked by an admin; and the revocation list services follow."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, status

from lodestone_common.auth import ApiKey
from lodestone_common.managed_keys import REVOKED_PATH
from lodestone_common.provided import provided

from ..domain.api_keys import AREAS, SCOPES, KeyDraft, KeyInfo, NewKey, Rotation
from ..keys import Keys, info
from .deps import Allowed

router = APIRouter(tags=["api keys"])
KeysDep = Annotated[Keys, provided("keys")]


def _missing(key_id: str) -> HTTPException:
    return HTTPException(status.HTTP_404_NOT_FOUND, f"no API key {key_id!r}")


@router.get("/v1/api-keys/scopes", summary="The scopes a key may be given")
async def scopes(key: ApiKey = Allowed("api-keys:read")) -> dict[str, list[str]]:
    return {"scopes": SCOPES, "areas": AREAS}


@router.get("/v1/api-keys", response_model=list[KeyInfo], summary="Every key, newest first")
async def list_keys(keys: KeysDep, key: ApiKey = Allowed("api-keys:read")) -> list[KeyInfo]:
    return [info(d) for d in await keys.store.all()]


@router.post(
    "/v1/api-keys",
    response_model=NewKey,
    status_code=status.HTTP_201_CREATED,
    summary="Make a key (the answer holds it: shown this once, never stored)",
)
async def make_key(
    body: KeyDraft, keys: KeysDep, key: ApiKey = Allowed("api-keys:write")
) -> NewKey:
    return await keys.make(body, key.name)


@router.post(
    "/v1/api-keys/{key_id}/rotate",
    response_model=NewKey,
    status_code=status.HTTP_201_CREATED,
    summary="A new key in its place; the old one stops after the grace period",
)
async def rotate_key(
    key_id: str, body: Rotation, keys: KeysDep, key: ApiKey = Allowed("api-keys:write")
) -> NewKey:
    made = await keys.rotate(key_id, body.grace_hours, key.name)
    if made is None:
        raise _missing(key_id)
    return made


@router.post(
    "/v1/api-keys/{key_id}/revoke",
    response_model=KeyInfo,
    summary="Stop a key now (every service refuses it within seconds)",
)
async def revoke_key(
    key_id: str, keys: KeysDep, key: ApiKey = Allowed("api-keys:write")
) -> KeyInfo:
    found = await keys.revoke(key_id)
    if found is None:
        raise _missing(key_id)
    return found


@router.get(
    REVOKED_PATH,
    summary="Ids of revoked keys (public, like a certificate revocation list)",
    description="Every service reads this every few seconds. It holds key ids only, which "
    "grant nothing: a key is its signed token, never its id.",
)
async def revoked(keys: KeysDep) -> dict[str, Any]:
    return {"revoked": await keys.revoked()}
