"""Kafka broker factory with safe defaults, keyed publishing, the dead-letter sink, and a
reader of whole topics for replays and inspection tools."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Iterable, Sequence
from dataclasses import dataclass
from types import TracebackType

from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition
from aiokafka.errors import KafkaError, MessageSizeTooLargeError
from faststream.kafka import KafkaBroker

from .envelope import Envelope, utcnow
from .metrics import PUBLISHED
from .settings import ServiceSettings
from .topics import DEAD_LETTER

log = logging.getLogger(__name__)


def make_broker(settings: ServiceSettings, **overrides: object) -> KafkaBroker:
    """A broker whose producer is idempotent and waits for every in-sync replica."""
    options: dict[str, object] = {
        "client_id": f"lodestone-{settings.service_name}-{settings.instance_id}",
        "acks": "all",
        "enable_idempotence": True,
        # A few ms of lingering lets concurrent publishes share a produce request.
        "linger_ms": 5,
        "max_batch_size": 256 * 1024,
        "request_timeout_ms": 30_000,
        "graceful_timeout": 15.0,
        "logger": logging.getLogger(f"lodestone.{settings.service_name}.broker"),
    }
    options.update(overrides)
    return KafkaBroker(settings.kafka_bootstrap, **options)  # type: ignore[arg-type]


@dataclass(frozen=True)
class Outgoing:
    topic: str
    key: bytes | None
    value: bytes
    headers: dict[str, str] | None = None


def outgoing(topic: str, envelope: Envelope) -> Outgoing:
    return Outgoing(topic, envelope.key(), envelope.to_bytes())


async def publish_all(broker: KafkaBroker, messages: Sequence[Outgoing]) -> None:
    """Publish a batch and return only once Kafka acknowledged every message.

    Sends are pipelined (the producer batches them per partition) instead of one round
    trip per message; any failure raises, so the caller never treats the batch as sent.
    """
    if not messages:
        return
    pending = [
        await broker.publish(m.value, m.topic, key=m.key, headers=m.headers or {}, no_confirm=True)
        for m in messages
    ]
    await asyncio.gather(*pending)
    counts: dict[str, int] = {}
    for m in messages:
        counts[m.topic] = counts.get(m.topic, 0) + 1
    for topic, n in counts.items():
        PUBLISHED.labels(topic).inc(n)


class DeadLetterSink:
    """Sends a message nobody can process to the dead-letter topic, byte for byte, with why."""

    def __init__(self, broker: KafkaBroker, group: str, topic: str = DEAD_LETTER) -> None:
        self.broker = broker
        self.group = group
        self.topic = topic

    def message(self, record: ConsumerRecord, reason: str, error: str) -> Outgoing:
        headers = {
            "x-dlq-reason": reason,
            "x-dlq-error": error[:2000],
            "x-dlq-group": self.group,
            "x-original-topic": record.topic,
            "x-original-partition": str(record.partition),
            "x-original-offset": str(record.offset),
            "x-failed-at": utcnow().isoformat(),
        }
        return Outgoing(self.topic, record.key, record.value or b"", headers)

    async def send(self, failures: Iterable[tuple[ConsumerRecord, str, str]]) -> int:
        failures = list(failures)
        await publish_all(self.broker, [self.message(r, why, err) for r, why, err in failures])
        for record, reason, error in failures:
            log.warning(
                "dead-lettered a message",
                extra={
                    "reason": reason,
                    "error": error,
                    "origin": f"{record.topic}/{record.partition}@{record.offset}",
                },
            )
        return len(failures)


def is_transient_kafka(exc: BaseException) -> bool:
    # A message too large never fits, however often it is retried; other broker errors pass.
    return isinstance(exc, KafkaError) and not isinstance(exc, MessageSizeTooLargeError)


async def topic_partitions(
    consumer: AIOKafkaConsumer, topics: Iterable[str]
) -> list[TopicPartition]:
    """Every partition of these topics, asked of the cluster (for a consumer that subscribes
    to nothing, whose own metadata would not know them)."""
    cluster = await consumer._client.fetch_all_metadata()
    return [
        TopicPartition(topic, p)
        for topic in topics
        for p in sorted(cluster.partitions_for_topic(topic) or ())
    ]


class TopicSnapshot:
    """Reads topics from their beginning up to the end offsets they had when opened, without
    a consumer group (replays and inspection tools; live consumers use subscribers)."""

    def __init__(self, bootstrap: str, topics: Sequence[str], max_records: int = 1000) -> None:
        self.consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
        self.topics = list(topics)
        self.max_records = max_records
        self.partitions: list[TopicPartition] = []
        self.starts: dict[TopicPartition, int] = {}
        self.ends: dict[TopicPartition, int] = {}

    @property
    def total(self) -> int:
        """How many records the snapshot holds."""
        return sum(self.ends[tp] - self.starts[tp] for tp in self.partitions)

    async def __aenter__(self) -> TopicSnapshot:
        await self.consumer.start()
        try:
            self.partitions = await topic_partitions(self.consumer, self.topics)
            if self.partitions:
                self.consumer.assign(self.partitions)
                await self.consumer.seek_to_beginning(*self.partitions)
                self.ends = await self.consumer.end_offsets(self.partitions)
                self.starts = await self.consumer.beginning_offsets(self.partitions)
        except BaseException:
            await self.consumer.stop()
            raise
        return self

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.consumer.stop()

    async def batches(self) -> AsyncIterator[list[ConsumerRecord]]:
        """Records in partition order, a batch per fetch (possibly empty), until the end."""
        pending = {tp for tp in self.partitions if self.ends[tp] > self.starts[tp]}
        while pending:
            fetched = await self.consumer.getmany(
                *pending, timeout_ms=1000, max_records=self.max_records
            )
            yield [
                record
                for tp, records in fetched.items()
                for record in records
                if record.offset < self.ends[tp]
            ]
            for tp in list(pending):
                if await self.consumer.position(tp) >= self.ends[tp]:
                    pending.discard(tp)
