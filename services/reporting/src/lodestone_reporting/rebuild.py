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

from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.protocol.admin import DescribeGroupsRequest, DescribeGroupsRequest_v0

from lodestone_common.admin import commit_offsets
from lodestone_common.consumer import EnvelopeEvent, Skip
from lodestone_common.kafka import TopicSnapshot
from lodestone_common.mongo import make_client
from lodestone_common.processing import Processor, Transactions, owned_parsers

from .bootstrap import SERVICE
from .handlers import handlers
from .settings import ReportingSettings
from .stores import ReadModels

BATCH = 1000


def group(settings: ReportingSettings) -> str:
    """The live consumer group (`processing.subscribe` reads in the service's one group)."""
    return settings.consumer_group


class _DescribeGroupsV0(DescribeGroupsRequest):
    """DescribeGroups pinned to v0: aiokafka 0.14 mis-decodes Kafka 3.9's v3 answer."""

    def build(self, request_struct_class: Any) -> Any:
        return DescribeGroupsRequest_v0(self._groups)


async def busy_groups(settings: ReportingSettings) -> list[str]:
    """The reporting consumer group, if it has live members (the service is consuming)."""
    admin = AIOKafkaAdminClient(
        bootstrap_servers=settings.kafka_bootstrap, **settings.kafka_security()
    )
    await admin.start()
    busy = []
    try:
        live = group(settings)
        coordinator = await admin.find_coordinator(live)
        response = await admin._send_request(_DescribeGroupsV0([live]), coordinator)
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
    models = ReadModels(client[database or settings.mongo_db])
    # The live consumers' own code path: the same handlers, inbox and transactions.
    processor = Processor(SERVICE, handlers(models), Transactions(client), models.db)
    # What the live consumer dead-lettered (an envelope from another producer too) is skipped.
    parsers = owned_parsers(processor)
    totals = {"read": 0, "projected": 0, "skipped": 0, "unreadable": 0}
    try:
        async with TopicSnapshot(
            settings.kafka_bootstrap, processor.topics, BATCH, settings.kafka_security()
        ) as topics:
            todo = topics.total
            await models.wipe()
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
                    await processor.process(events)
                    totals["projected"] += len(events)
                if time.monotonic() - last >= 2:
                    last = time.monotonic()
                    report()
            report()
            if hand_over:
                await commit_offsets(
                    settings.kafka_bootstrap,
                    group(settings),
                    topics.ends,
                    settings.kafka_security(),
                )
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
