"""The console's use cases: signing in and out, the session behind a request, managing users."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from uuid import uuid4

from lodestone_common.envelope import utcnow
from lodestone_common.people import Person, person

from .domain.users import UserChange, UserDraft
from .passwords import hash_password, needs_rehash, verify_password
from .stores.sessions import Sessions, session_id
from .stores.users import Users

# A session's expiry moves forward at most this often (one write per person per period,
# not one per request).
EXTEND_EVERY = timedelta(minutes=5)


@dataclass(frozen=True)
class SignedIn:
    person: Person
    csrf: str
    session_id: str


def as_person(user: dict[str, Any]) -> Person:
    return person(
        user["_id"], user["email"], user["role"], user.get("name", ""), user.get("rep_id")
    )


class People:
    def __init__(self, users: Users, sessions: Sessions, session_hours: float) -> None:
        self.users = users
        self.sessions = sessions
        self.lifetime = timedelta(hours=session_hours)

    async def sign_in(self, email: str, password: str) -> tuple[str, SignedIn] | None:
        """A new session's cookie token for the right email and password; None otherwise
        (same answer, same time, for an unknown email, a wrong password or a disabled user)."""
        user = await self.users.by_email(email.strip().lower())
        stored = user.get("password_hash") if user else None
        if not await verify_password(stored, password) or user is None or user.get("disabled"):
            return None
        now = utcnow()
        changes: dict[str, Any] = {"last_sign_in": now}
        if stored and needs_rehash(stored):
            changes["password_hash"] = await hash_password(password)
        await self.users.change(user["_id"], changes)
        token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(24)
        sid = session_id(token)
        await self.sessions.add(
            {
                "_id": sid,
                "user_id": user["_id"],
                "csrf": csrf,
                "created_at": now,
                "seen_at": now,
                "expires_at": now + self.lifetime,
            }
        )
        return token, SignedIn(as_person(user), csrf, sid)

    async def signed_in(self, token: str) -> SignedIn | None:
        """Who a session cookie belongs to, if it is live and its user still may sign in."""
        session = await self.sessions.get(token)
        now = utcnow()
        if session is None or session["expires_at"] <= now:
            return None
        user = await self.users.get(session["user_id"])
        if user is None or user.get("disabled"):
            return None
        if now - session["seen_at"] > EXTEND_EVERY:
            await self.sessions.extend(session["_id"], now + self.lifetime, now)
        return SignedIn(as_person(user), session["csrf"], session["_id"])

    async def sign_out(self, token: str) -> None:
        await self.sessions.remove(token)

    async def create(self, draft: UserDraft, by: str) -> tuple[dict[str, Any], str | None]:
        """The new user, and the generated password when the admin gave none (shown once)."""
        generated = None if draft.password else secrets.token_urlsafe(12)
        user = {
            "_id": f"u_{uuid4().hex[:16]}",
            "email": draft.email,
            "name": draft.name,
            "role": draft.role,
            "rep_id": draft.rep_id,
            "disabled": False,
            "password_hash": await hash_password(draft.password or generated or ""),
            "created_at": utcnow(),
            "created_by": by,
        }
        return await self.users.add(user), generated

    async def change(self, user_id: str, change: UserChange) -> dict[str, Any] | None:
        fields = change.model_dump(exclude_unset=True, exclude={"password"})
        if change.password is not None:
            fields["password_hash"] = await hash_password(change.password)
        if not fields:
            return await self.users.get(user_id)
        changed = await self.users.change(user_id, fields)
        if changed is not None and ({"role", "disabled", "password_hash"} & set(fields)):
            # A new role, a lock-out or a new password ends every session of that person.
            await self.sessions.remove_for(user_id)
        return changed

    async def change_own_password(self, signed: SignedIn, current: str, new: str) -> bool:
        """A signed-in person's new password, given the current one. Every other session of
        theirs ends (a stolen cookie dies with the old password); this one stays."""
        user = await self.users.get(signed.person.user_id)
        stored = user.get("password_hash") if user else None
        if user is None or not await verify_password(stored, current):
            return False
        await self.users.change(user["_id"], {"password_hash": await hash_password(new)})
        await self.sessions.remove_for(user["_id"], keep=signed.session_id)
        return True

    async def remove(self, user_id: str) -> bool:
        await self.sessions.remove_for(user_id)
        return await self.users.remove(user_id)

    async def bootstrap_admin(self, email: str, password: str) -> bool:
        """The first admin, when there is nobody at all (a fresh development stack)."""
        if await self.users.count():
            return False
        draft = UserDraft(email=email, name="Administrator", role="admin", password=password)
        await self.create(draft, "bootstrap")
        return True
