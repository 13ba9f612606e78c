"""Kafka broker factory with safe defaults, keyed publishing, the dead-letter sink, and a
reader of whole topics for replays and inspection tools."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import weakref
from collections.abc import AsyncIterator, Iterable, Mapping, Sequence
from dataclasses import dataclass
from types import TracebackType
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRecord, TopicPartition
from aiokafka.errors import (
    IllegalStateError,
    InvalidProducerEpoch,
    InvalidTxnState,
    KafkaError,
    MessageSizeTooLargeError,
    OutOfOrderSequenceNumber,
    ProducerFenced,
    UnknownProducerId,
)
from faststream.kafka import KafkaBroker

from . import tracing
from .envelope import Envelope, utcnow
from .metrics import PRODUCER_REBUILDS, PUBLISHED
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
        "security": settings.broker_security(),
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


# Errors after which an idempotent producer never publishes again: the broker lost (or never
# had) this producer id's sequence state, e.g. after an unclean restart truncated the log the
# sequence numbers were built on, so every later batch is "out of order" too (aiokafka #1017).
# Only a new producer, with a new producer id and sequences from zero, can go on.
FATAL_PRODUCER_ERRORS: tuple[type[BaseException], ...] = (
    OutOfOrderSequenceNumber,
    UnknownProducerId,
    InvalidProducerEpoch,
    ProducerFenced,
    InvalidTxnState,
    IllegalStateError,
)


class _Healer:
    """Per broker: rebuilds its producer once for all publishers that saw it fail."""

    def __init__(self) -> None:
        self.lock = asyncio.Lock()
        self.generation = 0


_healers: weakref.WeakKeyDictionary[KafkaBroker, _Healer] = weakref.WeakKeyDictionary()


def _healer(broker: KafkaBroker) -> _Healer:
    healer = _healers.get(broker)
    if healer is None:
        healer = _healers[broker] = _Healer()
    return healer


def _aiokafka_producer(broker: KafkaBroker) -> AIOKafkaProducer | None:
    state = getattr(broker.config.producer, "_producer", None)
    return getattr(state, "producer", None)


def producer_broken(broker: KafkaBroker) -> bool:
    """True when the broker's producer can never deliver again: its sender task has died
    (aiokafka then fails everything pending and leaves new sends waiting forever)."""
    producer = _aiokafka_producer(broker)
    sender = getattr(producer, "_sender", None)
    task = getattr(sender, "sender_task", None)
    return task is not None and task.done()


async def rebuild_producer(broker: KafkaBroker, seen: int | None = None, why: str = "") -> bool:
    """Replace the broker's producer with a new one (new producer id, sequences from zero).

    `seen` is the generation the caller published with: when another publisher rebuilt the
    producer since, nothing is done (one rebuild per failure, however many saw it). Uses the
    broker's own connection settings, so the new producer is as idempotent as the old."""
    healer = _healer(broker)
    async with healer.lock:
        if seen is not None and seen != healer.generation:
            return False
        fast = broker.config.producer
        old = getattr(fast, "_producer", None)
        fresh = AIOKafkaProducer(**broker._connection_kwargs)
        # connect() starts the new producer and swaps it in; serializer and codec unchanged.
        await fast.connect(fresh, serializer=fast.serializer, codec=fast.codec)  # type: ignore[attr-defined]
        healer.generation += 1
        PRODUCER_REBUILDS.inc()
        log.warning("kafka producer rebuilt", extra={"reason": why, "rebuilds": healer.generation})
    if old is not None:
        # The old one's pending batches can never be delivered: close it without waiting on
        # them for long (their publishers see an error and retry on the new producer).
        with contextlib.suppress(Exception):
            await asyncio.wait_for(old.stop(), 5.0)
    return True


async def _publish_once(broker: KafkaBroker, messages: Sequence[Outgoing]) -> None:
    pending = [
        # A message without headers continues the current trace (an ingest request's).
        await broker.publish(
            m.value, m.topic, key=m.key, headers=m.headers or tracing.carrier(), no_confirm=True
        )
        for m in messages
    ]
    await asyncio.gather(*pending)


async def publish_all(
    broker: KafkaBroker, messages: Sequence[Outgoing], timeout: float | None = None
) -> None:
    """Publish a batch and return only once Kafka acknowledged every message.

    Sends are pipelined (the producer batches them per partition) instead of one round
    trip per message; any failure raises, so the caller never treats the batch as sent.
    A producer that fell fatally out of step with the broker is rebuilt and the batch sent
    once more: messages the old producer did deliver arrive twice, which every consumer
    absorbs by event id. `timeout` bounds the whole call (TimeoutError); idempotent batches
    otherwise wait for a broker that is down as long as it stays down.
    """
    if not messages:
        return
    async with asyncio.timeout(timeout):
        healer = _healer(broker)
        for attempt in (1, 2):
            generation = healer.generation
            try:
                if producer_broken(broker):
                    raise IllegalStateError("the producer's sender task has stopped")
                await _publish_once(broker, messages)
                break
            except FATAL_PRODUCER_ERRORS as exc:
                await rebuild_producer(broker, generation, why=repr(exc))
                if attempt == 2:
                    raise
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

    def __init__(
        self,
        bootstrap: str,
        topics: Sequence[str],
        max_records: int = 1000,
        security: Mapping[str, Any] | None = None,
    ) -> None:
        self.consumer = AIOKafkaConsumer(
            bootstrap_servers=bootstrap, enable_auto_commit=False, **(security or {})
        )
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
