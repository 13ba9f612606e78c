"""API keys as an admin makes them: a name, the scopes it may use, an optional lifetime."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field, field_validator

from lodestone_common.people import ROLE_SCOPES

# What a key may be given: every scope a role has (reading, writing events, contacts, segments,
# workflows, emails, tasks, reps, reports), and "area:*" for all of an area. Never "admin":
# the installation's own key (LODESTONE_API_KEY) stays the only one that does everything.
SCOPES = sorted({s for scopes in ROLE_SCOPES.values() for s in scopes if ":" in s})
AREAS = sorted({s.split(":", 1)[0] for s in SCOPES})
GRANTABLE = frozenset(SCOPES) | {f"{a}:*" for a in AREAS}


class KeyDraft(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    name: str = Field(min_length=1, max_length=100, description="who uses it, e.g. 'Website'")
    scopes: list[str] = Field(min_length=1, max_length=len(GRANTABLE))
    expires_in_days: int | None = Field(
        default=None, ge=1, le=3650, description="none: until revoked"
    )

    @field_validator("scopes")
    @classmethod
    def _grantable(cls, value: list[str]) -> list[str]:
        wrong = [s for s in value if s not in GRANTABLE]
        if wrong:
            raise ValueError(
                f"{wrong[0]!r} is not a scope a key may have (see GET /v1/api-keys/scopes)"
            )
        return sorted(set(value))


class Rotation(BaseModel):
    model_config = ConfigDict(extra="forbid")

    grace_hours: float = Field(
        default=0, ge=0, le=24 * 30, description="how long the old key keeps working"
    )


class KeyInfo(BaseModel):
    id: str
    name: str
    scopes: list[str]
    hint: str = Field(description="the key's last characters, to tell keys apart")
    created_at: datetime
    created_by: str
    expires_at: datetime | None
    revoked_at: datetime | None = Field(description="when it stops (stopped) working")
    replaced_by: str | None = None


class NewKey(KeyInfo):
    key: str = Field(description="the key itself: shown this once, never stored")
