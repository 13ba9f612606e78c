"""A runner takes only what is due in the partitions its process owns, against the real
database: new enrollments carry their contact's partition, a merge moves them to the
survivor's, and enrollments from before ownership get theirs at start-up."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import uuid4

from lodestone_automation.domain.workflows import WorkflowDefinition
from lodestone_automation.service import Automation, Candidate
from lodestone_automation.stores import Stores
from lodestone_common.envelope import utcnow
from lodestone_common.mongo import in_transaction
from lodestone_common.outbox import Outbox
from lodestone_common.ownership import partition_of
from lodestone_common.processing import Transactions, UnitOfWork

T = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)


def contact_in(partition: int, skip: int = 0) -> str:
    found = (f"ct_{i}" for i in range(10_000) if partition_of(f"ct_{i}") == partition)
    for _ in range(skip):
        next(found)
    return next(found)


async def test_claims_follow_the_partitions_a_process_owns(mongo) -> None:  # type: ignore[no-untyped-def]
    name = f"test_ownership_{uuid4().hex[:8]}"
    db = mongo[name]
    outbox = Outbox(db, None, holder="test", service="automation")  # type: ignore[arg-type]
    repo = Automation(Stores(db), Transactions(mongo, outbox))
    enrollments = repo.stores.enrollments
    definition = WorkflowDefinition.model_validate(
        {
            "name": "follow up",
            "trigger": {"type": "interaction", "interaction_type": "form_submitted"},
            "enrollment": {"policy": "every_time"},
            "steps": [{"id": "task", "type": "create_task", "title": "Follow up"}],
        }
    )
    workflow = {"_id": "wf-1", "version": 1}
    people = {p: contact_in(p) for p in range(3)}
    try:
        await repo.stores.ensure_indexes()

        async def enroll(uow: UnitOfWork) -> None:
            await repo.enroll_many(
                [Candidate(workflow, definition, c, T, "form") for c in people.values()], uow
            )

        await repo.transactions.run(enroll)
        partitions = {d["contact_id"]: d["partition"] async for d in db["enrollments"].find()}
        assert partitions == {c: p for p, c in people.items()}

        assert await enrollments.claim_due("nobody", 10, 5.0, frozenset()) == []
        assert await enrollments.overdue(utcnow(), partitions=frozenset({1})) == 1
        mine = await enrollments.claim_due("one", 10, 5.0, frozenset({1, 2}))
        assert sorted(e["contact_id"] for e in mine) == [people[1], people[2]]
        rest = await enrollments.claim_due("all", 10, 5.0, None)  # a process that consumes nothing
        assert [e["contact_id"] for e in rest] == [people[0]]

        # A merge into a contact of partition 4 moves the enrollment with it.
        survivor = contact_in(4)

        async def merge(session) -> None:  # type: ignore[no-untyped-def]
            await repo.stores.rekey(survivor, [people[0]], session)

        await in_transaction(mongo, merge)
        moved = await db["enrollments"].find_one({"contact_id": survivor})
        assert moved is not None and moved["partition"] == 4

        # Enrollments from before ownership: given their partition, each its contact's.
        old = contact_in(5, skip=1)
        await db["enrollments"].insert_many(
            [
                {"_id": f"old{i}", "contact_id": old, "status": "active", "due_at": T}
                for i in range(3)
            ]
        )
        assert await enrollments.assign_partitions(chunk=2) == 3
        assert await db["enrollments"].count_documents({"partition": 5}) == 3
        assert await enrollments.assign_partitions() == 0
        taken = await enrollments.claim_due("five", 10, 5.0, frozenset({5}))
        assert sorted(e["_id"] for e in taken) == ["old0", "old1", "old2"]
    finally:
        await mongo.drop_database(name)
