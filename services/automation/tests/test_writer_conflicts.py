"""Automation's two writers of `enrollments` at once, against the real database: the runner's
claims and lease renewals, and a consumer's transaction that brings deferred enrollments
forward (`contacts_arrived`) and then enrolls (`enroll_many`).

The demo wedged the local database on exactly this pair: a claim or renewal as one
multi-document update outside a transaction, meeting the consumer transaction's uncommitted
write to one of its documents, kept the whole collection while it retried; the
transaction's next write to the collection then waited for it, for good (a statement in
progress is not idle, so the server never reaped the transaction either). Each writer here
must finish while the other is in the middle of its work.
"""

from __future__ import annotations

import asyncio
import contextlib
from datetime import timedelta
from typing import Any
from uuid import uuid4

import pytest
from pymongo.asynchronous.client_session import AsyncClientSession

from lodestone_automation.domain.workflows import WorkflowDefinition
from lodestone_automation.service import Automation, Candidate
from lodestone_automation.stores import Stores
from lodestone_common.envelope import utcnow
from lodestone_common.mongo import in_transaction
from lodestone_common.outbox import Outbox
from lodestone_common.processing import Transactions, UnitOfWork

PEOPLE = 20
# Far above what either writer takes even on a loaded machine (milliseconds); on the code that
# wedged, neither ever finished.
BOUND = 90.0

WORKFLOW = WorkflowDefinition.model_validate(
    {
        "name": "welcome",
        "trigger": {"type": "stage_changed", "to": "lead"},
        "steps": [{"id": "end", "type": "exit"}],
    }
)


@pytest.mark.parametrize("runner_writes", ["claim", "renew"])
async def test_the_runner_and_a_consumer_transaction_both_finish(mongo, runner_writes: str) -> None:  # type: ignore[no-untyped-def]
    name = f"test_writers_{uuid4().hex[:8]}"
    db = mongo[name]
    outbox = Outbox(db, None, holder="test", service="automation")  # type: ignore[arg-type]
    repo = Automation(Stores(db), Transactions(mongo, outbox))
    enrollments = repo.stores.enrollments
    now = utcnow()
    # Deferred until their people's records arrive: due (the runner may claim them) and, for
    # the renewal, held by the runner.
    held = runner_writes == "renew"
    await db["enrollments"].insert_many(
        [
            {
                "_id": f"e{i}",
                "workflow_id": "wf",
                "contact_id": f"c{i}",
                "status": "active",
                "step": 0,
                "due_at": now - timedelta(seconds=1),
                "awaiting_contact": True,
                "claimed_by": "runner" if held else None,
                "claimed_until": now + timedelta(seconds=60) if held else None,
                "enrolled_at": now,
            }
            for i in range(PEOPLE)
        ]
    )
    workflow = {"_id": "wf-new", "version": 1}
    wrote_first = asyncio.Event()
    runner_started = asyncio.Event()

    async def consumer(session: AsyncClientSession) -> int:
        moved = await enrollments.contacts_arrived([f"c{i}" for i in range(PEOPLE)], session)
        wrote_first.set()
        await runner_started.wait()
        # Let the runner's statement reach the server and meet the uncommitted writes.
        await asyncio.sleep(0.5)
        made = await repo.enroll_many(
            [Candidate(workflow, WORKFLOW, f"c{i}", now, "test") for i in range(PEOPLE)],
            UnitOfWork(session),
        )
        return moved + len(made)

    async def runner() -> Any:
        await wrote_first.wait()
        runner_started.set()
        if held:
            return await enrollments.renew_claims("runner", [f"e{i}" for i in range(PEOPLE)], 60.0)
        return await enrollments.claim_due("runner", PEOPLE, 30.0)

    wedged = False
    try:
        changed, _ = await asyncio.wait_for(
            asyncio.gather(in_transaction(mongo, consumer), runner()), BOUND
        )
        assert changed == 2 * PEOPLE
        docs = {d["_id"]: d async for d in db["enrollments"].find({})}
        assert len(docs) == 2 * PEOPLE  # the consumer's enrollments were committed
        assert not any(d.get("awaiting_contact") for d in docs.values())
    except TimeoutError:
        wedged = True
        pytest.fail(f"the runner's {runner_writes} and a consumer transaction wedged each other")
    finally:
        if not wedged:  # a wedged collection cannot be dropped either
            with contextlib.suppress(Exception):
                await mongo.drop_database(name)
