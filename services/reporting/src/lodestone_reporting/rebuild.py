"""Rebuild every read model from scratch by replaying the topics.

`lodestone-reporting-rebuild --help`. Stop the reporting consumers first (they would keep
writing into what is being rebuilt); the command refuses while a reporting consumer group
has members, unless told to write into another database (`--database`, e.g. to compare).
With `--hand-over` it then commits the replayed offsets for the live consumer groups, so the
restarted service carries on exactly where the replay ended.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from collections.abc import Callable
from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.protocol.admin import DescribeGroupsRequest, DescribeGroupsRequest_v0

from lodestone_common.consumer import EnvelopeEvent, Skip, envelope_parser
from lodestone_common.kafka import TopicSnapshot
from lodestone_common.mongo import make_client

from .domain.projector import TOPIC_EVENTS
from .repository import ReportingRepository
from .settings import ReportingSettings

BATCH = 1000


def groups(settings: ReportingSettings) -> dict[str, str]:
    """The live consumer group of each topic (as `consumers.register` names them)."""
    return {
        topic: f"{settings.consumer_group}.reporting-{name}"
        for topic, (name, _) in TOPIC_EVENTS.items()
    }


class _DescribeGroupsV0(DescribeGroupsRequest):
    """DescribeGroups pinned to v0: aiokafka 0.14 mis-decodes Kafka 3.9's v3 answer."""

    def build(self, request_struct_class: Any) -> Any:
        return DescribeGroupsRequest_v0(self._groups)


async def busy_groups(settings: ReportingSettings) -> list[str]:
    """Reporting consumer groups that have live members (the service is consuming)."""
    admin = AIOKafkaAdminClient(bootstrap_servers=settings.kafka_bootstrap)
    await admin.start()
    busy = []
    try:
        for group in groups(settings).values():
            coordinator = await admin.find_coordinator(group)
            response = await admin._send_request(_DescribeGroupsV0([group]), coordinator)
            # v0 rows: (error_code, group_id, state, protocol_type, protocol, members)
            busy += [row[1] for row in response.groups if row[5]]
    finally:
        await admin.close()
    return busy


async def rebuild(
    settings: ReportingSettings,
    database: str | None = None,
    hand_over: bool = False,
    progress: Callable[[str], None] = print,
) -> dict[str, int]:
    client = make_client(settings.mongo_url, "lodestone-reporting-rebuild")
    repo = ReportingRepository(client, client[database or settings.mongo_db])
    parsers = {topic: envelope_parser(types) for topic, (_, types) in TOPIC_EVENTS.items()}
    totals = {"read": 0, "projected": 0, "skipped": 0, "unreadable": 0}
    try:
        async with TopicSnapshot(settings.kafka_bootstrap, list(TOPIC_EVENTS), BATCH) as topics:
            todo = topics.total
            await repo.wipe()
            parts = len(topics.partitions)
            progress(f"rebuild: replaying {todo:,} messages from {parts} partitions")
            started = last = time.monotonic()

            def report() -> None:
                rate = totals["read"] / max(time.monotonic() - started, 1e-9)
                progress(
                    f"rebuild: {totals['read']:,}/{todo:,} messages "
                    f"({100 * totals['read'] / max(todo, 1):.0f}%), {rate:,.0f}/s"
                )

            async for records in topics.batches():
                events: list[EnvelopeEvent] = []
                for record in records:
                    totals["read"] += 1
                    events += _parse(parsers[record.topic], record.value, totals)
                if events:
                    totals["projected"] += await repo.apply(events)
                if time.monotonic() - last >= 2:
                    last = time.monotonic()
                    report()
            report()
            if hand_over:
                await _commit(settings, topics.ends)
                progress("rebuild: live consumer groups continue from the replayed offsets")
    finally:
        await client.close()
    return totals


def _parse(parse: Callable[[bytes], EnvelopeEvent], raw: Any, totals: dict[str, int]) -> list[Any]:
    try:
        return [parse(raw)]
    except Skip:
        totals["skipped"] += 1
    except Exception:
        totals["unreadable"] += 1  # the live consumer dead-lettered it; so does not count
    return []


async def _commit(settings: ReportingSettings, ends: dict[TopicPartition, int]) -> None:
    for topic, group in groups(settings).items():
        consumer = AIOKafkaConsumer(
            bootstrap_servers=settings.kafka_bootstrap, group_id=group, enable_auto_commit=False
        )
        await consumer.start()
        try:
            mine = {tp: offset for tp, offset in ends.items() if tp.topic == topic}
            consumer.assign(list(mine))
            await consumer.commit(mine)
        finally:
            await consumer.stop()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="lodestone-reporting-rebuild",
        description=(
            "Rebuild reporting's read models from scratch by replaying the contacts, "
            "interactions, scores and automation topics. Stop the reporting service first."
        ),
    )
    parser.add_argument(
        "--database", help="write into this database instead of the service's (compare runs)"
    )
    parser.add_argument(
        "--hand-over",
        action="store_true",
        help="afterwards, point the live consumer groups at the end of the replay",
    )
    args = parser.parse_args(argv)
    settings = ReportingSettings()
    if not args.database:
        busy = asyncio.run(busy_groups(settings))
        if busy:
            print(f"reporting consumers are running ({', '.join(busy)}): stop them first")
            return 2
    totals = asyncio.run(rebuild(settings, args.database, args.hand_over))
    print(
        f"rebuild: done: {totals['projected']:,} events projected, {totals['skipped']:,} "
        f"not for reporting, {totals['unreadable']:,} unreadable (dead-lettered when live)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
