"""At-least-once batch consumption with idempotent effects and a dead-letter topic.

The contract with a service handler:
- it receives a batch of parsed messages and returns only once their effects are durable
  (and idempotent by event id, so a redelivery changes nothing); it may return the keys of
  messages it rejected (with no effect) and why, which are dead-lettered;
- the batch's offsets are committed only after it returned;
- a transient infrastructure error (database or broker unreachable) is retried with backoff
  and never commits or dead-letters anything;
- any other error is narrowed down by splitting the batch until the one failing message is
  found; it is retried a few times and then dead-lettered with the reason, and the rest of
  the partition keeps flowing.
"""

from __future__ import annotations

import asyncio
import heapq
import logging
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from aiokafka import ConsumerRecord
from aiokafka.abc import ConsumerRebalanceListener
from aiokafka.coordinator.assignors.abstract import AbstractPartitionAssignor
from aiokafka.coordinator.assignors.roundrobin import RoundRobinPartitionAssignor
from faststream.kafka import KafkaBroker, KafkaMessage
from faststream.middlewares import AckPolicy

from . import tracing
from .envelope import Envelope
from .events import EventPayload, parse_payload
from .kafka import DeadLetterSink, is_transient_kafka
from .liveness import Progress
from .metrics import BATCH_SECONDS, CONSUMED, HOP_SECONDS, RETRIES
from .mongo import is_transient
from .topics import PUBLICATION_ORDER

log = logging.getLogger(__name__)

T = TypeVar("T")
# A handler returns nothing, or {key: reason} for messages it rejected without any effect.
Rejections = Mapping[str, str] | None


@dataclass(frozen=True)
class Received(Generic[T]):
    """One parsed message and where it came from."""

    value: T
    record: ConsumerRecord


@dataclass(frozen=True)
class EnvelopeEvent:
    """An envelope whose payload validated against its registered contract."""

    envelope: Envelope
    payload: EventPayload

    @property
    def event_id(self) -> str:
        return str(self.envelope.event_id)


class Skip(Exception):
    """Raised by a parser for a well-formed message this consumer has no interest in."""


def transient(exc: BaseException) -> bool:
    return (
        is_transient(exc)
        or is_transient_kafka(exc)
        or isinstance(exc, (ConnectionError, TimeoutError))
    )


class WrongProducer(ValueError):
    """An envelope on a topic its producer does not own (see topics.OWNERS)."""


def envelope_parser(
    event_types: set[str] | None, producer: str | None = None
) -> Callable[[bytes], EnvelopeEvent]:
    """Parse an envelope and validate its payload; skip types the consumer does not handle.
    With `producer`, an envelope naming another producer is poison (dead-lettered)."""

    def parse(raw: bytes) -> EnvelopeEvent:
        envelope = Envelope.from_bytes(raw)
        if producer is not None and envelope.producer != producer:
            raise WrongProducer(
                f"produced by {envelope.producer!r}; only {producer!r} publishes this topic"
            )
        if event_types is not None and envelope.event_type not in event_types:
            raise Skip(envelope.event_type)
        return EnvelopeEvent(envelope, parse_payload(envelope))

    return parse


class BatchRunner(Generic[T]):
    def __init__(
        self,
        *,
        group: str,
        handler: Callable[[list[T]], Awaitable[Rejections]],
        parse: Callable[[bytes], T],
        key_of: Callable[[T], str],
        dead_letter: DeadLetterSink,
        max_attempts: int = 3,
        max_backoff: float = 5.0,
        progress: Progress | None = None,
        topics: Sequence[str] = (),
        parsers: Mapping[str, Callable[[bytes], T]] | None = None,
    ) -> None:
        self.group = group
        # A topic with messages of another shape (an edge topic beside envelope topics).
        self.parsers = dict(parsers or {})
        # Where the batches' progress is reported (the process's, so stalls are seen).
        self.progress = progress or Progress()
        self.progress.watch_group(group, topics)
        self.handler = handler
        self.parse = parse
        self.key_of = key_of
        self.dead_letter = dead_letter
        self.max_attempts = max_attempts
        self.max_backoff = max_backoff

    async def run(self, records: Sequence[ConsumerRecord]) -> None:
        started = time.perf_counter()
        good: list[Received[T]] = []
        poison: list[tuple[ConsumerRecord, str, str]] = []
        seen: set[str] = set()
        for record in records:
            try:
                value = self.parsers.get(record.topic, self.parse)(record.value or b"")
            except Skip:
                CONSUMED.labels(self.group, record.topic, "ignored").inc()
                continue
            except Exception as exc:  # a message that cannot be read is poison, not a crash
                poison.append((record, "invalid message", _describe(exc)))
                continue
            key = self.key_of(value)
            if key in seen:  # the same event twice in one batch: apply it once
                CONSUMED.labels(self.group, record.topic, "duplicate").inc()
                continue
            seen.add(key)
            good.append(Received(value, record))
        good = interleaved(good)
        with tracing.consuming(
            self.group, [(r.record, self.key_of(r.value), _contact_of(r.value)) for r in good]
        ):
            await self._apply(good)
        if poison:
            await self._dead_letter(poison)
        self.progress.beat(self.group)  # durable; the offsets are committed next
        BATCH_SECONDS.labels(self.group).observe(time.perf_counter() - started)
        observe_hops(self.group, records, time.time())

    async def _apply(self, items: list[Received[T]]) -> None:
        if not items:
            return
        attempt, backoff = 0, 0.05
        while True:
            try:
                rejected = await self.handler([i.value for i in items])
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                if transient(exc):
                    RETRIES.labels(self.group, "transient").inc()
                    log.warning(
                        "transient failure, retrying batch",
                        extra={"group": self.group, "error": _describe(exc), "size": len(items)},
                    )
                    await asyncio.sleep(backoff)
                    backoff = min(backoff * 2, self.max_backoff)
                    continue
                if len(items) > 1:
                    # Isolate the failing message: apply each half on its own.
                    RETRIES.labels(self.group, "bisect").inc()
                    middle = len(items) // 2
                    await self._apply(items[:middle])
                    await self._apply(items[middle:])
                    return
                attempt += 1
                if attempt < self.max_attempts:
                    RETRIES.labels(self.group, "message").inc()
                    await asyncio.sleep(backoff)
                    backoff = min(backoff * 2, self.max_backoff)
                    continue
                log.exception("handler failed on a message", extra={"group": self.group})
                await self._dead_letter([(items[0].record, "handler failed", _describe(exc))])
                return
            rejected = rejected or {}
            for item in items:
                if self.key_of(item.value) not in rejected:
                    CONSUMED.labels(self.group, item.record.topic, "applied").inc()
            if rejected:
                await self._dead_letter(
                    [
                        (item.record, "rejected", rejected[self.key_of(item.value)])
                        for item in items
                        if self.key_of(item.value) in rejected
                    ]
                )
            return

    async def _dead_letter(self, failures: list[tuple[ConsumerRecord, str, str]]) -> None:
        backoff = 0.05
        while True:
            try:
                await self.dead_letter.send(failures)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("dead-letter publish failed, retrying", extra={"error": repr(exc)})
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, self.max_backoff)
                continue
            for record, _, _ in failures:
                CONSUMED.labels(self.group, record.topic, "dead_lettered").inc()
            return


def interleaved(items: list[Received[T]]) -> list[Received[T]]:
    """A batch of several topics' records in the order they were published: each partition's
    records in their own order, the partitions merged by record time (ties in topic order,
    topics.PUBLICATION_ORDER). Kafka hands a batch over partition by partition, so without
    this a contact's interaction could be applied before the contact's creation published
    just before it on another topic."""
    partitions: dict[tuple[str, int], list[Received[T]]] = {}
    for item in items:
        partitions.setdefault((item.record.topic, item.record.partition), []).append(item)
    if len(partitions) < 2:
        return items
    return list(heapq.merge(*partitions.values(), key=_published))


_RANK = {topic: rank for rank, topic in enumerate(PUBLICATION_ORDER)}


def _published(item: Received[Any]) -> tuple[int, int]:
    rank = _RANK.get(item.record.topic, len(_RANK))
    return item.record.timestamp or 0, rank


def _contact_of(value: object) -> str | None:
    envelope = getattr(value, "envelope", None)
    return getattr(envelope, "contact_id", None)


def observe_hops(group: str, records: Sequence[ConsumerRecord], now: float) -> None:
    """Each record's hop: its publication (CreateTime, ms) until now, durable."""
    for record in records:
        if record.timestamp and record.timestamp > 0:
            HOP_SECONDS.labels(group, record.topic).observe(max(now - record.timestamp / 1000, 0))


def _describe(exc: BaseException) -> str:
    text = str(exc).strip().replace("\n", " ")
    return f"{type(exc).__name__}: {text}"[:2000]


async def _raw_bodies(msg: Any) -> list[bytes]:
    # No decoding here: a malformed message must reach the runner, not break the batch.
    return list(msg.body)


def subscribe_batch(
    broker: KafkaBroker,
    *topics: str,
    group: str,
    handler: Callable[[list[T]], Awaitable[Rejections]],
    parse: Callable[[bytes], T],
    key_of: Callable[[T], str],
    max_records: int = 500,
    title: str,
    description: str,
    progress: Progress | None = None,
    assignor: type[AbstractPartitionAssignor] = RoundRobinPartitionAssignor,
    listener: ConsumerRebalanceListener | None = None,
    parsers: Mapping[str, Callable[[bytes], T]] | None = None,
) -> BatchRunner[T]:
    """Register a batch subscriber that commits only after `handler` made its effects durable
    and reports its progress to `progress` (the runtime's, so a stall is seen)."""
    runner = BatchRunner(
        group=group,
        handler=handler,
        parse=parse,
        key_of=key_of,
        dead_letter=DeadLetterSink(broker, group),
        progress=progress,
        topics=topics,
        parsers=parsers,
    )

    @broker.subscriber(
        *topics,
        group_id=group,
        batch=True,
        max_records=max_records,
        batch_timeout_ms=50,
        auto_offset_reset="earliest",
        # Ack (commit) after the handler returned; on an unexpected error seek back so the
        # batch is delivered again rather than skipped.
        ack_policy=AckPolicy.NACK_ON_ERROR,
        decoder=_raw_bodies,
        max_poll_interval_ms=600_000,
        partition_assignment_strategy=(assignor,),
        listener=listener,
        title=title,
        description=description,
    )
    async def consume(body: list[bytes], message: KafkaMessage) -> None:
        await runner.run(message.raw_message)  # type: ignore[arg-type]

    return runner


def subscribe_events(
    broker: KafkaBroker,
    *topics: str,
    group: str,
    handler: Callable[[list[EnvelopeEvent]], Awaitable[Rejections]],
    event_types: set[str] | None,
    max_records: int = 500,
    title: str,
    description: str,
    progress: Progress | None = None,
) -> BatchRunner[EnvelopeEvent]:
    """`subscribe_batch` for envelope topics, deduplicated by event id within a batch."""
    return subscribe_batch(
        broker,
        *topics,
        group=group,
        handler=handler,
        parse=envelope_parser(event_types),
        key_of=lambda e: e.event_id,
        max_records=max_records,
        title=title,
        description=description,
        progress=progress,
    )
