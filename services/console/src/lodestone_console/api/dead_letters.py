"""`/v1/dead-letters`: what the services could not process and why, read from the dead-letter
topic (admins). Replaying stays a command (`lodestone-deadletters replay REF`): it publishes to
the services' own topics, which only the services may write."""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, HTTPException, Query, status
from pydantic import BaseModel, Field

from lodestone_common.auth import ApiKey
from lodestone_common.deadletters import Letter, read

from .deps import Allowed, SettingsDep

router = APIRouter(prefix="/v1/dead-letters", tags=["dead letters"])


class DeadLetter(BaseModel):
    ref: str = Field(description="PARTITION:OFFSET on the dead-letter topic")
    failed_at: str | None
    origin: str = Field(description="topic/partition@offset it came from, or the API")
    group: str | None = Field(description="the consumer group that gave up")
    reason: str | None
    error: str | None
    event_type: str | None
    event_id: str | None
    size: int
    replay: str = Field(description="the command that re-publishes it once the cause is fixed")


class DeadLetters(BaseModel):
    total: int
    groups: dict[str, int] = Field(description="letters per consumer group")
    letters: list[DeadLetter] = Field(description="newest first")


class WholeLetter(DeadLetter):
    key: str | None
    headers: dict[str, str]
    message: Any = Field(description="the message as JSON, or its first bytes as text")


def _body(letter: Letter) -> Any:
    try:
        return json.loads(letter.value)
    except ValueError:
        return letter.value[:4000].decode(errors="replace")


def _of(letter: Letter) -> DeadLetter:
    body = _body(letter)
    envelope = body if isinstance(body, dict) else {}
    h = letter.headers
    return DeadLetter(
        ref=letter.ref,
        failed_at=h.get("x-failed-at"),
        origin=letter.origin,
        group=h.get("x-dlq-group"),
        reason=h.get("x-dlq-reason"),
        error=h.get("x-dlq-error"),
        event_type=str(envelope["event_type"]) if "event_type" in envelope else None,
        event_id=str(envelope["event_id"]) if "event_id" in envelope else None,
        size=len(letter.value),
        replay=f"lodestone-deadletters replay {letter.ref}",
    )


async def _all(settings: SettingsDep) -> list[Letter]:
    letters = await read(settings.kafka_bootstrap, security=settings.kafka_security())
    return sorted(letters, key=lambda x: x.headers.get("x-failed-at", ""), reverse=True)


@router.get("", response_model=DeadLetters, summary="Dead letters, newest first")
async def list_letters(
    settings: SettingsDep,
    group: str | None = Query(None, description="only this consumer group's"),
    limit: int = Query(200, ge=1, le=2000),
    key: ApiKey = Allowed("dead-letters:read"),
) -> DeadLetters:
    letters = await _all(settings)
    groups: dict[str, int] = {}
    for letter in letters:
        name = letter.headers.get("x-dlq-group", "?")
        groups[name] = groups.get(name, 0) + 1
    if group:
        letters = [x for x in letters if x.headers.get("x-dlq-group") == group]
    return DeadLetters(total=len(letters), groups=groups, letters=[_of(x) for x in letters[:limit]])


@router.get("/{ref}", response_model=WholeLetter, summary="One dead letter, whole")
async def one_letter(
    ref: str, settings: SettingsDep, key: ApiKey = Allowed("dead-letters:read")
) -> WholeLetter:
    found = next((x for x in await _all(settings) if x.ref == ref), None)
    if found is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no dead letter {ref!r}")
    return WholeLetter(
        **_of(found).model_dump(),
        key=found.key.decode(errors="replace") if found.key else None,
        headers=found.headers,
        message=_body(found),
    )
