"""The console against the real services: people sign in as themselves, their role travels
to every service in a signed token, and each service (not the console) refuses what the
role may not do."""

from __future__ import annotations

import time
from typing import Any
from uuid import uuid4

import httpx
import jwt

from lodestone_common.people import DEV_SIGNING_KEY, PersonTokens, new_signing_key, person

ADMIN = ("admin@lodestone.local", "lodestone-admin")  # the development stack's first admin


class Browser:
    """A cookie-keeping client that sends the CSRF token like the web app does."""

    def __init__(self, base: str) -> None:
        self.http = httpx.AsyncClient(base_url=base, timeout=30)
        self.csrf = ""

    async def sign_in(self, email: str, password: str) -> httpx.Response:
        answer = await self.http.post("/auth/sign-in", json={"email": email, "password": password})
        if answer.status_code == 200:
            self.csrf = answer.json()["csrf"]
        return answer

    async def call(self, method: str, path: str, **kw: Any) -> httpx.Response:
        headers = {"x-csrf-token": self.csrf} if method != "GET" else {}
        return await self.http.request(method, path, headers=headers, **kw)

    async def close(self) -> None:
        await self.http.aclose()


async def signed_in(services: Any, email: str, password: str) -> Browser:
    browser = Browser(services.url("console"))
    answer = await browser.sign_in(email, password)
    assert answer.status_code == 200, answer.text
    return browser


async def new_user(admin: Browser, role: str, **extra: Any) -> tuple[str, str]:
    email = f"{role}.{uuid4().hex[:6]}@example.com"
    password = f"pw-{uuid4().hex}"
    made = await admin.call(
        "POST",
        "/v1/users",
        json={"email": email, "name": role.title(), "role": role, "password": password, **extra},
    )
    assert made.status_code == 201, made.text
    return email, password


async def test_sign_in_sets_a_strict_http_only_cookie_and_refuses_wrong_passwords(services) -> None:  # type: ignore[no-untyped-def]
    browser = Browser(services.url("console"))
    try:
        assert (await browser.http.get("/auth/me")).status_code == 401
        wrong = await browser.sign_in(ADMIN[0], "not-the-password")
        nobody = await browser.sign_in("nobody@example.com", "not-the-password")
        assert wrong.status_code == nobody.status_code == 401
        assert wrong.json()["message"] == nobody.json()["message"] == "wrong email or password"
        right = await browser.sign_in(*ADMIN)
        assert right.status_code == 200, right.text
        cookie = right.headers["set-cookie"].lower()
        assert "httponly" in cookie and "samesite=strict" in cookie
        me = (await browser.http.get("/auth/me")).json()
        assert (me["email"], me["role"]) == (ADMIN[0], "admin")
        # Another site's page posting a sign-in form is refused (login CSRF).
        other = await browser.http.post(
            "/auth/sign-in",
            json={"email": ADMIN[0], "password": ADMIN[1]},
            headers={"origin": "https://evil.example"},
        )
        assert other.status_code == 403
        # A change without the CSRF token is refused although the cookie is there.
        bare = await browser.http.post(
            "/v1/users", json={"email": "x@example.com", "name": "X", "role": "viewer"}
        )
        assert bare.status_code == 403 and "CSRF" in bare.json()["message"]
        await browser.call("POST", "/auth/sign-out")
        assert (await browser.http.get("/auth/me")).status_code == 401
        assert (await browser.http.get("/api/contacts/v1/contacts")).status_code == 401
    finally:
        await browser.close()


async def test_each_role_can_do_its_job_and_the_services_refuse_the_rest(services) -> None:  # type: ignore[no-untyped-def]
    admin = await signed_in(services, *ADMIN)
    rep_email, rep_password = await new_user(admin, "rep", rep_id="rep-console")
    viewer_email, viewer_password = await new_user(admin, "viewer")
    rep = await signed_in(services, rep_email, rep_password)
    viewer = await signed_in(services, viewer_email, viewer_password)
    try:
        created = await rep.call(
            "POST", "/api/contacts/v1/contacts", json={"email": f"lead.{uuid4().hex[:6]}@x.io"}
        )
        assert created.status_code == 201, created.text
        contact = created.json()
        assert contact["created_by"] == rep_email  # the person, not "the console"
        note = await rep.call(
            "POST", f"/api/contacts/v1/contacts/{contact['id']}/notes", json={"text": "Keen"}
        )
        assert note.json()["detail"]["author"] == rep_email
        for method, path, body in (
            ("PUT", "/api/scoring/v1/scoring-models/default", {"name": "mine", "rules": []}),
            ("PUT", "/api/automation/v1/reps/rep-console", {"name": "Me", "weight": 100}),
            ("POST", "/api/automation/v1/workflows", {"name": "x", "steps": []}),
            ("POST", "/v1/users", {"email": "y@example.com", "name": "Y", "role": "admin"}),
        ):
            refused = await rep.call(method, path, json=body)
            assert refused.status_code == 403, (path, refused.text)
            assert "role rep" in refused.json()["message"], refused.text
        assert (await viewer.call("GET", "/api/contacts/v1/contacts")).status_code == 200
        for method, path, body in (
            ("PATCH", f"/api/contacts/v1/contacts/{contact['id']}", {"company": "Changed"}),
            ("POST", "/api/contacts/v1/events", {"events": []}),
            ("PATCH", "/api/automation/v1/tasks/none", {"status": "done"}),
        ):
            refused = await viewer.call(method, path, json=body)
            assert refused.status_code == 403, (path, refused.text)
        # Locking the viewer out ends their session at once.
        users = (await admin.call("GET", "/v1/users")).json()
        viewer_id = next(u["id"] for u in users if u["email"] == viewer_email)
        locked = await admin.call("PATCH", f"/v1/users/{viewer_id}", json={"disabled": True})
        assert locked.status_code == 200 and locked.json()["disabled"] is True
        assert (await viewer.call("GET", "/api/contacts/v1/contacts")).status_code == 401
        assert (await viewer.sign_in(viewer_email, viewer_password)).status_code == 401
    finally:
        for browser in (admin, rep, viewer):
            await browser.close()


async def test_the_services_check_the_token_themselves(services) -> None:  # type: ignore[no-untyped-def]
    """Calling a service directly with a person token: the role decides, a forged or
    expired token is nobody."""
    tokens = PersonTokens.signing(DEV_SIGNING_KEY)  # the test stack runs with the dev pair
    rep = person("u_direct", "direct.rep@example.com", "rep", rep_id="rep-direct")
    async with services.client("scoring", key=tokens.sign(rep)) as scoring:
        assert (await scoring.get("/v1/scoring-models")).status_code == 200
        refused = await scoring.put("/v1/scoring-models/default", json={"name": "x"})
        assert refused.status_code == 403
    forged = PersonTokens.signing(new_signing_key()).sign(
        person("u_evil", "evil@example.com", "admin")
    )
    expired = tokens.sign(person("u_old", "old@example.com", "admin"), now=time.time() - 600)
    unsigned = jwt.encode(
        {
            "iss": "lodestone-console",
            "aud": "lodestone",
            "sub": "u",
            "email": "e@x.io",
            "role": "admin",
            "iat": int(time.time()),
            "exp": int(time.time()) + 60,
        },
        None,
        algorithm="none",
    )
    for token in (forged, expired, unsigned):
        async with services.client("contacts", key=token) as contacts:
            assert (await contacts.get("/v1/contacts")).status_code == 401


async def test_a_rep_sets_a_task_that_is_theirs_and_moves_it(services, eventually) -> None:  # type: ignore[no-untyped-def]
    admin = await signed_in(services, *ADMIN)
    email, password = await new_user(admin, "rep", rep_id="rep-tasks")
    rep = await signed_in(services, email, password)
    try:
        contact = (
            await rep.call(
                "POST", "/api/contacts/v1/contacts", json={"email": f"t.{uuid4().hex[:6]}@x.io"}
            )
        ).json()

        async def created() -> httpx.Response | None:
            made = await rep.call(
                "POST",
                "/api/automation/v1/tasks",
                json={
                    "contact_id": contact["id"],
                    "kind": "visit",
                    "title": "Visit the plant",
                    "due_at": "2030-01-02T09:00:00Z",
                },
            )
            return made if made.status_code == 201 else None  # 404 until automation knows them

        task = (await eventually(created, timeout=60)).json()
        assert (task["owner_id"], task["created_by"], task["kind"]) == ("rep-tasks", email, "visit")
        moved = await rep.call(
            "PATCH",
            f"/api/automation/v1/tasks/{task['id']}",
            json={"due_at": "2030-01-03T09:00:00Z"},
        )
        assert moved.status_code == 200 and moved.json()["due_at"][:10] == "2030-01-03", moved.text
        done = await rep.call(
            "PATCH",
            f"/api/automation/v1/tasks/{task['id']}",
            json={"status": "done", "outcome": "connected", "note": "Signed the order"},
        )
        body = done.json()
        assert (body["status"], body["outcome"], body["done_by"]) == ("done", "connected", email)
        lonely = await rep.call(
            "PATCH", f"/api/automation/v1/tasks/{task['id']}", json={"outcome": "connected"}
        )
        assert lonely.status_code == 422  # an outcome goes with marking it done
        empty = await rep.call("PATCH", f"/api/automation/v1/tasks/{task['id']}", json={})
        assert empty.status_code == 422
        handed = await rep.call(
            "PATCH", f"/api/automation/v1/tasks/{task['id']}", json={"owner_id": "rep-other"}
        )
        assert handed.status_code == 200 and handed.json()["owner_id"] == "rep-other"
        # Handed on, it is the other rep's: no longer this rep's to change.
        again = await rep.call(
            "PATCH", f"/api/automation/v1/tasks/{task['id']}", json={"status": "open"}
        )
        assert again.status_code == 403, again.text
    finally:
        await rep.close()
        await admin.close()


async def test_anyone_changes_their_own_password_and_their_other_sessions_end(services) -> None:  # type: ignore[no-untyped-def]
    admin = await signed_in(services, *ADMIN)
    email, password = await new_user(admin, "rep", rep_id=f"r-{uuid4().hex[:6]}")
    here, elsewhere = Browser(services.url("console")), Browser(services.url("console"))
    try:
        assert (await here.sign_in(email, password)).status_code == 200
        assert (await elsewhere.sign_in(email, password)).status_code == 200
        new = f"new-{uuid4().hex}"
        forged = await here.http.post(
            "/auth/password", json={"current_password": password, "new_password": new}
        )
        assert forged.status_code == 403  # no CSRF token: another site's form
        wrong = await here.call(
            "POST", "/auth/password", json={"current_password": "guess", "new_password": new}
        )
        assert wrong.status_code == 403 and "current password" in wrong.json()["message"]
        weak = await here.call(
            "POST",
            "/auth/password",
            json={"current_password": password, "new_password": "aaaaaaaaaaaa"},
        )
        assert weak.status_code == 422
        done = await here.call(
            "POST", "/auth/password", json={"current_password": password, "new_password": new}
        )
        assert done.status_code == 204, done.text
        assert (await here.http.get("/auth/me")).status_code == 200  # this session stays
        assert (await elsewhere.http.get("/auth/me")).status_code == 401  # the others end
        again = Browser(services.url("console"))
        assert (await again.sign_in(email, password)).status_code == 401
        assert (await again.sign_in(email, new)).status_code == 200
        await again.close()
    finally:
        await here.close()
        await elsewhere.close()
        await admin.close()
