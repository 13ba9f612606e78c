from datetime import UTC, datetime
from uuid import uuid4

import orjson
import pytest
from pydantic import ValidationError

from lodestone_common.envelope import Envelope
from lodestone_common.events import (
    REGISTRY,
    ContactCreated,
    ContactSnapshot,
    InteractionRecorded,
    UnknownEventType,
    parse_payload,
)
from lodestone_common.topics import TOPICS


def test_envelope_round_trips_through_bytes() -> None:
    payload = InteractionRecorded(interaction_type="page_visit", name="Viewed /pricing")
    env = payload.envelope(contact_id="c_1", producer="contacts")
    back = Envelope.from_bytes(env.to_bytes())
    assert back == env
    assert back.key() == b"c_1"
    assert parse_payload(back) == payload


def test_consumers_ignore_fields_added_by_newer_producers() -> None:
    raw = orjson.loads(
        ContactCreated(contact=ContactSnapshot(email="a@b.co"))
        .envelope(contact_id="c_1", producer="contacts")
        .to_bytes()
    )
    raw["trace_id"] = "added-later"
    raw["payload"]["contact"]["favourite_colour"] = "green"
    env = Envelope.model_validate(raw)
    created = parse_payload(env)
    assert isinstance(created, ContactCreated)
    assert created.contact.email == "a@b.co"


def test_unknown_version_and_bad_payload_are_rejected() -> None:
    env = Envelope(
        event_type="contact.created", schema_version=99, producer="x", contact_id="c", payload={}
    )
    with pytest.raises(UnknownEventType):
        parse_payload(env)
    bad = Envelope(event_type="contact.created", producer="x", contact_id="c", payload={})
    with pytest.raises(ValidationError):
        parse_payload(bad)


def test_envelope_requires_timezone_and_contact() -> None:
    with pytest.raises(ValidationError):
        Envelope(event_type="x", producer="p", contact_id="c", occurred_at=datetime(2026, 1, 1))
    with pytest.raises(ValidationError):
        Envelope(event_type="x", producer="p", contact_id="", occurred_at=datetime.now(UTC))


def test_every_contract_is_registered_once_and_topics_are_unique() -> None:
    assert len(REGISTRY) == len({t.__name__ for t in REGISTRY.values()})
    names = [t.name for t in TOPICS]
    assert len(names) == len(set(names))
    assert all(t.partitions >= 1 for t in TOPICS)


def test_explicit_event_id_is_kept() -> None:
    event_id = uuid4()
    env = InteractionRecorded(interaction_type="custom", name="x").envelope(
        contact_id="c", producer="p", event_id=event_id
    )
    assert env.event_id == event_id


def test_an_ingested_events_envelope_id_is_its_uuid_or_derived_stably_from_its_id() -> None:
    from lodestone_common.ingest import IngestEvent, stamp

    def event(event_id: str) -> IngestEvent:
        return IngestEvent.model_validate(
            {"event_id": event_id, "type": "page", "contact": {"email": "a@example.com"}}
        )

    given = uuid4()
    assert event(str(given)).envelope_id() == given
    derived = event("order-42").envelope_id()
    assert derived == event("order-42").envelope_id()  # every retry carries the same id
    assert derived != event("order-43").envelope_id()
    stamped = stamp(event("order-42"), datetime.now(UTC))
    assert stamped.envelope_id() == derived
    once = event("order-44")
    assert once.envelope_id() is once.envelope_id()  # derived once per event, not per call


def test_the_funnel_and_its_exits_are_every_lifecycle_stage_once() -> None:
    from typing import get_args

    from lodestone_common.events import EXITS, FUNNEL, LifecycleStage

    assert sorted([*FUNNEL, *EXITS]) == sorted(get_args(LifecycleStage))
    assert len({*FUNNEL, *EXITS}) == len(FUNNEL) + len(EXITS)


def test_grades_are_declared_once_and_a_score_event_refuses_another() -> None:
    from typing import get_args

    from lodestone_common.events import GRADES, Grade, ScoreChanged

    assert GRADES == get_args(Grade)
    with pytest.raises(ValidationError):
        ScoreChanged(model_id="default", score=1, previous_score=0, grade="Z")


def test_an_envelope_built_from_a_payload_is_what_validation_would_make() -> None:
    from lodestone_common.events import InteractionRecorded

    payload = InteractionRecorded(interaction_type="page_visit", name="Pricing")
    built = payload.envelope(contact_id="c1", producer="test")
    assert Envelope.from_bytes(built.to_bytes()) == built
    assert built.event_id and built.schema_version == 1 and built.occurred_at.tzinfo
    with pytest.raises(ValueError):
        payload.envelope(contact_id="c1", producer="test", occurred_at=datetime(2026, 1, 1))
    with pytest.raises(ValueError):
        payload.envelope(contact_id="", producer="test")
