"""API keys made in the console, used against the real services: a key works with its scopes
only, is shown once, and stops working everywhere within seconds of being rotated or revoked."""

from __future__ import annotations

from uuid import uuid4

import httpx

WAIT_S = 60


async def test_a_key_works_with_its_scopes_until_rotated_then_revoked(services, eventually) -> None:  # type: ignore[no-untyped-def]
    tag = uuid4().hex[:8]
    async with services.client("console") as console:
        made = await console.post(
            "/v1/api-keys",
            json={"name": f"Website {tag}", "scopes": ["contacts:read", "events:write"]},
        )
        assert made.status_code == 201, made.text
        first = made.json()
        assert first["key"].startswith("lsk_") and first["hint"] == first["key"][-6:]
        listed = (await console.get("/v1/api-keys")).json()
        mine = next(k for k in listed if k["id"] == first["id"])
        assert "key" not in mine and mine["scopes"] == ["contacts:read", "events:write"]
        # What a key may not be given.
        for scopes in (["admin"], [], ["contacts:read", "api-keys:write"], ["nonsense"]):
            refused = await console.post("/v1/api-keys", json={"name": "x", "scopes": scopes})
            assert refused.status_code == 422, scopes

    def as_key(key: str, service: str) -> httpx.AsyncClient:
        return services.client(service, key=key)

    async def answers(key: str, service: str, path: str) -> int:
        async with as_key(key, service) as http:
            return (await http.get(path)).status_code

    # Its scopes, in every service that has them; nothing more.
    async def works() -> bool:
        return await answers(first["key"], "contacts", "/v1/contacts?limit=1") == 200

    await eventually(works, timeout=WAIT_S)
    async with as_key(first["key"], "contacts") as contacts:
        event = {
            "event_id": f"{tag}-1",
            "type": "track",
            "name": "page_visit",
            "contact": {"email": f"key.{tag}@example.com"},
        }
        assert (await contacts.post("/v1/events", json={"events": [event]})).status_code == 202
        denied = await contacts.post("/v1/contacts", json={"email": f"no.{tag}@example.com"})
        assert denied.status_code == 403 and "contacts:write" in denied.text
    assert await answers(first["key"], "reporting", "/v1/reports/funnel") == 403
    assert await answers(first["key"], "console", "/v1/api-keys") == 403  # keys make no keys

    # Rotated: the new key works, the old one stops in every service.
    async with services.client("console") as console:
        rotated = await console.post(f"/v1/api-keys/{first['id']}/rotate", json={})
        assert rotated.status_code == 201, rotated.text
    second = rotated.json()
    assert second["scopes"] == first["scopes"] and second["key"] != first["key"]

    async def old_refused() -> bool:
        codes = [
            await answers(first["key"], "contacts", "/v1/contacts?limit=1"),
            await answers(first["key"], "console", "/v1/api-keys"),  # 403 while it worked
        ]
        return codes == [401, 401]

    await eventually(old_refused, timeout=WAIT_S)
    assert await answers(second["key"], "contacts", "/v1/contacts?limit=1") == 200

    # Revoked: refused too; the public list names both, and nothing else about them.
    async with services.client("console") as console:
        revoked = await console.post(f"/v1/api-keys/{second['id']}/revoke")
        assert revoked.status_code == 200 and revoked.json()["revoked_at"]
        assert (await console.post("/v1/api-keys/key_nothere/revoke")).status_code == 404

    async def new_refused() -> bool:
        return await answers(second["key"], "contacts", "/v1/contacts?limit=1") == 401

    await eventually(new_refused, timeout=WAIT_S)
    async with services.client("console", key=None) as anyone:
        published = (await anyone.get("/.well-known/lodestone/revoked-keys")).json()
    assert {first["id"], second["id"]} <= set(published["revoked"])
    assert set(published) == {"revoked"}


async def test_a_rotation_with_grace_keeps_the_old_key_for_a_while(services) -> None:  # type: ignore[no-untyped-def]
    async with services.client("console") as console:
        made = (
            await console.post(
                "/v1/api-keys",
                json={"name": "CRM sync", "scopes": ["contacts:*"], "expires_in_days": 30},
            )
        ).json()
        assert made["expires_at"] is not None
        rotated = await console.post(f"/v1/api-keys/{made['id']}/rotate", json={"grace_hours": 1})
        assert rotated.status_code == 201
        old = next(k for k in (await console.get("/v1/api-keys")).json() if k["id"] == made["id"])
        assert old["replaced_by"] == rotated.json()["id"] and old["revoked_at"] > made["created_at"]
        assert rotated.json()["expires_at"] is not None  # the same lifetime
        published = (await console.get("/.well-known/lodestone/revoked-keys")).json()
        assert made["id"] not in published["revoked"]  # still within its grace hour
