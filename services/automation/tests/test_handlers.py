"""Automation's handlers in memory: which events enroll whom, what each emits, what the
runner is woken for, and what merges and erasures do to enrollments and windows."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from lodestone_automation.catalog import Catalog
from lodestone_automation.handlers import Triggers, handlers
from lodestone_automation.service import Automation
from lodestone_common.consumer import EnvelopeEvent
from lodestone_common.events import (
    ContactErased,
    ContactMerged,
    ContactStageChanged,
    EventPayload,
    InteractionRecorded,
    LeadQualified,
)
from lodestone_common.processing import MemoryTransactions, UnitOfWork, runs
from lodestone_common.topics import AUTOMATION

from .memory import MemoryStores

AT = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
STEPS = [{"id": "call", "type": "create_task", "title": "Call them"}]
PRICING = {
    "name": "3 pricing visits in a week",
    "trigger": {
        "type": "interaction_count",
        "interaction_type": "page_visit",
        "conditions": [{"field": "url", "op": "contains", "value": "/pricing"}],
        "count": 3,
        "within_days": 7,
    },
    "steps": STEPS,
}
BECAME_SQL = {
    "name": "New SQL",
    "trigger": {"type": "stage_changed", "to": "sales_qualified"},
    "steps": STEPS,
}
QUALIFIED = {"name": "MQL", "trigger": {"type": "lead_qualified"}, "steps": STEPS}


def event(contact: str, payload: EventPayload, hours: float = 0) -> EnvelopeEvent:
    envelope = payload.envelope(
        contact_id=contact, producer="test", occurred_at=AT + timedelta(hours=hours)
    )
    return EnvelopeEvent(envelope, payload)


def visit(contact: str, url: str, hours: float) -> EnvelopeEvent:
    payload = InteractionRecorded(
        interaction_type="page_visit", name="Page Viewed", properties={"url": url}
    )
    return event(contact, payload, hours)


class Woken:
    def __init__(self) -> None:
        self.times = 0

    def __call__(self) -> None:
        self.times += 1


async def setup(*definitions: dict[str, Any]) -> tuple[MemoryStores, Any, Woken]:
    stores = MemoryStores()
    for i, definition in enumerate(definitions):
        stores.workflows.put(f"wf{i}", definition)
    catalog = Catalog(stores.workflows)  # type: ignore[arg-type]
    woken = Woken()
    triggers = Triggers(Automation(stores, MemoryTransactions()), catalog, woken)  # type: ignore[arg-type]
    return stores, handlers(triggers), woken


async def apply(table: Any, events: list[EnvelopeEvent]) -> UnitOfWork:
    """One batch through the handler table, as the processor runs it."""
    uow = UnitOfWork()
    for handler, run in runs(events, lambda e: table[type(e.payload)]):
        await handler(run, uow)
    for callback in uow.committed:
        callback()
    return uow


def enrolled(uow: UnitOfWork) -> list[tuple[str, str]]:
    return [
        (e.contact_id, e.payload["workflow_id"])
        for topic, e in uow.emitted
        if topic == AUTOMATION and e.event_type == "workflow.enrollment_changed"
    ]


async def test_the_third_pricing_visit_in_a_week_enrolls_once() -> None:
    stores, table, woken = await setup(PRICING)
    first = await apply(table, [visit("c1", "/pricing", 0), visit("c1", "/docs", 1)])
    assert enrolled(first) == [] and woken.times == 0
    # Two more across later batches: the window lives in the store between batches.
    second = await apply(table, [visit("c1", "/pricing", 24), visit("c2", "/pricing", 24)])
    assert enrolled(second) == []
    third = await apply(table, [visit("c1", "/pricing?plan=pro", 48)])
    assert enrolled(third) == [("c1", "wf0")]
    assert woken.times == 1  # the runner has work once it commits
    assert [d["status"] for d in stores.enrollments.of("c1")] == ["active"]
    # A fourth visit meets the policy "once": no second enrollment, no event.
    fourth = await apply(table, [visit("c1", "/pricing", 50)])
    assert enrolled(fourth) == [] and len(stores.enrollments.of("c1")) == 1
    assert stores.audience.docs["c1"]["activity"] == {"page_visit": 5}


async def test_visits_spread_over_more_than_the_window_do_not_enroll() -> None:
    stores, table, _ = await setup(PRICING)
    await apply(table, [visit("c1", "/pricing", 0), visit("c1", "/pricing", 24 * 4)])
    late = await apply(table, [visit("c1", "/pricing", 24 * 8)])  # the first slid out
    assert enrolled(late) == []
    assert len(stores.audience.hits[("wf0", "c1")]) == 2


async def test_a_stage_change_and_a_qualification_enroll_in_their_workflows() -> None:
    stores, table, woken = await setup(BECAME_SQL, QUALIFIED)
    moved = ContactStageChanged(
        from_stage="marketing_qualified", to_stage="sales_qualified", changed_by="ana"
    )
    qualified = LeadQualified(model_id="default", score=72, threshold=60)
    uow = await apply(table, [event("c1", moved), event("c2", qualified)])
    assert enrolled(uow) == [("c1", "wf0"), ("c2", "wf1")]
    assert stores.audience.docs["c1"]["lifecycle_stage"] == "sales_qualified"
    assert woken.times == 1


async def test_a_merge_moves_enrollments_and_windows_and_an_erasure_forgets_them() -> None:
    stores, table, _ = await setup(PRICING)
    await apply(table, [visit("old", "/pricing", 0), visit("new", "/pricing", 1)])
    await apply(table, [event("new", ContactMerged(merged_ids=["old"], merged_by="ana"))])
    assert ("wf0", "old") not in stores.audience.hits
    assert len(stores.audience.hits[("wf0", "new")]) == 2
    # The merged history counts: a third visit by the survivor enrolls it.
    assert enrolled(await apply(table, [visit("new", "/pricing", 2)])) == [("new", "wf0")]
    await apply(table, [event("new", ContactErased(requested_by="dpo"))])
    assert stores.enrollments.of("new") == [] and "new" in stores.erased
    assert ("wf0", "new") not in stores.audience.hits


async def test_hard_bounces_complaints_and_unsubscribes_suppress_the_address() -> None:
    stores, table, _ = await setup()
    for contact in ("c1", "c2", "c3", "c4"):
        stores.audience.docs[contact] = {"_id": contact, "email": f"{contact.upper()}@x.io"}

    def mail(kind: str, **properties: str) -> InteractionRecorded:
        return InteractionRecorded(interaction_type=kind, name=kind, properties=properties)

    await apply(
        table,
        [
            event("c1", mail("email_bounced", bounce_type="hard")),
            event("c2", mail("email_bounced", bounce_type="soft")),  # a full mailbox: passes
            event("c3", mail("email_unsubscribed")),
            event("c4", mail("email_bounced", bounce_type="complaint")),
            visit("c4", "/pricing", 1),
        ],
    )
    reasons = {k: v["reason"] for k, v in stores.suppressions.docs.items()}
    assert reasons == {"c1@x.io": "hard_bounce", "c3@x.io": "unsubscribe", "c4@x.io": "complaint"}
    # A contact the audience does not know yet (its contact.created on another topic, later):
    # the address the bounce names is suppressed all the same.
    await apply(table, [event("c9", mail("email_bounced", email="new@x.io"))])
    assert stores.suppressions.docs["new@x.io"]["reason"] == "hard_bounce"


def email_event(contact: str, kind: str, hours: float, **properties: Any) -> EnvelopeEvent:
    payload = InteractionRecorded(interaction_type=kind, name=kind, properties=properties)
    return event(contact, payload, hours)


async def test_campaign_emails_count_each_person_once_per_reaction() -> None:
    stores, table, _ = await setup()
    mine = {"campaign_id": "cmp_1", "email_id": "cmp_1:c1"}
    await apply(
        table,
        [
            email_event("c1", "email_clicked", 2, url="https://x.io/a", **mine),
            email_event("c1", "email_clicked", 1, url="https://x.io/b", **mine),
            email_event("c1", "email_opened", 1, **mine),
            email_event("c1", "email_bounced", 3, bounce_type="soft", **mine),  # tried again
            email_event("c1", "email_bounced", 3, bounce_type="complaint", **mine),
            # A workflow's email, and a forged pairing of a campaign with another's email.
            email_event("c2", "email_clicked", 1, workflow_id="wf0", email_id="wf0:e:s"),
            email_event("c2", "email_clicked", 1, campaign_id="cmp_1", email_id="cmp_2:c2"),
        ],
    )
    await apply(table, [email_event("c1", "email_clicked", 0.5, **mine)])  # an earlier one, late
    got = {k: (c, at - AT) for k, (c, at) in stores.campaigns.reactions.items()}
    assert got == {
        ("cmp_1:c1", "clicked"): ("cmp_1", timedelta(hours=0.5)),
        ("cmp_1:c1", "opened"): ("cmp_1", timedelta(hours=1)),
        ("cmp_1:c1", "complained"): ("cmp_1", timedelta(hours=3)),
    }
