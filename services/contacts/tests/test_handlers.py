"""Contacts' handlers in memory: integrators' raw events resolved to contacts (created,
stitched, announced in order) and scoring's verdicts kept, newest wins."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import orjson

from lodestone_common.consumer import EnvelopeEvent
from lodestone_common.events import ScoreChanged
from lodestone_common.processing import (
    MemoryTransactions,
    Processor,
    UnitOfWork,
    runs,
)
from lodestone_common.topics import CONTACTS, INGEST_RAW, INTERACTIONS
from lodestone_contacts.handlers import edges, handlers
from lodestone_contacts.ingestion import Ingestion
from lodestone_contacts.service import Contacts

from .memory import MemoryStores

AT = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


class _NoDb:
    def __getitem__(self, name: str) -> Any:
        return None


def setup() -> tuple[MemoryStores, Processor]:
    stores = MemoryStores()
    contacts = Contacts(stores, None, MemoryTransactions())  # type: ignore[arg-type]
    table = handlers(contacts)
    processor = Processor(
        "contacts", table, MemoryTransactions(), _NoDb(), edges=edges(Ingestion(contacts))
    )
    return stores, processor


def raw(event_id: str, minutes: int, **fields: Any) -> bytes:
    body = {"event_id": event_id, "occurred_at": (AT + timedelta(minutes=minutes)).isoformat()}
    return orjson.dumps({**body, **fields})


async def apply(processor: Processor, items: list[Any]) -> tuple[UnitOfWork, dict[str, str]]:
    """One batch as the processor runs it (without the inbox, which needs the database)."""
    uow = UnitOfWork()
    rejected: dict[str, str] = {}
    for handler, run in runs(items, processor.handler_of):
        rejected.update(await handler(run, uow) or {})
    return uow, rejected


def ingest(processor: Processor, *messages: bytes) -> list[Any]:
    parse = processor.parsers()[INGEST_RAW]
    return [parse(m) for m in messages]


async def test_a_new_visitor_who_identifies_becomes_one_contact_announced_in_order() -> None:
    stores, processor = setup()
    anon = {"anonymous_id": "a-1"}
    uow, rejected = await apply(
        processor,
        ingest(
            processor,
            raw("e1", 0, type="page", name="Pricing", contact=anon, properties={"url": "/pricing"}),
            raw(
                "e2",
                1,
                type="identify",
                contact={**anon, "email": "Ada@Example.com"},
                traits={"first_name": "Ada", "company": "Analytical"},
            ),
            raw("e3", 2, type="track", name="Demo Requested", contact={"email": "ada@example.com"}),
        ),
    )
    assert rejected == {}
    [contact] = [d for d in stores.records.docs.values() if not d.get("merged_into")]
    assert contact["emails"] == ["ada@example.com"] and contact["first_name"] == "Ada"
    assert stores.identities.owner["email:ada@example.com"] == contact["_id"]
    assert stores.identities.owner["anon:a-1"] == contact["_id"]
    kinds = [(topic, e.event_type) for topic, e in uow.emitted]
    # The contact is announced before anything it did; its interactions in order.
    assert kinds[0] == (CONTACTS, "contact.created")
    interactions = [e for topic, e in uow.emitted if topic == INTERACTIONS]
    assert [e.payload["name"] for e in interactions] == ["Pricing", "identify", "Demo Requested"]
    assert {e.contact_id for e in interactions} == {contact["_id"]}
    assert kinds.index((INTERACTIONS, "interaction.recorded")) > max(
        i for i, k in enumerate(kinds) if k[0] == CONTACTS
    )
    assert len(stores.timeline.of(contact["_id"])) == 3


async def test_an_anonymous_history_is_stitched_into_the_known_person() -> None:
    stores, processor = setup()
    await apply(
        processor,
        ingest(processor, raw("k1", 0, type="identify", contact={"email": "bo@example.com"})),
    )
    await apply(
        processor,
        ingest(processor, raw("v1", 1, type="page", name="Docs", contact={"anonymous_id": "x"})),
    )
    order = {
        "amount": 20,
        "currency": "EUR",
        "items": [{"sku": "S.1", "name": "Sock", "price": 20}],
    }
    await apply(  # the anonymous visitor and the known person each buy before they are one
        processor,
        ingest(
            processor,
            raw(
                "p1",
                1,
                type="track",
                name="Purchase",
                contact={"anonymous_id": "x"},
                properties=order,
            ),
            raw(
                "p2",
                3,
                type="track",
                name="Purchase",
                contact={"email": "bo@example.com"},
                properties=order,
            ),
        ),
    )
    assert len(stores.records.docs) == 2
    uow, _ = await apply(
        processor,
        ingest(
            processor,
            raw("k2", 2, type="identify", contact={"anonymous_id": "x", "email": "bo@example.com"}),
        ),
    )
    known = stores.identities.owner["email:bo@example.com"]
    assert stores.identities.owner["anon:x"] == known
    merged = [d for d in stores.records.docs.values() if d.get("merged_into") == known]
    assert len(merged) == 1 and "first_name" not in merged[0]  # a tombstone only
    assert [e.event_type for _, e in uow.emitted if e.event_type == "contact.merged"] == [
        "contact.merged"
    ]
    # The anonymous visit is now on the known person's timeline.
    assert {e["name"] for e in stores.timeline.of(known) if e.get("name")} >= {"Docs"}
    # Both orders are the person's purchase history, summed.
    bought = stores.records.docs[known]["purchases"]
    assert bought["orders"] == 2 and bought["spent"] == {"EUR": 40.0}
    assert bought["products"]["S%2E1"]["units"] == 2
    assert (bought["first_at"], bought["last_at"]) == (
        AT + timedelta(minutes=1),
        AT + timedelta(minutes=3),
    )


async def test_an_unknown_contact_id_is_rejected_and_nothing_is_written() -> None:
    stores, processor = setup()
    items = ingest(processor, raw("r1", 0, type="track", name="X", contact={"contact_id": "nope"}))
    uow, rejected = await apply(processor, items)
    assert list(rejected) == [items[0].key] and "nope" in rejected[items[0].key]
    assert stores.records.docs == {} and uow.emitted == []


def verdict(contact: str, score: float, minutes: int) -> EnvelopeEvent:
    payload = ScoreChanged(
        model_id="default", score=score, previous_score=0, grade="B", band="warm", reasons=[]
    )
    envelope = payload.envelope(
        contact_id=contact, producer="scoring", occurred_at=AT + timedelta(minutes=minutes)
    )
    return EnvelopeEvent(envelope, payload)


async def test_the_newest_verdict_wins_whatever_order_it_arrives_in() -> None:
    stores, processor = setup()
    stores.records.docs["c1"] = {"_id": "c1"}
    await apply(processor, [verdict("c1", 40, 5), verdict("c1", 10, 1)])
    assert stores.records.docs["c1"]["score"] == 40
    await apply(processor, [verdict("c1", 20, 3)])  # a redelivered older one
    assert stores.records.docs["c1"]["score"] == 40
    assert stores.records.docs["c1"]["score_band"] == "warm"
