"""The batch-first processor: a service's handler table over one consumer group.

A service declares what it does with each event type (`{ContactCreated: on_contacts, ...}`);
the processor derives the topics to read from that table and, for each batch Kafka hands it,
owns everything around the handlers that each service used to write by hand:

- one transaction per batch (retried as a whole on a transient error, by `BatchRunner`);
- deduplication: events already applied (by event id, remembered in the same transaction as
  their effects) are dropped, so a redelivered batch or an event the upstream relay
  republished after a crash changes nothing;
- the erased filter: events about a contact erased under GDPR are dropped (a service that
  keeps an `Erased` register), so a late event cannot bring the person's data back;
- events the handlers emit are buffered and written to the outbox once, in the batch's
  transaction, and handed to the relay in memory after the commit;
- handlers see the batch in order; consecutive events with the same handler go to it as one
  list, so a handler batches its reads and writes, and per-contact order holds.

A service at the edge also reads a topic of outside messages (contacts reads integrators' raw
events): an `Edge` says how to parse one, its deduplication key and its handler; those
messages share the batch, the transaction and the deduplication with the envelopes.

Handlers are `async def handler(events, uow) -> {event_id: reason} | None`. They read and
write through `uow.session` and call `uow.emit(topic, envelope)`; rejected events are
dead-lettered by the runner and not remembered (a re-drive applies them). Tests of handlers
pass a `UnitOfWork()` with no session (and `MemoryTransactions`) to in-memory stores.

One consumer group per service reads all its topics with the range assignor: every topic is
keyed by contact id and has the same partition count, so partition p of every topic goes to
the same member, and one contact's events are written by one process at a time.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

from aiokafka.coordinator.assignors.range import RangePartitionAssignor
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.database import AsyncDatabase

from . import tracing
from .admin import adopt_offsets
from .consumer import EnvelopeEvent, Rejections, envelope_parser, subscribe_batch
from .envelope import Envelope
from .events import TOPIC_OF, ContactErased, EventPayload
from .guard import Guard
from .http import Runtime
from .mongo import Erased, Inbox, in_transaction
from .outbox import Outbox
from .ownership import Ownership
from .topics import OWNERS


class UnitOfWork:
    """What a handler may touch during one batch: the transaction's session and the events it
    emits. Without a session (tests of handlers) stores keep their data in memory."""

    def __init__(self, session: AsyncClientSession | None = None) -> None:
        self.session = session
        self.emitted: list[tuple[str, Envelope]] = []
        self.traces: list[dict[str, str]] = []  # each emitted event's trace context
        self.committed: list[Callable[[], None]] = []

    def on_commit(self, callback: Callable[[], None]) -> None:
        """Call `callback` once the work is durable (wake a loop that has work now)."""
        if callback not in self.committed:
            self.committed.append(callback)

    def emit(self, topic: str, envelope: Envelope) -> None:
        """Publish `envelope` on `topic` if, and only if, the batch commits."""
        self.emitted.append((topic, envelope))
        self.traces.append(tracing.carrier_for(envelope))


Handler = Callable[[list[EnvelopeEvent], UnitOfWork], Awaitable[Rejections]]
HandlerTable = Mapping[type[EventPayload], Handler]
T = TypeVar("T")


@dataclass(frozen=True)
class Edge:
    """A topic of outside messages: how to read one (raise to dead-letter it), the key it is
    deduplicated by, and the handler of a run of them (rejections keyed by that key)."""

    parse: Callable[[bytes], Any]
    key: Callable[[Any], str]
    handler: Callable[[list[Any], UnitOfWork], Awaitable[Rejections]]


@dataclass(frozen=True)
class Inbound:
    """One message of an edge topic, parsed."""

    topic: str
    key: str
    value: Any


Item = EnvelopeEvent | Inbound


def key_of(item: Item) -> str:
    return item.key if isinstance(item, Inbound) else item.event_id


class Transactions:
    """Work as one unit: a transaction, the events it emitted written to the outbox inside it,
    the relay woken once it committed. Consumers get theirs from the `Processor`; API calls
    and background jobs (recomputes, sweeps) run theirs here."""

    def __init__(self, client: Any, outbox: Outbox | None = None) -> None:
        self.client = client
        self.outbox = outbox
        # Shared by the service's transactions, held alone by its consumer's batch: they
        # never meet the batch in flight (lodestone_common.guard).
        self.guard = Guard()

    async def run(self, work: Callable[[UnitOfWork], Awaitable[T]]) -> T:
        async with self.guard.shared():
            return await self._run(work)

    async def alone(self, work: Callable[[UnitOfWork], Awaitable[T]]) -> T:
        """`work` with none of the service's other transactions open (a consumer's batch)."""
        async with self.guard.exclusive():
            return await self._run(work)

    async def _run(self, work: Callable[[UnitOfWork], Awaitable[T]]) -> T:
        last: list[UnitOfWork] = []
        rows: list[dict[str, Any]] = []

        async def attempt(session: AsyncClientSession) -> T:
            uow = UnitOfWork(session)  # a fresh one per attempt: a retry starts clean
            last[:] = [uow]
            rows.clear()
            result = await work(uow)
            if uow.emitted:
                assert self.outbox is not None, "events emitted where there is no outbox"
                rows.extend(await self.outbox.add(uow.emitted, session=session, traces=uow.traces))
            return result

        result = await in_transaction(self.client, attempt)
        uow = last[0]
        if rows and self.outbox is not None:
            self.outbox.hand(rows)  # committed: the relay needs not read them back
        for callback in uow.committed:
            callback()
        return result


class MemoryTransactions(Transactions):
    """For tests of use cases over in-memory stores: work runs on a session-less unit of
    work, and what it emitted is kept in `emitted`."""

    def __init__(self) -> None:
        super().__init__(None)
        self.emitted: list[tuple[str, Envelope]] = []

    async def _run(self, work: Callable[[UnitOfWork], Awaitable[T]]) -> T:
        uow = UnitOfWork()
        result = await work(uow)
        self.emitted += uow.emitted
        for callback in uow.committed:
            callback()
        return result


@dataclass
class Processor:
    """Applies batches of events to one service's database through its handler table."""

    service: str
    handlers: HandlerTable
    # The service's own: a batch's transaction holds their guard alone, so the service's
    # other transactions (API calls, jobs, a runner) never meet an open batch, and its
    # events go to their outbox.
    transactions: Transactions
    db: AsyncDatabase[dict[str, Any]]
    # The service keeps an `erased` register: drop events about erased contacts.
    erase_filter: bool = False
    edges: Mapping[str, Edge] = field(default_factory=dict)
    _by_type: dict[str, Handler] = field(init=False, repr=False)
    _by_edge: dict[str, Handler] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._by_type = {t.event_type: h for t, h in self.handlers.items()}
        self._by_edge = {topic: _unwrapping(edge) for topic, edge in self.edges.items()}
        self.inbox = Inbox(self.db["inbox"])
        self.erased = Erased(self.db["erased"])

    @property
    def event_types(self) -> set[str]:
        return set(self._by_type)

    @property
    def topics(self) -> list[str]:
        return sorted({TOPIC_OF[t] for t in self._by_type} | set(self.edges))

    def parsers(self) -> dict[str, Callable[[bytes], Item]]:
        """A parser for each edge topic (the others carry envelopes)."""

        def reader(topic: str, edge: Edge) -> Callable[[bytes], Item]:
            def parse(raw: bytes) -> Item:
                value = edge.parse(raw)
                return Inbound(topic, edge.key(value), value)

            return parse

        return {topic: reader(topic, edge) for topic, edge in self.edges.items()}

    def handler_of(self, item: Item) -> Handler:
        if isinstance(item, Inbound):
            return self._by_edge[item.topic]
        return self._by_type[item.envelope.event_type]

    async def process(self, events: list[Item]) -> Rejections:
        """Apply the events not applied before in one transaction; what was rejected, why."""
        if not events:
            return None

        async def work(uow: UnitOfWork) -> dict[str, str]:
            return await self._apply(events, uow)

        return await self.transactions.alone(work) or None

    async def _apply(self, events: list[Item], uow: UnitOfWork) -> dict[str, str]:
        unseen = await self.inbox.unseen([key_of(e) for e in events], session=uow.session)
        # In order, each event once: a batch may hold a resend of one of its events.
        fresh = list({key_of(e): e for e in events if key_of(e) in unseen}.values())
        if self.erase_filter:
            envelopes = [e for e in fresh if isinstance(e, EnvelopeEvent)]
            kept = {id(e) for e in await self.erased.without(envelopes, uow.session)}
            fresh = not_after_erasure([e for e in fresh if isinstance(e, Inbound) or id(e) in kept])
        rejected: dict[str, str] = {}
        for handler, run in runs(fresh, self.handler_of):
            rejected.update(await handler(run, uow) or {})
        await self.inbox.remember(unseen - rejected.keys(), session=uow.session)
        return rejected


def not_after_erasure(events: list[Item]) -> list[Item]:
    """Drop what follows a contact's erasure in the same batch (the register only knows of
    erasures committed before it)."""
    gone: set[str] = set()
    kept = []
    for event in events:
        if isinstance(event, Inbound):
            kept.append(event)
            continue
        contact = event.envelope.contact_id
        if contact in gone:
            continue
        if isinstance(event.payload, ContactErased):
            gone.add(contact)
        kept.append(event)
    return kept


def _unwrapping(edge: Edge) -> Handler:
    async def handle(items: list[Any], uow: UnitOfWork) -> Rejections:
        return await edge.handler([i.value for i in items], uow)

    return handle


def runs(
    events: list[Any], handler_of: Callable[[Any], Handler]
) -> list[tuple[Handler, list[Any]]]:
    """The events cut into consecutive runs with the same handler, in order."""
    out: list[tuple[Handler, list[Any]]] = []
    for event in events:
        handler = handler_of(event)
        if out and out[-1][0] is handler:
            out[-1][1].append(event)
        else:
            out.append((handler, [event]))
    return out


def owned_parsers(processor: Processor) -> dict[str, Callable[[bytes], Item]]:
    """An envelope parser per envelope topic that refuses envelopes from another producer
    than the topic's owner (topics.OWNERS)."""
    return {
        topic: envelope_parser(processor.event_types, OWNERS[topic])
        for topic in processor.topics
        if topic in OWNERS and topic not in processor.edges
    }


def subscribe(
    runtime: Runtime,
    processor: Processor,
    *,
    description: str,
    retired: Mapping[str, str] | None = None,
    ownership: Ownership | None = None,
) -> str:
    """Consume every topic of the processor's table in the service's one group; the group.
    `retired` names the groups ({topic: group suffix}) the service read with before: the new
    group starts where they ended, and they are deleted. `ownership` is kept current with the
    partitions this process holds (for work no message drives, like timers)."""
    group = runtime.settings.consumer_group  # the service's one group
    runtime.startup.append(processor.inbox.ensure_indexes)
    if retired:
        prefix = runtime.settings.consumer_group
        old = {topic: f"{prefix}.{suffix}" for topic, suffix in retired.items()}

        async def adopt() -> None:
            settings = runtime.settings
            await adopt_offsets(settings.kafka_bootstrap, group, old, settings.kafka_security())

        runtime.startup.append(adopt)
    subscribe_batch(
        runtime.broker,
        *processor.topics,
        group=group,
        handler=processor.process,
        parse=envelope_parser(processor.event_types),
        parsers={**owned_parsers(processor), **processor.parsers()},
        key_of=key_of,
        max_records=runtime.settings.consumer_max_records,
        title=processor.service,
        description=description,
        progress=runtime.progress,
        assignor=RangePartitionAssignor,
        listener=ownership,
    )
    return group
