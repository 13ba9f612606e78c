"""Enrollment claims are short leases the runner renews while it works: one whose runner
died (kill -9 between the claim and the save) is free again within a lease, not held for as
long as the slowest action could take."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from types import SimpleNamespace
from typing import Any
from uuid import uuid4

import pytest

from lodestone_automation import runner as runner_module
from lodestone_automation.runner import Runner
from lodestone_automation.service import Automation
from lodestone_automation.settings import AutomationSettings
from lodestone_automation.stores import Stores
from lodestone_common.envelope import utcnow
from lodestone_common.outbox import Outbox
from lodestone_common.processing import Transactions


async def test_renewal_extends_only_the_leases_this_runner_still_holds(mongo) -> None:  # type: ignore[no-untyped-def]
    name = f"test_leases_{uuid4().hex[:8]}"
    db = mongo[name]
    outbox = Outbox(db, None, holder="test", service="automation")  # type: ignore[arg-type]
    repo = Automation(Stores(db), Transactions(mongo, outbox))
    enrollments = repo.stores.enrollments
    now = utcnow()
    try:
        await db["enrollments"].insert_many(
            [
                {"_id": f"e{i}", "status": "active", "due_at": now - timedelta(seconds=1)}
                for i in range(4)
            ]
        )
        claimed = await enrollments.claim_due("me", 10, lease=5.0)
        assert sorted(e["_id"] for e in claimed) == ["e0", "e1", "e2", "e3"]
        # e1 was saved meanwhile (its lease cleared); e2 lapsed and another runner took it.
        await db["enrollments"].update_one({"_id": "e1"}, {"$set": {"claimed_until": None}})
        await db["enrollments"].update_one(
            {"_id": "e2"},
            {"$set": {"claimed_by": "other", "claimed_until": now + timedelta(seconds=5)}},
        )

        await enrollments.renew_claims("me", ["e0", "e1", "e2", "e3"], lease=60.0)

        leases = {d["_id"]: d async for d in db["enrollments"].find({})}
        assert leases["e0"]["claimed_until"] > now + timedelta(seconds=50)
        assert leases["e3"]["claimed_until"] > now + timedelta(seconds=50)
        assert leases["e1"]["claimed_until"] is None  # a saved enrollment is not re-held
        assert leases["e2"]["claimed_by"] == "other"
        assert leases["e2"]["claimed_until"] < now + timedelta(seconds=10)
        # A lease that lapsed, unrenewed, is claimable by the next runner.
        await db["enrollments"].update_one(
            {"_id": "e0"}, {"$set": {"claimed_until": now - timedelta(seconds=1)}}
        )
        assert [e["_id"] for e in await enrollments.claim_due("next", 10, lease=5.0)] == [
            "e0",
            "e1",
        ]
    finally:
        await mongo.drop_database(name)


async def test_overdue_counts_live_unheld_enrollments_due_before_the_cutoff(mongo) -> None:  # type: ignore[no-untyped-def]
    name = f"test_overdue_{uuid4().hex[:8]}"
    db = mongo[name]
    repo = Automation(Stores(db), Transactions(mongo))
    enrollments = repo.stores.enrollments
    now = utcnow()
    long_ago, just_now = now - timedelta(minutes=5), now - timedelta(seconds=5)
    try:
        await db["enrollments"].insert_many(
            [
                {"_id": "overdue", "status": "active", "due_at": long_ago},
                {
                    "_id": "lapsed",
                    "status": "waiting",
                    "due_at": long_ago,
                    "claimed_until": now - timedelta(seconds=1),
                },
                {
                    "_id": "held",
                    "status": "active",
                    "due_at": long_ago,
                    "claimed_until": now + timedelta(seconds=20),
                },
                {"_id": "done", "status": "completed", "due_at": long_ago},
                {"_id": "recent", "status": "active", "due_at": just_now},
                {"_id": "later", "status": "scheduled", "due_at": now + timedelta(days=1)},
            ]
        )
        assert await enrollments.overdue(now - timedelta(seconds=60)) == 2
        assert await enrollments.overdue(now) == 3
    finally:
        await mongo.drop_database(name)


class LeaseLog:
    """The runner's view of the service, reduced to claims and renewals."""

    def __init__(self) -> None:
        self.due = [{"_id": "slow"}]
        self.renewed: list[list[str]] = []
        # The runner's view of the service (templates: what its composer holds).
        self.stores = SimpleNamespace(enrollments=self, email_templates=None)
        self.thrice = asyncio.Event()

    async def guarded(self, write: Any) -> Any:
        return await write

    async def claim_due(
        self, token: str, limit: int, lease: float, partitions: frozenset[int] | None = None
    ) -> list[dict[str, Any]]:
        taken, self.due = self.due, []
        return taken

    async def renew_claims(self, token: str, ids: list[str], lease: float) -> None:
        self.renewed.append(ids)
        if len(self.renewed) >= 3:
            self.thrice.set()


async def test_the_runner_renews_what_it_has_in_flight_and_stops_after_a_drain(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(runner_module, "RENEW_SECONDS", 0.02)
    repo = LeaseLog()
    runner = Runner(repo, None, AutomationSettings(), None, None)  # type: ignore[arg-type]
    release = asyncio.Event()

    async def slow_action(enrollment: dict[str, Any]) -> None:
        await release.wait()

    runner.advance = slow_action  # type: ignore[method-assign]
    loop = asyncio.create_task(runner.run())
    # A runner that never renews fails here instead of hanging.
    await asyncio.wait_for(repo.thrice.wait(), 60)
    assert all(ids == ["slow"] for ids in repo.renewed)

    draining = asyncio.create_task(runner.drain())
    await asyncio.sleep(0.1)
    assert not draining.done()  # the action in flight keeps its lease while the drain waits
    assert repo.renewed[-1] == ["slow"]
    release.set()
    await draining
    await loop
    settled = len(repo.renewed)
    await asyncio.sleep(0.1)
    assert len(repo.renewed) == settled  # nothing renewed once the runner has drained
