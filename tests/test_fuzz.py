"""Bad input gets a clear answer: fuzz every service's HTTP API from its own OpenAPI document.

Schemathesis generates requests for every documented operation, both valid by the schema
(positive) and deliberately invalid (negative: wrong types, missing fields, bad formats),
sent with a key that holds every scope. No answer may be a 5xx, and each service must still
be ready afterwards.

The fuzzed services are extra API-only instances (no consumers) on their own databases, so
the models, segments, reps and workflows the fuzzer invents cannot change what other tests
see. They share Kafka, so events the fuzzer posts do flow through the real ingest consumer.
"""

from __future__ import annotations

import asyncio
import base64
import os
import random
from collections import Counter
from typing import Any

import httpx
import orjson
import pytest
import schemathesis
from aiokafka import AIOKafkaProducer
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis.generation.modes import GenerationMode

from lodestone_common.deadletters import read as read_dead_letters
from lodestone_common.topics import DEAD_LETTER, INGEST_RAW, INTERACTIONS

SERVICES = ("contacts", "scoring", "automation", "reporting")
EXAMPLES = int(os.environ.get("LODESTONE_FUZZ_EXAMPLES", "25"))
FUZZ_REPLICA = 5  # ports 180x1 + 50


def fuzz_operation(
    operation: Any, base_url: str, headers: dict[str, str], statuses: Counter[int]
) -> list[str]:
    """Every 5xx the operation answers to generated input (runs in a thread: it blocks)."""
    failures: list[str] = []
    session = __import__("requests").Session()
    for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):

        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            database=None,
            phases=[Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        @given(case=operation.as_strategy(generation_mode=mode))
        def probe(case: Any) -> None:
            response = case.call(base_url=base_url, headers=headers, session=session, timeout=30)
            statuses[response.status_code] += 1
            if response.status_code >= 500:
                failures.append(
                    f"{case.method} {case.formatted_path} -> {response.status_code}: "
                    f"{response.text[:300]} | query={case.query!r} body={case.body!r}"[:800]
                )

        try:
            probe()
        except Unsatisfiable:
            pass  # nothing invalid can be generated for this operation in this mode
    return failures


# A bounce message (contacts' /v1/email-events/dsn) and a CSV to import are text as far as
# generating goes.
schemathesis.serializer.alias("message/rfc822", "text/plain")
schemathesis.serializer.alias("text/csv", "text/plain")


@pytest.mark.timeout(1200)  # every operation of four services, on a machine that may be busy
async def test_no_generated_request_gets_a_server_error(services) -> None:  # type: ignore[no-untyped-def]
    stack = services.stack
    started = []
    try:
        for service in SERVICES:
            env = {
                "LODESTONE_MONGO_DB": f"lodestone_fuzz_{service}",
                "LODESTONE_CONSUMERS_ENABLED": "false",
            }
            stack.start_service(service, FUZZ_REPLICA, env)
            started.append(stack.replica(service, FUZZ_REPLICA)[0])
        for service in SERVICES:
            await asyncio.to_thread(stack.wait_ready, service, 120, FUZZ_REPLICA)

        failures: list[str] = []
        statuses: Counter[int] = Counter()
        operations = 0
        for service in SERVICES:
            base_url = f"http://127.0.0.1:{stack.replica(service, FUZZ_REPLICA)[1]}"
            async with httpx.AsyncClient(base_url=base_url) as http:
                spec = (await http.get("/openapi.json")).json()
            schema = schemathesis.openapi.from_dict(spec)
            headers = {"Authorization": f"Bearer {stack.api_key}"}
            for result in schema.get_all_operations():
                operation = result.ok()
                operations += 1
                failures += await asyncio.to_thread(
                    fuzz_operation, operation, base_url, headers, statuses
                )
            async with httpx.AsyncClient(base_url=base_url) as http:
                assert (await http.get("/readyz")).status_code == 200, f"{service} not ready"
        print(f"\nfuzzed {operations} operations, {sum(statuses.values())} requests: {statuses}")
        assert operations > 50 and sum(statuses.values()) > operations * EXAMPLES
        assert not failures, "server errors:\n" + "\n".join(failures)
    finally:
        for name in started:
            stack.stop(name)


def malformed_messages(n: int, seed: int) -> list[bytes]:
    """Messages no consumer can apply: random bytes, JSON that is not an object, objects of
    the wrong shape, and well-shaped events with a wrong type or an impossible value."""
    rng = random.Random(seed)
    good = {
        "event_id": "e",
        "type": "track",
        "name": "Page Viewed",
        "contact": {"email": "x@example.com"},
    }
    out: list[bytes] = []
    for i in range(n):
        kind = i % 5
        if kind == 0:
            out.append(rng.randbytes(rng.randrange(1, 200)))
        elif kind == 1:
            out.append(orjson.dumps(rng.choice([1, "text", None, [1, 2], 3.5, True])))
        elif kind == 2:
            broken = dict(good)
            broken.pop(rng.choice(["event_id", "type", "contact"]))
            out.append(orjson.dumps(broken))
        elif kind == 3:
            wrong = dict(good)
            field, value = rng.choice(
                [
                    ("type", "explode"),
                    ("contact", "nobody"),
                    ("occurred_at", "yesterday"),
                    ("event_id", ""),
                    ("properties", [1]),
                ]
            )
            wrong[field] = value
            out.append(orjson.dumps(wrong))
        else:
            out.append(orjson.dumps(good)[: rng.randrange(1, 40)])  # cut short
    return out


async def test_malformed_messages_on_the_topics_are_dead_lettered_and_the_rest_flows(  # type: ignore[no-untyped-def]
    services, mongo, eventually, settled
) -> None:
    tag = os.urandom(4).hex()
    key = f"fuzz-{tag}".encode()
    raw = malformed_messages(60, seed=1)
    interactions = malformed_messages(30, seed=2)
    # Right behind the poison, on the same partition: a good event must still get through.
    email = f"after.poison.{tag}@example.com"
    good = {
        "event_id": f"{tag}-good",
        "type": "page",
        "contact": {"email": email},
        "occurred_at": "2026-11-01T12:00:00+00:00",  # required on the raw topic
    }
    producer = AIOKafkaProducer(bootstrap_servers=services.stack.kafka_bootstrap, acks="all")
    await producer.start()
    try:
        for value in raw:
            await producer.send_and_wait(INGEST_RAW, value, key=key)
        for value in interactions:
            await producer.send_and_wait(INTERACTIONS, value, key=key)
        await producer.send_and_wait(INGEST_RAW, orjson.dumps(good), key=key)
    finally:
        await producer.stop()

    async def through() -> bool:
        return bool(await mongo["lodestone_contacts"]["contacts"].find_one({"email": email}))

    await eventually(through, timeout=60)
    await settled()
    letters = [
        letter
        for letter in await read_dead_letters(services.stack.kafka_bootstrap, DEAD_LETTER)
        if letter.key == key
    ]
    by_group = Counter(letter.headers.get("x-dlq-group", "?").split(".")[-1] for letter in letters)
    assert by_group == {
        "lodestone-contacts": len(raw),
        "lodestone-scoring": len(interactions),
        "lodestone-automation": len(interactions),
        "lodestone-reporting": len(interactions),
    }
    assert all(letter.headers.get("x-dlq-reason") for letter in letters)
    for service in SERVICES:
        async with services.client(service, key=None) as http:
            assert (await http.get("/readyz")).status_code == 200


# Names the doors give meaning to (fields, Segment's traits, properties rules read), so
# random values land where the code expects something specific, not only in `custom`.
_TRAITS = (
    "email first_name last_name name company title phone country source age gender "
    "income_band company_size industry tags lifecycle_stage address website employees "
    "createdAt avatar description"
).split()
_FIELDS = tuple(t for t in _TRAITS if t != "email")  # the contact stays findable
_PROPERTIES = "url path title form_id amount revenue currency products items sku price".split()


_ODD_TEXT = (
    *("", " ", "x" * 300, "ünï©ødé ✓", "<b>x</b>", "$where", "a.b", "2026-13-45", "NaN"),
    *("x@example.com", "null", "0", "[]", "{}", "\t\n", "=cmd|'/c calc'!A1"),
)


def random_json(rng: random.Random, depth: int = 0) -> Any:
    """A random JSON value: scalars of every type, odd text, nested lists and objects."""
    kind = rng.randrange(9 if depth < 3 else 6)
    if kind == 0:
        return None
    if kind == 1:
        return rng.choice([True, False])
    if kind == 2:
        return rng.choice([0, -1, 7, 2**31, -(2**53), 10**17, rng.randrange(-1000, 1000)])
    if kind == 3:
        return rng.choice([0.5, -1e300, 1e-300, 3.14159, -0.0])
    if kind in (4, 5):
        return rng.choice(_ODD_TEXT)
    if kind in (6, 7):
        return [random_json(rng, depth + 1) for _ in range(rng.randrange(4))]
    keys = [rng.choice([*_TRAITS, *_PROPERTIES, "name", "x", "$bad", "a.b", ""]) for _ in range(3)]
    return {k: random_json(rng, depth + 1) for k in keys[: rng.randrange(4)]}


def random_map(rng: random.Random, names: tuple[str, ...] | list[str]) -> dict[str, Any]:
    return {rng.choice(names): random_json(rng) for _ in range(rng.randrange(1, 6))}


@pytest.mark.timeout(900)
async def test_whatever_a_door_accepts_every_read_answers(services, eventually, settled) -> None:  # type: ignore[no-untyped-def]
    """Stored-data fuzz: random JSON values written through every door that stores what it
    is given (Segment's identify and track, the native batch, contact create and edit, notes),
    then every read endpoint of every service for those contacts. What a door accepts must
    read back, through every service, without a 5xx (round two: one identify with a number
    as the title made a record every read answered 500 for)."""
    seed = int(os.environ.get("LODESTONE_FUZZ_SEED", random.randrange(1 << 30)))
    rng = random.Random(seed)
    tag = os.urandom(4).hex()
    write_key = services.key_for("events:write")
    basic = {"Authorization": "Basic " + base64.b64encode(f"{write_key}:".encode()).decode()}
    accepted: Counter[str] = Counter()
    emails = [f"stored.{tag}.{i}@example.com" for i in range(12)]
    async with services.client("contacts", key=None) as door, services.client("contacts") as http:
        for i, email in enumerate(emails):
            user = f"{tag}-{i}"
            traits = {"email": email, **random_map(rng, _TRAITS)}
            traits["email"] = email  # the contact stays findable whatever else is drawn
            sent = await door.post(
                "/v1/identify", json={"userId": user, "traits": traits}, headers=basic
            )
            assert sent.status_code == 200, sent.text  # Segment's way: 200, rejects listed
            accepted["identify"] += sent.json()["accepted"]
            for _ in range(2):
                track = {
                    "userId": user,
                    "event": rng.choice(["Page Viewed", "Order Completed", "form_submitted", "zz"]),
                    "properties": random_map(rng, _PROPERTIES),
                }
                sent = await door.post("/v1/track", json=track, headers=basic)
                assert sent.status_code == 200, sent.text
                accepted["track"] += sent.json()["accepted"]
            for n, kind in enumerate(("identify", "track", "page")):
                event = {
                    "event_id": f"{tag}-{i}-{n}",
                    "type": kind,
                    "contact": {"email": email},
                    **(
                        {"name": rng.choice(["demo_watched", "purchase"])}
                        if kind == "track"
                        else {}
                    ),
                    "traits": random_map(rng, _FIELDS),
                    "properties": random_map(rng, _PROPERTIES),
                }
                sent = await http.post("/v1/events", json={"events": [event]})
                assert sent.status_code < 500, sent.text
                accepted["events"] += sent.status_code == 202
            # Typed fields refuse most draws (a 422 is right, ~1 in 20 passes): enough tries
            # that a door taking nothing at all is a finding, not bad luck (0.95^300).
            for _ in range(25):
                made = await http.post(
                    "/v1/contacts",
                    json={"email": f"made.{tag}.{i}@example.com", **random_map(rng, _FIELDS)},
                )
                assert made.status_code < 500, made.text
                if made.status_code == 201:
                    break
            accepted["create"] += made.status_code == 201
            if made.status_code == 201:
                emails.append(made.json()["email"])
                contact_id = made.json()["id"]
                for _ in range(8):
                    field = rng.choice(_FIELDS)
                    patch = await http.patch(
                        f"/v1/contacts/{contact_id}", json={field: random_json(rng)}
                    )
                    assert patch.status_code < 500, patch.text
                    if patch.status_code == 200:
                        break
                accepted["edit"] += patch.status_code == 200
                note = await http.post(
                    f"/v1/contacts/{contact_id}/notes", json={"text": str(random_json(rng))[:500]}
                )
                assert note.status_code < 500, note.text
                accepted["note"] += note.status_code == 201
        # Every door took something (else this test proves nothing about that door).
        doors = ("identify", "track", "events", "create", "edit", "note")
        assert all(accepted[d] for d in doors), (
            seed,
            accepted,
        )

        async def found() -> list[str] | None:
            ids = []
            for email in emails:
                page = await http.get("/v1/contacts", params={"email": email})
                assert page.status_code == 200, (seed, page.text)
                ids += [c["id"] for c in page.json()["items"]]
            return ids if len(ids) >= accepted["identify"] else None

        contact_ids = await eventually(found, timeout=120)
    await settled(timeout=180)

    failures: list[str] = []
    reads = 0
    for service in SERVICES:
        async with services.client(service) as http:
            spec = (await http.get("/openapi.json")).json()
            for path, methods in spec["paths"].items():
                if "get" not in methods or path.startswith("/v1/contacts/imports"):
                    continue
                params = [p for p in path.split("/") if p.startswith("{")]
                if params and params != ["{contact_id}"]:
                    continue  # other resources' ids: the schemathesis fuzz covers those
                for contact_id in contact_ids if params else [None]:
                    url = path.replace("{contact_id}", contact_id) if contact_id else path
                    answer = await http.get(url)
                    reads += 1
                    if answer.status_code >= 500:
                        failures.append(
                            f"{service} GET {url} -> {answer.status_code}: {answer.text[:200]}"
                        )
    print(f"\nseed {seed}: doors accepted {dict(accepted)}; {reads} reads")
    assert reads > len(contact_ids) * 4
    assert not failures, f"seed {seed}:\n" + "\n".join(failures)

    # Nothing a door accepted was dead-lettered afterwards (the Segment door answers 200 and
    # dead-letters what it rejects itself, naming the reason in its answer: not those).
    letters = await read_dead_letters(services.stack.kafka_bootstrap, DEAD_LETTER)
    ours = [
        letter.headers.get("x-dlq-reason")
        for letter in letters
        if (tag.encode() in (letter.key or b"") or tag.encode() in letter.value)
        and letter.headers.get("x-dlq-group") != "contacts-segment-api"
    ]
    assert not ours, f"seed {seed}: accepted, then dead-lettered: {ours[:5]}"
