"""An enrollment deferred until its contact's record arrives, against the real database: the
record's arrival makes it due at once, and only while it is still deferred."""

from __future__ import annotations

from datetime import timedelta
from types import SimpleNamespace
from uuid import uuid4

from lodestone_automation.service import Automation
from lodestone_automation.stores import Stores
from lodestone_common.envelope import utcnow
from lodestone_common.mongo import in_transaction
from lodestone_common.processing import Transactions


async def test_a_contact_arriving_brings_its_deferred_enrollments_forward(mongo) -> None:  # type: ignore[no-untyped-def]
    name = f"test_deferrals_{uuid4().hex[:8]}"
    runtime = SimpleNamespace(mongo=mongo, db=mongo[name])
    repo = Automation(Stores(runtime.db), Transactions(mongo))
    enrollments = repo.stores.enrollments
    later = utcnow() + timedelta(minutes=10)
    base = {"status": "active", "step": 0, "due_at": later, "claimed_by": "runner"}
    try:
        await enrollments.collection.insert_many(
            [
                {"_id": "deferred", "contact_id": "a", **base},
                {"_id": "moved-on", "contact_id": "a", **base},
                {"_id": "waiting", "contact_id": "a", **base, "status": "waiting"},
                {"_id": "someone-else", "contact_id": "b", **base},
            ]
        )
        for eid in ("deferred", "moved-on", "someone-else"):
            await repo.save_progress(
                eid,
                "runner",
                {"due_at": later, "claimed_until": None, "awaiting_contact": True},
                [],
            )
        # Progress of any other kind ends the deferral.
        await repo.save_progress("moved-on", "runner", {"step": 1, "due_at": later}, [])

        moved = await in_transaction(mongo, lambda s: enrollments.contacts_arrived(["a", "c"], s))

        assert moved == 1
        docs = {d["_id"]: d async for d in enrollments.collection.find({})}
        assert docs["deferred"]["due_at"] <= utcnow()
        assert "awaiting_contact" not in docs["deferred"]
        for untouched in ("moved-on", "waiting", "someone-else"):
            assert docs[untouched]["due_at"] > utcnow(), untouched
        assert docs["someone-else"]["awaiting_contact"] is True
        assert await in_transaction(mongo, lambda s: enrollments.contacts_arrived([], s)) == 0
    finally:
        await mongo.drop_database(name)
