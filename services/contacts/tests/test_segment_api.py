"""Segment's Tracking API on the running contacts service, as SDKs and browsers call it: the
write key as Basic user or in the body, text/plain and gzip bodies, CORS, partial batches
with the rejects dead-lettered, dedup by messageId, the signed webhook destinations, and the
rate limit (an in-process replica with a small one)."""

from __future__ import annotations

import asyncio
import base64
import gzip
import hashlib
import hmac
from typing import Any
from uuid import uuid4

import httpx
import orjson

from lodestone_common.deadletters import read as read_dead_letters
from lodestone_common.topics import DEAD_LETTER
from lodestone_contacts.bootstrap import create_app
from lodestone_contacts.settings import ContactsSettings

WRITE = "events:write"


def basic(key: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{key}:".encode()).decode()}


async def contact_of(services, email: str, eventually, interactions: int) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    async with services.client("contacts") as http:

        async def arrived() -> dict[str, Any] | None:
            found = (await http.get("/v1/contacts", params={"email": email})).json()["items"]
            if not found:
                return None
            timeline = (await http.get(f"/v1/contacts/{found[0]['id']}/timeline")).json()
            entries = [e for e in timeline["entries"] if e["kind"] == "interaction"]
            return {**found[0], "timeline": entries} if len(entries) >= interactions else None

        return await eventually(arrived, timeout=60)


async def test_a_batch_with_a_bad_message_takes_the_good_ones(services, eventually) -> None:  # type: ignore[no-untyped-def]
    tag = uuid4().hex[:8]
    email, user = f"seg.{tag}@example.com", f"u-{tag}"
    batch = {
        "batch": [
            {
                "type": "identify",
                "messageId": f"{tag}-1",
                "userId": user,
                "traits": {"email": email, "first_name": "Seg"},
            },
            {
                "type": "track",
                "messageId": f"{tag}-2",
                "userId": user,
                "event": "Trial Started",
                "properties": {"plan": "team"},
            },
            {"type": "track", "messageId": f"{tag}-bad", "userId": user},  # no event name
            {"type": "wave", "messageId": f"{tag}-worse", "userId": user},
        ],
        "context": {"campaign": {"source": f"ads-{tag}"}, "ip": "198.51.100.7"},
    }
    async with httpx.AsyncClient(base_url=services.url("contacts"), timeout=30) as http:
        # The browser SDK's way: text/plain, the write key in the body, gzip.
        sent = await http.post(
            "/v1/batch",
            content=gzip.compress(orjson.dumps({**batch, "writeKey": services.key_for(WRITE)})),
            headers={"Content-Type": "text/plain", "Content-Encoding": "gzip"},
        )
        assert sent.status_code == 200, sent.text
        answer = sent.json()
        assert (answer["success"], answer["accepted"], answer["rejected"]) == (True, 2, 2)
        assert {e["messageId"] for e in answer["errors"]} == {f"{tag}-bad", f"{tag}-worse"}
        assert all(e["reason"] for e in answer["errors"])
        for name in ("X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset"):
            assert name in sent.headers
        # The server SDKs' way: HTTP Basic. A resend of the same messageIds changes nothing.
        again = await http.post("/v1/batch", json=batch, headers=basic(services.key_for(WRITE)))
        assert again.status_code == 200, again.text
        assert again.json()["duplicates"] == 2 and again.json()["accepted"] == 0
    contact = await contact_of(services, email, eventually, interactions=2)
    assert contact["first_name"] == "Seg" and contact["source"] == f"ads-{tag}"
    assert contact["external_id"] == user
    track = next(e for e in contact["timeline"] if e["name"] == "Trial Started")
    assert track["properties"]["ip"] == "198.51.100.7" and track["properties"]["plan"] == "team"
    await asyncio.sleep(2)
    assert len((await contact_of(services, email, eventually, 2))["timeline"]) == 2

    letters = await read_dead_letters(services.stack.kafka_bootstrap, DEAD_LETTER)
    ours = [x for x in letters if tag.encode() in x.value]
    assert {orjson.loads(x.value)["messageId"] for x in ours} >= {f"{tag}-bad", f"{tag}-worse"}
    assert all(x.headers["x-dlq-group"] == "contacts-segment-api" for x in ours)
    assert any("needs `event`" in x.headers["x-dlq-reason"] for x in ours)


async def test_single_calls_short_paths_cors_and_refusals(services, eventually) -> None:  # type: ignore[no-untyped-def]
    tag = uuid4().hex[:8]
    email = f"short.{tag}@example.com"
    key = services.key_for(WRITE)
    async with httpx.AsyncClient(base_url=services.url("contacts"), timeout=30) as http:
        preflight = await http.options(
            "/v1/t",
            headers={"Origin": "https://shop.test", "Access-Control-Request-Method": "POST"},
        )
        assert preflight.status_code == 200
        assert preflight.headers["access-control-allow-origin"] == "*"
        identify = await http.post(
            "/v1/i",
            content=orjson.dumps(
                {"anonymousId": f"a-{tag}", "traits": {"email": email}, "writeKey": key}
            ),
            headers={"Content-Type": "text/plain", "Origin": "https://shop.test"},
        )
        assert identify.status_code == 200, identify.text
        assert identify.headers["access-control-allow-origin"] == "*"
        page = await http.post(
            "/v1/page",
            json={
                "anonymousId": f"a-{tag}",
                "name": "Pricing",
                "properties": {"url": "https://shop.test/pricing"},
            },
            headers=basic(key),
        )
        assert page.json()["accepted"] == 1
        # No CORS on the rest of the API.
        other = await http.get("/v1/contacts", headers={"Origin": "https://shop.test"})
        assert "access-control-allow-origin" not in other.headers
        # Refusals: no key (401), a key without the scope (403), not JSON, too large (400).
        assert (await http.post("/v1/track", json={"userId": "u"})).status_code == 401
        denied = await http.post("/v1/track", json={"userId": "u"}, headers=basic("nope"))
        assert denied.status_code == 401
        reader = basic(services.key_for("contacts:read"))
        assert (await http.post("/v1/track", json={}, headers=reader)).status_code == 403
        assert (await http.post("/v1/batch", content=b"{", headers=basic(key))).status_code == 400
        huge = {"batch": [{"type": "track", "userId": "u", "event": "x" * 100}] * 6000}
        assert (await http.post("/v1/batch", json=huge, headers=basic(key))).status_code == 400
        skipped = await http.post(
            "/v1/track",
            json={"userId": "u", "event": "X", "integrations": {"Lodestone": False}},
            headers=basic(key),
        )
        assert skipped.json()["skipped"] == 1 and skipped.json()["accepted"] == 0
    contact = await contact_of(services, email, eventually, interactions=2)
    assert {e["type"] for e in contact["timeline"]} == {"identify", "page_visit"}


def signed(secret: str, body: bytes) -> dict[str, str]:
    return {
        "X-Signature": hmac.new(secret.encode(), body, hashlib.sha1).hexdigest(),
        "Content-Type": "application/json",
    }


async def test_webhook_destinations_take_only_signed_bodies(services, eventually) -> None:  # type: ignore[no-untyped-def]
    secrets = services.stack.service_settings["contacts"]
    tag = uuid4().hex[:8]
    async with httpx.AsyncClient(base_url=services.url("contacts"), timeout=30) as http:
        for source in ("segment", "rudderstack"):
            email = f"hook-{source}.{tag}@example.com"
            body = orjson.dumps(
                {
                    "type": "identify",
                    "messageId": f"{source}-{tag}",
                    "userId": f"{source}-{tag}",
                    "traits": {"email": email, "first_name": source},
                }
            )
            secret = secrets[f"LODESTONE_{source.upper()}_WEBHOOK_SECRET"]
            forged = await http.post(
                f"/v1/sources/{source}", content=body, headers=signed("wrong", body)
            )
            assert forged.status_code == 401
            unsigned = await http.post(f"/v1/sources/{source}", content=body)
            assert unsigned.status_code == 401
            ok = await http.post(
                f"/v1/sources/{source}", content=body, headers=signed(secret, body)
            )
            assert ok.status_code == 200 and ok.json()["accepted"] == 1, ok.text
            contact = await contact_of(services, email, eventually, interactions=1)
            assert contact["first_name"] == source


async def test_a_key_over_its_rate_limit_is_told_when_to_come_back(in_process) -> None:  # type: ignore[no-untyped-def]
    async with (
        in_process(
            create_app, ContactsSettings, api_key="rate-key", ingest_rate_limit="3/minute"
        ) as served,
        served.client() as http,
    ):
        answers = [
            await http.post(
                "/v1/track",
                json={"userId": "u", "event": "X", "messageId": f"r{i}"},
                headers=basic("rate-key"),
            )
            for i in range(4)
        ]
        assert [a.status_code for a in answers] == [200, 200, 200, 429]
        assert [a.headers["X-RateLimit-Remaining"] for a in answers] == ["2", "1", "0", "0"]
        assert answers[3].headers["X-RateLimit-Limit"] == "3"
        assert 1 <= int(answers[3].headers["Retry-After"]) <= 60
        assert answers[3].json()["error"] == "too_many_requests"
        # /v1/events counts against the same key.
        events = await http.post(
            "/v1/events",
            json={"events": [{"event_id": "e", "type": "page", "contact": {"anonymous_id": "a"}}]},
            headers={"Authorization": "Bearer rate-key"},
        )
        assert events.status_code == 429
