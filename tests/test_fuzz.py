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
