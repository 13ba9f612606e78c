"""`/v1/users`: who may sign in, with which role (admins, or a key with `users:*`)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException, status

from lodestone_common.auth import ApiKey

from ..domain.users import User, UserChange, UserDraft
from ..stores.users import EmailTaken
from .deps import Allowed, PeopleDep

router = APIRouter(prefix="/v1/users", tags=["users"])


class CreatedUser(User):
    # Only when the admin gave no password: shown this once, never stored in clear.
    initial_password: str | None = None


def _user(doc: dict[str, Any]) -> User:
    return User(id=doc["_id"], **{k: v for k, v in doc.items() if k in User.model_fields})


@router.get("", response_model=list[User], summary="Every user")
async def list_users(people: PeopleDep, key: ApiKey = Allowed("users:read")) -> list[User]:
    return [_user(d) for d in await people.users.all()]


@router.post(
    "",
    response_model=CreatedUser,
    status_code=status.HTTP_201_CREATED,
    summary="Create a user (a generated password is returned once when none is given)",
)
async def create_user(
    body: UserDraft, people: PeopleDep, key: ApiKey = Allowed("users:write")
) -> CreatedUser:
    try:
        doc, generated = await people.create(body, key.name)
    except EmailTaken:
        raise HTTPException(
            status.HTTP_409_CONFLICT, f"a user with email {body.email!r} exists"
        ) from None
    return CreatedUser(**_user(doc).model_dump(), initial_password=generated)


@router.patch("/{user_id}", response_model=User, summary="Change a role, name, rep or password")
async def change_user(
    user_id: str, body: UserChange, people: PeopleDep, key: ApiKey = Allowed("users:write")
) -> User:
    if getattr(key, "user_id", None) == user_id and (body.role or body.disabled):
        if body.role not in (None, "admin") or body.disabled:
            raise HTTPException(
                status.HTTP_409_CONFLICT, "you cannot lock yourself out or drop your own admin role"
            )
    doc = await people.change(user_id, body)
    if doc is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no user {user_id!r}")
    return _user(doc)


@router.delete("/{user_id}", status_code=status.HTTP_204_NO_CONTENT, summary="Remove a user")
async def delete_user(
    user_id: str, people: PeopleDep, key: ApiKey = Allowed("users:write")
) -> None:
    if getattr(key, "user_id", None) == user_id:
        raise HTTPException(status.HTTP_409_CONFLICT, "you cannot remove yourself")
    if not await people.remove(user_id):
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no user {user_id!r}")
