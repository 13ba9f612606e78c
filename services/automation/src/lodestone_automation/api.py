"""Automation's HTTP API."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException, Request, status

from lodestone_common.auth import ApiKey, Scope

from .repository import AudienceRepository

router = APIRouter(prefix="/v1", tags=["automation"])


@router.get(
    "/audience/{contact_id}",
    summary="The contact fields workflows see for one contact",
)
async def get_audience(
    contact_id: str, request: Request, key: ApiKey = Scope("workflows:read")
) -> dict[str, Any]:
    repo: AudienceRepository = request.app.state.audience
    doc = await repo.get(contact_id)
    if doc is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"contact {contact_id!r} not known here")
    doc["contact_id"] = doc.pop("_id")
    return doc
