from datetime import UTC, datetime

import pytest
from pydantic import ValidationError

from lodestone_common.events import ContactSnapshot
from lodestone_common.ingest import IngestEvent
from lodestone_contacts.domain.interactions import interaction_type, property_errors
from lodestone_contacts.domain.records import (
    ContactDraft,
    ContactPatch,
    StageError,
    StageMove,
    check_stage_move,
    merge_fields,
    new_contact,
    patch_changes,
)
from lodestone_contacts.domain.traits import readable, snapshot, trait_value

NOW = datetime(2026, 11, 1, tzinfo=UTC)


def test_new_contact_normalizes_identities() -> None:
    doc = new_contact(
        ContactDraft(email="ADA@X.io", phone="+1 555 010 2030", tags=["VIP", " vip", "b2b"]),
        NOW,
        "k",
    )
    assert doc["emails"] == ["ada@x.io"] and doc["phones"] == ["+15550102030"]
    assert doc["tags"] == ["b2b", "vip"] and doc["stage_history"][0]["to"] == "subscriber"
    with pytest.raises(ValidationError):
        ContactDraft(email="nope")
    with pytest.raises(ValidationError):
        ContactDraft(age=-1)


def test_stage_moves_forward_freely_and_backward_only_when_explicit() -> None:
    check_stage_move("lead", StageMove(to="customer"))
    check_stage_move("customer", StageMove(to="lost"))
    with pytest.raises(StageError, match="allow_backward"):
        check_stage_move("customer", StageMove(to="lead"))
    with pytest.raises(StageError, match="reason"):
        check_stage_move("customer", StageMove(to="lead", allow_backward=True))
    check_stage_move("customer", StageMove(to="lead", allow_backward=True, reason="churned"))


def test_patch_reports_only_real_changes_and_merges_custom_fields() -> None:
    current = {"first_name": "Ada", "custom": {"plan": "pro"}, "emails": ["a@x.io"]}
    changes, previous = patch_changes(
        current, ContactPatch(first_name="Ada", custom={"seats": 5}, email="b@x.io")
    )
    assert changes == {
        "custom": {"plan": "pro", "seats": 5},
        "email": "b@x.io",
        "emails": ["a@x.io", "b@x.io"],
    }
    assert previous["custom"] == {"plan": "pro"}


def test_merge_keeps_the_survivors_values_and_fills_gaps() -> None:
    survivor = {"first_name": "Ada", "company": None, "tags": ["a"], "custom": {"x": 1}}
    other = {"first_name": "Ad", "company": "Acme", "tags": ["b"], "custom": {"x": 2, "y": 3}}
    assert merge_fields(survivor, other) == {
        "company": "Acme",
        "tags": ["a", "b"],
        "custom": {"x": 1, "y": 3},
    }


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("Email Opened", "email_opened"),
        ("email_clicked", "email_clicked"),
        ("Order Completed", "purchase"),
        ("Call-Logged", "call_logged"),
        ("Trial Started", "custom"),
    ],
)
def test_track_names_map_to_interaction_types(name: str, kind: str) -> None:
    event = IngestEvent(event_id="1", type="track", name=name, contact={"email": "a@b.co"})  # type: ignore[arg-type]
    assert interaction_type(event) == kind


def test_calls_and_purchases_need_their_properties() -> None:
    call = IngestEvent(
        event_id="1",
        type="track",
        name="Call Logged",
        contact={"email": "a@b.co"},
        properties={"direction": "sideways"},
    )  # type: ignore[arg-type]
    fields = [f for f, _ in property_errors(call)]
    assert fields == ["properties.direction", "properties.duration_seconds"]
    buy = IngestEvent(
        event_id="2",
        type="track",
        name="Purchase",
        contact={"email": "a@b.co"},  # type: ignore[arg-type]
        properties={"amount": 10, "currency": "EUR", "items": [{"name": "x", "price": 10}]},
    )
    assert property_errors(buy) == []


def test_traits_that_do_not_fit_a_field_are_coerced_or_kept_aside() -> None:
    assert trait_value("title", 123) == {"title": "123"}
    assert trait_value("title", 1.5) == {"title": "1.5"}
    assert trait_value("company", ["x"]) == {"custom.company": ["x"]}
    assert trait_value("title", "x" * 500) == {"custom.title": "x" * 500}  # too long for it
    assert trait_value("age", "42") == {"age": 42}
    assert trait_value("age", 42.0) == {"age": 42}
    assert trait_value("age", "old") == {"custom.age": "old"}
    assert trait_value("age", True) == {"custom.age": True}
    # Whole numbers past 64 bits (found by the stored-data fuzz: -1e300 is an integer float).
    assert trait_value("age", -1e300) == {"custom.age": -1e300}
    assert trait_value("company_size", "9" * 30) == {"custom.company_size": "9" * 30}
    # Segment's spec: the company is an object.
    assert trait_value("company", {"name": "Acme", "employee_count": 50, "industry": "Retail"}) == {
        "company": "Acme",
        "company_size": 50,
        "industry": "Retail",
    }


def test_a_stored_record_is_readable_whatever_it_holds() -> None:
    stored = {"title": 123, "company": ["x"], "tags": "a", "lifecycle_stage": "nonsense"}
    shared = snapshot({**stored, "email": "ada@example.com", "custom": {"plan": "pro"}})
    assert shared.title == "123" and shared.company is None and shared.tags == []
    assert shared.custom == {
        "plan": "pro",
        "company": ["x"],
        "tags": "a",
        "lifecycle_stage": "nonsense",
    }
    # What the custom map itself cannot hold is left out, never a failed read.
    assert readable(ContactSnapshot, {"title": "ok", "custom": 5}).title == "ok"
