"""The audit trail against the real console and services: sign-ins (kept or refused), a
person's changes through the console to a service, an admin's own changes and a key's, each
with who, what path and the answer; reads are not recorded; only admins read the trail."""

from __future__ import annotations

from uuid import uuid4

from .test_console import ADMIN, Browser, new_user, signed_in


async def test_every_change_is_recorded_with_who_and_the_answer(services) -> None:  # type: ignore[no-untyped-def]
    admin = await signed_in(services, *ADMIN)
    email, password = await new_user(admin, "marketer")
    marketer = Browser(services.url("console"))
    try:
        assert (await marketer.sign_in(email, "wrong password")).status_code == 401
        assert (await marketer.sign_in(email, password)).status_code == 200
        tag = uuid4().hex[:8]
        made = await marketer.call(
            "POST", "/api/contacts/v1/contacts", json={"email": f"a.{tag}@example.com"}
        )
        assert made.status_code == 201, made.text
        contact = made.json()["id"]
        refused = await marketer.call("POST", "/api/automation/v1/reps/x", json={})
        assert refused.status_code in (403, 405)
        assert (
            await marketer.call("GET", f"/api/contacts/v1/contacts/{contact}")
        ).status_code == 200
        async with services.client("console") as console:  # a key's change: the admin key
            key = (
                await console.post("/v1/api-keys", json={"name": tag, "scopes": ["contacts:read"]})
            ).json()

        mine = (await admin.call("GET", "/v1/audit", params={"actor": email})).json()["entries"]
        seen = [(e["method"], e["path"], e["status"]) for e in mine]
        assert ("POST", "/auth/sign-in", 401) in seen and ("POST", "/auth/sign-in", 200) in seen
        assert ("POST", "/api/contacts/v1/contacts", 201) in seen
        assert any(p.startswith("/api/automation/v1/reps") and s >= 400 for _, p, s in seen)
        assert not any(m == "GET" for m, _, _ in seen)  # reads are not changes
        assert [e["at"] for e in mine] == sorted((e["at"] for e in mine), reverse=True)
        by_key = (await admin.call("GET", "/v1/audit", params={"contains": "/v1/api-keys"})).json()
        assert any(e["actor"] == "admin" and e["status"] == 201 for e in by_key["entries"])
        assert key["id"]
        paged = (await admin.call("GET", "/v1/audit", params={"limit": 1})).json()
        older = await admin.call("GET", "/v1/audit", params={"limit": 1, "before": paged["before"]})
        assert older.json()["entries"][0]["at"] < paged["entries"][0]["at"]
        assert (await marketer.call("GET", "/v1/audit")).status_code == 403
    finally:
        await marketer.close()
        await admin.close()
