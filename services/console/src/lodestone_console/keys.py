"""Use cases of managed API keys: make one (shown once), rotate, revoke, and the list of revoked
ids every service follows (lodestone_common.managed_keys)."""

from __future__ import annotations

import secrets
from datetime import timedelta
from typing import Any

from lodestone_common import managed_keys
from lodestone_common.envelope import utcnow
from lodestone_common.people import PersonTokens

from .domain.api_keys import KeyDraft, KeyInfo, NewKey
from .stores.api_keys import ApiKeys


def info(doc: dict[str, Any]) -> KeyInfo:
    return KeyInfo(id=doc["_id"], **{k: v for k, v in doc.items() if k in KeyInfo.model_fields})


class Keys:
    def __init__(self, store: ApiKeys, tokens: PersonTokens) -> None:
        self.store = store
        self.tokens = tokens

    async def make(self, draft: KeyDraft, by: str) -> NewKey:
        now = utcnow()
        key_id = f"key_{secrets.token_hex(8)}"
        expires = now + timedelta(days=draft.expires_in_days) if draft.expires_in_days else None
        key = managed_keys.make(
            self.tokens,
            key_id,
            draft.name,
            draft.scopes,
            now.timestamp(),
            expires.timestamp() if expires else None,
        )
        record = {
            "_id": key_id,
            "name": draft.name,
            "scopes": draft.scopes,
            "hint": key[-6:],
            "created_at": now,
            "created_by": by,
            "expires_at": expires,
            "revoked_at": None,
            "replaced_by": None,
        }
        await self.store.add(record)
        return NewKey(**info(record).model_dump(), key=key)

    async def rotate(self, key_id: str, grace_hours: float, by: str) -> NewKey | None:
        """A new key with the same name, scopes and lifetime; the old one stops after the
        grace period (at once without one)."""
        old = await self.store.get(key_id)
        if old is None:
            return None
        days = None
        if old.get("expires_at"):
            days = max(1, round((old["expires_at"] - old["created_at"]).total_seconds() / 86400))
        made = await self.make(
            KeyDraft(name=old["name"], scopes=old["scopes"], expires_in_days=days), by
        )
        await self.store.revoke(key_id, utcnow() + timedelta(hours=grace_hours), made.id)
        return made

    async def revoke(self, key_id: str) -> KeyInfo | None:
        doc = await self.store.revoke(key_id, utcnow())
        return info(doc) if doc else None

    async def revoked(self) -> list[str]:
        return await self.store.revoked(utcnow())
