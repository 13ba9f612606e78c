"""Segment messages onto the ingestion contract: pure, no I/O."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from lodestone_common.ingest import IngestEvent
from lodestone_contacts.domain.identity import Known, resolve
from lodestone_contacts.domain.segment import Rejected, Skipped, message_id, to_event

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


def event(message: dict, **kwargs) -> IngestEvent:  # type: ignore[no-untyped-def]
    result = to_event(message, NOW, **kwargs)
    assert isinstance(result, IngestEvent)
    return result


def test_a_track_keeps_its_ids_names_and_context() -> None:
    got = event(
        {
            "type": "track",
            "messageId": "m-1",
            "userId": 42,
            "anonymousId": "a-1",
            "event": "Demo Requested",
            "properties": {"plan": "pro"},
            "context": {
                "ip": "203.0.113.9",
                "userAgent": "Mozilla/5.0",
                "traits": {"email": "Ada@Example.com"},
                "page": {"url": "https://acme.test/p", "referrer": "https://g.test", "path": "/p"},
                "campaign": {"source": "google", "medium": "cpc", "name": "winter"},
            },
            "timestamp": "2026-11-30T10:00:00Z",
            "someFieldNobodyKnows": {"x": 1},
        }
    )
    assert got.event_id == "m-1" and got.type == "track" and got.name == "Demo Requested"
    assert (got.contact.external_id, got.contact.anonymous_id) == ("42", "a-1")
    assert got.contact.email == "Ada@Example.com"
    assert got.occurred_at == datetime(2026, 11, 30, 10, tzinfo=UTC)
    assert got.properties == {
        "plan": "pro",
        "ip": "203.0.113.9",
        "user_agent": "Mozilla/5.0",
        "url": "https://acme.test/p",
        "referrer": "https://g.test",
        "path": "/p",
        "utm_source": "google",
        "utm_medium": "cpc",
        "utm_campaign": "winter",
    }
    assert got.first_touch_source == "google"


def test_a_skewed_device_clock_is_corrected_from_sent_at() -> None:
    # The device's clock is an hour behind: it stamped the event 5 s before sending it.
    got = event(
        {
            "type": "page",
            "anonymousId": "a",
            "originalTimestamp": "2026-12-01T10:59:50Z",
            "sentAt": "2026-12-01T10:59:55Z",
        }
    )
    assert got.occurred_at == NOW - timedelta(seconds=5)
    assert event({"type": "page", "anonymousId": "a"}).occurred_at == NOW


def test_a_message_without_id_is_deduplicated_by_its_content() -> None:
    message = {"type": "track", "userId": "u", "event": "Signed Up", "sentAt": "x"}
    assert message_id(message) == message_id(dict(reversed(message.items())))
    assert message_id(message) != message_id({**message, "event": "Logged In"})


def test_identify_group_alias_and_screen() -> None:
    identify = event(
        {"type": "identify", "userId": "u1", "traits": {"email": "a@b.co", "plan": "pro"}}
    )
    assert identify.type == "identify" and identify.traits == {"plan": "pro"}
    assert identify.contact.email == "a@b.co"
    group = event(
        {
            "type": "group",
            "userId": "u1",
            "groupId": "g9",
            "traits": {"name": "Acme", "employees": 120, "industry": "Retail", "x": 1},
        }
    )
    assert group.traits == {
        "company": "Acme",
        "company_size": 120,
        "industry": "Retail",
        "group_id": "g9",
    }
    alias = event({"type": "alias", "userId": "u1", "previousId": "anon-7"})
    assert (alias.contact.external_id, alias.contact.anonymous_id) == ("u1", "anon-7")
    screen = event({"type": "screen", "userId": "u1", "name": "Home"})
    assert (screen.type, screen.name, screen.properties) == (
        "track",
        "Screen Viewed",
        {"screen": "Home"},
    )
    # analytics.js's short paths give the type by path.
    assert event({"userId": "u1", "event": "X"}, default_type="track").name == "X"


def test_a_batch_context_is_merged_and_the_message_wins() -> None:
    got = event(
        {"type": "page", "anonymousId": "a", "context": {"ip": "1.1.1.1"}},
        batch_context={"ip": "9.9.9.9", "userAgent": "batch-agent"},
    )
    assert got.properties["ip"] == "1.1.1.1" and got.properties["user_agent"] == "batch-agent"


def test_an_order_completed_becomes_a_purchase_with_revenue() -> None:
    got = event(
        {
            "type": "track",
            "userId": "u",
            "event": "Order Completed",
            "properties": {
                "total": 99.5,
                "currency": "eur",
                "products": [
                    {
                        "sku": "S1",
                        "name": "Shoe",
                        "price": 49.75,
                        "quantity": 2,
                        "category": "Shoes",
                    }
                ],
            },
        }
    )
    assert got.properties["amount"] == 99.5 and got.properties["currency"] == "EUR"
    # The category goes along: segments ask "bought in category Shoes".
    assert got.properties["items"] == [
        {"name": "Shoe", "price": 49.75, "quantity": 2, "sku": "S1", "category": "Shoes"}
    ]


@pytest.mark.parametrize(
    ("message", "why"),
    [
        ("not an object", "JSON object"),
        ({"type": "wave", "userId": "u"}, "type must be"),
        ({"type": "track", "userId": "u"}, "needs `event`"),
        ({"type": "track", "event": "X"}, "userId"),
        ({"type": "alias", "userId": "u"}, "previousId"),
        (
            {"type": "track", "userId": "u", "event": "X", "properties": {"b": "x" * 40_000}},
            "bytes",
        ),
        ({"type": "track", "userId": "u", "event": "x" * 300}, "name"),
    ],
)
def test_what_cannot_be_ingested_says_why(message: object, why: str) -> None:
    with pytest.raises(Rejected, match=why):
        to_event(message, NOW)


def test_integrations_can_switch_lodestone_off() -> None:
    base = {"type": "track", "userId": "u", "event": "X"}
    assert isinstance(to_event({**base, "integrations": {"Lodestone": False}}, NOW), Skipped)
    assert isinstance(to_event({**base, "integrations": {"All": False}}, NOW), Skipped)
    on = {"All": False, "Lodestone": True}
    assert isinstance(to_event({**base, "integrations": on}, NOW), IngestEvent)


def test_the_utm_source_is_the_lead_source_on_first_touch_only() -> None:
    def visit(source: str, anon: str = "a") -> IngestEvent:
        return event(
            {"type": "page", "anonymousId": anon, "context": {"campaign": {"source": source}}}
        )

    plan = resolve([visit("google"), visit("bing")], {}, {})
    (created,) = plan.new_contacts
    assert plan.updates[created]["source"] == "google"
    # A contact that has a source keeps it; one that has none takes the campaign's.
    known = {"c_1": Known("c_1", False, source="partner"), "c_2": Known("c_2", False)}
    links = {"anon:x": "c_1", "anon:y": "c_2"}
    plan = resolve([visit("google", "x"), visit("google", "y")], links, known)
    assert "source" not in plan.updates.get("c_1", {})
    assert plan.updates["c_2"]["source"] == "google"


def test_segments_reserved_traits_become_contact_fields() -> None:
    """firstName, lastName, name, phone, title, company.name, address, createdAt landed in
    custom or were dropped (numbers round two)."""
    from lodestone_contacts.domain.traits import TRAIT_FIELDS, trait_value

    identify = event(
        {
            "type": "identify",
            "userId": "u1",
            "traits": {
                "email": "ada@x.io",
                "id": "u1",
                "firstName": "Ada",
                "lastName": "Lovelace",
                "phone": "+44 20 7946 0000",
                "title": "Analyst",
                "company": {"name": "Engines", "employee_count": 12, "industry": "Computing"},
                "address": {"city": "London", "country": "GB", "postalCode": "W1"},
                "createdAt": "2026-01-02T03:04:05Z",
                "website": "https://ada.example",
            },
        }
    )
    fields: dict = {}
    for name, value in identify.traits.items():
        fields |= trait_value(name, value) if name in TRAIT_FIELDS else {f"custom.{name}": value}
    assert fields == {
        "first_name": "Ada",
        "last_name": "Lovelace",
        "phone": "+442079460000",  # normalised as every phone is
        "title": "Analyst",
        "company": "Engines",
        "company_size": 12,
        "industry": "Computing",
        "country": "GB",
        "custom.address": {"city": "London", "postalCode": "W1"},
        "custom.signed_up_at": "2026-01-02T03:04:05Z",
        "custom.website": "https://ada.example",
    }
    named = event({"type": "identify", "userId": "u2", "traits": {"name": "Grace Brewster Hopper"}})
    assert named.traits == {"first_name": "Grace", "last_name": "Brewster Hopper"}
