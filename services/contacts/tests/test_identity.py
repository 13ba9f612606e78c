"""Identity resolution rules, without I/O."""

from datetime import UTC, datetime, timedelta
from itertools import count

from lodestone_common.ingest import IngestEvent
from lodestone_contacts.domain.identity import Known, Resolver, resolve

T0 = datetime(2026, 11, 1, tzinfo=UTC)
_ids = count()


def ev(kind: str = "page", minutes: int = 0, **contact: str) -> IngestEvent:
    n = next(_ids)
    return IngestEvent(
        event_id=f"e{n}",
        type=kind,
        name="Signed up" if kind == "track" else None,  # type: ignore[arg-type]
        occurred_at=T0 + timedelta(minutes=minutes),
        contact=contact,  # type: ignore[arg-type]
    )


def test_first_sight_creates_anonymous_and_known_contacts() -> None:
    plan = resolve([ev(anonymous_id="a1"), ev(email=" Ada@X.io ")], {}, {})
    docs = list(plan.new_contacts.values())
    assert [d["anonymous"] for d in docs] == [True, False]
    assert docs[1]["email"] == "ada@x.io" and docs[1]["lifecycle_stage"] == "subscriber"
    assert set(plan.links) == {"anon:a1", "email:ada@x.io"}
    assert len(plan.interactions) == 2


def test_identify_links_an_anonymous_visitor_who_is_new() -> None:
    plan = resolve(
        [ev(anonymous_id="a1"), ev("identify", 1, anonymous_id="a1", email="ada@x.io")], {}, {}
    )
    assert len(plan.new_contacts) == 1
    (cid,) = plan.new_contacts
    assert plan.links == {"anon:a1": cid, "email:ada@x.io": cid}
    assert plan.updates[cid]["email"] == "ada@x.io" and cid in plan.became_known
    assert plan.merges == []


def test_identify_stitches_anonymous_history_into_a_known_person() -> None:
    identities = {"anon:a1": "c_anon", "email:ada@x.io": "c_ada"}
    contacts = {"c_anon": Known("c_anon", True), "c_ada": Known("c_ada", False)}
    plan = resolve(
        [ev("identify", anonymous_id="a1", email="ada@x.io"), ev(anonymous_id="a1")],
        identities,
        contacts,
    )
    assert plan.merges == [("c_ada", "c_anon")]
    assert plan.links == {"anon:a1": "c_ada"}
    assert {cid for cid, _ in plan.interactions} == {"c_ada"}
    assert "c_anon" not in plan.activity and plan.activity["c_ada"]["page_visit"] == 1


def test_two_known_people_are_never_merged_implicitly() -> None:
    identities = {"email:ada@x.io": "c_ada", "ext:42": "c_bob"}
    contacts = {"c_ada": Known("c_ada", False), "c_bob": Known("c_bob", False)}
    plan = resolve([ev(email="ada@x.io", external_id="42")], identities, contacts)
    assert plan.merges == []
    # The external id is the stronger identity; Ada's email stays Ada's.
    assert plan.interactions[0][0] == "c_bob" and plan.links == {}


def test_unknown_contact_id_is_rejected_and_merged_ids_are_followed() -> None:
    contacts = {"c_old": Known("c_old", True, merged_into="c_new"), "c_new": Known("c_new", False)}
    plan = resolve([ev(contact_id="c_missing"), ev(contact_id="c_old")], {}, contacts)
    assert list(plan.rejected.values()) == ["unknown contact_id 'c_missing'"]
    assert plan.interactions[0][0] == "c_new"


def test_traits_set_fields_and_unknown_traits_go_to_custom() -> None:
    event = ev("identify", email="ada@x.io")
    event = event.model_copy(
        update={"traits": {"first_name": "Ada", "plan": "pro", "phone": "+1 (555) 010-2030"}}
    )
    resolver = Resolver({}, {})
    resolver.apply(event)
    (cid,) = resolver.plan.new_contacts
    assert resolver.plan.updates[cid] == {
        "first_name": "Ada",
        "custom.plan": "pro",
        "phone": "+15550102030",
    }


def test_last_activity_is_the_latest_event() -> None:
    plan = resolve([ev(minutes=5, email="a@b.co"), ev(minutes=1, email="a@b.co")], {}, {})
    (cid,) = plan.new_contacts
    assert plan.last_activity[cid] == T0 + timedelta(minutes=5)
    assert plan.activity[cid]["page_visit"] == 2


def test_unsubscribes_deny_email_consent_and_bounces_suppress() -> None:
    unsub = IngestEvent(
        event_id="u1",
        type="track",
        name="Email Unsubscribed",
        occurred_at=T0,
        contact={"email": "ada@x.io"},
    )  # type: ignore[arg-type]
    bounce = IngestEvent(
        event_id="b1",
        type="track",
        name="Email Bounced",
        occurred_at=T0,
        contact={"email": "bob@x.io"},
    )  # type: ignore[arg-type]
    plan = resolve([unsub, bounce], {}, {})
    ada, bob = plan.new_contacts
    assert plan.updates[ada] == {"unsubscribed": True, "consent.email": "denied"}
    assert plan.updates[bob] == {"email_bounced": True}
    # A soft bounce (a full mailbox) does not stop mail.
    soft = IngestEvent(
        event_id="b2",
        type="track",
        name="Email Bounced",
        occurred_at=T0,
        contact={"email": "cy@x.io"},
        properties={"bounce_type": "soft"},
    )  # type: ignore[arg-type]
    softly = resolve([soft, bounce], {}, {})
    cy, bob_again = softly.new_contacts
    assert "email_bounced" not in softly.updates[cy]
    assert softly.updates[bob_again] == {"email_bounced": True}
