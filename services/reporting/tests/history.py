"""A known event history (five prospects, two reps, one workflow) and what it must report.

Shared by the pure projector tests and the service test against the real broker and DB.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from lodestone_common.envelope import Envelope
from lodestone_common.events import (
    ContactCreated,
    ContactErased,
    ContactMerged,
    ContactSnapshot,
    ContactStageChanged,
    InteractionContext,
    InteractionRecorded,
    RepChanged,
    ScoreChanged,
    TaskChanged,
    WorkflowActionPerformed,
    WorkflowEnrollmentChanged,
    rep_key,
)
from lodestone_common.topics import AUTOMATION, CONTACTS, INTERACTIONS, SCORES


def history(tag: str, now: datetime | None = None) -> list[tuple[str, Envelope]]:
    now = now or datetime.now(UTC).replace(microsecond=0)
    source, r1, r2, wf, model = f"src-{tag}", f"r1-{tag}", f"r2-{tag}", f"wf-{tag}", f"m-{tag}"
    c = [f"c{i}-{tag}" for i in range(1, 6)]
    days = lambda n: now - timedelta(days=n)  # noqa: E731
    out: list[tuple[str, Envelope]] = []

    def contact(payload: Any, cid: str, at: datetime) -> None:
        out.append(
            (CONTACTS, payload.envelope(contact_id=cid, producer="contacts", occurred_at=at))
        )

    def created(cid: str, stage: str, owner: str | None, at: datetime, name: str) -> None:
        snap = ContactSnapshot(
            email=f"{name.lower()}@{tag}.example",
            first_name=name,
            last_name="Test",
            company="Acme",
            source=source,
            lifecycle_stage=stage,  # type: ignore[arg-type]
            owner_id=owner,
        )
        contact(ContactCreated(contact=snap), cid, at)

    def stage(cid: str, frm: str, to: str, at: datetime) -> None:
        contact(
            ContactStageChanged(from_stage=frm, to_stage=to, changed_by="test"),  # type: ignore[arg-type]
            cid,
            at,
        )

    created(c[0], "subscriber", r1, days(5), "Ada")
    stage(c[0], "subscriber", "lead", days(3))  # 2 days as subscriber
    stage(c[0], "lead", "marketing_qualified", days(2))
    stage(c[0], "marketing_qualified", "customer", days(1))
    created(c[1], "lead", r2, days(5), "Ben")
    stage(c[1], "lead", "sales_qualified", days(1))  # 4 days as lead
    created(c[2], "subscriber", None, days(4), "Cleo")
    stage(c[2], "subscriber", "lost", days(2))
    created(c[3], "lead", None, days(4), "Dan")
    created(c[4], "subscriber", r1, days(4), "Eva")

    ctx = InteractionContext(owner_id=r1, owner_assigned_at=days(5), source=source)

    def interaction(cid: str, kind: str, at: datetime, **props: Any) -> None:
        name = kind.replace("_", " ").title()
        payload = InteractionRecorded(
            interaction_type=kind,  # type: ignore[arg-type]
            name=name,
            channel={"page_visit": "web", "call_logged": "phone", "purchase": "commerce"}.get(
                kind, "email"
            ),
            properties=props,
            context=ctx,
        )
        out.append(
            (INTERACTIONS, payload.envelope(contact_id=cid, producer="contacts", occurred_at=at))
        )

    for hours in (1, 2, 3):
        interaction(c[0], "page_visit", days(4) + timedelta(hours=hours), path="/pricing")
    interaction(c[0], "call_logged", days(5) + timedelta(hours=6), direction="outbound")
    item = {"name": "Widget", "sku": f"w-{tag}", "quantity": 2, "price": 50.25}
    interaction(c[0], "purchase", days(1), amount=100.5, currency="USD", items=[item])
    interaction(c[0], "purchase", days(0), amount=20, currency="USD", items=[])
    interaction(c[0], "email_opened", days(1), workflow_id=wf)
    interaction(c[0], "email_opened", days(1) + timedelta(hours=1), workflow_id=wf)
    for link in range(4):  # one person, four links: one clicker, four clicks
        interaction(c[0], "email_clicked", days(1) + timedelta(minutes=link), workflow_id=wf)

    def score(cid: str, value: float, band: str, grade: str, at: datetime) -> None:
        payload = ScoreChanged(
            model_id=model, score=value, previous_score=0, band=band, grade=grade
        )
        out.append((SCORES, payload.envelope(contact_id=cid, producer="scoring", occurred_at=at)))

    score(c[0], 80, "hot", "A", days(2))
    score(c[1], 55, "warm", "B", days(1))
    score(c[1], 40, "warm", "C", days(2))  # older verdict arriving late: ignored
    score(c[3], 30, "cold", "D", days(3))

    contact(ContactMerged(merged_ids=[c[3]], merged_by="test"), c[1], days(0))
    contact(ContactErased(requested_by="test"), c[4], days(0))

    def automation(payload: Any, cid: str, at: datetime) -> None:
        out.append(
            (AUTOMATION, payload.envelope(contact_id=cid, producer="automation", occurred_at=at))
        )

    # Reps as automation announces them: r1 and r2 work in one team; r3 left it.
    team = f"east-{tag}"
    automation(RepChanged(rep_id=r1, name=f"Ana {tag}", team=team), rep_key(r1), days(6))
    automation(RepChanged(rep_id=r2, name="Bo", team=team), rep_key(r2), days(6))
    automation(RepChanged(rep_id=f"r3-{tag}", name="Gone"), rep_key(f"r3-{tag}"), days(6))
    automation(RepChanged(rep_id=f"r3-{tag}", removed=True), rep_key(f"r3-{tag}"), days(5))
    for cid in (c[0], c[1]):
        automation(
            WorkflowEnrollmentChanged(
                workflow_id=wf,
                workflow_name=f"Nurture {tag}",
                enrollment_id=f"e-{cid}",
                status="enrolled",
            ),
            cid,
            days(2),
        )
    automation(
        WorkflowActionPerformed(
            workflow_id=wf,
            enrollment_id=f"e-{c[0]}",
            step_id="mail",
            action="send_email",
            outcome="succeeded",
        ),
        c[0],
        days(2),
    )
    automation(
        WorkflowActionPerformed(
            workflow_id=wf,
            enrollment_id=f"e-{c[1]}",
            step_id="sync",
            action="webhook",
            outcome="succeeded",
        ),
        c[1],
        days(2),
    )
    automation(
        WorkflowEnrollmentChanged(workflow_id=wf, enrollment_id=f"e-{c[0]}", status="goal_reached"),
        c[0],
        days(1),
    )

    def task(
        task_id: str, cid: str, owner: str, status: str, due: datetime, done: datetime | None
    ) -> None:
        payload = TaskChanged(
            task_id=task_id,
            owner_id=owner,
            kind="call",
            status=status,  # type: ignore[arg-type]
            due_at=due,
            created_at=days(3),
            done_at=done,
            workflow_id=wf,
        )
        automation(payload, cid, done or days(3))

    task(f"t1-{tag}", c[0], r1, "open", days(2), None)
    task(f"t1-{tag}", c[0], r1, "done", days(2), days(2))
    task(f"t2-{tag}", c[1], r2, "open", days(1), None)
    return out


EXPECTED_REACHED = {
    "subscriber": 5,
    "lead": 3,
    "marketing_qualified": 2,
    "sales_qualified": 2,
    "opportunity": 1,
    "customer": 1,
}
EXPECTED_NOW = {"customer": 1, "sales_qualified": 1, "lost": 1}
