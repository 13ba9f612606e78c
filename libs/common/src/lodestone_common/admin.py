"""Create Lodestone's topics (idempotent). `python -m lodestone_common.admin --help`."""

from __future__ import annotations

import argparse
import asyncio
import sys
import time

from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import KafkaConnectionError

from .topics import TOPICS, TopicSpec


async def ensure_topics(
    bootstrap: str, specs: tuple[TopicSpec, ...] = TOPICS, timeout: float = 60.0
) -> list[str]:
    """Create the missing topics; the names created. Waits for the broker up to `timeout`."""
    deadline = time.monotonic() + timeout
    while True:
        admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=10_000)
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
                [NewTopic(s.name, s.partitions, 1, topic_configs=dict(s.config)) for s in missing]
            )
        return [s.name for s in missing]
    finally:
        await admin.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="lodestone-topics", description="Create every Lodestone topic that is missing."
    )
    parser.add_argument("--bootstrap", default="127.0.0.1:9092", help="Kafka bootstrap servers")
    parser.add_argument("--timeout", type=float, default=60.0, help="seconds to wait for Kafka")
    args = parser.parse_args(argv)
    created = asyncio.run(ensure_topics(args.bootstrap, timeout=args.timeout))
    for spec in TOPICS:
        state = "created" if spec.name in created else "exists"
        print(f"{spec.name:32} {spec.partitions:3} partitions  {state}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
