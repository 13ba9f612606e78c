"""People who use the console: what a user is, and what makes a new one valid."""

from __future__ import annotations

import re
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from lodestone_common.people import Role

EMAIL = re.compile(r"^[^@\s\"'<>,;]+@[^@\s\"'<>,;]+\.[^@\s\"'<>,;]+$")
MIN_PASSWORD = 10
MIN_DISTINCT = 5


def valid_email(value: str) -> str:
    value = value.strip().lower()
    if not EMAIL.match(value) or len(value) > 254:
        raise ValueError("not an email address")
    return value


def valid_password(value: str) -> str:
    if len(value) < MIN_PASSWORD:
        raise ValueError(f"a password needs at least {MIN_PASSWORD} characters")
    if len(value) > 256:
        raise ValueError("a password may have at most 256 characters")
    # Length alone lets "aaaaaaaaaa" or "1212121212" through: guessed among the first.
    if len(set(value.lower())) < MIN_DISTINCT:
        raise ValueError(f"a password needs at least {MIN_DISTINCT} different characters")
    return value


class UserDraft(BaseModel):
    """A new user, as an admin creates them. Without a password one is generated and
    returned once."""

    model_config = ConfigDict(extra="forbid")

    email: str
    name: str = Field(min_length=1, max_length=120)
    role: Role
    # The rep record (automation's /v1/reps) a rep works as: their tasks and leads.
    rep_id: str | None = Field(None, min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.-]+$")
    password: str | None = None

    _email = field_validator("email")(valid_email)

    @field_validator("password")
    @classmethod
    def _password(cls, value: str | None) -> str | None:
        return None if value is None else valid_password(value)

    @model_validator(mode="after")
    def _rep(self) -> UserDraft:
        if self.role == "rep" and not self.rep_id:
            raise ValueError("a rep user needs the rep_id of their rep record")
        return self


class UserChange(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(None, min_length=1, max_length=120)
    role: Role | None = None
    rep_id: str | None = Field(None, min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.-]+$")
    disabled: bool | None = None
    password: str | None = None

    @field_validator("password")
    @classmethod
    def _password(cls, value: str | None) -> str | None:
        return None if value is None else valid_password(value)


class User(BaseModel):
    id: str
    email: str
    name: str
    role: Role
    rep_id: str | None = None
    disabled: bool = False
    created_at: datetime
    created_by: str | None = None
    last_sign_in: datetime | None = None
