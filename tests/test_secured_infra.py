"""Kafka and the database as a real deployment runs them: logins and rights per service.

A second, private Kafka (LODESTONE_KAFKA_AUTH=scram: SASL/SCRAM logins and ACLs from
topics.ACCESS) and database server (LODESTONE_MONGO_AUTH=scram: a user per service with
readWrite on its own database only, dbusers.py) are started; the four services run against
them with their own logins. Nobody without credentials, and no principal outside its ACLs, can
publish to a service's topic (one forged score.changed moved a contact from E to A before),
and nobody without a login reads the database (a local client read the console's password
hashes, promoted a user to admin and planted a session).
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import sys
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from typing import Any
from uuid import uuid4

import httpx
import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.errors import KafkaError, TopicAuthorizationFailedError
from pymongo import AsyncMongoClient
from pymongo.errors import OperationFailure

from lodestone_common.admin import consumer_lag
from lodestone_common.topics import ACCESS, CONTACTS, INGEST_RAW, SCORES

stack_module = sys.modules["lodestone_stack"]  # loaded by the root conftest
PORT_OFFSET = int(os.environ.get("LODESTONE_TEST_PORT_OFFSET", "0"))

pytestmark = pytest.mark.infra

SERVICES = ("contacts", "scoring", "automation", "reporting")
PROCESSES = (*SERVICES, "console")  # the console too: its database holds the people


@pytest.fixture(scope="module")
def secured(infra: Any) -> Iterator[Any]:
    stack = stack_module.Stack(
        name="test-secured",
        kafka_port=19192 + PORT_OFFSET,
        mongo_port=19217 + PORT_OFFSET,
        smtp_port=infra.smtp_port,
        service_ports={s: 18101 + i + PORT_OFFSET for i, s in enumerate(SERVICES)},
        console_port=18100 + PORT_OFFSET,
        kafka_auth=True,
        mongo_auth=True,
    )
    stack.api_key = infra.api_key
    for name in ("kafka", "mongo"):
        stack.stop(name)
    shutil.rmtree(stack.home, ignore_errors=True)
    try:
        stack.start_mongo()
        stack.start_kafka()
        stack_module.wait_port(stack.kafka_port, 180, "Kafka", stack)
        stack_module.create_topics(stack.kafka_bootstrap, 180, stack.kafka_env("admin"), acls=True)
        yield stack
    finally:
        for service in PROCESSES:
            stack.stop(service)
        for name in ("kafka", "mongo"):
            stack.stop(name)  # their logs stay under .local/ (the next run starts afresh)


async def _producer(stack: Any, **security: Any) -> AIOKafkaProducer:
    producer = AIOKafkaProducer(
        bootstrap_servers=stack.kafka_bootstrap,
        acks="all",
        request_timeout_ms=10_000,
        metadata_max_age_ms=1_000,
        **security,
    )
    await producer.start()
    return producer


async def _publish(producer: AIOKafkaProducer, topic: str, value: bytes) -> None:
    await asyncio.wait_for(producer.send_and_wait(topic, value, key=b"c-1"), 30)


def _forged_score() -> bytes:
    return json.dumps(
        {"event_type": "score.changed", "data": {"score": 999, "grade": "A"}}
    ).encode()


async def test_a_client_without_credentials_cannot_publish(secured) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(KafkaError):
        producer = await _producer(secured)
        try:
            await _publish(producer, SCORES, _forged_score())
        finally:
            await producer.stop()


async def test_a_wrong_password_is_refused(secured) -> None:  # type: ignore[no-untyped-def]
    guess = {**secured.kafka_security("scoring"), "sasl_plain_password": "guess"}
    with pytest.raises(KafkaError):
        producer = await _producer(secured, **guess)
        try:
            await _publish(producer, SCORES, _forged_score())
        finally:
            await producer.stop()


async def test_the_integrator_may_only_write_raw_ingestion(secured) -> None:  # type: ignore[no-untyped-def]
    producer = await _producer(secured, **secured.kafka_security("integrator"))
    try:
        await _publish(producer, INGEST_RAW, b"{}")  # allowed (and dead-lettered later)
        for topic in (SCORES, CONTACTS):
            with pytest.raises(TopicAuthorizationFailedError):
                await _publish(producer, topic, _forged_score())
    finally:
        await producer.stop()
    consumer = AIOKafkaConsumer(
        SCORES,
        bootstrap_servers=secured.kafka_bootstrap,
        group_id="lodestone-scoring.intruder",
        **secured.kafka_security("integrator"),
    )
    try:
        with pytest.raises(KafkaError):
            await consumer.start()
            await asyncio.wait_for(consumer.getone(), 30)
    finally:
        await consumer.stop()


@pytest.mark.parametrize("principal", sorted(set(ACCESS) - {"integrator"}))
async def test_a_service_writes_only_its_own_topics(secured, principal: str) -> None:  # type: ignore[no-untyped-def]
    others = [t for t in (CONTACTS, SCORES) if t not in ACCESS[principal].writes]
    producer = await _producer(secured, **secured.kafka_security(principal))
    try:
        for topic in others:
            with pytest.raises(TopicAuthorizationFailedError):
                await _publish(producer, topic, _forged_score())
    finally:
        await producer.stop()


@pytest.fixture(scope="module")
async def running(secured) -> AsyncIterator[Any]:  # type: ignore[no-untyped-def]
    for service in PROCESSES:
        secured.start_service(service)
    for service in PROCESSES:
        secured.wait_ready(service, timeout=180)
    yield secured
    for service in PROCESSES:
        secured.stop(service)


async def test_the_services_work_with_only_their_own_rights(running, eventually) -> None:  # type: ignore[no-untyped-def]
    """Raw ingestion from the integrator becomes a contact (contacts), a score (scoring), an
    audience entry (automation) and a report row (reporting): each service consumed, wrote
    and committed with its principal's ACLs alone."""
    email = f"scram.{uuid4().hex[:8]}@example.com"
    source = f"scram-{uuid4().hex[:6]}"
    event = {
        "event_id": str(uuid4()),
        "type": "identify",
        "occurred_at": datetime.now(UTC).isoformat(),
        "contact": {"email": email},
        "traits": {"first_name": "Ada", "source": source},
    }
    producer = await _producer(running, **running.kafka_security("integrator"))
    try:
        await _publish(producer, INGEST_RAW, json.dumps(event).encode())
    finally:
        await producer.stop()
    headers = {"Authorization": f"Bearer {running.api_key}"}
    ports = running.service_ports

    async def contact_id() -> str | None:
        async with httpx.AsyncClient(headers=headers, timeout=30) as http:
            found = await http.get(
                f"http://127.0.0.1:{ports['contacts']}/v1/contacts", params={"email": email}
            )
        items = found.json()["items"] if found.status_code == 200 else []
        return items[0]["id"] if items else None

    cid = await eventually(contact_id, timeout=120)

    async def scored() -> bool:
        async with httpx.AsyncClient(headers=headers, timeout=30) as http:
            score = await http.get(f"http://127.0.0.1:{ports['scoring']}/v1/scores/{cid}")
        return score.status_code == 200

    async def counted() -> bool:
        async with httpx.AsyncClient(headers=headers, timeout=30) as http:
            report = await http.get(f"http://127.0.0.1:{ports['reporting']}/v1/reports/contacts")
        return report.status_code == 200 and report.json()["by_source"].get(source) == 1

    root = AsyncMongoClient(running.mongo_url)  # the stack's administrator

    async def in_audience() -> bool:
        return bool(await root["lodestone_automation"]["audience"].find_one({"_id": cid}))

    await eventually(scored, timeout=120)
    await eventually(counted, timeout=120)
    await eventually(in_audience, timeout=120)

    async def settled() -> bool:
        lag = await consumer_lag(running.kafka_bootstrap, security=running.kafka_security())
        return bool(lag) and not any(lag.values())

    await eventually(settled, timeout=120)
    await root.close()


async def test_the_database_wants_a_login_and_keeps_each_service_to_its_own(running) -> None:  # type: ignore[no-untyped-def]
    plain = f"mongodb://127.0.0.1:{running.mongo_port}/?directConnection=true"
    nobody = AsyncMongoClient(plain, serverSelectionTimeoutMS=10_000)
    contacts = AsyncMongoClient(running.service_mongo_url("contacts"))
    console = AsyncMongoClient(running.service_mongo_url("console"))
    try:
        with pytest.raises(OperationFailure, match="requires authentication"):
            await nobody["lodestone_console"]["users"].find_one()
        assert await console["lodestone_console"]["users"].find_one() is not None  # its admin
        await contacts["lodestone_contacts"]["contacts"].find_one()  # its own: allowed
        for db, collection in (
            ("lodestone_console", "users"),
            ("lodestone_automation", "workflows"),
        ):
            with pytest.raises(OperationFailure, match="not authorized"):
                await contacts[db][collection].find_one()
        with pytest.raises(OperationFailure, match="not authorized"):
            await contacts["lodestone_console"]["sessions"].insert_one({"_id": "planted"})
        with pytest.raises(OperationFailure, match="not authorized"):
            await contacts.admin.command("createUser", "evil", pwd="x", roles=["root"])
    finally:
        for client in (nobody, contacts, console):
            await client.close()
