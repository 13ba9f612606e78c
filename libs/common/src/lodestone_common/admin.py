"""Create Lodestone's topics (idempotent), grant each principal its ACLs, show consumer lag.
`lodestone-topics --help`."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
import time
from collections.abc import Iterable, Mapping
from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import KafkaConnectionError, for_code
from aiokafka.protocol.admin import CreateAclsRequest_v1, DeleteGroupsRequest
from aiokafka.protocol.api import Request

from .kafka_auth import KafkaSettings
from .liveness import group_offsets
from .topics import ACCESS, TOPICS, Access, TopicSpec

log = logging.getLogger(__name__)


async def ensure_topics(
    bootstrap: str,
    specs: tuple[TopicSpec, ...] = TOPICS,
    timeout: float = 60.0,
    security: Mapping[str, Any] | None = None,
    replication: int = 1,
) -> list[str]:
    """Create the missing topics; the names created. Waits for the broker up to `timeout`.
    With copies on several brokers, a write is acknowledged once two hold it."""
    deadline = time.monotonic() + timeout
    while True:
        admin = AIOKafkaAdminClient(
            bootstrap_servers=bootstrap, request_timeout_ms=10_000, **(security or {})
        )
        try:
            await admin.start()
            break
        except KafkaConnectionError:
            await admin.close()
            if time.monotonic() > deadline:
                raise
            await asyncio.sleep(0.5)
    try:
        existing = set(await admin.list_topics())
        missing = [s for s in specs if s.name not in existing]
        if missing:
            await admin.create_topics(
                [
                    NewTopic(
                        s.name,
                        s.partitions,
                        replication,
                        topic_configs=topic_config(s, replication),
                    )
                    for s in missing
                ]
            )
        return [s.name for s in missing]
    finally:
        await admin.close()


def topic_config(spec: TopicSpec, replication: int) -> dict[str, str]:
    """A topic's configuration on a cluster keeping `replication` copies of it."""
    config = dict(spec.config)
    if replication > 1:
        config.setdefault("min.insync.replicas", str(min(2, replication)))
    return config


# Kafka's ACL codes (org.apache.kafka.common.acl / resource).
_TOPIC, _GROUP, _CLUSTER = 2, 3, 4
_LITERAL, _PREFIXED = 3, 4
_READ, _WRITE, _DELETE, _IDEMPOTENT_WRITE = 3, 4, 6, 12
_ALLOW = 3


class _CreateAcls(Request[CreateAclsRequest_v1]):
    """CreateAcls with many bindings in one request (aiokafka's wrapper takes one)."""

    API_KEY = 30

    def __init__(self, bindings: list[tuple[int, str, int, str, str, int, int]]) -> None:
        self.bindings = bindings

    def build(self, request_struct_class: type[CreateAclsRequest_v1]) -> CreateAclsRequest_v1:
        return request_struct_class(self.bindings)


def acl_bindings(principal: str, access: Access) -> list[tuple[int, str, int, str, str, int, int]]:
    """(resource type, name, pattern, principal, host, operation, permission) rows."""
    rows = [(_TOPIC, t, _LITERAL, principal, "*", _READ, _ALLOW) for t in access.reads]
    rows += [(_TOPIC, t, _LITERAL, principal, "*", _WRITE, _ALLOW) for t in access.writes]
    if access.idempotent:
        rows.append(
            (_CLUSTER, "kafka-cluster", _LITERAL, principal, "*", _IDEMPOTENT_WRITE, _ALLOW)
        )
    if access.group_prefix:
        # Join and commit (read), and delete the groups it retires (processing.subscribe).
        for operation in (_READ, _DELETE):
            rows.append((_GROUP, access.group_prefix, _PREFIXED, principal, "*", operation, _ALLOW))
    return rows


async def grant(
    bootstrap: str,
    security: Mapping[str, Any] | None = None,
    access: Mapping[str, Access] = ACCESS,
) -> int:
    """Create every principal's ACLs (idempotent: Kafka keeps one of each binding). The
    connecting principal must be allowed to alter ACLs (a super user)."""
    rows = [row for name, a in access.items() for row in acl_bindings(f"User:{name}", a)]
    admin = AIOKafkaAdminClient(
        bootstrap_servers=bootstrap, request_timeout_ms=10_000, **(security or {})
    )
    await admin.start()
    try:
        response = await admin._send_request(_CreateAcls(rows))
    finally:
        await admin.close()
    for code, message in response.creation_responses:
        if code:
            raise for_code(code)(message)
    return len(rows)


async def consumer_lag(
    bootstrap: str,
    groups: Iterable[str] | None = None,
    prefix: str = "lodestone-",
    security: Mapping[str, Any] | None = None,
) -> dict[str, int]:
    """Messages each consumer group has yet to commit, over every topic it has committed on.

    A group commits only after its effects are durable, so zero lag everywhere means every
    published event has had its effect. Partitions a group never committed count from 0
    (groups start from the earliest offset). Default: every group named `prefix...`.
    """
    security = security or {}
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=10_000, **security)
    probe = AIOKafkaConsumer(bootstrap_servers=bootstrap, **security)
    try:
        await admin.start()
        await probe.start()
        if groups is None:
            listed = await admin.list_consumer_groups()
            groups = sorted(g for g, _ in listed if g.startswith(prefix))
        return {g: lag for g, (_, lag) in (await group_offsets(admin, probe, groups)).items()}
    finally:
        await probe.stop()
        await admin.close()


GROUP_NOT_EMPTY = 68


async def adopt_offsets(
    bootstrap: str,
    group: str,
    retired: Mapping[str, str],
    security: Mapping[str, Any] | None = None,
) -> int:
    """Move a service from a consumer group per topic (`retired`, {topic: group}) to `group`
    over all of them without replaying history: while `group` has committed nothing, it
    starts where each retired group ended. Retired groups without members are then deleted
    (a lagging group nobody reads would look like a stall forever); one still in use (an
    older replica, mid-upgrade) is left for the next start. Returns the offsets adopted."""
    security = security or {}
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=10_000, **security)
    await admin.start()
    try:
        listed = {g for g, _ in await admin.list_consumer_groups()}
        old = {t: g for t, g in retired.items() if g in listed}
        if not old:
            return 0
        adopted: dict[TopicPartition, int] = {}
        if not await admin.list_consumer_group_offsets(group):
            for topic, old_group in old.items():
                offsets = await admin.list_consumer_group_offsets(old_group)
                adopted |= {tp: o.offset for tp, o in offsets.items() if tp.topic == topic}
            if adopted:
                await commit_offsets(bootstrap, group, adopted, security)
                log.info("consumer group adopted retired groups' offsets", extra={"group": group})
        for old_group in sorted(set(old.values())):
            coordinator = await admin.find_coordinator(old_group)
            answer = await admin._send_request(DeleteGroupsRequest([old_group]), coordinator)
            for _, code in answer.results:
                if code == GROUP_NOT_EMPTY:
                    log.warning(
                        "retired consumer group still has members; kept for now",
                        extra={"group": old_group},
                    )
        return len(adopted)
    finally:
        await admin.close()


async def commit_offsets(
    bootstrap: str,
    group: str,
    offsets: dict[TopicPartition, int],
    security: Mapping[str, Any] | None = None,
) -> None:
    """Point `group` at these offsets (it must have no live members)."""
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap, group_id=group, enable_auto_commit=False, **(security or {})
    )
    await consumer.start()
    try:
        consumer.assign(list(offsets))
        await consumer.commit(offsets)
    finally:
        await consumer.stop()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="lodestone-topics",
        description="Create every Lodestone topic that is missing, or show consumer lag.",
    )
    kafka = KafkaSettings()  # LODESTONE_KAFKA_* : the bootstrap servers and how to log in
    parser.add_argument(
        "--bootstrap", default=kafka.kafka_bootstrap, help="Kafka bootstrap servers"
    )
    parser.add_argument("--timeout", type=float, default=60.0, help="seconds to wait for Kafka")
    parser.add_argument(
        "--replication-factor",
        type=int,
        default=1,
        metavar="N",
        help="copies of each new topic (3 on a production cluster; 1 for one broker)",
    )
    parser.add_argument(
        "--lag", action="store_true", help="show each consumer group's lag instead of creating"
    )
    parser.add_argument(
        "--acls",
        action="store_true",
        help="also grant each principal (User:contacts, …, User:integrator) its ACLs; "
        "needs a super user's credentials in LODESTONE_KAFKA_USERNAME/_PASSWORD",
    )
    args = parser.parse_args(argv)
    security = kafka.kafka_security()
    if args.lag:
        try:
            lags = asyncio.run(consumer_lag(args.bootstrap, security=security))
        except KafkaConnectionError as exc:
            parser.exit(1, f"lodestone-topics: cannot reach Kafka at {args.bootstrap}: {exc}\n")
        for group, behind in lags.items():
            print(f"{group:56} {behind:>10} behind")
        return 0
    if args.replication_factor < 1:
        parser.error("--replication-factor must be at least 1")
    created = asyncio.run(
        ensure_topics(
            args.bootstrap,
            timeout=args.timeout,
            security=security,
            replication=args.replication_factor,
        )
    )
    for spec in TOPICS:
        state = "created" if spec.name in created else "exists"
        print(f"{spec.name:32} {spec.partitions:3} partitions  {state}")
    if args.acls:
        count = asyncio.run(grant(args.bootstrap, security))
        for name, access in ACCESS.items():
            print(f"User:{name:12} reads {', '.join(access.reads) or '-'}")
            print(f"{'':17} writes {', '.join(access.writes)}")
        print(f"{count} ACLs in place")
    return 0


if __name__ == "__main__":
    sys.exit(main())
