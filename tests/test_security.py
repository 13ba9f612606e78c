"""Nobody let in: every endpoint of every service, from its own OpenAPI document.

- Every operation either declares the bearer key with its scope, or is one of the few that
  are public on purpose (health, metrics, the API documents, signed email links).
- Each protected operation answers 401 without a key or with an unknown one, 403 to a valid
  key without its scope, and lets a key holding only that scope past the check.
- An ingest-only key can send events and cannot read a contact.
- Erase removes a person's personal data from every service's database, checked by
  scanning every collection afterwards.
"""

from __future__ import annotations

import re
from typing import Any
from uuid import uuid4

import httpx
import orjson

SERVICES = ("contacts", "scoring", "automation", "reporting", "console")
PUBLIC = {
    # The console's sign-in itself; who is signed in answers 401 to nobody.
    ("post", "/auth/sign-in"),
    ("post", "/auth/sign-out"),
    ("get", "/auth/me"),
    ("get", "/healthz"),
    ("get", "/readyz"),
    ("get", "/metrics"),
    ("get", "/asyncapi.json"),
    # Links in sent emails: they carry their own HMAC-signed token instead of a key.
    ("get", "/unsubscribe/{token}"),
    ("post", "/unsubscribe/{token}"),
    ("get", "/t/open/{token}"),
    ("get", "/t/click/{token}"),
    # Segment's and RudderStack's Webhook destinations sign the body (X-Signature) instead.
    ("post", "/v1/sources/segment"),
    ("post", "/v1/sources/rudderstack"),
    # Email providers' bounce webhooks: SNS signatures, basic auth in the URL, HMAC, ECDSA.
    ("post", "/v1/email-events/ses"),
    ("post", "/v1/email-events/postmark"),
    ("post", "/v1/email-events/mailgun"),
    ("post", "/v1/email-events/sendgrid"),
    # Revoked API key ids, published like a certificate revocation list (ids grant nothing).
    ("get", "/.well-known/lodestone/revoked-keys"),
}
METHODS = ("get", "post", "put", "patch", "delete")
# The console's way to the services takes a signed-in session only (no key): 401 without.
# The console's proxy to the services, and a person's own password: a session, no key.
SESSION_ONLY = {(m, "/api/{service}/{path}") for m in METHODS} | {("post", "/auth/password")}


async def operations(services: Any) -> list[tuple[str, str, str, list[str]]]:
    """(service, method, path, scopes) for every operation the services document."""
    found = []
    for service in SERVICES:
        async with services.client(service, key=None) as http:
            spec = (await http.get("/openapi.json")).json()
        assert spec["components"]["securitySchemes"]["apiKey"]["scheme"] == "bearer"
        for path, ops in spec["paths"].items():
            for method in METHODS:
                if method in ops:
                    security = ops[method].get("security") or []
                    scopes = [s for req in security for s in req.get("apiKey", [])]
                    found.append((service, method, path, scopes))
    return found


def concrete(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "x-probe", path)


async def test_every_operation_is_public_on_purpose_or_needs_its_scope(services) -> None:  # type: ignore[no-untyped-def]
    ops = await operations(services)
    assert len(ops) > 50, "the services document their operations"
    checked = 0
    for service, method, path, scopes in ops:
        if (method, path) in SESSION_ONLY:
            target = "/api/contacts/v1/contacts" if path.startswith("/api/") else path
            body = {"json": {}} if method in ("post", "put", "patch") else {}
            for key in (None, services.stack.api_key):  # a key is no session
                async with services.client(service, key=key) as http:
                    response = await http.request(method, target, **body)
                assert response.status_code == 401, (method, path, response.text)
            continue
        if not scopes:
            assert (method, path) in PUBLIC, f"{service} {method.upper()} {path} has no key check"
            continue
        url = concrete(path)
        body = {"json": {}} if method in ("post", "put", "patch") else {}
        for key, want in ((None, 401), ("not-a-key", 401), (services.key_for(""), 403)):
            async with services.client(service, key=key) as http:
                response = await http.request(method, url, **body)
            assert response.status_code == want, (service, method, path, key, response.text)
            assert response.json()["error"] in ("unauthorized", "forbidden")
        (scope,) = scopes
        async with services.client(service, key=services.key_for(scope)) as http:
            response = await http.request(method, url, **body)
        assert response.status_code not in (401, 403), (service, method, path, response.text)
        assert response.status_code < 500, (service, method, path, response.text)
        checked += 1
    assert checked > 40


async def test_an_ingest_only_key_sends_events_and_reads_nothing(services) -> None:  # type: ignore[no-untyped-def]
    tag = uuid4().hex[:8]
    async with services.client("contacts") as admin:
        contact = (await admin.post("/v1/contacts", json={"email": f"i.{tag}@example.com"})).json()
    ingest = services.key_for("events:write")
    async with services.client("contacts", key=ingest) as http:
        sent = await http.post(
            "/v1/events",
            json={"events": [{"event_id": tag, "type": "page", "contact": {"email": "a@b.co"}}]},
        )
        assert sent.status_code == 202, sent.text
        for path in (f"/v1/contacts/{contact['id']}", "/v1/contacts", "/v1/segments"):
            refused = await http.get(path)
            assert refused.status_code == 403, path
            assert "lacks scope" in refused.json()["message"]
        assert (await http.delete(f"/v1/contacts/{contact['id']}")).status_code == 403
    for service, path in (
        ("scoring", f"/v1/scores/{contact['id']}"),
        ("reporting", "/v1/reports/funnel"),
    ):
        async with services.client(service, key=ingest) as http:
            assert (await http.get(path)).status_code == 403


async def test_erase_leaves_no_personal_data_in_any_database(
    services, mongo, eventually, settled
) -> None:  # type: ignore[no-untyped-def]
    tag = uuid4().hex[:10]
    email = f"erase.me.{tag}@example.com"
    pii = [email, f"Zelda{tag}", f"Quux{tag}", f"+4930{int(tag[:6], 16) % 10**8:08d}", f"Firm{tag}"]
    async with services.client("contacts") as contacts:
        created = await contacts.post(
            "/v1/contacts",
            json={
                "email": email,
                "first_name": pii[1],
                "last_name": pii[2],
                "phone": pii[3],
                "company": pii[4],
                "source": "security-test",
            },
        )
        assert created.status_code == 201, created.text
        cid = created.json()["id"]
        events = [
            {
                "event_id": f"{tag}-{i}",
                "type": "track",
                "name": name,
                "contact": {"email": email},
                "properties": {"note": f"from {pii[1]}"},
            }
            for i, name in enumerate(["Page Viewed", "Email Opened", "Form Submitted"])
        ]
        assert (await contacts.post("/v1/events", json={"events": events})).status_code == 202
        note = await contacts.post(f"/v1/contacts/{cid}/notes", json={"text": f"call {pii[2]}"})
        assert note.status_code in (200, 201), note.text

        async def everywhere() -> bool:
            return bool(
                await mongo["lodestone_scoring"]["profiles"].find_one({"_id": cid})
                and await mongo["lodestone_automation"]["audience"].find_one({"_id": cid})
                and await mongo["lodestone_reporting"]["views"].find_one({"_id": cid})
            )

        await eventually(everywhere, timeout=60)  # every service has seen the person
        seen = await _mentions(mongo, pii)
        assert {db for db, _ in seen} >= {"lodestone_contacts", "lodestone_automation"}, seen
        assert (await contacts.delete(f"/v1/contacts/{cid}")).status_code == 202

    async def forgotten() -> bool:
        return not (
            await mongo["lodestone_scoring"]["profiles"].find_one({"_id": cid})
            or await mongo["lodestone_automation"]["audience"].find_one({"_id": cid})
        )

    await eventually(forgotten, timeout=60)
    await settled()
    left = await _mentions(mongo, pii)
    assert not left, f"personal data left after erase in {left}"


async def _mentions(mongo: Any, needles: list[str]) -> list[tuple[str, str]]:
    """(database, collection) of every document, in every Lodestone database, that contains
    any of `needles` anywhere (keys or values)."""
    raw = [n.lower().encode() for n in needles]
    hits: list[tuple[str, str]] = []
    for name in await mongo.list_database_names():
        if not name.startswith("lodestone_") or "rebuilt" in name:
            continue
        db = mongo[name]
        for collection in await db.list_collection_names():
            async for doc in db[collection].find({}):
                text = orjson.dumps(doc, default=str).lower()
                if any(n in text for n in raw):
                    hits.append((name, collection))
                    break
    return hits


async def test_no_key_means_no_answer_beyond_the_status(services) -> None:  # type: ignore[no-untyped-def]
    """A refused request says why and nothing else: no data, no stack trace."""
    async with services.client("contacts", key=None) as http:
        response = await http.get("/v1/contacts")
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"
    assert set(response.json()) <= {"error", "message", "details"}
    async with httpx.AsyncClient(base_url=services.url("contacts")) as http:
        wrong = await http.get("/v1/contacts", headers={"Authorization": "Basic abc"})
    assert wrong.status_code == 401
