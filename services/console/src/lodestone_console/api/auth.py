"""`/auth`: sign in, sign out, who is signed in, and changing one's own password."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from fastapi import APIRouter, HTTPException, Request, Response, status
from pydantic import BaseModel, ConfigDict, Field, field_validator

from lodestone_common.people import CHANGES_EVERYONES, ROLE_SCOPES

from ..domain.users import valid_password
from ..service import SignedIn
from .deps import (
    COOKIE,
    FailedByAccountDep,
    FailedByAddressDep,
    PeopleDep,
    SessionDep,
    SettingsDep,
    SignedInDep,
)

router = APIRouter(prefix="/auth", tags=["sign-in"])


class Credentials(BaseModel):
    model_config = ConfigDict(extra="forbid")

    email: str = Field(min_length=1, max_length=254)
    password: str = Field(min_length=1, max_length=256)


class PasswordChange(BaseModel):
    model_config = ConfigDict(extra="forbid")

    current_password: str = Field(min_length=1, max_length=256)
    new_password: str

    @field_validator("new_password")
    @classmethod
    def _strong(cls, value: str) -> str:
        return valid_password(value)


class Me(BaseModel):
    id: str
    email: str
    name: str
    role: str
    rep_id: str | None
    scopes: list[str]
    # Areas where the person changes everyone's records; elsewhere only their own and
    # unassigned ones (the services enforce it; the screens show it).
    changes_everyones: list[str]
    # Send back as X-CSRF-Token on every change.
    csrf: str


def _me(signed: SignedIn) -> Me:
    who = signed.person
    return Me(
        id=who.user_id,
        email=who.name,
        name=who.display_name,
        role=who.role,
        rep_id=who.rep_id,
        scopes=sorted(ROLE_SCOPES[who.role]),
        changes_everyones=sorted(CHANGES_EVERYONES[who.role]),
        csrf=signed.csrf,
    )


def _same_origin(request: Request) -> None:
    # Sign-in is the one change without a CSRF token yet: refuse it from other sites'
    # pages (login CSRF), which browsers mark with their Origin.
    origin = request.headers.get("origin")
    if origin and origin != "null" and urlsplit(origin).netloc != request.headers.get("host"):
        raise HTTPException(status.HTTP_403_FORBIDDEN, "sign-in from another site refused")


@router.post("/sign-in", response_model=Me, summary="Sign in with email and password")
async def sign_in(
    body: Credentials,
    request: Request,
    response: Response,
    people: PeopleDep,
    settings: SettingsDep,
    guard: FailedByAddressDep,
    per_account: FailedByAccountDep,
) -> Me:
    _same_origin(request)
    account = body.email.strip().lower()
    request.state.actor = account  # the audit trail records every try, and its answer
    guard.check(request)
    per_account.check(request, by=account)
    found = await people.sign_in(body.email, body.password)
    if found is None:
        guard.failed(request)
        per_account.failed(request, by=account)
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "wrong email or password")
    token, signed = found
    response.set_cookie(
        COOKIE,
        token,
        max_age=int(settings.session_hours * 3600),
        httponly=True,
        secure=bool(settings.secure_cookies),
        samesite="strict",
        path="/",
    )
    return _me(signed)


@router.post("/sign-out", status_code=status.HTTP_204_NO_CONTENT, summary="Sign out")
async def sign_out(request: Request, response: Response, people: PeopleDep) -> None:
    token = request.cookies.get(COOKIE)
    if token:
        await people.sign_out(token)
    response.delete_cookie(COOKIE, path="/")


@router.get("/me", response_model=Me, summary="Who is signed in (401 when nobody)")
async def me(signed: SessionDep) -> Me | Any:
    if signed is None:
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "sign in first")
    return _me(signed)


@router.post(
    "/password",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Change your own password (every other session of yours ends)",
)
async def change_password(
    body: PasswordChange,
    request: Request,
    people: PeopleDep,
    signed: SignedInDep,
    per_account: FailedByAccountDep,
) -> None:
    # Wrong current passwords count like wrong sign-ins: a borrowed session cannot guess.
    per_account.check(request, by=signed.person.name)
    if not await people.change_own_password(signed, body.current_password, body.new_password):
        per_account.failed(request, by=signed.person.name)
        raise HTTPException(status.HTTP_403_FORBIDDEN, "The current password is not right.")
