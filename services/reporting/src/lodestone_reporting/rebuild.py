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
    consumer = AIOKafkaConsumer(
        bootstrap_servers=settings.kafka_bootstrap, enable_auto_commit=False, group_id=None
    )
    await consumer.start()
    totals = {"read": 0, "projected": 0, "skipped": 0, "unreadable": 0}
    try:
        # Nothing is subscribed, so ask the cluster for the topics' partitions.
        cluster = await consumer._client.fetch_all_metadata()
        partitions = [
            TopicPartition(topic, p)
            for topic in TOPIC_EVENTS
            for p in sorted(cluster.partitions_for_topic(topic) or ())
        ]
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        ends: dict[TopicPartition, int] = await consumer.end_offsets(partitions)
        starts: dict[TopicPartition, int] = await consumer.beginning_offsets(partitions)
        todo = sum(ends[tp] - starts[tp] for tp in partitions)
        await repo.wipe()
        progress(f"rebuild: replaying {todo:,} messages from {len(partitions)} partitions")
        started = last = time.monotonic()
        pending = {tp for tp in partitions if ends[tp] > starts[tp]}
        while pending:
            batches = await consumer.getmany(*pending, timeout_ms=1000, max_records=BATCH)
            events: list[EnvelopeEvent] = []
            for tp, records in batches.items():
                for record in records:
                    if record.offset >= ends[tp]:
                        break
                    totals["read"] += 1
                    events += _parse(parsers[tp.topic], record.value, totals)
            if events:
                totals["projected"] += await repo.apply(events)
            for tp in list(pending):
                if await consumer.position(tp) >= ends[tp]:
                    pending.discard(tp)
            if time.monotonic() - last >= 2 or not pending:
                last = time.monotonic()
                rate = totals["read"] / max(last - started, 1e-9)
                progress(
                    f"rebuild: {totals['read']:,}/{todo:,} messages "
                    f"({100 * totals['read'] / max(todo, 1):.0f}%), {rate:,.0f}/s"
                )
        if hand_over:
            await _commit(settings, ends)
            progress("rebuild: live consumer groups continue from the replayed offsets")
    finally:
        await consumer.stop()
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
